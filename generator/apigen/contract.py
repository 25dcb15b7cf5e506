"""``apigen contract SPEC --base-url URL``: does a running server answer as its spec says?

Each selected operation (GET and HEAD, and the ones named with ``--include``) is
called once against the server, and its response is checked with the checker the
mock uses (runtime ``Schemas``, the same compact description): status declared,
media type declared, JSON body valid for its schema, required headers present.
Arguments come from ``--param name=value``, then from values earlier responses
carried (an ``id`` of a list answer feeds ``/pets/{petId}``), then from the spec's
examples, and for optional-free query values from the schema; an operation whose
path still lacks a value is skipped, saying which. Requests are spaced by
``--rate`` and the run stops at ``--budget`` seconds.

Exit status 0 when every response conforms, 1 when one does not, 2 for bad input
(unreadable spec, bad or unreachable URL). Reports: text, JSON or JUnit XML.
"""

from __future__ import annotations

import json
import random
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import quote, urlencode, urlsplit

import httpx

SAFE_METHODS = ("GET", "HEAD")
MAX_BODY = 8 * 1024 * 1024  # bytes of a response read; past this, the body counts as not matching
MAX_LEARNED = 20  # values remembered per field name
LOOPBACK = ("127.0.0.1", "::1", "localhost")
EXIT_CONFORMS, EXIT_NONCONFORMANCE, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """The spec or the server cannot be used at all (exit status 2)."""


@dataclass
class Result:
    """One operation called (or skipped) and what did not conform."""

    operation: str  # operationId (or "METHOD /path")
    method: str
    path: str
    url: str = ""
    status: int | None = None
    seconds: float = 0.0
    findings: list[str] = field(default_factory=list)
    skipped: str = ""  # why it was not called

    @property
    def conforms(self) -> bool:
        return not self.findings and not self.skipped


@dataclass
class Settings:
    base_url: str
    params: Mapping[str, str] = field(default_factory=dict)
    include: Sequence[str] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    rate: float = 5.0  # requests per second at most
    budget: float = 60.0  # seconds for the whole run
    timeout: float = 10.0  # seconds per request
    seed: int = 0


