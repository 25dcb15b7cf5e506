"""A loopback HTTP/1.1 server that answers with scripted writes, for event streams.

Each write goes out as its own chunk with a short pause, so the client's reads are cut
where the script cuts them. ``abort`` drops the connection after the writes without
ending the body; the first ``fail_first`` requests get the headers and a dropped line.
Request bodies are kept (``bodies``). Bounded in time: the thread ends after 20 s.
"""

from __future__ import annotations

import socket
import threading
import time


class ScriptedServer:
    def __init__(
        self,
        writes: list[bytes],
        *,
        content_type: str = "text/event-stream",
        abort: bool = False,
        fail_first: int = 0,
    ) -> None:
        self.writes, self.content_type, self.abort = writes, content_type, abort
        self.fail_first = fail_first
        self.bodies: list[bytes] = []
        self.paths: list[str] = []
        self.closed_by_client = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def requests(self) -> int:
        return len(self.bodies)

    def _read_request(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            part = conn.recv(65536)
            if not part:
                return
            data += part
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        while len(body) < length:
            part = conn.recv(65536)
            if not part:
                break
            body += part
        self.paths.append(lines[0].split(" ")[1])
        self.bodies.append(body)

    def _serve(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self._answer(conn)
                except OSError:
                    pass

    def _answer(self, conn: socket.socket) -> None:
        self._read_request(conn)
        head = (
            f"HTTP/1.1 200 OK\r\ncontent-type: {self.content_type}\r\n"
            "transfer-encoding: chunked\r\nconnection: close\r\nx-request-id: req-1\r\n\r\n"
        )
        conn.sendall(head.encode())
        if self.requests <= self.fail_first:
            conn.sendall(b"5\r\n: hi\n\r\n")  # a comment, then the line drops
            conn.shutdown(socket.SHUT_RDWR)
            return
        for write in self.writes:
            conn.sendall(b"%x\r\n%s\r\n" % (len(write), write))
            time.sleep(0.002)  # separate TCP reads
        if self.abort:
            conn.shutdown(socket.SHUT_RDWR)
            return
        conn.sendall(b"0\r\n\r\n")
        if conn.recv(1) == b"":
            self.closed_by_client.set()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


def cut(stream: bytes, at: list[int]) -> list[bytes]:
    """``stream`` in pieces ending at the offsets ``at`` (and the rest)."""
    pieces, start = [], 0
    for end in [*at, len(stream)]:
        if end > start:
            pieces.append(stream[start:end])
            start = end
    return pieces
