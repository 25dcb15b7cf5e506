"""The validator's speed-up changes how fast findings come, never which."""

from __future__ import annotations

import copy
from typing import Any

from apigen import validate as validation
from apigen.loader import Document


def _spec() -> dict[str, Any]:
    shared = {"type": "object", "properties": {"id": {"type": "integer"}}}
    schemas: dict[str, Any] = {
        f"S{i}": {
            "required": ["missing"],
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"type": "object", "properties": {"x": {"$ref": "#/components/schemas/Base"}}},
            ],
        }
        for i in range(30)
    }
    schemas["Base"] = shared
    schemas["Bad"] = {"type": "object", "default": "not an object"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            f"/s{i}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": f"#/components/schemas/S{i}"}
                                }
                            },
                        }
                    }
                }
            }
            for i in range(30)
        },
        "components": {"schemas": schemas},
    }


def _findings(monkeypatch: Any, fast: bool) -> list[Any]:
    if not fast:
        monkeypatch.setattr(validation, "_speed_up", lambda validator: None)
    doc = Document(copy.deepcopy(_spec()), "spec.json", "", None)
    return validation.validate(doc)


def test_speed_up_applies_to_the_installed_validator() -> None:
    validator = validation._validator_class(_spec())(_spec())
    assert validation._speed_up(validator) is True
    walker = validator.keyword_validators_registry["schema"]
    assert isinstance(walker.visited_schema_ids, validation._SeenIds)
    assert isinstance(walker.meta_checked_schema_ids, validation._SeenIds)


def test_same_findings_with_and_without_the_speed_up(monkeypatch: Any) -> None:
    fast = _findings(monkeypatch, fast=True)
    stock = _findings(monkeypatch, fast=False)
    assert fast == stock
    messages = [f.message for f in fast]
    assert any("Required list has not defined properties" in m for m in messages), messages
    assert any("not an object" in m for m in messages), messages


def test_seen_ids_is_a_list_with_set_membership() -> None:
    seen = validation._SeenIds()
    seen.append(7)
    assert 7 in seen and 8 not in seen
    assert list(seen) == [7]


def test_seen_ids_membership_follows_every_list_method() -> None:
    """Whatever list method upstream calls, ``in`` answers as a plain list would."""
    import random

    rng = random.Random(18)
    seen, plain = validation._SeenIds(), []
    operations = [
        lambda lst: lst.append(rng.randrange(20)),
        lambda lst: lst.extend([rng.randrange(20), rng.randrange(20)]),
        lambda lst: lst.insert(0, rng.randrange(20)),
        lambda lst: lst.remove(lst[0]) if lst else None,
        lambda lst: lst.pop() if lst else None,
        lambda lst: lst.__setitem__(0, rng.randrange(20)) if lst else None,
        lambda lst: lst.__delitem__(slice(0, 2)),
        lambda lst: lst.__iadd__([rng.randrange(20)]),
        lambda lst: lst.__imul__(2) if len(lst) < 30 else lst.clear(),
        lambda lst: lst.clear() if rng.random() < 0.05 else None,
    ]
    for _ in range(2000):
        operation = rng.choice(operations)
        state = rng.getstate()
        operation(seen)
        rng.setstate(state)
        operation(plain)
        assert list(seen) == plain
        assert all((i in seen) == (i in plain) for i in range(20))


def test_speed_up_leaves_an_unrecognised_walker_alone() -> None:
    validator = validation._validator_class(_spec())(_spec())
    walker = validator.keyword_validators_registry["schema"]
    walker.meta_checked_schema_ids = (1, 2)  # not the empty list it was written for
    assert validation._speed_up(validator) is False
    assert type(walker.visited_schema_ids) is list and walker.meta_checked_schema_ids == (1, 2)


def _doc() -> Document:
    import json

    data = _spec()
    return Document(data, "spec.json", json.dumps(data), None)


def test_background_validation_finds_what_validation_here_finds() -> None:
    background = validation.BackgroundValidation(_doc(), strict=False)
    try:
        found = background.result()
    finally:
        background.close()
    assert found == validation.validate(_doc())
    assert found and all(f.file == "spec.json" for f in found)


def test_no_fork_while_another_thread_runs(monkeypatch: Any) -> None:
    import threading

    from apigen.parallel import can_fork

    monkeypatch.delenv("APIGEN_FORK", raising=False)  # the no-fork CI run sets it
    assert can_fork()  # pytest runs the tests in one thread
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not can_fork()
    finally:
        release.set()
        other.join()
    assert can_fork()


def test_apigen_fork_off_turns_forking_off(monkeypatch: Any) -> None:
    from apigen.parallel import can_fork

    monkeypatch.setenv("APIGEN_FORK", "off")
    assert not can_fork()


def test_a_validation_process_that_dies_is_reported_not_waited_for(monkeypatch: Any) -> None:
    import os

    # takes whatever the real one takes: the child must die of the exit, not of a TypeError
    monkeypatch.setattr(validation, "_validate_and_send", lambda *args: os._exit(3))
    for strict, severity in ((False, "warning"), (True, "error")):
        background = validation.BackgroundValidation(_doc(), strict=strict)
        try:
            found = background.result()
        finally:
            background.close()
        assert [(f.severity, f.file) for f in found] == [(severity, "spec.json")]
        assert "ended without a result" in found[0].message
        assert background._process.exitcode == 3


