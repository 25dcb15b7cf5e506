"""Parameter and body serialisation (wire format per OpenAPI defaults and ParamStyle)."""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
import os

import pydantic
import pytest

from apigen.runtime.encoding import (
    encode_body,
    encode_cookies,
    encode_header,
    encode_path,
    encode_query,
)
from apigen.runtime.endpoint import ParamStyle
from apigen.runtime.errors import APIError
from apigen.runtime.uploads import FilePart, StreamedBody


class Color(enum.Enum):
    RED = "red"


class Filter(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    min_price: int = pydantic.Field(alias="minPrice")
    tag: str | None = None


def q(
    params: dict[str, object], styles: dict[str, ParamStyle] | None = None
) -> list[tuple[str, str]]:
    out: list[tuple[str, object]] = []
    encode_query(params, styles or {}, out)
    return out  # type: ignore[return-value]


def test_path_segments_are_percent_encoded_and_cannot_traverse() -> None:
    assert encode_path("/pets/{id}", {"id": "../x"}, {}) == "/pets/..%2Fx"
    assert encode_path("/pets/{id}", {"id": ".."}, {}) == "/pets/%2E%2E"
    assert encode_path("/pets/{id}", {"id": "."}, {}) == "/pets/%2E"
    assert encode_path("/a/{x}/b/{y}", {"x": "a b?#", "y": 7}, {}) == "/a/a%20b%3F%23/b/7"
    assert encode_path("/a/{x}", {"x": [1, 2]}, {}) == "/a/1,2"
    with pytest.raises(ValueError):
        encode_path("/a/{x}", {}, {})
    with pytest.raises(ValueError):
        encode_path("/a/{x}", {"x": None}, {})


def test_query_scalars_lists_and_omissions() -> None:
    assert q({"a": True, "b": False, "c": None, "d": Color.RED, "e": 1.5}) == [
        ("a", "true"),
        ("b", "false"),
        ("d", "red"),
        ("e", "1.5"),
    ]
    assert q(
        {
            "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
            "day": dt.date(2024, 1, 2),
        }
    ) == [("when", "2024-01-02T03:04:05+00:00"), ("day", "2024-01-02")]
    assert q({"tag": ["a", "b"]}) == [("tag", "a"), ("tag", "b")]
    assert q({"tag": ["a", "b"]}, {"tag": ParamStyle(explode=False)}) == [("tag", "a,b")]
    assert q({"tag": ["a", "b"]}, {"tag": ParamStyle("pipeDelimited", False)}) == [("tag", "a|b")]


def test_query_objects_deep_object_and_models() -> None:
    styles = {"filter": ParamStyle("deepObject", True)}
    assert q({"filter": {"min": 1, "max": None, "on": True}}, styles) == [
        ("filter[min]", "1"),
        ("filter[on]", "true"),
    ]
    assert q({"filter": Filter(minPrice=3)}, styles) == [("filter[minPrice]", "3")]
    assert q({"filter": {"a": 1, "b": 2}}) == [("a", "1"), ("b", "2")]
    assert q({"filter": {"a": 1, "b": 2}}, {"filter": ParamStyle("form", False)}) == [
        ("filter", "a,1,b,2")
    ]


def test_headers_and_cookies() -> None:
    assert encode_header([1, 2]) == "1,2"
    assert encode_header(True) == "true"
    assert encode_header({"a": 1}, ParamStyle("simple", True)) == "a=1"
    assert encode_cookies({"s": "a b;c", "n": None, "x": 1}) == "s=a%20b%3Bc; x=1"


def test_json_body_models_by_alias_and_unset_excluded() -> None:
    data, ctype = encode_body("json", Filter(minPrice=1), None)
    assert json.loads(data) == {"minPrice": 1}
    assert ctype == "application/json"
    data, _ = encode_body(
        "json",
        [Filter(minPrice=1, tag="x"), {"d": dt.date(2020, 1, 1), "m": Filter(minPrice=2)}],
        None,
    )
    assert json.loads(data) == [
        {"minPrice": 1, "tag": "x"},
        {"d": "2020-01-01", "m": {"minPrice": 2}},
    ]
    data, ctype = encode_body("json", {"a": 1}, "application/merge-patch+json")
    assert ctype == "application/merge-patch+json"


def test_form_body() -> None:
    data, ctype = encode_body("form", {"a": "x y", "b": True, "c": [1, 2], "d": None}, None)
    assert data == b"a=x+y&b=true&c=1&c=2"
    assert ctype == "application/x-www-form-urlencoded"


def test_multipart_body_files_and_fields() -> None:
    body = {
        "meta": {"k": 1},
        "name": "n",
        "file": ("a.txt", b"hello", "text/plain"),
        "blob": io.BytesIO(b"raw"),
        "raw": b"bytes",
    }
    streamed, ctype = encode_body("multipart", body, "multipart/form-data")
    assert ctype.startswith("multipart/form-data; boundary=")
    boundary = ctype.split("boundary=")[1]
    assert isinstance(streamed, StreamedBody)  # the file object is read while it is sent
    data = b"".join(streamed)
    assert streamed.length == len(data) and b"".join(streamed) == data  # and again, for a retry
    text = data.decode()
    assert text.count(f"--{boundary}\r\n") == 5 and text.endswith(f"--{boundary}--\r\n")
    assert 'name="meta"\r\n\r\n{"k":1}\r\n' in text
    assert 'name="name"\r\n\r\nn\r\n' in text
    assert 'name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n' in text
    assert (
        'name="blob"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\nraw' in text
    )
    assert 'name="raw"; filename="raw"' in text


def test_multipart_without_files_is_still_multipart_and_names_are_escaped() -> None:
    data, ctype = encode_body("multipart", {'a"\r\nX-Evil: 1': "v"}, None)
    assert ctype.startswith("multipart/form-data")
    assert b"\r\nX-Evil" not in data


def test_binary_and_text_bodies() -> None:
    assert encode_body("binary", b"\x00\x01", "image/png") == (b"\x00\x01", "image/png")
    streamed, ctype = encode_body("binary", io.BytesIO(b"z"), None)
    assert isinstance(streamed, StreamedBody) and ctype == "application/octet-stream"
    assert b"".join(streamed) == b"z" and streamed.length == 1
    assert encode_body("text", "héllo", None) == ("héllo".encode(), "text/plain; charset=utf-8")


def test_a_pipe_sent_twice_raises_a_typed_error() -> None:
    """A pipe is read once; the client never retries such a body (``replayable`` turns
    False once read), and iterating it again anyway is an ``APIError``, not a ValueError."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"piped bytes")
    os.close(write_end)
    with open(read_end, "rb", buffering=0) as pipe:
        body = StreamedBody([b"head:", FilePart(pipe)])
        assert body.replayable and body.length is None  # nothing read yet: sendable
        assert b"".join(body) == b"head:piped bytes"
        assert not body.replayable
        with pytest.raises(APIError, match="cannot be sent twice"):
            b"".join(body)
