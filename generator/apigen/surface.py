"""Where each operation sits on the client: ``client.<resource>[.<sub>...].<method>``.

Resources come from tags when the tags mean something (GitHub's ``actions`` cut
across ``/repos`` and ``/orgs``), otherwise from the paths: the first static
segment after a version prefix, and a collection under an item nested below it
(``/v1/customers/{customer}/sources`` -> ``customers.sources``). A dotted tag
nests the same way (Slack's ``admin.conversations``).

A method keeps a meaningful operationId minus the resource's own words
(``conversations_list`` -> ``conversations.list``). An operationId that only
mirrors method and path (``GetCustomersCustomer``), or none, gives way to the
verbs of the best SDKs: list, create, retrieve, update, delete, and the action's
name for an action path (``confirm``). Colliding names get more context, never a
counter first. The ``[tool.apigen]`` names table (``x-apigen-*`` extensions by
now) overrides all of it.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from .diagnostics import ApigenError
from .naming import snake, snake_identifier, words

Operation = tuple[str, str, dict[str, Any], dict[str, Any]]  # path, method, path item, operation
Token = tuple[bool, str]  # (is a parameter, text)

_VERSION = re.compile(r"^(v\d+[a-z0-9.]*|\d+([._-]\d+)*|api|apis|rest)$", re.IGNORECASE)
_EXTENSION = re.compile(r"\.(json|xml|csv|ya?ml|txt|html?)$", re.IGNORECASE)
_HTTP = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace"})
# words a path-mirroring operationId adds besides method and path words
_FILLER = frozenset(
    {"by", "id", "ids", "for", "all", "and", "with", "of", "in", "a", "the", "uuid", "gid", "sid"}
)
# first words of method names that read as verbs (the rest read as nouns)
VERBS = frozenset(
    """
    get list create update delete retrieve fetch read modify patch put post replace remove
    add set unset search find query lookup count check verify validate test send resend
    submit cancel close open archive unarchive restore approve reject decline accept deny
    grant revoke invite join leave start stop pause resume run rerun retry enable disable
    activate deactivate assign unassign attach detach link unlink upload download import
    export copy move rename merge split lock unlock mark star unstar follow unfollow block
    unblock mute unmute pin unpin publish unpublish register unregister subscribe
    unsubscribe confirm capture refund void pay finalize expire redact preview render
    generate compute convert transfer reverse apply release schedule reschedule sync refresh
    reset rotate renew upgrade downgrade install uninstall dismiss review request trigger
    execute call hangup refer share unshare report compact edit save clear kick rerequest
    exchange authorize authenticate login logout upsert place duplicate instantiate insert
    append prepend reorder sort filter tag untag bulk batch process destroy