def test_the_validation_process_records_the_findings_for_the_next_run(tmp_path: Any) -> None:
    from apigen.cache import Cache

    cache = Cache(tmp_path / "cache")
    doc = _doc()
    assert len(doc.data["paths"]) >= validation.ValidationMemo.MIN_PATHS
    memo = validation.ValidationMemo(doc, cache, strict=False)
    assert memo.incremental() is None  # nothing known yet
    background = validation.BackgroundValidation(doc, strict=False, memo=memo)
    try:
        found = background.result()
    finally:
        background.close()
    memo.release()  # this process never needed the per-item keys
    assert memo._keys is None
    again = validation.ValidationMemo(_doc(), cache, strict=False).incremental()
    assert again is not None and sorted(map(repr, again)) == sorted(map(repr, found))


def test_incremental_validation_keeps_everything_when_a_reference_leaves_the_components(
    tmp_path: Any,
) -> None:
    from apigen.cache import Cache

    memo = validation.ValidationMemo(_doc(), Cache(tmp_path), strict=False)
    schema_ref = {"$ref": "#/components/schemas/S1"}
    reduced = memo._rest_reachable_from(
        {
            "/s1": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": schema_ref}},
                        }
                    }
                }
            }
        }
    )
    assert sorted(reduced["components"]["schemas"]) == ["Base", "S1"]  # S1 and what it reaches
    for ref in ("#/paths/~1s2/get", "other.yaml#/Thing", "#/components/schemas/Missing"):
        item = {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": ref}}},
                    }
                }
            }
        }
        assert memo._rest_reachable_from({"/s1": item}) is memo.rest, ref
    mapping = {
        "oneOf": [schema_ref],
        "discriminator": {"propertyName": "kind", "mapping": {"b": "#/components/schemas/Bad"}},
    }
    reduced = memo._rest_reachable_from(
        {
            "/s1": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": mapping}},
                        }
                    }
                }
            }
        }
    )
    assert sorted(reduced["components"]["schemas"]) == [
        "Bad",
        "Base",
        "S1",
    ]  # mapping targets count too


def test_run_validation_takes_one_of_three_paths_with_the_same_findings(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """Now, in the background (a big document), or remembered: the same findings each way."""
    from apigen.cache import Cache

    monkeypatch.delenv("APIGEN_FORK", raising=False)
    expected = sorted(map(repr, validation.validate(_doc())))
    now = validation.RunValidation(_doc(), Cache(None), strict=False)
    assert now._background is None and sorted(map(repr, now.result())) == expected
    monkeypatch.setattr(validation, "BIG_SPEC", 10)  # every document counts as big
    monkeypatch.setattr("apigen.parallel.cores", lambda: 2)
    cache = Cache(tmp_path / "cache")
    with validation.RunValidation(_doc(), cache, strict=False) as background:
        assert background._background is not None
        assert sorted(map(repr, background.result())) == expected
    remembered = validation.RunValidation(_doc(), cache, strict=False)
    assert remembered._background is None and sorted(map(repr, remembered.result())) == expected


def test_run_validation_in_strict_mode_raises_when_the_findings_are_known(
    tmp_path: Any, monkeypatch: Any
) -> None:
    import pytest

    from apigen.cache import Cache
    from apigen.diagnostics import ApigenError

    monkeypatch.delenv("APIGEN_FORK", raising=False)
    with pytest.raises(ApigenError):  # validated now: raises before any IR is built
        validation.RunValidation(_doc(), Cache(None), strict=True)
    monkeypatch.setattr(validation, "BIG_SPEC", 10)
    monkeypatch.setattr("apigen.parallel.cores", lambda: 2)
    with validation.RunValidation(_doc(), Cache(None), strict=True) as background:
        with pytest.raises(ApigenError):  # validated in the background: raises on the result
            background.result()


def _repeating_spec() -> dict[str, Any]:
    """Copies of one inline schema, each with a finding of the document schema (a type
    OpenAPI 3.0 does not have) and one of the schema dialect (a bad ``required``)."""

    def copy_of_part() -> dict[str, Any]:
        return {
            "type": "object",
            "required": "id",
            "properties": {"id": {"type": "integer"}, "tag": {"type": "strin"}},
        }

    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            f"/p{i}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": copy_of_part()}},
                        }
                    }
                }
            }
            for i in range(4)
        },
        "components": {"schemas": {"A": copy_of_part(), "B": {"items": copy_of_part()}}},
    }


def test_a_repeated_part_is_checked_once_and_its_findings_stay_at_every_copy(
    monkeypatch: Any,
) -> None:
    from jsonschema.validators import Draft4Validator

    checked: list[Any] = []
    descend = Draft4Validator.descend

    def counting(self: Any, instance: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(instance, dict) and instance.get("required") == "id":
            checked.append(instance)
        return descend(self, instance, *args, **kwargs)

    monkeypatch.setattr(Draft4Validator, "descend", counting)

    def run(remember: bool) -> list[Any]:
        checked.clear()
        if not remember:
            for part in ("_remembering", "_remember_meta_checks"):
                monkeypatch.setattr(validation, part, lambda validator: None)
        data = _repeating_spec()
        return validation.validate(Document(data, "spec.json", "", None))

    remembered = run(remember=True)
    checks_remembered = len(checked)
    stock = run(remember=False)
    assert remembered == stock  # the same findings, in the same order
    pointers = {f.pointer for f in remembered}
    for i in range(4):  # every copy keeps its own findings, of both checks
        assert f"/paths/~1p{i}/get/responses/200" in pointers
        assert (
            f"/paths/~1p{i}/get/responses/200/content/application~1json/schema/required" in pointers
        )
    assert {"/components/schemas/A", "/components/schemas/A/required"} <= pointers
    assert "/components/schemas/B/items" in pointers
    assert checks_remembered < len(checked)  # the copies were not all checked again
