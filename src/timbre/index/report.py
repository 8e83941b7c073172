"""What an indexing run did, in a form the CLI prints and scripts read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SkippedFile:
    """A file (or link, or folder) that is not in the index, why (``reason``: damaged,
    truncated, empty, silent, too_short, permission_denied, folder, not_a_file, bad_name,
    dangling_link, link_loop, duplicate, unreadable_folder, embed_failed, unreadable) and what
    to do (``detail``, one line)."""

    path: str
    reason: str
    detail: str


@dataclass
class IndexReport:
    """Counts of one ``build_index`` run; ``total`` is the number of indexed files after it.

    ``reused``: added or updated files whose content was already indexed (touched, moved,
    renamed, copied): their stored vector was reused instead of decoding them again.
    ``views``: previews whose pitch views were computed in this run (:mod:`timbre.index.views`)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    reused: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    total: int = 0
    views: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``skipped`` as a list of dicts sorted by path)."""
        out = asdict(self)
        out["skipped"] = [asdict(s) for s in sorted(self.skipped, key=lambda s: s.path)]
        return out