""".split()
)
_EDGE_WORDS = frozenset(
    {"for", "of", "in", "on", "from", "to", "by", "with", "at", "the", "a", "an", "and"}
)
_BUILTINS = frozenset(dir(builtins))
# the one builtin a method may be named after: the annotations of methods after it
# would name the method instead of the type (mypy: "Function ... is not valid as a
# type"), so these methods go last in their class
SHADOWING_METHODS = frozenset({"list"})
# names the resource classes use themselves (httpx: in every signature's annotations)
RESOURCE_RESERVED = frozenset(
    {
        "_client",
        "with_raw_response",
        "with_streaming_response",
        "with_options",
        "httpx",
        "cache",
        "cached_property",
        "cast",  # what the resource modules import
    }
)
_GENERIC_HOST_LABELS = frozenset(
    {
        "api",
        "apis",
        "www",
        "app",
        "rest",
        "sandbox",
        "gateway",
        "developer",
        "developers",
        "dev",
        "prod",
        "staging",
        "test",
        "public",
        "service",
        "services",
        "web",
        "platform",
        "openapi",
        "swagger-hub",
    }
)
_TITLE_FILLER = frozenset(
    {
        "api",
        "apis",
        "rest",
        "web",
        "openapi",
        "spec",
        "specification",
        "official",
        "the",
        "http",
        "service",
        "v",
    }
)


def singular(word: str) -> str:
    w = word.lower()
    if len(w) > 3 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "uses", "xes", "ches", "shes")):
        return w[:-2]
    if len(w) > 2 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _plural(name: str) -> bool:
    last = (words(name) or [""])[-1]
    return singular(last) != last.lower()


# ------------------------------------------------------------------ paths


def path_tokens(path: str) -> list[Token]:
    """Static segments and parameters of a path, with format suffixes, query
    strings and a leading version (``/v1``, ``/2010-04-01``, ``/api``) left out."""
    out: list[Token] = []
    for raw in path.split("?", 1)[0].split("/"):
        raw = _EXTENSION.sub("", raw)
        for piece in raw.split(":"):  # Google's /{name}:action
            if not piece:
                continue
            if re.fullmatch(r"\{[^{}]+\}", piece):
                out.append((True, piece[1:-1]))
                continue
            text = re.sub(r"\{[^{}]*\}", "", piece).strip("._-~ ")
            if snake(text):
                out.append((False, text))
            elif "{" in piece:
                out.append((True, piece))
    while len(out) > 1 and not out[0][0] and _VERSION.match(out[0][1]):
        out.pop(0)
    if len(out) == 1 and not out[0][0] and _VERSION.match(out[0][1]):
        out.pop(0)
    return out


def _key(tokens: list[Token]) -> tuple[str, ...]:
    return tuple("{}" if is_param else snake(text) for is_param, text in tokens)


@dataclass(frozen=True)
class Shape:
    """Where an operation's path ends, relative to its resource."""

    chain: tuple[str, ...]  # resource names from the path (snake)
    labels: tuple[str, ...]  # the same segments as written
    kind: str  # collection | item | singleton | action
    action: str = ""  # the action's name (kind == "action")


