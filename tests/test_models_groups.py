"""The models stage on independent groups of schemas: the same files as one library run.

A big schema table goes to datamodel-code-generator in groups that share no
reference, in forked processes where apigen may fork and one after the other
where it may not. The thresholds are lowered here so small specs take that path;
bench/models_groups.py checks the ten integrations at the real thresholds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apigen import models, parallel
from apigen.cache import Cache
from apigen.diagnostics import ApigenError
from apigen.pipeline import render_package

SPECS = Path(__file__).resolve().parent.parent / "specs"


def _files(spec: Path, monkeypatch: pytest.MonkeyPatch, groups: int, fork: bool) -> dict[str, str]:
    monkeypatch.setattr(models, "MIN_GROUPED", 1)
    monkeypatch.setattr(models, "MIN_GROUP", 1)
    monkeypatch.setattr(models, "GROUPS", groups)
    if fork:
        monkeypatch.delenv("APIGEN_FORK", raising=False)  # the no-fork CI run sets it
    else:
        monkeypatch.setenv("APIGEN_FORK", "off")
    return render_package(str(spec), cache=Cache(None)).files


@pytest.mark.parametrize("name", ["polymorphism.yaml", "openapi-python-client-3.0.json"])
def test_groups_in_processes_or_in_turn_write_what_one_run_writes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = SPECS / name
    one_run = _files(spec, monkeypatch, groups=1, fork=True)
    forked = _files(spec, monkeypatch, groups=3, fork=True)
    in_turn = _files(spec, monkeypatch, groups=3, fork=False)
    assert forked == one_run
    assert in_turn == one_run


def test_definitions_that_share_no_reference_are_grouped_and_the_rest_stays_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models, "MIN_GROUPED", 1)
    monkeypatch.setattr(models, "MIN_GROUP", 1)
    ref = {"$ref": "#/$defs/Leaf"}
    defs = {
        "Leaf": {"type": "object", "properties": {"id": {"type": "string"}}},
        "Alone": {"type": "object", "properties": {"n": {"type": "integer"}}},
        "Tree": {"type": "object", "properties": {"leaf": ref}},
        "Pet": {"oneOf": [{"$ref": "#/$defs/Cat"}], "discriminator": {"propertyName": "kind"}},
        "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}},
        "Dog": {"type": "object", "discriminator": {"mapping": {"dog": "#/$defs/Owner"}}},
        "Owner": {"type": "object"},
    }
    groups = models.schema_groups(defs)
    assert len(groups) == 2
    together = [{"Leaf", "Tree"}, {"Pet", "Cat"}, {"Dog", "Owner"}]
    for pair in together:  # a reference, a oneOf, a discriminator mapping keep both together
        assert any(pair <= set(group) for group in groups)
    for group in groups:  # each group keeps the table's order
        assert group == [name for name in defs if name in group]
    monkeypatch.setattr(models, "MIN_GROUP", 4)
    assert models.schema_groups(defs) == [list(defs)]  # a group too small: one run


def test_two_groups_asking_for_one_module_file_are_left_to_one_run() -> None:
    first = models._Part(
        '"""Doc."""\nfrom a import b\n\n\nclass HTTPError:\n    pass\n',
        frozenset({"HTTPError"}),
        frozenset(),
    )
    second = models._Part(
        '"""Doc."""\nfrom a import c\n\n\nclass HttpError:\n    pass\n',
        frozenset({"HttpError"}),
        frozenset(),
    )
    assert models._merged([first, second]) is None  # both would be http_error.py
    third = models._Part(
        '"""Doc."""\nfrom a import b\n\n\nclass Other:\n    pass\n',
        frozenset({"Other"}),
        frozenset(),
    )
    merged = models._merged([first, third])
    assert merged is not None
    assert merged.source.startswith('"""Doc."""\nfrom a import b\n\n\n')
    assert merged.source.count("from a import b") == 1
    assert merged.classes == {"HTTPError", "Other"}
    aliased = models._Part(
        '"""Doc."""\nfrom datetime import datetime as datetime_aliased\n\n\nclass A:\n    pass\n',
        frozenset({"A"}),
        frozenset(),
    )
    plain = models._Part(
        '"""Doc."""\nfrom datetime import datetime\n\n\nclass B:\n    pass\n',
        frozenset({"B"}),
        frozenset(),
    )
    assert models._merged([aliased, plain]) is None  # one run would alias it in both


def _fails() -> int:
    raise ApigenError("model generation failed: in a group")


def _dies() -> int:
    if os.environ.get("APIGEN_TEST_PARENT") != str(os.getpid()):
        os._exit(3)  # a child killed mid-task
    return 7


def test_a_child_error_is_raised_here_and_a_dead_child_task_runs_again_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APIGEN_FORK", raising=False)
    assert parallel.run_tasks([lambda: 1, lambda: os.getpid()])[1] != os.getpid()
    with pytest.raises(ApigenError, match="in a group"):
        parallel.run_tasks([lambda: 1, _fails])
    monkeypatch.setenv("APIGEN_TEST_PARENT", str(os.getpid()))
    assert parallel.run_tasks([lambda: 1, _dies]) == [1, 7]
    monkeypatch.setenv("APIGEN_FORK", "off")
    assert parallel.run_tasks([lambda: os.getpid(), lambda: os.getpid()]) == [os.getpid()] * 2


def test_a_child_waits_for_what_it_is_told_before_its_task(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("APIGEN_FORK", raising=False)
    marker = tmp_path / "first"
    results = parallel.run_tasks(
        [lambda: "here", lambda: marker.read_text()], first=lambda: marker.write_text("waited")
    )
    assert results == ["here", "waited"]


def test_a_group_beside_the_validation_starts_when_the_validation_has_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from multiprocessing.connection import wait

    from apigen import validate as validation
    from apigen.loader import load

    monkeypatch.delenv("APIGEN_FORK", raising=False)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    doc = load(str(SPECS / "polymorphism.yaml"))
    monkeypatch.setattr(validation, "BIG_SPEC", 0)  # validated beside, however small
    with validation.RunValidation(doc, Cache(None), strict=False) as run:
        background = run._background
        assert background is not None
        sentinel = background._process.sentinel
        ended = parallel.run_tasks([lambda: True, lambda: bool(wait([sentinel], 0))], run.beside())
        assert ended == [True, True]
        assert run.result() == validation.validate(doc)
    monkeypatch.setattr(parallel, "cores", lambda: 4)
    with validation.RunValidation(doc, Cache(None), strict=False) as run:
        assert run.beside() is None  # more cores than work: nothing to wait for
        run.result()
