"""Generated code is black's output, although black only sees part of it.

apigen's templates and models splitter write black's layout themselves, and
formatting.format_stable sends only statements with long code lines through
black (see formatting.py). These tests hold that shortcut to black on whole
files: the golden packages, hand-made edge cases, and (in tests/contract) a
sample of the GitHub, Stripe and Twilio clients.
"""

from __future__ import annotations

import os

import pytest

from apigen.formatting import (
    LINE_LENGTH,
    alias_block,
    black_in,
    call_layout,
    dict_argument,
    format_python,
    from_import,
    parameter,
)
from apigen.layout import format_stable
from apigen.render import docstring, pyrepr

from support import GENERATED, changed_by_black, configured_clients

CLIENTS = configured_clients()


def _python_files(name: str) -> list[str]:
    """Generated Python files; the runtime is a verbatim copy of hand-written code."""
    root = GENERATED / name
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.suffix in (".py", ".pyi")
        and "__pycache__" not in p.parts
        and "_runtime" not in p.parts
    )


@pytest.mark.parametrize("name", [c[0] for c in CLIENTS])
def test_golden_packages_are_unchanged_by_black(name):
    root = GENERATED / name
    changed = changed_by_black([root / rel for rel in _python_files(name)], root)
    assert not changed, f"black would change these files of generated/{name}: {changed}"


DOC_TEXTS = [
    "Short.",
    'Ends with a quote "like this"',
    '"Starts" with a quote',
    "Ends with a backslash \\",
    "Has\ttabs\tinside and a long tail " + "x" * 120,
    "First line.\n\n    indented code block\n    second line\n",
    "Para one.\n\nPara two is long: " + "word " * 30,
    "Line one\nLine two ends exactly at the limit " + "y" * 57,
    "Closing quotes would overflow: " + "z" * 150 + "\nsecond",
    "   ",
    "Unicode: \u00e9t\u00e9, \u65e5\u672c\u8a9e\u306e\u8aac\u660e " * 4,
    'Triple quotes """ inside and a trailing backslash\\',
]


@pytest.mark.parametrize("text", DOC_TEXTS)
@pytest.mark.parametrize("indent", [0, 4, 8])
def test_docstring_filter_writes_what_black_writes(text, indent):
    literal = docstring([text, "Second paragraph."] if indent == 8 else text, indent)
    if indent == 0:
        source = literal + "\n"
    elif indent == 4:
        source = "class A:\n    " + literal + "\n"
    else:
        source = "class A:\n    def f(self) -> None:\n        " + literal + "\n"
    assert format_python(source) == source


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "it's",
        'say "hi"',
        "both ' and \"",
        "back\\slash",
        "tab\tnew\nline",
        "\x1b\u2028",
        "",
    ],
)
def test_string_literals_are_quoted_as_black_quotes_them(value):
    source = f"x = {pyrepr(value)}\n"
    assert format_python(source) == source
    assert eval(pyrepr(value)) == value  # noqa: S307 - our own literal


def test_string_literals_skip_black_s_quote_rule_only_where_it_changes_nothing(monkeypatch):
    from black.strings import normalize_string_quotes

    from apigen import formatting

    texts = [chr(c) for c in range(0x3100) if not 0xD800 <= c <= 0xDFFF]
    texts += ["", "plain words", "caf\u00e9 \U0001f600", "it's", 'a "b"', "a\\b", "\u2028x"]
    expected = [str(normalize_string_quotes(repr(t))) for t in texts]
    calls: list[str] = []

    def counting(literal: str) -> str:
        calls.append(literal)
        return str(normalize_string_quotes(literal))

    monkeypatch.setattr(formatting, "normalize_string_quotes", counting)
    assert [formatting.string_literal(t) for t in texts] == expected
    assert not any(c in ("''", "'plain words'") for c in calls)  # quoted directly
    assert '"it\'s"' in expected and len(calls) < len(texts) // 10


@pytest.mark.parametrize(
    "names", [["A"], ["Short", "Names"], ["VeryLongModelName" * 4], ["Alpha" * 12, "Beta" * 12]]
)
@pytest.mark.parametrize("indent", [0, 4])
def test_from_import_is_laid_out_as_black_lays_it_out(names, indent):
    line = from_import("..models.some_module_with_a_long_name", names, indent)
    source = line + "\n" if indent == 0 else "if True:\n" + line + "\n"
    assert format_python(source) == source


_IN_METHOD = "class _:\n    def _(self):\n"
_LONG_NAME = "abcdefghij" * 13


