"""One rule for media types, shared by request bodies, responses, webhooks and diff."""

from __future__ import annotations

from typing import Any


def media_kind(media: str) -> str | None:
    """json, form, multipart, text or binary: how a body of this media type is encoded."""
    media = media.split(";")[0].strip().lower()
    if media.startswith("application/") and "json" in media:
        return "json"
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media.startswith("multipart/"):
        return "multipart"
    if media.startswith("text/"):
        return "text"
    if media:
        return "binary"
    return None


KIND_PREFERENCE = {"json": 0, "form": 1, "multipart": 2, "text": 3, "binary": 4}


def pick_media(content: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(kind, media type, media object) of the content entry apigen prefers, or None."""
    best: tuple[int, str, str, dict[str, Any]] | None = None
    for media, obj in content.items():
        kind = media_kind(str(media))
        if kind is None:
            continue
        rank = KIND_PREFERENCE[kind]
        if best is None or rank < best[0]:
            best = (rank, kind, str(media), obj if isinstance(obj, dict) else {})
    return None if best is None else (best[1], best[2], best[3])