class PathTree:
    """Every path of the spec at once: which static segments are resources
    (collections, singletons) and which are actions on the resource above."""

    def __init__(
        self, ops: list[Operation], deref: Callable[[Any], Any] = lambda node: node
    ) -> None:
        self.tokens = {(path, method): path_tokens(path) for path, method, _, _ in ops}
        self.deref = deref
        self.lists: set[tuple[str, ...]] = set()  # paths whose GET answers with a list
        self._strip_tenant()
        ops_by = {(path, method): op for path, method, _, op in ops}
        self.deeper: set[tuple[str, ...]] = set()
        self.has_item: set[tuple[str, ...]] = set()
        self.methods: dict[tuple[str, ...], set[str]] = {}
        for (path, method), tokens in self.tokens.items():
            key = _key(tokens)
            self.methods.setdefault(key, set()).add(method.lower())
            if method.lower() == "get":
                answer = self._returns_list(ops_by[(path, method)], key[-1] if key else "")
                if answer or (answer is None and _plural(key[-1] if key else "")):
                    self.lists.add(key)
            for i in range(1, len(key)):
                self.deeper.add(key[:i])
                if key[i] == "{}":
                    self.has_item.add(key[:i])

    def _strip_tenant(self) -> None:
        """Twilio puts almost everything under /Accounts/{AccountSid}: that prefix is a
        scope, not a resource (the official SDK says ``client.messages``)."""
        prefixes = Counter(
            (t[0][1].lower(), t[1][1])
            for t in self.tokens.values()
            if len(t) > 2 and not t[0][0] and t[1][0]
        )
        if not prefixes:
            return
        (static, param), count = prefixes.most_common(1)[0]
        below = {
            t[2][1]
            for t in self.tokens.values()
            if len(t) > 2 and t[0][1].lower() == static and t[1] == (True, param) and not t[2][0]
        }
        if count < 0.8 * len(self.tokens) or len(below) < 5:  # a scope of many resources
            return
        for op, tokens in self.tokens.items():
            if len(tokens) > 2 and tokens[0][1].lower() == static and tokens[1] == (True, param):
                self.tokens[op] = tokens[2:]

    def _returns_list(self, op: dict[str, Any], segment: str) -> bool | None:
        """An array, or a page object holding one under a list's name (Stripe's
        ``data``, Box's ``entries``); None when no JSON schema says."""
        raw = op.get("responses")
        responses: dict[str, Any] = raw if isinstance(raw, dict) else {}
        for code, response in responses.items():
            response = self.deref(response)
            if not str(code).startswith("2") or not isinstance(response, dict):
                continue
            content = response.get("content")
            for media in (content if isinstance(content, dict) else {}).values():
                schema = self.deref(media.get("schema")) if isinstance(media, dict) else None
                if not isinstance(schema, dict):
                    continue
                if schema.get("type") == "array":
                    return True
                names = {
                    "data",
                    "items",
                    "results",
                    "entries",
                    "records",
                    "values",
                    "elements",
                    "list",
                    "objects",
                    snake(segment),
                }
                return any(
                    name in names
                    and isinstance(prop := self.deref(value), dict)
                    and prop.get("type") == "array"
                    for part in [schema, *(self.deref(p) for p in schema.get("allOf") or [])]
                    if isinstance(part, dict)
                    for name, value in (part.get("properties") or {}).items()
                )
        return None

    def item_below(self, path: str, method: str) -> bool:
        """Whether items sit below this path (``/lists`` has ``/lists/{id}``)."""
        return _key(self.tokens[(path, method)]) in self.has_item

    def is_resource(self, key: tuple[str, ...], first: bool, text: str = "") -> bool:
        if first or key in self.deeper:
            return True
        ws = words(text)
        if len(ws) > 1 and ws[0].lower() in VERBS and text != text.lower():
            return False  # petstore's /pet/findByTags, Asana's /tasks/{id}/addFollowers
        methods = self.methods.get(key, set())
        return len(methods) >= 2 or (_plural(key[-1]) and bool(methods & {"get", "post"}))

    def shape(self, path: str, method: str) -> Shape:
        tokens = self.tokens[(path, method)]
        key = _key(tokens)
        chain: list[str] = []
        labels: list[str] = []
        for i, (is_param, text) in enumerate(tokens):
            if is_param:
                continue
            if self.is_resource(key[: i + 1], not chain, text):
                chain.append(key[i])
                labels.append(text)
            else:  # only the last segment can be an action (an action has nothing below it)
                return Shape(tuple(chain), tuple(labels), "action", key[i])
        if not chain:
            return Shape((), (), "collection")
        if tokens[-1][0]:
            return Shape(tuple(chain), tuple(labels), "item")
        methods = self.methods.get(key, set())
        if key in self.has_item:
            kind = "collection"
        elif "get" in methods:  # Stripe's /v1/balance; /settings is plural but one object
            kind = "collection" if key in self.lists else "singleton"
        elif _plural(chain[-1]) or not methods & {"put", "patch"}:
            kind = "collection"  # POST /login: create, as POST /embeddings
        else:
            kind = "singleton"
        return Shape(tuple(chain), tuple(labels), kind)

    def label(self, path: str, shape: Shape) -> str:
        """The path up to the resource's segment, as written (for docstrings)."""
        out = []
        remaining = list(shape.labels)
        for segment in path.split("?", 1)[0].strip("/").split("/"):
            out.append(segment)
            if remaining and _EXTENSION.sub("", segment).split(":")[0].startswith(remaining[0]):
                remaining.pop(0)
                if not remaining:
                    break
        return "/" + "/".join(out)


def shape_verb(method: str, shape: Shape, methods_here: set[str], has_items: bool = False) -> str:
    """The verb the best SDKs use for this method on this shape."""
    m = method.lower()
    if shape.kind == "collection" and has_items and m in ("delete", "put", "patch"):
        return "bulk_delete" if m == "delete" else "bulk_update"  # the items have delete/update
    if shape.kind == "action":
        if m in ("post", "get"):
            return shape.action
        return f"{'delete' if m == 'delete' else 'update'}_{shape.action}"
    if m == "get":
        return "list" if shape.kind == "collection" else "retrieve"
    if m == "delete":
        return "delete"
    if m == "post" and shape.kind == "collection":
        return "create"
    if m == "put":
        return "replace" if "patch" in methods_here else "update"
    if m == "patch":
        return "update"
    if m == "post":
        return "update" if not methods_here & {"put", "patch"} else "post"
    return {"head": "exists"}.get(m, m)


# ------------------------------------------------------------------ tags


def _tag_chain(tag: str) -> tuple[str, ...]:
    """``admin.conversations`` nests; ``Campaigns API`` is ``campaigns``."""
    parts = []
    for part in re.split(r"[./]", tag):
        ws = [w for w in words(part)]
        if len(ws) > 1 and ws[-1].lower() in ("api", "apis"):
            ws = ws[:-1]
        name = "_".join(w.lower() for w in ws)
        if name:
            parts.append(name)
    return tuple(parts)


