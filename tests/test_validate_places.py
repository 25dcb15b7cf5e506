"""Every validation finding names the place it is about: a pointer from the document
root and that node's line, also for findings inside reusable components."""

from __future__ import annotations

from pathlib import Path

import pytest

from apigen.loader import load
from apigen.spec_walk import resolve_pointer
from apigen.validate import validate

SPEC = """\
openapi: 3.0.3
info: {title: places, version: "1"}
paths:
  /pets/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
  /owners/{ownerId}:
    get:
      responses:
        "200": {description: ok}
components:
  schemas:
    Pet:
      type: object
      properties:
        name:
          type: strin
        owner: {$ref: "#/components/schemas/Owner"}
    Owner:
      type: object
      properties:
        age:
          type: integer
          default: old
    Unused:
      type: object
      required: [ghost]
      allOf:
        - {type: object, properties: {real: {type: string}}}
"""


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.strip() == needle)


@pytest.fixture()
def findings(tmp_path: Path) -> list:
    spec = tmp_path / "places.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return validate(load(str(spec)))


def _by_message(findings: list, words: str):
    found = [f for f in findings if words in f.message]
    assert len(found) == 1, [str(f) for f in findings]
    return found[0]


def test_a_schema_finding_is_placed_where_the_referenced_schema_is_written(findings: list) -> None:
    # the validator meets Pet through the response's $ref; the finding is Pet's.
    # openapi-spec-validator 0.8 also reports the enclosing schema: any number of
    # findings may name the bad type, and the one at the type must be placed there.
    named = [f for f in findings if "'strin' is not" in f.message]
    placed = [(f.pointer, f.line) for f in named]
    assert ("/components/schemas/Pet/properties/name/type", _line(SPEC, "type: strin")) in placed, (
        placed
    )


def test_a_default_that_does_not_fit_is_placed_at_the_default(findings: list) -> None:
    finding = _by_message(findings, "'old' is not")
    assert finding.pointer == "/components/schemas/Owner/properties/age/default"
    assert finding.line == _line(SPEC, "default: old")


def test_a_finding_without_a_path_of_its_own_is_placed_at_its_part(findings: list) -> None:
    required = _by_message(findings, "Required list has not defined properties")
    assert required.pointer == "/components/schemas/Unused"
    assert required.line == _line(SPEC, "Unused:")
    undeclared = _by_message(findings, "ownerId")
    assert undeclared.pointer == "/paths/~1owners~1{ownerId}/get"
    assert undeclared.line == _line(SPEC, "/owners/{ownerId}:") + 1


def test_every_pointer_is_from_the_document_root(findings: list, tmp_path: Path) -> None:
    data = load(str(tmp_path / "places.yaml")).data
    assert findings
    for finding in findings:
        resolve_pointer(data, "#" + finding.pointer)  # raises when not a path from the root
        assert finding.line is not None and finding.line > 1, str(finding)