@pytest.mark.parametrize(
    "function", ["to_raw_response", "async_pages_to_raw_response", "async_to_streamed_response"]
)
def test_call_layout_is_black_s_layout_wherever_it_splits(function):
    split = 0
    for width in range(1, len(_LONG_NAME)):
        name = _LONG_NAME[:width]
        one_line = f"        self.{name} = {function}(resource.{name})\n"
        laid_out = call_layout(8, f"self.{name} = {function}", f"resource.{name}") + "\n"
        if laid_out == one_line:  # it fits, or black must decide (nothing fits)
            assert width < 30 or max(map(len, laid_out.splitlines())) > LINE_LENGTH
            continue
        split += 1
        assert laid_out == black_in(one_line, _IN_METHOD), width
    assert split > 10  # the range covers the split layout, not only the two ends


def _request(argument: str) -> str:
    return (
        "        return self._client.request(\n            _OPERATION,\n"
        + argument
        + "\n            body=body,\n            options=RequestOptions(\n"
        "                timeout=timeout,\n            ),\n        )\n"
    )


@pytest.mark.parametrize("seed", range(4))
def test_dict_argument_is_black_s_layout_of_the_argument(seed):
    import random

    rnd = random.Random(seed)
    exploded = 0
    for _ in range(150):
        keys, values = [], []
        for _ in range(rnd.randint(1, 7)):
            width = rnd.choice([2, 8, 20, 40, 70, 90])
            wire = rnd.choice(["k", "\u65e5", "'"]) * rnd.randint(1, width)  # wide, quoted
            keys.append(pyrepr(wire))
            values.append("v" * rnd.randint(1, width))
        laid_out = dict_argument(12, "fields", keys, values)
        one_line = "            fields={" + ", ".join(f"{k}: {v}" for k, v in zip(keys, values))
        expected = black_in(_request(one_line + "},"), _IN_METHOD)
        if "\n" in laid_out:
            exploded += 1
            assert _request(laid_out) == expected
        else:
            assert laid_out == one_line + "},"
    assert exploded > 10


@pytest.mark.parametrize("seed", range(4))
def test_parameter_is_black_s_layout_of_a_long_union_parameter(seed):
    import random

    rnd = random.Random(seed)

    def member() -> str:
        name = "Model" + "x" * rnd.choice([1, 20, 50, 80, 95])
        return rnd.choice(
            [name, "dict[str, Any]", f"list[{name}]", 'Literal["a", "b"]', "None", "Omit"]
        )

    parenthesized = 0
    for _ in range(150):
        annotation = " | ".join(member() for _ in range(rnd.randint(1, 4)))
        name, default = "p" * rnd.randint(1, 30), rnd.choice([None, "None", "OMIT"])
        tail = f" = {default}," if default else ","
        signature = "    def f(\n        self,\n        *,\n{}\n    ) -> None:\n        pass\n"
        laid_out = parameter(8, name, annotation, default)
        expected = black_in(signature.format(f"        {name}: {annotation}{tail}"), "class _:\n")
        if "\n" in laid_out:
            parenthesized += 1
            assert signature.format(laid_out) == expected
        else:
            assert laid_out == f"        {name}: {annotation}{tail}"
    assert parenthesized > 10


@pytest.mark.parametrize("seed", range(4))
def test_alias_block_is_black_s_layout_of_an_open_enum_s_alias(seed):
    import random

    rnd = random.Random(seed)
    laid_out = 0
    for _ in range(250):
        enum = "E" * rnd.choice([rnd.randint(1, 40), rnd.randint(40, 100)])
        width = rnd.choice([1, 5, 20, 85])
        if rnd.random() < 0.2:
            literals = [repr(rnd.randint(-(10**9), 10**12)) for _ in range(rnd.randint(1, 9))]
        else:  # wide characters count two columns; quotes change black's quotes
            texts = [rnd.choice(["x", "\u65e5", "'"]) * rnd.randint(1, width) for _ in range(9)]
            literals = [pyrepr(t) for t in texts[: rnd.randint(1, 9)]]
        alias = enum + "Value"
        block = (
            f"if TYPE_CHECKING:\n    {alias}: TypeAlias = {enum} | Literal[{', '.join(literals)}]\n"
            f"else:\n    {alias} = {enum}\n"
        )
        written = alias_block(alias, enum, literals)
        if written is not None:  # None: black decides (an alias too long for its line)
            laid_out += written != block
            assert written == format_python(block)
    assert laid_out > 50


def test_only_statements_with_long_code_lines_go_through_black():
    long_call = "result = compute(" + ", ".join(f"argument_{i}" for i in range(12)) + ")\n"
    assert len(long_call) > LINE_LENGTH
    source = (
        '"""Module."""\n\n'
        "x = 1\n" + long_call + "\n\nclass Thing:\n"
        '    """A docstring line that is far too long is left alone by black: '
        + "w"
        * 80
        + '"""\n\n'
        "    def short(self) -> int:\n        return 1\n\n"
        "    def long(self) -> int:\n        return "
        + " + ".join(f"self.value_{i}" for i in range(10))
        + "\n"
    )
    out = format_stable(source)
    assert out == format_python(source)
    assert out != source  # the long call and the long method were reformatted
    assert "    def short(self) -> int:\n        return 1\n" in out