def _tag(op: dict[str, Any]) -> str | None:
    tags = op.get("tags")
    if isinstance(tags, list) and tags and isinstance(tags[0], str) and _tag_chain(tags[0]):
        return tags[0]
    return None


def tags_are_meaningful(ops: list[Operation], tree: PathTree) -> bool:
    """Tags stay when they say something the paths do not.

    Not when there are fewer than two, when most operations have none, when they
    all repeat one version or namespace (Twilio's ``Api20100401Message``), or when
    each tag sits inside one top-level path segment: then the paths group the
    same way and also nest (OpenAI's ``Vector stores`` is ``/vector_stores``).
    """
    tagged = [(t, tree.tokens[(p, m)]) for p, m, _, op in ops if (t := _tag(op))]
    distinct = {t for t, _ in tagged}
    if len(distinct) < 2 or len(tagged) * 2 < len(ops):
        return False
    if 2 * sum(_names_method_namespace(t, tokens) for t, tokens in tagged) > len(tagged):
        return True  # Slack's `chat` for /chat.postMessage, however few operations there are
    common = _common_prefix([[w.lower() for w in words(t)] for t in distinct])
    if common and any(w.isdigit() or re.fullmatch(r"v\d+", w) for w in common):
        return False
    tops: dict[str, Counter[str]] = {}
    for tag, tokens in tagged:
        top = next((snake(text) for is_param, text in tokens if not is_param), "")
        tops.setdefault(tag, Counter())[top] += 1
    dominant = sum(c.most_common(1)[0][1] for c in tops.values())
    return dominant < 0.9 * len(tagged)


def _names_method_namespace(tag: str, tokens: list[Token]) -> bool:
    """Whether the tag is the namespace of an RPC-style method path: ``chat`` for
    ``/chat.postMessage``, ``admin.conversations`` for ``/admin.conversations.search``.
    The path's one segment then says less than the tag, which groups its methods."""
    first = next((text for is_param, text in tokens if not is_param), "")
    namespace, dot, method = first.rpartition(".")
    return bool(dot and method) and _tag_chain(namespace) == _tag_chain(tag)


def _common_prefix(lists: list[list[str]]) -> list[str]:
    out: list[str] = []
    for column in zip(*lists):
        if len(set(column)) != 1:
            break
        out.append(column[0])
    return out


# ------------------------------------------------------------------ method names


def _drop_run(ws: list[str], name: str, head_only: bool = False) -> list[str] | None:
    """``ws`` without the first run of words that spells ``name`` (singular or plural)."""
    name_words = [w.lower() for w in words(name)]
    if not name_words:
        return None
    target = singular(name_words[-1]) if head_only else "".join(singular(w) for w in name_words)
    for i in range(len(ws)):
        joined = ""
        for j in range(i, len(ws)):
            joined += singular(ws[j])
            if joined == target:
                return ws[:i] + ws[j + 1 :]
            if not target.startswith(joined):
                break
    return None


def reduce_operation_id(op_id: str, chain: tuple[str, ...]) -> list[str]:
    """The operationId's words without the resource's (and its parents') names.

    GitHub's ``repos/list-for-org`` has a namespace before the slash: it goes when
    it names the resource and stays whole otherwise (``pull-request-stacks/add``).
    """
    namespace, _, name = op_id.rpartition("/")
    prefix = [w.lower() for w in words(namespace)]
    if prefix and any(_drop_run(prefix, c) == [] for c in chain):
        prefix = []
    ws = [w.lower() for w in words(name)]
    for depth, resource in enumerate(reversed(chain)):
        if prefix == [] and namespace and depth == 0:
            continue  # the namespace was the resource's name
        dropped = _drop_run(ws, resource)
        if dropped is None and (depth > 0 or len(words(resource)) > 1):
            dropped = _drop_run(ws, resource, head_only=True)
        if dropped is not None:
            ws = dropped
    if chain:  # where the resource's name repeats further on (``list-labels-on-issue``)
        while (dropped := _drop_run(ws, chain[-1])) is not None and dropped:
            ws = dropped
    ws = prefix + ws
    while ws and ws[-1] in _EDGE_WORDS:
        ws.pop()
    while ws and ws[0] in _EDGE_WORDS:
        ws.pop(0)
    return ws


