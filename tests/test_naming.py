"""apigen.naming: untrusted spec strings -> safe Python identifiers, collision-free."""

from __future__ import annotations

import builtins
import re
import keyword

import pytest

from apigen.naming import (
    RESERVED_CLASS_NAMES,
    NameScope,
    class_identifier,
    env_identifier,
    pascal,
    safe_identifier,
    snake,
    snake_identifier,
    words,
)

HOSTILE = [
    "",
    " ",
    "   ",
    "_",
    "__",
    "1st",
    "123",
    "ñandú",
    "日本語",
    "a b",
    "a-b",
    "a.b",
    "A_B",
    "$ref",
    "@type",
    "__init__",
    "__class__",
    "__import__('os').system('x')",
    "../../escape",
    "/abs/path",
    "C:\\evil",
    "a/b\\c",
    "x\ny",
    "nul\x00byte",
    "import",
    "class",
    "None",
    "True",
    "False",
    "match",
    "case",
    "type",
    "print",
    "eval",
    "exec",
    "open",
    "self",
    "lambda",
    "async",
    "await",
    "x" * 300,
    "\u2028",
    "🙂",
    "ﬁeld",
]


def _is_safe(name: str) -> bool:
    return (
        name.isidentifier()
        and name.isascii()
        and not keyword.iskeyword(name)
        and not keyword.issoftkeyword(name)
        and name not in dir(builtins)
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("getPetById", "get_pet_by_id"),
        ("HTTPResponse", "http_response"),
        ("XMLHttpRequest", "xml_http_request"),
        ("get-thing", "get_thing"),
        ("get_thing", "get_thing"),
        ("GetThing", "get_thing"),
        ("get thing by class", "get_thing_by_class"),
        ("v2Items", "v2_items"),
        ("ñandú", "nandu"),
        ("../../escape", "escape"),
        ("", ""),
    ],
)
def test_snake(text: str, expected: str) -> None:
    assert snake(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("get-thing", "GetThing"),
        ("pet_store", "PetStore"),
        ("HTTPResponse", "HTTPResponse"),
        ("ñandú", "Nandu"),
        ("a b", "AB"),
    ],
)
def test_pascal(text: str, expected: str) -> None:
    assert pascal(text) == expected


def test_words_are_ascii_only() -> None:
    assert words("ñandú über") == ["nandu", "uber"]
    assert words("日本語") == []
    assert words("__import__('os').system('x')") == ["import", "os", "system", "x"]


@pytest.mark.parametrize(
    "name", ["import", "class", "def", "None", "True", "lambda", "async", "await", "from"]
)
def test_keywords_get_a_suffix(name: str) -> None:
    assert safe_identifier(name) == name + "_"


@pytest.mark.parametrize("name", ["match", "case", "type", "_"])
def test_soft_keywords_get_a_suffix(name: str) -> None:
    assert safe_identifier(name) == name + "_"


@pytest.mark.parametrize(
    "name", ["print", "eval", "exec", "open", "id", "list", "dict", "str", "compile", "__import__"]
)
def test_builtins_get_a_suffix(name: str) -> None:
    assert safe_identifier(name) == name + "_"


def test_plain_names_are_unchanged() -> None:
    for name in ("pet_id", "PetId", "x", "_private", "limit2"):
        assert safe_identifier(name) == name


def test_leading_digit() -> None:
    assert safe_identifier("1st") == "value_1st"
    assert safe_identifier("1st", "param") == "param_1st"
    assert snake_identifier("1st", "param") == "param_1st"
    assert class_identifier("1st") == "Model1st"  # capitalised fallback: no underscore
    assert safe_identifier("123", "Model") == "Model123"


def test_empty_and_symbol_only_names_use_the_fallback() -> None:
    assert safe_identifier("") == "value"
    assert safe_identifier("$@!", "arg") == "arg"
    assert snake_identifier("   ", "param") == "param"
    assert class_identifier("") == "Model"
    assert env_identifier("") == "VALUE"
    assert env_identifier("!!!") == "VALUE"


def test_non_ascii() -> None:
    assert snake_identifier("ñandú") == "nandu"
    assert class_identifier("ñandú") == "Nandu"
    assert snake_identifier("日本語", "param") == "param"
    # safe_identifier keeps only ASCII letters, digits and underscores
    assert safe_identifier("ñandú").isascii()
    assert safe_identifier("ﬁeld").isascii()


