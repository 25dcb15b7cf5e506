"""Internal ``$ref``s checked: each resolves, and no chain of pure aliases loops or runs on.

Both are fatal, with the pointer of the offending ``$ref``: later stages follow refs
freely and would fail on either without saying where.
"""

from __future__ import annotations

from typing import Any

from .diagnostics import ApigenError, Diagnostic, pointer
from .loader import Document
from .spec_walk import iter_refs, resolve_pointer

MAX_ALIAS_CHAIN = 100  # links of pure ``$ref`` aliases before the target


def check_refs(data: dict[str, Any], doc: Document) -> None:
    """Every local ``$ref`` resolves and no chain of pure ``$ref`` aliases loops or runs on.

    Each ref's chain is followed once and remembered for every ref on it, so the
    check stays linear in the number of refs however long the chains are.
    """
    problems: list[Diagnostic] = []
    outcome: dict[str, str | None] = {}  # ref -> None (fine) or what is wrong with its chain
    depth: dict[str, int] = {}  # ref -> alias links after it
    for where, ref in iter_refs(data):
        at = pointer(*where) + "/$ref"
        if not ref.startswith("#"):
            problems.append(doc.diagnostic("error", f"unresolved external $ref {ref!r}", at))
        elif ref not in outcome:
            _follow_chain(data, ref, outcome, depth)
        problem = outcome.get(ref)
        if problem is not None:
            problems.append(doc.diagnostic("error", problem, at))
        if len(problems) >= 50:
            break
    if problems:
        raise ApigenError(problems)


def _follow_chain(
    data: dict[str, Any], ref: str, outcome: dict[str, str | None], depth: dict[str, int]
) -> None:
    """Fill ``outcome`` (and ``depth``, the links to the chain's end) for ``ref`` and the
    aliases its chain passes through.

    A ref that does not resolve is reported where it stands; a loop, and a chain
    longer than MAX_ALIAS_CHAIN, for every ref that leads into it.
    """
    chain: list[str] = []
    on_chain: dict[str, int] = {}
    current: str | None = ref
    rest = 0  # links after the chain's last element
    while current is not None:
        if current in outcome:
            known = outcome[current]
            if known is not None and known.startswith("circular"):  # every ref before it loops too
                outcome.update(dict.fromkeys(chain, known))
                return
            rest = depth.get(current, 0) + 1  # the known link and the links after it
            break
        if current in on_chain:
            verdict = f"circular $ref chain: {_show_chain(chain[on_chain[current] :] + [current])}"
            outcome.update(dict.fromkeys(chain, verdict))
            return
        on_chain[current] = len(chain)
        chain.append(current)
        try:
            target = resolve_pointer(data, current)
        except (KeyError, IndexError, ValueError, TypeError):
            outcome[chain.pop()] = f"$ref {current!r} does not resolve"
            rest = 1
            break
        nxt = target.get("$ref") if isinstance(target, dict) and len(target) == 1 else None
        current = nxt if isinstance(nxt, str) and nxt.startswith("#") else None
    too_long = f"$ref alias chain longer than {MAX_ALIAS_CHAIN} links"
    for i, link in enumerate(chain):
        depth[link] = len(chain) - 1 - i + rest
        outcome[link] = too_long if depth[link] > MAX_ALIAS_CHAIN else None


def _show_chain(refs: list[str]) -> str:
    shown = refs if len(refs) <= 8 else [*refs[:4], f"... {len(refs) - 8} more ...", *refs[-4:]]
    return " -> ".join(shown)