def test_stable_source_without_long_lines_is_returned_as_is():
    source = "x = 'single quotes are not black style, but nothing is long'\n"
    # format_stable trusts its input's style: this is why only apigen's own
    # templates and splitter are routed through it (package_format.formatting_modes)
    assert format_stable(source) == source


def _model_class(name: str, fields: list[str]) -> str:
    return f'class {name}(BaseModel):\n    """A model."""\n\n' + "".join(
        f"    {f}\n" for f in fields
    )


def test_models_module_is_what_black_writes_with_long_members_apart():
    from apigen.layout import format_models

    url = "https://api.example.com/repos/octocat/Hello-World/" + "x" * 40
    fields = [
        "id: int",
        f"html_url: str = Field(..., examples=['{url}'])",
        "short: str | None = None",
        "reviewers: list[" + " | ".join(f"ReviewerKind{i}" for i in range(9)) + " | None]",
        f"described: int | None = Field(None, description='{'d' * 95}', alias='describedField')",
    ]
    source = (
        "from __future__ import annotations\n\nfrom pydantic import BaseModel, Field\n\n\n"
        + _model_class("First", fields)
        + "\n\n"
        + _model_class("Second", ["id: int", fields[1], fields[3]])
        + "\n\n"
        + _model_class("Fits", ["id: int", "name: str"])
    )
    out = format_models(source)
    assert out == format_python(source)
    assert "    id: int\n    html_url: str = Field(\n" in out


def _enum_models(count: int) -> object:
    """The models module of ``count`` string enums (aliases of them: the IR's literal
    aliases) and models with a long field each."""
    from apigen.models import generate_models

    defs: dict[str, object] = {}
    aliases: dict[str, str] = {}
    for i in range(count):
        values = [f"value_number_{j}_of_enum_{i}" for j in range(2 + i % 6)]
        defs[f"Colour{i}"] = {"type": "string", "enum": values}
        aliases[f"Colour{i}"] = f"Colour{i}Value"
        defs[f"Thing{i}"] = {
            "type": "object",
            "properties": {
                "colour": {"$ref": f"#/components/schemas/Colour{i}"},
                "described_" + "x" * (80 + i): {"type": "integer", "maximum": 10**12},
            },
        }
    return generate_models(defs, literal_aliases=aliases)


def test_alias_blocks_made_in_black_s_layout_skip_black_and_change_nothing(monkeypatch):
    from apigen import layout

    made = _enum_models(6)
    assert len(made.black_made) == 6  # every enum's alias block
    assert any("(\n" in block for block in made.black_made)  # long ones too (black made them)
    calls: list[str] = []
    real = layout.format_python

    def counting(source: str, path: str = "<generated>") -> str:
        calls.append(source)
        return real(source, path)

    monkeypatch.setattr(layout, "format_python", counting)
    plain = layout.format_models_for_split(made.source)
    with_blocks = len(calls)
    calls.clear()
    skipping = layout.format_models_for_split(made.source, made.black_made)
    assert skipping.source == plain.source and skipping.class_texts == plain.class_texts
    assert with_blocks - len(calls) == 6
    assert not any(block in calls for block in made.black_made)


@pytest.mark.parametrize("fork", ["on", "off"])
def test_models_formatted_on_two_cores_are_what_one_process_formats(monkeypatch, fork):
    from apigen import layout

    made = _enum_models(8)
    one = layout.format_models_for_split(made.source, made.black_made)
    from apigen import parallel

    shared: list[int] = []
    real = parallel.run_tasks

    def spy(tasks, first=None):  # type: ignore[no-untyped-def]
        shared.append(len(tasks))
        return real(tasks, first)

    monkeypatch.setattr(parallel, "run_tasks", spy)
    monkeypatch.setattr(layout, "PARALLEL_MODEL_CLASSES", 2)
    monkeypatch.setenv("APIGEN_FORK", fork)
    two = layout.format_models_for_split(made.source, made.black_made)
    assert shared == [2]  # half of the classes to a forked worker (with fork on)
    assert two.source == one.source and two.class_texts == one.class_texts
    assert two.source == layout.format_models(made.source)


