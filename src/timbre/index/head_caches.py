"""Derived data of heads in an index's cache: named per head, kept for the last few heads used.

A head's cached library (each preset's pitch views projected through it) is as large as the base
space or twice it: about 1.3 GB at 30,000 presets with ``spectral``'s 36 views. Every retrain makes a
head with a new id, so without a bound the labeling loop (mark, retrain, search again) would leave one
such file per retrain in the index folder. Entries are named ``head.<id>.<what>--<state><suffix>``;
using one refreshes its modification time, and when a head's data is about to be written, the data
of all but the ``HEAD_CACHES_KEPT`` most recently used heads (that one included) is deleted.
"""

from __future__ import annotations

import os
import re

#: Heads whose cached data an index keeps: the one in use and the two used before it (the app's
#: head menu flips between the latest head and earlier ones).
HEAD_CACHES_KEPT = 3

#: Heads whose projected library one process keeps in memory: the one in use and the one before it.
HEAD_SPACES_IN_MEMORY = 2

PREFIX = "head."
# Names of head data before this layout (``head-<id>...``, ``hnsw-head-<id>...``, ``map1-<id>``):
# deleted with the oldest heads, since nothing reads them any more.
_LEGACY = re.compile(r"^(head-|hnsw-head-|map\d+-(?!base))")


def head_cache_key(head_id: str, what: str) -> str:
    """The cache key of ``what`` (e.g. ``views``, ``plain``, ``map1``) derived through head ``head_id``."""
    return f"{PREFIX}{_safe(head_id)}.{what}"


def head_of_key(key: str) -> str | None:
    """The (sanitised) head id a cache key or entry name belongs to, or None for base-space data."""
    if not key.startswith(PREFIX):
        return None
    return key[len(PREFIX):].split(".", 1)[0]


def mark_used(path: str) -> None:
    """Refresh ``path``'s modification time: the clock that decides which heads' data is kept."""
    try:
        os.utime(path)
    except OSError:  # a read-only index folder: nothing is retired from it either
        pass


def retire_old_heads(cache_dir: str, current: str, keep: int = HEAD_CACHES_KEPT) -> list[str]:
    """Delete the cached data of every head but ``current`` (a sanitised id, see :func:`head_of_key`)
    and the ``keep - 1`` others used most recently, and any head data in the old layout; returns the
    names removed. Files another process still has open stay readable to it (POSIX)."""
    names: dict[str, list[str]] = {}
    last_used: dict[str, float] = {}
    doomed = []
    for entry in os.scandir(cache_dir):
        head = head_of_key(entry.name)
        if head is not None and head != current:
            names.setdefault(head, []).append(entry.name)
            last_used[head] = max(last_used.get(head, 0.0), _mtime(entry))
        elif head is None and _LEGACY.match(entry.name):
            doomed.append(entry.name)
    for head in sorted(last_used, key=last_used.get, reverse=True)[max(keep - 1, 0):]:
        doomed += names[head]
    removed = []
    for name in doomed:
        try:
            os.remove(os.path.join(cache_dir, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def _safe(head_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", head_id) or "_"


def _mtime(entry: os.DirEntry) -> float:
    try:
        return entry.stat().st_mtime
    except OSError:
        return 0.0