class Contract:
    """Calls the operations of a compact description against a server and checks answers."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import importlib

        from .mockserver import _mock_module

        mock = _mock_module()  # the mock's own checker, without importing the whole runtime
        schema_values = importlib.import_module(mock.__name__.rsplit(".", 1)[0] + ".schema_values")
        self._media_entry = mock._media_entry
        self._json_media = mock.JSON_MEDIA
        self.schemas = schema_values.Schemas(spec.get("schemas") or {})
        self.operations: list[Mapping[str, Any]] = list(spec.get("operations") or [])
        self.settings = settings
        self.clock, self.sleep = clock, sleep
        self.learned: dict[str, list[Any]] = {}  # field name -> values seen in answers
        self.by_path: dict[str, Any] = {}  # path template -> the body it answered
        self.http = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            headers=dict(settings.headers),
            timeout=settings.timeout,
            follow_redirects=False,
            transport=transport,
        )
        self._last_request: float | None = None

    # ------------------------------------------------------------ selection
    def selected(self) -> list[Mapping[str, Any]]:
        """Safe operations and the included ones; lists before the items they lead to."""
        wanted = set(self.settings.include)
        chosen = [
            op
            for op in self.operations
            if op["method"] in SAFE_METHODS
            or {op["id"], op.get("name", ""), f"{op['method']} {op['path']}"} & wanted
        ]
        return sorted(chosen, key=lambda op: op["path"].count("{"))

    def unknown_includes(self) -> list[str]:
        known = {
            k
            for op in self.operations
            for k in (op["id"], op.get("name", ""), f"{op['method']} {op['path']}")
        }
        return [name for name in self.settings.include if name not in known]

    # ------------------------------------------------------------ the run
    def run(self) -> Iterator[Result]:
        started = self.clock()
        for op in self.selected():
            result = Result(op["id"], op["method"], op["path"])
            if self.clock() + self._wait() - started >= self.settings.budget:
                result.skipped = f"time budget of {self.settings.budget:g} s used up"
                yield result
                continue
            self._call(op, result)
            yield result

    def _wait(self) -> float:
        """Seconds until the rate allows the next request."""
        if self.settings.rate <= 0 or self._last_request is None:
            return 0.0
        return max(0.0, self._last_request + 1.0 / self.settings.rate - self.clock())

    def _pace(self) -> None:
        wait = self._wait()
        if wait > 0:
            self.sleep(wait)
        self._last_request = self.clock()

    def _call(self, op: Mapping[str, Any], result: Result) -> None:
        try:
            path, query, headers = self._arguments(op)
        except LookupError as exc:
            result.skipped = str(exc)
            return
        body_arguments = self._body(op, headers)
        self._pace()
        begun = self.clock()
        try:
            with self.http.stream(
                op["method"], path, params=query, headers=headers, **body_arguments
            ) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY:
                        break
        except httpx.TransportError as exc:
            if isinstance(
                exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol)
            ):
                raise BadInput(f"cannot reach {self.settings.base_url}: {exc}") from exc
            result.findings.append(f"transport: {type(exc).__name__}: {exc}")
            return
        finally:
            result.seconds = round(self.clock() - begun, 3)
        result.url = str(response.request.url)
        result.status = response.status_code
        result.findings += self.check(op, response, body)
        if 200 <= response.status_code < 300:  # ids of an answer feed later calls
            self._learn(op["path"], response, body)

    # ------------------------------------------------------------ arguments
    def _arguments(self, op: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
        rng = random.Random(zlib.crc32(f"{self.settings.seed}:{op['id']}".encode()))
        path = op["path"].split("#", 1)[0]
        query: dict[str, Any] = {}
        headers: dict[str, str] = {}
        for param in op.get("params") or []:
            name, where = param["name"], param["in"]
            value = self._value(op, param)
            if value is _MISSING:
                if where == "path":
                    raise LookupError(
                        f"no value for path parameter {name!r}: pass --param {name}=..."
                    )
                if not param.get("required"):
                    continue
                value = self.schemas.value(param.get("schema") or {}, rng, request=True)
            if where == "path":
                path = path.replace("{" + name + "}", quote(_text(value), safe=""))
            elif where == "query" and param.get("style") == "json":  # `content`: JSON text
                query[name] = json.dumps(value, separators=(",", ":"))
            elif where == "query":
                query[name] = [_text(v) for v in value] if isinstance(value, list) else _text(value)
            elif where == "header":
                headers[name] = _text(value)
            elif where == "cookie":
                headers["Cookie"] = "; ".join(
                    p for p in (headers.get("Cookie", ""), f"{name}={_text(value)}") if p
                )
        return path, query, headers

    def _body(self, op: Mapping[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """httpx's arguments for the operation's request body: its example, else a value
        synthesised from its schema, in the first JSON media type it takes (else its first).
        Sets the Content-Type in ``headers``; {} for an operation without a body."""
        content = (op.get("body") or {}).get("content") or {}
        if not content:
            return {}
        media = next(
            (m for m in content if self._json_media.match(m.split(";")[0].strip().lower())),
            next(iter(content)),
        )
        entry = content[media] if isinstance(content[media], dict) else {}
        if "example" in entry:
            value = entry["example"]
        else:
            rng = random.Random(zlib.crc32(f"{self.settings.seed}:body:{op['id']}".encode()))
            value = self.schemas.value(entry.get("schema") or {}, rng, request=True)
        kind = media.split(";")[0].strip().lower()
        if kind.startswith("multipart/") and isinstance(value, dict):
            return {"files": {k: (None, _text(v)) for k, v in value.items()}}  # its own type
        if kind == "*/*":
            media = "application/json"
        headers["Content-Type"] = media
        if self._json_media.match(kind):
            return {"content": json.dumps(value).encode("utf-8")}
        if kind == "application/x-www-form-urlencoded" and isinstance(value, dict):
            pairs = [(k, _text(item)) for k, v in value.items() for item in _listed(v)]
            return {"content": urlencode(pairs).encode("ascii")}
        return {"content": value if isinstance(value, bytes) else _text(value).encode("utf-8")}

    def _value(self, op: Mapping[str, Any], param: Mapping[str, Any]) -> Any:
        name = param["name"]
        if name in self.settings.params:
            return self.settings.params[name]
        found = self._from_answers(op["path"], name) if param["in"] in ("path", "query") else None
        if found is not None and (param["in"] == "path" or param.get("required")):
            return found
        if "example" in param:
            return param["example"]
        schema = self.schemas.resolve(param.get("schema") or {})
        if isinstance(schema, dict) and "example" in schema:
            return schema["example"]
        if isinstance(schema, dict) and param["in"] == "path" and schema.get("enum"):
            return schema["enum"][0]
        return _MISSING

    def _from_answers(self, template: str, name: str) -> Any:
        """A value for ``name`` from an earlier answer: its own field, or the id of the
        collection the path goes through (``/pets`` answered ``[{"id": 7}]``: ``{petId}`` 7)."""
        if self.learned.get(name):
            return self.learned[name][0]
        marker = "{" + name + "}"
        if marker in template:
            collection = template[: template.index(marker)].rstrip("/")
            # the collection's own answer first, then its static siblings' (/pet/findByStatus)
            answered = [p for p in self.by_path if p == collection]
            answered += [
                p
                for p in self.by_path
                if p.startswith(collection + "/") and "{" not in p[len(collection) :]
            ]
            for template_answered in answered:
                item = _first_item(self.by_path[template_answered])
                if not isinstance(item, dict):
                    continue
                for key in ("id", name, _snake(name), "name", "key", "slug"):
                    if isinstance(item.get(key), (str, int)) and not isinstance(item[key], bool):
                        return item[key]
        return None

    def _learn(self, template: str, response: httpx.Response, body: bytes) -> None:
        try:
            value = json.loads(body) if body else None
        except ValueError:
            return
        self.by_path[template] = value
        for key, scalar in _scalars(value, 0):
            seen = self.learned.setdefault(key, [])
            if scalar not in seen and len(seen) < MAX_LEARNED:
                seen.append(scalar)

    # ------------------------------------------------------------ checking
    def check(self, op: Mapping[str, Any], response: httpx.Response, body: bytes) -> list[str]:
        """What in one response does not conform to the operation's description."""
        responses: Mapping[str, Any] = op.get("responses") or {}
        code = str(response.status_code)
        # the compact description upper-cases status keys: "2XX", "DEFAULT"
        declared = responses.get(code) or responses.get(code[0] + "XX") or responses.get("DEFAULT")
        if declared is None:
            listed = ", ".join(sorted(responses)) or "none"
            return [f"status {code} is not declared (the spec declares {listed})"]
        findings = [
            f"header {name!r}: required, missing"
            for name in (declared.get("headers") or {})
            if name.lower() not in response.headers
        ]
        content: Mapping[str, Any] = declared.get("content") or {}
        if not content or op["method"] == "HEAD" or response.status_code in (204, 304):
            return findings
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        schema = self._media_entry(content, media)
        if schema is None:
            listed = ", ".join(sorted(content))
            return findings + [f"content type {media or '(none)'!r} is not declared ({listed})"]
        if not self._json_media.match(media) or media == "*/*":
            return findings
        if len(body) > MAX_BODY:
            return findings + [f"body: larger than {MAX_BODY} bytes, not checked"]
        try:
            value = json.loads(body)
        except ValueError as exc:
            return findings + [f"body: not valid JSON ({exc})"]
        return findings + list(self.schemas.problems(schema, value, "body"))

    def close(self) -> None:
        self.http.close()