def squashed(op_id: str, path: str) -> bool:
    """``Getprojectspendlimit``: words run together, no case to split them by."""
    path_words = {w.lower() for w in words(path)}
    return any(len(w) >= 16 and w.lower() not in path_words for w in words(op_id))


def mirrors_path(op_id: str, method: str, path: str) -> bool:
    """``GetCustomersCustomer``, ``GET_contactdb-recipients``, ``get_files_id``: the
    method's name, then only words of the path."""
    if re.match(r"(GET|POST|PUT|PATCH|DELETE)[-_ ]", op_id):  # SendGrid's GET_mc-contacts
        return True
    ws = [w.lower() for w in words(op_id)]
    if not ws or ws[0] not in _HTTP:  # SendGrid's PUT-design is a PATCH
        return False
    path_words = {singular(w) for w in words(path)}
    rest = ws[1:]  # SendGrid's GET_mc-contacts-count abbreviates, GET_v3-... repeats the version
    return 2 * sum(singular(w) in path_words or w in _FILLER for w in rest) > len(rest)


def _query_variant(path: str) -> str:
    """``beta`` for ``/responses?beta=true``: the word that sets a variant path apart."""
    if "?" not in path:
        return ""
    key, _, value = path.split("?", 1)[1].partition("=")
    return snake(key if value.lower() in ("", "true", "1", "yes") else value)


def mechanical_name(method: str, path: str) -> str:
    parts = [method.lower()]
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts += ["by", snake(segment[1:-1])]
        elif segment:
            parts.append(snake(segment))
    return "_".join(p for p in parts if p)


def usable_method_name(name: str) -> bool:
    """A plain identifier, no keyword, no builtin but ``list`` (an ``eval`` method
    would read as the builtin), no trailing underscore."""
    return (
        name.isidentifier()
        and name.isascii()
        and not name.startswith("_")
        and not name.endswith("_")
        and not keyword.iskeyword(name)
        and not keyword.issoftkeyword(name)
        and (name in SHADOWING_METHODS or name not in _BUILTINS)
        and name not in RESOURCE_RESERVED
    )


def _plain(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)


def assign_names(
    candidates: list[list[str]], taken: set[str], ranks: list[tuple[int, ...]] | None = None
) -> list[str]:
    """One name each. When several operations want one name, the plainest (lowest
    rank: fewest words dropped from its operationId, not an action, fewest path
    parameters) takes it if it is the only one that plain; otherwise none does
    and all move on to their next, more specific candidate."""
    ranks = ranks or [()] * len(candidates)
    chosen: list[str | None] = [None] * len(candidates)
    position = [0] * len(candidates)
    taken = set(taken)
    while any(c is None for c in chosen):
        wanted: dict[str, list[int]] = {}
        for i, options in enumerate(candidates):
            if chosen[i] is not None:
                continue
            while position[i] < len(options) and options[position[i]] in taken:
                position[i] += 1
            if position[i] == len(options):  # every candidate taken: number the last
                base, n = options[-1], 2
                while f"{base}_{n}" in taken:
                    n += 1
                chosen[i] = f"{base}_{n}"
                taken.add(f"{base}_{n}")
                continue
            wanted.setdefault(options[position[i]], []).append(i)
        for name, who in wanted.items():
            best = min(ranks[i] for i in who)
            plainest = [i for i in who if ranks[i] == best]
            if len(plainest) == 1:
                chosen[plainest[0]] = name
                taken.add(name)
            for i in who:
                if chosen[i] is None:
                    position[i] += 1
    return [c for c in chosen if c is not None]


# ------------------------------------------------------------------ the tree


@dataclass
class Node:
    """One resource: its attribute path from the client and its operations."""

    chain: tuple[str, ...]  # names before the client's attribute scoping (snake)
    label: str  # the tag, or the path prefix, as written in the spec
    origin: str  # tag | path
    attrs: tuple[str, ...] = ()  # attribute path from the client, decided in layout()
    operations: list[tuple[Operation, str]] = field(default_factory=list)  # with method names
    children: list[Node] = field(default_factory=list)


