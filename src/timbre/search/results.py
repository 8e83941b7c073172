"""Search results: one ``SearchResult`` per target, hits best first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hit:
    """One ranked library file; ``score`` is the cosine similarity (higher is closer); ``row`` is
    its row in the index it came from (not part of the stable output formats)."""

    rank: int
    score: float
    path: str
    name: str
    bank: str
    row: int = -1

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "path": self.path, "name": self.name, "bank": self.bank,
                "score": round(float(self.score), 6)}


@dataclass
class SearchResult:
    """The hits for one target (an audio path or a text query).

    ``error`` is set (and ``hits`` empty) when this target could not be used, e.g. an
    undecodable file among many targets; ``hint`` when its scores deserve a warning (a very
    short or near-silent target); ``searched_for`` / ``not_understood`` for a translated text query.
    Each is in ``to_dict()`` only when set."""

    target: str
    hits: list[Hit] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    #: Text queries in another language: the English that was searched for, and what was not understood.
    searched_for: str | None = None
    not_understood: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, "results": [h.to_dict() for h in self.hits]}
        if self.error is not None:
            out["error"] = self.error
        if self.hint is not None:
            out["hint"] = self.hint
        if self.searched_for is not None:
            out["searched_for"] = self.searched_for
        if self.not_understood:
            out["not_understood"] = list(self.not_understood)
        return out
