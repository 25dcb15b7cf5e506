"""Properties whose names differ only in Unicode form (fullwidth ``ｎａｍｅ`` and
``name``, ``näme`` and ``nàme``) are fields of their own, named apart and reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apigen.models import generate_models
from apigen.pipeline import render_package
from apigen.cache import Cache


def _load(defs: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    made = generate_models(defs)
    namespace: dict[str, Any] = {}
    exec(compile(made.source, "models.py", "exec"), namespace)
    return namespace, made


def _round_trip(model: Any, wire: dict[str, Any]) -> None:
    parsed = model.model_validate(wire)
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == wire
    assert len(model.model_fields) >= len(wire)


WIDTHS = {
    "name": 1,
    "ｎａｍｅ": 2,
    "ＮＡＭＥ": 3,
    "näme": 4,
    "nàme": 5,
    "ﬁle": 6,
    "file": 7,
    "x²": 8,
    "x2": 9,
    "名前": 10,
    "名字": 11,
}


def test_names_that_meet_in_python_are_fields_apart() -> None:
    props = {wire: {"type": "integer"} for wire in WIDTHS}
    namespace, made = _load({"Thing": {"type": "object", "properties": props}})
    _round_trip(namespace["Thing"], WIDTHS)
    fields = namespace["Thing"].model_fields
    assert fields["name"].alias in (None, "name") and fields["name_2"].alias == "ｎａｍｅ"
    renamed = {why.split("'")[1] for where, why in made.notes if where == "schema Thing"}
    # ASCII names keep the library's spelling; apigen's transliterations give way
    assert renamed == {"ｎａｍｅ", "ＮＡＭＥ", "näme", "nàme", "ﬁle", "x²", "名字"}


def test_an_inheritance_line_shares_one_namespace() -> None:
    defs = {
        "Base": {"type": "object", "properties": {"ｎａｍｅ": {"type": "string"}}},
        "Child": {
            "allOf": [
                {"$ref": "#/$defs/Base"},
                {"type": "object", "properties": {"name": {"type": "integer"}}},
            ]
        },
        "Split": {
            "allOf": [
                {"type": "object", "properties": {"name": {"type": "string"}}},
                {"type": "object", "properties": {"ｎａｍｅ": {"type": "boolean"}}},
            ]
        },
    }
    namespace, _ = _load(defs)
    _round_trip(namespace["Child"], {"ｎａｍｅ": "wide", "name": 1})
    _round_trip(namespace["Split"], {"name": "plain", "ｎａｍｅ": True})


def test_classes_without_a_clash_keep_their_names() -> None:
    namespace, made = _load(
        {
            "Lone": {
                "type": "object",
                "properties": {"ｎａｍｅ": {"type": "string"}, "other": {"type": "string"}},
            }
        }
    )
    assert set(namespace["Lone"].model_fields) == {"name", "other"} and made.notes == ()


def test_the_summary_says_which_property_was_named_apart(tmp_path: Path) -> None:
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "widths", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "ｎａｍｅ": {"type": "string"}},
                }
            }
        },
    }
    path = tmp_path / "widths.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    rendered = render_package(str(path), cache=Cache(None))
    notes = [s for s in rendered.skipped if s.where == "schema Thing"]
    assert len(notes) == 1 and "'ｎａｍｅ'" in notes[0].reason and "name_2" in notes[0].reason
    assert any(
        'alias="ｎａｍｅ"' in text
        for rel, text in rendered.files.items()
        if rel.endswith("thing.py")
    )