def _candidates(
    op: dict[str, Any],
    method: str,
    path: str,
    chain: tuple[str, ...],
    shape: Shape,
    methods_here: set[str],
    by_tag: bool,
    has_items: bool,
) -> tuple[list[str], tuple[int, ...]]:
    """Names for one operation, from plainest to most specific, and its rank."""
    raw_id = op.get("operationId")
    op_id = raw_id if isinstance(raw_id, str) else ""
    verb = shape_verb(method, shape, methods_here, has_items)
    out: list[str] = []
    dropped = 0
    meaningful = (
        bool(snake(op_id)) and not mirrors_path(op_id, method, path) and not squashed(op_id, path)
    )
    if meaningful:
        reduced_words = reduce_operation_id(op_id, chain)
        reduced = "_".join(reduced_words)
        dropped = len(words(op_id)) - len(reduced_words)
        # what is left of OpenAI's ``inviteUser`` on /organization/invites is a noun
        # ("user"): on a resource from the path the method's verb says more
        if reduced and (by_tag or shape.kind == "action" or reduced_words[0] in VERBS):
            out.append(reduced)
        elif reduced:
            out.append(verb)
        out.append(verb)
        out.append("_".join(reduce_operation_id(op_id, chain[-1:])))
        out.append(snake(op_id))
    else:
        context = [
            singular(c) for c in shape.chain if singular(c) not in {singular(x) for x in chain}
        ]
        if by_tag and context:
            leaf_is_resource = bool(shape.chain) and singular(shape.chain[-1]) in {
                singular(x) for x in chain
            }
            out.append(
                f"{verb}_for_{'_'.join(context)}"
                if leaf_is_resource
                else f"{verb}_{shape.chain[-1]}"
            )
        out.append(verb)
        if shape.kind == "action" and path.count("{") == 0:
            out.append(f"bulk_{verb}")  # POST /segments/delete beside DELETE /segments/{id}
        if shape.chain[:-1]:
            out.append(f"{verb}_for_{singular(shape.chain[-2])}")
        if snake(op_id):
            out.append(snake(op_id))
    out.append(mechanical_name(method, path))
    variant = _query_variant(path)
    if variant:  # OpenAI's POST /responses?beta=true beside POST /responses
        out = [name if name.startswith(variant + "_") else f"{variant}_{name}" for name in out]
    named: list[str] = []
    for name in out:
        name = snake(name)
        if not usable_method_name(name) and name:  # import, eval: with context, no trailing _
            noun = singular(chain[-1]) if chain else ""
            name = f"{name}_{noun}" if noun and noun != name else f"{name}_call"
        if usable_method_name(name) and name not in named:
            named.append(name)
    rank = (dropped, shape.kind == "action", path.count("{"))
    return named or ["call"], rank


def _renamed(
    chain: tuple[str, ...],
    renames: dict[tuple[str, ...], tuple[str, ...]],
    used: set[tuple[str, ...]],
) -> tuple[str, ...]:
    for old, new in renames.items():
        if chain[: len(old)] == old:
            used.add(old)
            return new + chain[len(old) :]
    return chain


NAMING_CONTEXT = "x-apigen-naming-context"  # operations the configuration left out


def naming_stub(
    path: str, method: str, op: dict[str, Any], deref: Callable[[Any], Any]
) -> dict[str, Any]:
    """What naming reads of an operation the configuration leaves out: its operationId,
    tags and whether a GET answers with a list. With these the operations kept get the
    names they have in the whole API (a client of GitHub's issues alone still says
    ``issues.create``, not ``repos.issues.create``)."""
    stub: dict[str, Any] = {"path": path, "method": method}
    if isinstance(op.get("operationId"), str):
        stub["operationId"] = op["operationId"]
    if isinstance(op.get("tags"), list):
        stub["tags"] = [t for t in op["tags"] if isinstance(t, str)][:1]
    if method.lower() == "get":
        key = _key(path_tokens(path))
        answer = PathTree([], deref)._returns_list(op, key[-1] if key else "")
        if answer is not None:
            stub["list"] = answer
    return stub


