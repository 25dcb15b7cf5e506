"""The list of clients a project generates, from ``[tool.apigen]`` in pyproject.toml or apigen.toml.

```toml
[[tool.apigen.clients]]
name = "petstore"
spec = "specs/petstore.json"
output = "generated/petstore"
```

Paths are relative to the file that declares them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .customize import OPTION_KEYS, Options
from .diagnostics import ApigenError
from .loader import is_url


@dataclass(frozen=True)
class ClientConfig:
    name: str
    spec: str
    output: Path
    options: Options = field(default_factory=Options)


def find_config(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        for candidate in (folder / "apigen.toml", folder / "pyproject.toml"):
            if candidate.is_file() and _section(candidate) is not None:
                return candidate
    return None


def _section(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ApigenError(f"{path}: cannot read configuration: {exc}") from None
    if path.name == "apigen.toml":
        whole: dict[str, Any] = data.get("tool", {}).get("apigen", data)
        return whole
    section = data.get("tool", {}).get("apigen")
    return section if isinstance(section, dict) else None


def load_clients(path: Path) -> list[ClientConfig]:
    section = _section(path) or {}
    clients = section.get("clients")
    if not isinstance(clients, list) or not clients:
        raise ApigenError(f"{path}: [tool.apigen] has no clients list")
    out = []
    for i, entry in enumerate(clients):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("spec"), str)
        ):
            raise ApigenError(f"{path}: clients[{i}] needs string fields 'name' and 'spec'")
        spec = entry["spec"] if is_url(entry["spec"]) else str(path.parent / entry["spec"])
        output = path.parent / str(entry.get("output") or f"generated/{entry['name']}")
        unknown = set(entry) - {"name", "spec", "output"} - OPTION_KEYS
        if unknown:
            raise ApigenError(
                f"{path}: clients[{i}] has unknown keys {sorted(unknown)} "
                f"(known: name, spec, output, {', '.join(sorted(OPTION_KEYS))})"
            )
        options = Options.from_config(
            {k: v for k, v in entry.items() if k in OPTION_KEYS}, f"{path}: clients[{i}]"
        )
        out.append(ClientConfig(entry["name"], spec, output, options))
    _check_outputs(path, out)
    return out


def _check_outputs(path: Path, clients: list[ClientConfig]) -> None:
    """Two clients may not write one folder, or one inside the other: the second would
    replace the first (symlinks resolved, so two spellings of one folder count)."""
    seen: list[tuple[Path, ClientConfig]] = []
    for client in clients:
        real = Path(os.path.realpath(client.output.absolute()))
        for other_real, other in seen:
            if (
                real == other_real
                or real.is_relative_to(other_real)
                or other_real.is_relative_to(real)
            ):
                how = "the same output" if real == other_real else "nested outputs"
                raise ApigenError(
                    f"{path}: clients {other.name!r} and {client.name!r} have {how} "
                    f"({other.output} and {client.output}); each client needs its own folder"
                )
        seen.append((real, client))