def test_code_like_names_become_plain_words() -> None:
    assert snake_identifier("__import__('os').system('x')") == "import_os_system_x"
    assert class_identifier("__import__('os').system('x')") == "ImportOsSystemX"
    assert snake_identifier("../../escape") == "escape"
    assert snake_identifier("C:\\evil") == "c_evil"


@pytest.mark.parametrize("text", HOSTILE)
def test_every_output_is_a_safe_identifier(text: str) -> None:
    for make in (snake_identifier, safe_identifier):
        assert _is_safe(make(text)), (make.__name__, text, make(text))
    cls = class_identifier(text)
    assert _is_safe(cls) and cls[0].isupper() and cls not in RESERVED_CLASS_NAMES, (text, cls)
    env = env_identifier(text)
    assert re.fullmatch(r"[A-Z0-9]+(_[A-Z0-9]+)*", env), (text, env)  # used after a PACKAGE_ prefix


@pytest.mark.parametrize(
    "name",
    ["None", "True", "BaseModel", "Field", "Optional", "List", "Client", "Exception", "Ellipsis"],
)
def test_class_names_never_shadow_keywords_builtins_or_imports(name: str) -> None:
    result = class_identifier(name)
    assert result == name + "Model"
    assert result not in RESERVED_CLASS_NAMES and _is_safe(result)


@pytest.mark.parametrize(
    "name, expected",
    [("str", "Str"), ("type", "Type"), ("int", "Int"), ("class", "Class"), ("_", "Model")],
)
def test_lowercase_builtins_become_harmless_class_names(name: str, expected: str) -> None:
    assert class_identifier(name) == expected


def test_env_identifier() -> None:
    assert env_identifier("petstore api_key") == "PETSTORE_API_KEY"
    assert env_identifier("bearerAuth") == "BEARER_AUTH"


# ------------------------------------------------------------------ NameScope


def test_scope_first_free_candidate_wins() -> None:
    scope = NameScope()
    assert scope.claim("Item") == "Item"
    assert scope.claim("Item", "OrderItem") == "OrderItem"
    assert scope.claim("Item", "OrderItem", "CreateOrderItem") == "CreateOrderItem"


def test_scope_counter_is_last_resort_on_last_candidate() -> None:
    scope = NameScope()
    assert scope.claim("Item", "OrderItem") == "Item"
    assert scope.claim("Item", "OrderItem") == "OrderItem"
    assert scope.claim("Item", "OrderItem") == "OrderItem2"
    assert scope.claim("Item", "OrderItem") == "OrderItem3"
    assert scope.claim("Item") == "Item2"


def test_scope_is_case_insensitive() -> None:
    scope = NameScope()
    assert scope.claim("get_thing") == "get_thing"
    assert scope.taken("GET_THING")
    assert scope.claim("Get_Thing") == "Get_Thing2"
    assert scope.claim("GET_THING2") == "GET_THING22"  # Get_Thing2 taken, case-insensitively
    assert scope.claim("ITEM") == "ITEM"
    assert scope.claim("item", "Thing") == "Thing"
    assert scope.claim("item") == "item2"
    assert scope.claim("Item2") == "Item22"


def test_scope_reserved_names() -> None:
    scope = NameScope({"Client", "timeout"})
    assert scope.taken("client") and scope.taken("TIMEOUT")
    assert scope.claim("client", "client_param") == "client_param"
    assert scope.claim("timeout") == "timeout2"
    assert not scope.taken("other")


def test_scope_names_are_unique_for_colliding_inputs() -> None:
    scope = NameScope()
    names = [
        scope.claim(snake_identifier(op))
        for op in ("get-thing", "get_thing", "GetThing", "getThing", "GET THING")
    ]
    assert names[0] == "get_thing"
    assert len({n.lower() for n in names}) == len(names)
    assert all(_is_safe(n) for n in names)


def test_file_safe_name_caps_long_names_stably_and_keeps_them_apart() -> None:
    from apigen.naming import MAX_FILE_NAME, file_safe_name

    assert file_safe_name("pets") == "pets"
    assert file_safe_name("a" * MAX_FILE_NAME) == "a" * MAX_FILE_NAME
    one, two = file_safe_name("a" * 5000 + "one"), file_safe_name("a" * 5000 + "two")
    assert len(one) <= MAX_FILE_NAME and len(two) <= MAX_FILE_NAME and one != two
    assert one.startswith("a" * 80) and one.isidentifier()
    assert file_safe_name("a" * 5000 + "one") == one  # the same on every run: a hash, not a counter