def _context_operations(stubs: Any) -> list[Operation]:
    """The stubs as operations naming can read (anything malformed is ignored: the key
    may come from the spec itself)."""
    out: list[Operation] = []
    for stub in stubs if isinstance(stubs, list) else []:
        if not isinstance(stub, dict):
            continue
        path, method = stub.get("path"), stub.get("method")
        if not isinstance(path, str) or not isinstance(method, str) or method.lower() not in _HTTP:
            continue
        op: dict[str, Any] = {k: stub[k] for k in ("operationId", "tags") if k in stub}
        if isinstance(stub.get("list"), bool):
            schema = {"type": "array"} if stub["list"] else {"type": "object"}
            op["responses"] = {"200": {"content": {"application/json": {"schema": schema}}}}
        out.append((path, method, {}, op))
    return out


def layout(
    ops: list[Operation],
    reserved_top: frozenset[str],
    renames: dict[str, str] | None = None,
    deref: Callable[[Any], Any] = lambda node: node,
    context: Any = None,
) -> list[Node]:
    """The resource tree of the client, each node with its operations named.

    ``renames`` (``"resource:customers.sources" = "customers.payment_sources"`` in
    the names table) moves a resource and everything under it. ``context``: stubs of
    operations left out (``naming_stub``), named alongside and then dropped.
    """
    left_out = _context_operations(context)
    known = {(path, method.lower()) for path, method, _, _ in ops}
    left_out = [e for e in left_out if (e[0], e[1].lower()) not in known]
    dropped_ids = {id(e) for e in left_out}
    ops = ops + left_out
    dotted = {
        tuple(snake(p) for p in old.split(".")): tuple(snake(p) for p in new.split(".") if snake(p))
        for old, new in (renames or {}).items()
    }
    used: set[tuple[str, ...]] = set()
    tree = PathTree(ops, deref)
    by_tag = tags_are_meaningful(ops, tree)
    nodes: dict[tuple[str, ...], Node] = {}
    placed: list[tuple[Operation, tuple[str, ...], Shape, str | None]] = []
    for entry in ops:
        path, method, _item, op = entry
        shape = tree.shape(path, method)
        forced = op.get("x-apigen-name") if isinstance(op.get("x-apigen-name"), str) else None
        override = op.get("x-apigen-resource")
        tag = _tag(op)
        if forced and "." in forced:
            chain = tuple(snake(p) for p in forced.split(".")[:-1] if snake(p))
            label, origin = ".".join(chain), "config"
            forced = forced.rsplit(".", 1)[1]
        elif isinstance(override, str) and _tag_chain(override):
            chain, label, origin = _tag_chain(override), override, "tag"
        elif by_tag and tag:
            chain, label, origin = _tag_chain(tag), tag, "tag"
        elif shape.chain:
            chain, label, origin = shape.chain, tree.label(path, shape), "path"
        else:
            chain, label, origin = ("root",), "/", "path"
        if dotted:
            chain = _renamed(chain, dotted, used)
        for depth in range(1, len(chain) + 1):
            if chain[:depth] not in nodes:
                nodes[chain[:depth]] = Node(
                    chain[:depth], label if depth == len(chain) else ".".join(chain[:depth]), origin
                )
        node = nodes[chain]
        if (
            node.label != label
            and origin == "tag"
            and "." in node.label
            and label not in node.label
        ):
            node.label = label
        placed.append((entry, chain, shape, forced))
        node.operations.append((entry, ""))
    unknown = sorted(".".join(old) for old in dotted if old not in used)
    if unknown:
        raise ApigenError(
            f"configuration names resources the client does not have: {', '.join(unknown)}"
        )
    for chain, node in nodes.items():
        if len(chain) > 1:
            nodes[chain[:-1]].children.append(node)
    roots = sorted((n for c, n in nodes.items() if len(c) == 1), key=lambda n: n.chain)
    _scope_attrs(roots, set(reserved_top))
    # method names, per resource, after its children's attributes
    by_chain: dict[tuple[str, ...], list[tuple[Operation, Shape, str | None]]] = {}
    for entry, chain, shape, forced in placed:
        by_chain.setdefault(chain, []).append((entry, shape, forced))
    for chain, node in nodes.items():
        entries = by_chain.get(chain, [])
        taken = {c.attrs[-1] for c in node.children} | set(RESOURCE_RESERVED)
        # the table's word goes (builtins too: the user asked for it), keywords aside
        fixed = [
            (snake(f) if _plain(snake(f)) else snake_identifier(f, "call")) if f else None
            for _, _, f in entries
        ]
        taken |= {f for f in fixed if f}
        methods_at: dict[str, set[str]] = {}
        for (path, method, _, _), _, _ in entries:
            methods_at.setdefault(path, set()).add(method.lower())
        made = [
            _candidates(
                op,
                method,
                path,
                chain,
                shape,
                methods_at[path],
                by_tag and node.origin == "tag",
                tree.item_below(path, method),
            )
            for (path, method, _, op), shape, f in entries
            if f is None
        ]
        free = iter(assign_names([c for c, _ in made], taken, [r for _, r in made]))
        names = [f if f else next(free) for f in fixed]
        ops_named = [(entry, name) for (entry, _, _), name in zip(entries, names)]
        # a method named like a builtin type goes last: the annotations of later
        # methods would name it instead of the type
        ops_named = [(entry, name) for entry, name in ops_named if id(entry) not in dropped_ids]
        node.operations = sorted(ops_named, key=lambda e: e[1] in SHADOWING_METHODS)
    return sorted(nodes.values(), key=lambda n: n.attrs)