def test_methods_go_through_black_by_signature_and_statement():
    """format_stable gives black a method's signature and body statements apart; the
    result must be what black makes of the whole file."""
    long_type = " | ".join(f"ResourceKind{i}" for i in range(8))
    source = (
        "from __future__ import annotations\n\n\n"
        "class Resource:\n"
        '    """Operations."""\n\n'
        "    def short(self) -> int:\n        return 1\n\n"
        "    @property\n"
        "    def described(\n"
        "        self,\n"
        f"        kinds: list[{long_type}] | None = None,\n"
        "        *,\n"
        "        timeout: float | None = None,\n"
        "    ) -> int:\n"
        '        """A docstring line far too long for the limit, which black leaves as it is: '
        + "w"
        * 60
        + '"""\n'
        "        total = compute(" + ", ".join(f"argument_{i}" for i in range(12)) + ")\n"
        "        return total\n\n"
        "    async def fetch(\n"
        "        self,\n"
        "        name: str,\n"
        "    ) -> str:\n"
        '        return await self.client.request("GET", path={"owner": name, "repository": name, '
        '"identifier": name, "other": name})\n'
    )
    out = format_stable(source)
    assert out == format_python(source)
    assert out != source
    assert '        """A docstring line far too long' in out  # left as it was


def _files_of_each_kind() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    long_call = "result = compute(" + ", ".join(f"argument_{i}" for i in range(12)) + ")\n"
    files = {
        "pkg/exact.py": 'x = "already black"\n',
        "pkg/stable.py": "y = 1\n" + long_call,
        "pkg/whole.py": "z = {'a':1}\n" + long_call,
        "pkg/stub.pyi": "def f(a:int)->int: ...\n",
        "README.md": "not python {'a':1}\n",
    }
    return files, frozenset({"pkg/stable.py"}), frozenset({"pkg/exact.py"})


def test_format_files_in_workers_gives_what_it_gives_here(monkeypatch):
    from apigen import package_format as formatting
    from apigen.cache import Cache

    monkeypatch.delenv("APIGEN_FORK", raising=False)  # this test is about the workers
    files, stable, exact = _files_of_each_kind()
    here = formatting.format_files(files, Cache(None), stable, exact)
    monkeypatch.setattr(formatting, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(formatting, "cores", lambda: 2)
    pids: list[int] = []
    real = formatting._finish_batch

    def spy(batch):
        pids.append(os.getpid())
        return real(batch)

    monkeypatch.setattr(formatting, "_finish_batch", spy)
    in_workers = formatting.format_files(files, Cache(None), stable, exact)
    assert in_workers == here
    # four files, four batches: this process did two, a forked worker the others
    assert pids == [os.getpid()] * 2
    assert here["README.md"] == files["README.md"] and here["pkg/exact.py"] == files["pkg/exact.py"]
    assert here["pkg/whole.py"].startswith('z = {"a": 1}\n') and here[
        "pkg/stable.py"
    ] == format_python(files["pkg/stable.py"])


def test_a_module_that_does_not_compile_stops_the_run_in_workers_too(monkeypatch):
    from apigen import package_format as formatting
    from apigen.cache import Cache
    from apigen.diagnostics import ApigenError

    monkeypatch.delenv("APIGEN_FORK", raising=False)  # the worker path as well as this one
    files, stable, exact = _files_of_each_kind()
    files["pkg/broken.py"] = "def f(:\n"
    exact = exact | {"pkg/broken.py"}
    for threshold in (10**9, 0):
        monkeypatch.setattr(formatting, "PARALLEL_THRESHOLD", threshold)
        monkeypatch.setattr(formatting, "cores", lambda: 2)
        with pytest.raises(ApigenError, match="pkg/broken.py does not compile"):
            formatting.format_files(files, Cache(None), stable, exact)


@pytest.mark.parametrize(
    "spec", ["specs/polymorphism.yaml", "specs/schemas.yaml", "specs/petstore.json"]
)
def test_split_reusing_the_formatting_parse_gives_what_parsing_again_gives(spec):
    from apigen.build import build_api
    from apigen.layout import format_models_for_split
    from apigen.loader import load
    from apigen.models import generate_models
    from apigen.normalize import normalize
    from apigen.split import split_models

    from support import REPO

    doc = load(str(REPO / spec))
    api = build_api(normalize(doc), source=spec, doc=doc)
    formatted = format_models_for_split(generate_models(api.models).source)
    again = split_models(formatted.source, "# header\n")
    reused = split_models(formatted.source, "# header\n", formatted)
    assert reused == again and len(reused.modules) > 1


def test_a_docstring_that_reads_like_a_class_name_is_not_a_reference():
    from apigen.split import split_models

    source = (
        "from __future__ import annotations\n\nfrom pydantic import BaseModel\n\n\n"
        'class Pet(BaseModel):\n    """Owner"""\n\n    name: str\n\n\n'
        "class Owner(BaseModel):\n    pets: list[Pet]\n"
    )
    split = split_models(source, "")
    assert split.module_of["Pet"] != split.module_of["Owner"]  # no cycle through the docstring
    assert "from .pet import Pet" in split.modules[split.module_of["Owner"]]
    assert "import Owner" not in split.modules[split.module_of["Pet"]]
