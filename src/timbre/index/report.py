"""What an indexing run did, in a form the CLI prints and scripts read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SkippedFile:
    """A file that is not in the index, why (``reason``: unreadable, empty, silent, too_short,
    embed_failed) and the decoder's words (``detail``)."""

    path: str
    reason: str
    detail: str


@dataclass
class IndexReport:
    """Counts of one ``build_index`` run; ``total`` is the number of indexed files after it."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    total: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``skipped`` as a list of dicts sorted by path)."""
        out = asdict(self)
        out["skipped"] = [asdict(s) for s in sorted(self.skipped, key=lambda s: s.path)]
        return out
