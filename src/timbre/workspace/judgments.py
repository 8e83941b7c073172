"""Judgments made while listening, stored in the pair file that ``timbre train`` and ``timbre label pull`` use.

A pair is (kept target, preset, similar | not_similar); a triplet is (target, the closer preset, the
other one). Records carry the target's content hash and ``source: "app"``. Judging the same target
and preset again replaces the earlier answer (``timbre.heads.pairs.replace_judgment``); every change
rewrites the file atomically, so killing the server never loses a judgment already answered.
"""

from __future__ import annotations

import datetime as dt
import os
import threading

from timbre.errors import TimbreError
from timbre.heads.pairs import LABELS, read_pairs, remove_pairs, replace_judgment, validate_record

SOURCE = "app"


def pair_record(target, preset: dict, label: str) -> dict:
    """The pair record for ``target`` (a ``Target``) judged ``label`` against an index ``preset`` record."""
    if label not in LABELS:
        raise TimbreError(f"label must be one of {', '.join(LABELS)}, got {label!r}")
    return validate_record({
        "kind": "pair", "a_path": target.path, "a_hash": target.id, "b_path": preset["path"],
        "b_hash": preset["content_hash"], "label": label, "source": SOURCE, "created_at": _now()})


def triplet_record(target, closer: dict, other: dict) -> dict:
    """The triplet record: ``closer`` sounds more like ``target`` than ``other`` does."""
    if closer["content_hash"] == other["content_hash"]:
        raise TimbreError("a triplet needs two different presets — pick another pair")
    return validate_record({
        "kind": "triplet", "anchor_path": target.path, "anchor_hash": target.id,
        "positive_path": closer["path"], "positive_hash": closer["content_hash"],
        "negative_path": other["path"], "negative_hash": other["content_hash"],
        "source": SOURCE, "created_at": _now()})


class JudgmentLog:
    """Adds, replaces and removes app judgments in the pair file at ``path`` (one writer per process)."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self._lock = threading.Lock()

    def records(self) -> list[dict]:
        """Every record of the pair file (all sources)."""
        return read_pairs(self.path) if os.path.exists(self.path) else []

    def add(self, record: dict) -> dict:
        """Store ``record``; an earlier answer to the same judgment is replaced. Returns it."""
        with self._lock:
            stored, _ = replace_judgment(self.path, record)
        return stored

    def remove(self, record_id: str) -> str:
        """Delete the record ``record_id`` (undo); ``TimbreError`` when it is not there."""
        with self._lock:
            if not remove_pairs(self.path, [record_id]):
                raise TimbreError(f"judgment {record_id} is not in {self.path} — nothing to undo")
        return record_id

    def for_target(self, target_id: str) -> list[dict]:
        """App records about the target ``target_id``, oldest first."""
        return [r for r in self.records() if r.get("source") == SOURCE
                and target_id in (r.get("a_hash"), r.get("anchor_hash"))]

    def count(self) -> int:
        return len(self.records())


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