_MISSING: Any = object()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _listed(value: Any) -> list[Any]:
    """A form field's values: a list's items, one value otherwise (a form repeats names)."""
    return value if isinstance(value, list) else [value]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _first_item(body: Any) -> Any:
    """The first element of a list answer, or of the first list inside an object answer."""
    if isinstance(body, list):
        return body[0] if body else None
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, list) and value:
                return value[0]
    return None


def _scalars(value: Any, depth: int) -> Iterator[tuple[str, Any]]:
    """(field name, value) pairs of an answer, first items of lists only, a few levels deep."""
    if depth > 4:
        return
    if isinstance(value, list):
        for item in value[:3]:
            yield from _scalars(item, depth + 1)
    elif isinstance(value, dict):
        for key, sub in value.items():
            if isinstance(sub, (str, int)) and not isinstance(sub, bool) and key != "id":
                yield str(key), sub
            elif isinstance(sub, (dict, list)):
                yield from _scalars(sub, depth + 1)


# ----------------------------------------------------------------- reports
def summary_line(results: Sequence[Result]) -> str:
    called = [r for r in results if not r.skipped]
    failing = [r for r in called if r.findings]
    return (
        f"{len(called)} operations called: {len(called) - len(failing)} conform, "
        f"{len(failing)} do not; {len(results) - len(called)} skipped"
    )


