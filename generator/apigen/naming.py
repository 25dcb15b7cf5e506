"""Turning untrusted spec strings into safe, readable Python identifiers.

Every name that reaches generated code passes through here: only ASCII letters,
digits and underscores survive, keywords and builtins get a suffix, and
``NameScope`` hands out collision-free names, disambiguating by context before it
ever falls back to a counter.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re
import sys
import unicodedata

_BUILTINS = frozenset(dir(builtins))
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")

# Names generated modules import at top level; a model or resource must not shadow them.
RESERVED_CLASS_NAMES = frozenset(
    {
        "Any",
        "BaseModel",
        "ConfigDict",
        "Enum",
        "Field",
        "Literal",
        "Optional",
        "RootModel",
        "Union",
        "List",
        "Dict",
        "AwareDatetime",
        "UUID",
        "Decimal",
        "AnyUrl",
        "EmailStr",
        "Annotated",
        "Mapping",
        "Sequence",
        "Client",
        "AsyncClient",
        "Endpoint",
        "ResponseType",
        "Pagination",
        "ParamStyle",
        "RequestOptions",
        "SyncAPIClient",
        "AsyncAPIClient",
        "SyncPaginator",
        "AsyncPaginator",
        "Page",
        "TYPE_CHECKING",
        "IO",
        "Iterator",
        "AsyncIterator",
        "StrictInt",
        "StrictStr",
        "StrictFloat",
        "StrictBool",
        "Base64Str",
        "NaiveDatetime",
        "PastDate",
        "FutureDate",
        "RootModelRootType",
        "Self",
    }
)


# Module files must be valid on every OS: Windows reserves these names with any extension.
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


# A module or package name taken from a spec becomes a file or folder name; file systems
# refuse names over 255 bytes, and the name gets suffixes (``_model2``, ``.py``).
MAX_FILE_NAME = 100


def file_safe_name(name: str) -> str:
    """``name`` (an ASCII identifier) cut to at most ``MAX_FILE_NAME`` characters: a long
    one keeps its first 80 and gets a hash of the whole, so it is the same on every run
    and two long names that share their start stay apart."""
    if len(name) <= MAX_FILE_NAME:
        return name
    return f"{name[:80]}_{hashlib.sha256(name.encode()).hexdigest()[:10]}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """Split any string (camelCase, kebab-case, spaces, dots ...) into ASCII words."""
    return _WORD.findall(_ascii(str(text)))


def snake(text: str) -> str:
    return "_".join(w.lower() for w in words(text))


def pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words(text))


def safe_identifier(name: str, fallback: str = "value") -> str:
    """Make ``name`` a valid identifier that is not a keyword or builtin."""
    name = re.sub(r"[^0-9A-Za-z_]", "", name)
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}" if fallback[:1].islower() else f"{fallback}{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _BUILTINS:
        name += "_"
    return name


def is_class_name(name: str) -> bool:
    """Whether ``name`` may stand as a generated class as it is: an identifier that is no
    keyword (``True``, ``None``), builtin or name the modules import (``Any``)."""
    return bool(name) and safe_identifier(name) == name and name not in RESERVED_CLASS_NAMES


def snake_identifier(text: str, fallback: str = "value") -> str:
    return safe_identifier(snake(text), fallback)


def class_identifier(text: str, fallback: str = "Model") -> str:
    name = safe_identifier(pascal(text), fallback)
    if name.endswith("_") or name in RESERVED_CLASS_NAMES:  # keywords/builtins: None_ reads badly
        name = name.rstrip("_")
        name += "Model"
    return name


def env_identifier(text: str) -> str:
    return "_".join(w.upper() for w in words(text)) or "VALUE"


class NameScope:
    """Allocates unique names in one namespace (a module, a class, an argument list)."""

    def __init__(self, reserved: set[str] | frozenset[str] = frozenset()) -> None:
        self._taken: set[str] = {n.lower() for n in reserved}

    def taken(self, name: str) -> bool:
        return name.lower() in self._taken

    def claim(self, *candidates: str) -> str:
        """Take the first free candidate; if all are taken, number the last one.

        Callers pass candidates from least to most context (``Item``,
        ``OrderItem``, ``CreateOrderItem``) so readable names win; the counter
        is a last resort. Comparison ignores case so that module files stay
        distinct on case-insensitive file systems.
        """
        for name in candidates:
            if not self.taken(name):
                self._taken.add(name.lower())
                return name
        base = candidates[-1]
        n = 2
        while self.taken(f"{base}{n}"):
            n += 1
        self._taken.add(f"{base}{n}".lower())
        return f"{base}{n}"


# What a generated package imports, or may (optional integrations): a package of that
# name would be imported in their place and break the client, or everything else.
DEPENDENCY_MODULES = frozenset(
    {
        "httpx",
        "httpcore",
        "h11",
        "h2",
        "anyio",
        "sniffio",
        "certifi",
        "idna",
        "pydantic",
        "pydantic_core",
        "typing_extensions",
        "annotated_types",
        "typing_inspection",
        "exceptiongroup",
        "redis",
        "opentelemetry",
        "apigen",
        "pip",
        "setuptools",
        "pkg_resources",
        "_distutils_hack",
        "wheel",
        "pytest",
        "_pytest",
    }
)


def shadowed_module(name: str) -> str | None:
    """What a top-level package called ``name`` would shadow ('' when nothing)."""
    if name in sys.stdlib_module_names:
        return "a module of the standard library"
    if name in DEPENDENCY_MODULES:
        return "a package generated clients import or install beside"
    return None


def unshadowed_package(name: str) -> str:
    """A package name derived from the spec, moved off any module it would shadow."""
    return f"{name}_client" if shadowed_module(name) else name
