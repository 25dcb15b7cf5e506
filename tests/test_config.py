"""Configured clients: [tool.apigen] options, custom templates, incremental regeneration."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from apigen.cache import Cache
from apigen.cli import main
from apigen.pipeline import render_package

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copy(REPO / "specs" / "petstore.json", tmp_path / "petstore.json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APIGEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def write_config(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text(textwrap.dedent(body))


def test_options_filter_rename_paginate_and_set_base_url(project, capsys):
    write_config(
        project,
        """
        [[tool.apigen.clients]]
        name = "shop"
        spec = "petstore.json"
        output = "clients/shop"
        exclude_tags = ["user"]
        exclude_operations = ["deletePet", "GET /store/inventory"]
        base_url = "https://staging.example.com/v2"
        [tool.apigen.clients.names]
        getPetById = "fetch"
        "tag:pet" = "pets"
        [tool.apigen.clients.pagination]
        findPetsByStatus = { style = "page", page_param = "page" }
    """,
    )
    assert main(["generate"]) == 0
    out = capsys.readouterr().out
    assert "excluded by the client's configuration" in out
    pkg = project / "clients" / "shop" / "shop"
    assert not (pkg / "resources" / "user.py").exists()
    pets = (pkg / "resources" / "pets.py").read_text()
    assert "def fetch(" in pets and "def retrieve(" not in pets
    assert "def delete(" not in pets and "def find_by_tags(" in pets
    assert 'style="page"' in pets and 'page_param="page"' in pets
    assert "def inventory(" not in (pkg / "resources" / "store.py").read_text()
    assert 'DEFAULT_BASE_URL = "https://staging.example.com/v2"' in (pkg / "client.py").read_text()
    assert main(["check"]) == 0


def test_include_tags_keeps_only_those(project):
    write_config(
        project,
        """
        [[tool.apigen.clients]]
        name = "store_only"
        spec = "petstore.json"
        include_tags = ["store"]
    """,
    )
    assert main(["generate", "--client", "store_only"]) == 0
    resources = sorted(
        p.name for p in (project / "generated/store_only/store_only/resources").glob("*.py")
    )
    # one tag left: resources from the paths, /store/order nested under store
    assert resources == ["__init__.py", "store.py", "store_order.py"]


@pytest.mark.parametrize(
    "extra,message",
    [
        ('colour = "blue"', "unknown keys"),
        ('[tool.apigen.clients.names]\nnoSuchOperation = "x"', "does not have: noSuchOperation"),
        ('include_tags = "pet"', "must be a list of strings"),
    ],
)
def test_bad_options_are_reported(project, capsys, extra, message):
    write_config(
        project, '[[tool.apigen.clients]]\nname = "shop"\nspec = "petstore.json"\n' + extra + "\n"
    )
    assert main(["generate"]) == 1
    assert message in capsys.readouterr().err
    assert not (project / "generated").exists()


def test_custom_template_overrides_one_file_only(project):
    templates = project / "my-templates"
    templates.mkdir()
    (templates / "README.md.jinja").write_text("# {{ api.package }} (house style)\n")
    assert (
        main(
            [
                "generate",
                "petstore.json",
                "--output",
                "out",
                "--name",
                "shop",
                "--templates",
                str(templates),
                "-q",
            ]
        )
        == 0
    )
    assert (project / "out/README.md").read_text() == "# shop (house style)\n"
    assert (
        "class PetResource" in (project / "out/shop/resources/pet.py").read_text()
    )  # the rest built in


def test_custom_templates_write_the_models_package_files_and_black_formats_them(project):
    """models/__init__.py, _index.py and __init__.pyi come from templates too, so --templates
    replaces them; what a replaced template writes is formatted whole, not trusted as exact."""
    from apigen.formatting import format_python

    templates = project / "my-templates"
    templates.mkdir()
    (templates / "models_index.py.jinja").write_text(
        "{{ header }}\n# house index\nMODULE_OF :dict[str,str]={\n"
        "{% for name in model_names %}{{ name|pyrepr }}:{{ module_of[name]|pyrepr }},{% endfor %}"
        "}\n"
    )
    (templates / "models_init.pyi.jinja").write_text(
        "{{ header }}\n# house stub\n{% for name in model_names %}"
        "from .{{ module_of[name] }} import {{ name }} as {{ name }}\n{% endfor %}"
    )
    args = ["generate", "petstore.json", "--output", "out", "--name", "shop", "-q"]
    assert main([*args, "--templates", str(templates)]) == 0
    index = (project / "out/shop/models/_index.py").read_text()
    stub = (project / "out/shop/models/__init__.pyi").read_text()
    assert "# house index" in index and '    "Pet": "pet",\n' in index
    assert format_python(index, "_index.py") == index
    assert "# house stub" in stub and "from .pet import Pet as Pet\n" in stub
    assert "__all__" not in stub
    assert "importlib" in (project / "out/shop/models/__init__.py").read_text()  # built in


def test_formatting_modes_follow_where_a_file_came_from():
    from apigen.package_format import formatting_modes
    from apigen.split import SPLIT_ORIGIN

    origins = {
        "p/models/pet.py": SPLIT_ORIGIN,
        "p/models/_index.py": "models_index.py.jinja",
        "p/models/__init__.pyi": "models_init.pyi.jinja",
        "p/models/__init__.py": "models_init.py.jinja",
        "p/resources/pet.py": "resource.py.jinja",
        "p/client.py": "client.py.jinja",
        "p/py.typed": "",
    }
    exact, stable = formatting_modes(origins)
    assert exact == {"p/models/pet.py", "p/models/_index.py", "p/models/__init__.pyi"}
    assert stable == {"p/resources/pet.py"}
    overridden = frozenset({"resource.py.jinja", "models_index.py.jinja"})
    exact, stable = formatting_modes(origins, overridden)
    assert exact == {"p/models/pet.py", "p/models/__init__.pyi"} and not stable


class CountingCache(Cache):
    """A cache that remembers which look-ups found something, by kind."""

    def __init__(self, root):
        super().__init__(root)
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}

    def get(self, kind, key):
        value = super().get(kind, key)
        tally = self.hits if value is not None else self.misses
        tally[kind] = tally.get(kind, 0) + 1
        return value


def test_incremental_regeneration_equals_a_cold_run(project):
    spec = json.loads((project / "petstore.json").read_text())
    cache = CountingCache(project / "cache")
    render_package(str(project / "petstore.json"), "shop", cache=cache)
    spec["paths"]["/pet/{petId}"]["get"]["summary"] = "Find one pet by its ID"
    (project / "changed.json").write_text(json.dumps(spec))
    cache.hits.clear()
    cache.misses.clear()
    warm = render_package(str(project / "changed.json"), "shop", cache=cache).files
    cold = render_package(str(project / "changed.json"), "shop", cache=Cache(None)).files
    assert warm == cold
    assert "Find one pet by its ID" in warm["shop/resources/pet.py"]
    # a summary changed: the run is new, its models and black-formatted files are not
    assert cache.misses.get("runs") == 1 and "runs" not in cache.hits
    assert cache.hits.get("models") == 1 and "models" not in cache.misses
    assert cache.hits.get("split") == 1 and "split" not in cache.misses
    assert cache.hits.get("black", 0) >= 3 and "black" not in cache.misses


def test_unchanged_spec_is_served_from_the_cache(project):
    cache = Cache(project / "cache")
    first = render_package(str(project / "petstore.json"), "shop", cache=cache)
    second = render_package(str(project / "petstore.json"), "shop", cache=cache)
    assert not first.from_cache and second.from_cache and first.files == second.files


def test_incremental_validation_reports_the_same_findings(project, tmp_path):
    """Path items validated in an earlier run are not validated again; findings stay the same."""
    from apigen.cache import Cache
    from apigen.loader import load
    from apigen.validate import ValidationMemo, validate

    spec = json.loads((project / "petstore.json").read_text())
    for i in range(30):  # enough path items for incremental validation
        spec["paths"][f"/extra/{i}"] = {
            "get": {"operationId": f"extra{i}", "responses": {"200": {"description": "ok"}}}
        }
    spec["paths"]["/extra/3"]["get"]["responses"]["200"] = {
        "content": {}
    }  # invalid: no description
    # findings outside the paths: one in a schema the changed item uses, one in a schema
    # nothing uses
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Used"] = {
        "type": "object",
        "default": "not an object",
        "properties": {"next": {"$ref": "#/components/schemas/Deeper"}},
    }
    schemas["Deeper"] = {"type": "array", "items": {"type": "string"}, "default": 3}
    schemas["Unused"] = {"type": "integer", "default": "not a number"}
    spec["paths"]["/extra/7"]["get"]["responses"]["200"] = {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Used"}}},
    }
    first_path = project / "first.json"
    first_path.write_text(json.dumps(spec))
    cache = Cache(tmp_path / "vcache")
    first = load(str(first_path))
    full = validate(first)
    ValidationMemo(first, cache, strict=False).record(full)
    spec["paths"]["/extra/7"]["get"]["summary"] = "changed"
    spec["paths"]["/extra/8"]["get"]["responses"]["200"] = {
        "content": {}
    }  # a new problem in a changed item
    second_path = project / "second.json"
    second_path.write_text(json.dumps(spec))
    second = load(str(second_path))
    memo = ValidationMemo(second, cache, strict=False)
    reduced = memo._rest_reachable_from({"/extra/7": spec["paths"]["/extra/7"]})
    assert sorted(reduced["components"]["schemas"]) == [
        "Deeper",
        "Used",
    ]  # only what the changed item reaches
    incremental = memo.incremental()
    assert incremental is not None
    everything = validate(second)
    messages = {d.message for d in everything}
    assert {
        "'not an object' is not of type 'object'",
        "'not a number' is not of type 'integer'",
        "3 is not of type 'array'",
    } <= messages
    assert "/paths/~1extra~18/get/responses/200" in {d.pointer for d in everything}
    # the same findings, each once
    assert sorted((d.pointer, d.message) for d in incremental) == sorted(
        (d.pointer, d.message) for d in everything
    )
    assert all(d.file == str(second_path) for d in incremental)