def text_report(results: Sequence[Result]) -> list[str]:
    lines = []
    for r in results:
        where = f"{r.method} {r.path} ({r.operation})"
        if r.skipped:
            lines.append(f"skipped  {where}: {r.skipped}")
        elif r.findings:
            lines.append(f"FAIL     {where} -> {r.status}")
            lines += [f"           {finding}" for finding in r.findings]
        else:
            lines.append(f"ok       {where} -> {r.status}")
    return lines + [summary_line(results)]


def json_report(results: Sequence[Result], spec: str, base_url: str) -> str:
    called = [r for r in results if not r.skipped]
    return json.dumps(
        {
            "spec": spec,
            "base_url": base_url,
            "conforms": all(not r.findings for r in results),
            "summary": {
                "called": len(called),
                "conforming": sum(1 for r in called if not r.findings),
                "nonconforming": sum(1 for r in called if r.findings),
                "skipped": len(results) - len(called),
            },
            "operations": [
                {
                    "operation": r.operation,
                    "method": r.method,
                    "path": r.path,
                    "url": r.url,
                    "status": r.status,
                    "seconds": r.seconds,
                    "findings": r.findings,
                    "skipped": r.skipped or None,
                }
                for r in results
            ],
        },
        indent=2,
    )


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def junit_report(results: Sequence[Result], spec: str) -> str:
    """JUnit XML: one test case per operation; a non-conformance is a failure."""
    import xml.etree.ElementTree as ET

    def clean(text: str) -> str:  # text from the spec and the server: only what XML allows
        return _XML_INVALID.sub("\ufffd", text)

    suite = ET.Element(
        "testsuite",
        {
            "name": "apigen contract",
            "tests": str(len(results)),
            "failures": str(sum(1 for r in results if r.findings)),
            "skipped": str(sum(1 for r in results if r.skipped)),
            "time": f"{sum(r.seconds for r in results):.3f}",
        },
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": clean(spec),
                "name": clean(f"{r.method} {r.path} ({r.operation})"),
                "time": f"{r.seconds:.3f}",
            },
        )
        if r.skipped:
            ET.SubElement(case, "skipped", {"message": clean(r.skipped)})
        elif r.findings:
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": clean(r.findings[0]),
                    "type": "nonconformance",
                },
            )
            failure.text = clean(f"{r.url} -> {r.status}\n" + "\n".join(r.findings))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


# ----------------------------------------------------------------- command
def parse_pairs(items: Sequence[str], what: str, sep: str = "=") -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, found, value = item.partition(sep)
        if not found or not name.strip():
            raise BadInput(f"{what} {item!r} is not NAME{sep}VALUE")
        out[name.strip()] = value.strip() if sep == ":" else value
    return out


def check_base_url(url: str, headers: Mapping[str, str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--base-url {url!r} is not an http(s) URL")
    if headers and parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise BadInput(
            f"credentials (--header) go over plain http only to loopback, not {parts.hostname}"
        )


def run(
    source: str,
    settings: Settings,
    report: str = "text",
    output: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    from pathlib import Path

    from .console import say
    from .diagnostics import ApigenError
    from .mockserver import read_mock_spec

    try:
        check_base_url(settings.base_url, settings.headers)
        try:
            spec = read_mock_spec(source)
        except ApigenError as exc:
            raise BadInput("; ".join(str(d) for d in exc.diagnostics)) from exc
        except (OSError, ValueError) as exc:
            raise BadInput(f"{source}: cannot read the spec: {exc}") from exc
        contract = Contract(spec, settings, transport=transport)
        unknown = contract.unknown_includes()
        if unknown:
            raise BadInput(f"--include: no operation {', '.join(map(repr, unknown))} in the spec")
        try:
            results = list(contract.run())
        finally:
            contract.close()
    except BadInput as exc:
        say(f"apigen contract: error: {exc}", err=True)
        return EXIT_BAD_INPUT
    if report == "json":
        text = json_report(results, source, settings.base_url)
    elif report == "junit":
        text = junit_report(results, source)
    else:
        text = "\n".join(text_report(results))
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        say(summary_line(results))
    else:
        for line in text.splitlines():  # server text cannot drive the terminal or the CI
            say(line)
    return EXIT_NONCONFORMANCE if any(r.findings for r in results) else EXIT_CONFORMS