def _scope_attrs(siblings: list[Node], reserved: set[str], parent: tuple[str, ...] = ()) -> None:
    taken = {r.lower() for r in reserved}
    for node in sorted(siblings, key=lambda n: n.chain):
        base = snake_identifier(
            node.chain[-1], "resource"
        )  # a keyword or builtin: global_, as PEP 8 says
        for name in (base, f"{base.rstrip('_')}_resource", f"{base.rstrip('_')}_api"):
            if (
                name.lower() not in taken
                and name not in RESOURCE_RESERVED
                and not name.startswith("_")
            ):
                break
        else:
            n = 2
            while f"{base}_{n}" in taken:
                n += 1
            name = f"{base}_{n}"
        taken.add(name.lower())
        node.attrs = (*parent, name)
        _scope_attrs(node.children, set(RESOURCE_RESERVED), node.attrs)


# ------------------------------------------------------------------ package names


def _host_labels(spec: dict[str, Any]) -> list[str]:
    listed = spec.get("servers")
    for server in listed if isinstance(listed, list) else []:
        url = server.get("url") if isinstance(server, dict) else None
        if not isinstance(url, str):
            continue
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            continue
        if not host or "{" in host or re.fullmatch(r"[\d.]+", host) or host == "localhost":
            continue
        labels = host.lower().split(".")
        if len(labels) < 2 or labels[-2] in ("example", "localhost"):
            continue
        labels = labels[:-1]  # the top-level domain
        if len(labels) >= 2 and labels[-1] in ("co", "com", "org", "net", "gov", "ac", "edu"):
            labels = labels[:-1]
        return [label for label in labels if label not in _GENERIC_HOST_LABELS and snake(label)]
    return []


def default_package_name(spec: dict[str, Any]) -> str:
    """A name a person would pick: ``stripe``, ``github``, ``openai`` (from the
    host), else a short title (``Swagger Petstore`` -> ``petstore`` when the host
    says so), else the title in snake_case."""
    raw_info = spec.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    raw_title = info.get("title")
    title = raw_title if isinstance(raw_title, str) else ""
    squashed_title = re.sub(r"[^a-z0-9]", "", title.lower())
    labels = _host_labels(spec)
    for label in labels:  # the first name of the host the title also says
        name = re.sub(r"\d+$", "", re.sub(r"[^a-z0-9]", "", label))
        if len(name) > 2 and name in squashed_title:
            return snake_identifier(name, "client")
    if labels:
        return snake_identifier(re.sub(r"\d+$", "", labels[-1]) or labels[-1], "client")
    title_words = [
        w
        for w in words(re.sub(r"\(.*?\)|\s-\s.*$", "", title))
        if w.lower() not in _TITLE_FILLER and not re.fullmatch(r"v?\d+", w.lower())
    ]
    if 0 < len(title_words) <= 3:
        return snake_identifier("_".join(title_words), "client")
    return snake_identifier(title or "API", "client")
