"""The pair file format shared by ``timbre train`` and ``timbre label pull``.

A pair file is JSON Lines (``.jsonl``; ``.parquet`` with the same columns is also read).
Each line is one judgment, either a pair::

    {"kind": "pair", "a_path": "/abs/a.ogg", "a_hash": "<content hash>",
     "b_path": "/abs/b.ogg", "b_hash": "...", "label": "similar" | "not_similar",
     "source": "user" | "labelstudio" | "augment", "annotator": "ana@studio",
     "created_at": "2026-11-21T10:00:00+00:00", "weight": 1.0, "id": "<stable id>"}

or a triplet (``positive`` is closer to ``anchor`` than ``negative``)::

    {"kind": "triplet", "anchor_path": ..., "anchor_hash": ..., "positive_path": ...,
     "positive_hash": ..., "negative_path": ..., "negative_hash": ..., "source": ...,
     "annotator": ..., "created_at": ..., "weight": 1.0, "id": "..."}

Files are matched to the index by content hash first (survives moves), then by path.
``id`` makes appends idempotent: a record whose id is already in the file is not added again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from timbre.errors import TimbreError

LABELS = ("similar", "not_similar")
SOURCES = ("user", "labelstudio", "augment")
PAIR_ROLES = ("a", "b")
TRIPLET_ROLES = ("anchor", "positive", "negative")


def roles_of(record: dict) -> tuple[str, ...]:
    """The file roles of a record: ``("a", "b")`` or ``("anchor", "positive", "negative")``."""
    return TRIPLET_ROLES if record.get("kind") == "triplet" else PAIR_ROLES


def record_id(record: dict) -> str:
    """A stable id from the files' hashes, the kind, the label, the source and the annotator."""
    parts = [record.get("kind", "pair"), record.get("label", ""), record.get("source", ""),
             record.get("annotator", "")]
    parts += [record.get(f"{role}_hash") or record.get(f"{role}_path", "") for role in roles_of(record)]
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


def validate_record(record: dict, where: str = "") -> dict:
    """Check one record and fill defaults (``kind``, ``weight``, ``source``, ``id``).

    Raises ``TimbreError`` naming ``where`` (e.g. ``pairs.jsonl:12``) on a bad record."""
    rec = dict(record)
    rec.setdefault("kind", "pair")
    if rec["kind"] not in ("pair", "triplet"):
        raise TimbreError(f"{where}: kind must be 'pair' or 'triplet', got {rec['kind']!r}")
    for role in roles_of(rec):
        if not (rec.get(f"{role}_path") or rec.get(f"{role}_hash")):
            raise TimbreError(f"{where}: missing {role}_path / {role}_hash")
    if rec["kind"] == "pair" and rec.get("label") not in LABELS:
        raise TimbreError(f"{where}: label must be one of {', '.join(LABELS)}, got {rec.get('label')!r}")
    rec.setdefault("source", "user")
    rec.setdefault("annotator", "")
    rec.setdefault("created_at", "")
    rec["weight"] = float(rec.get("weight", 1.0))
    rec.setdefault("id", record_id(rec))
    return rec


def read_pairs(path: str | os.PathLike) -> list[dict]:
    """Read and validate a ``.jsonl`` or ``.parquet`` pair file."""
    path = Path(path)
    if not path.exists():
        raise TimbreError(f"{path}: pair file not found")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
        return [validate_record(r, f"{path}:{i + 1}") for i, r in enumerate(rows)]
    records = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TimbreError(f"{path}:{lineno}: not valid JSON ({exc.msg}); fix or remove the line") from exc
            records.append(validate_record(raw, f"{path}:{lineno}"))
    return records


def append_pairs(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Append records whose ``id`` is not yet in the file; returns how many were added.

    The file is rewritten atomically (temp file + fsync + rename), so a crash never
    loses pairs already stored."""
    path = Path(path)
    existing = read_pairs(path) if path.exists() else []
    seen = {r["id"] for r in existing}
    new = []
    for rec in records:
        rec = validate_record(rec, str(path))
        if rec["id"] not in seen:
            seen.add(rec["id"])
            new.append(rec)
    if new:
        write_pairs(path, existing + new)
    return len(new)


def write_pairs(path: str | os.PathLike, records: Iterable[dict]) -> None:
    """Write records as JSON Lines, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class ResolvedPairs:
    """Records mapped to index rows; ``missing`` lists (record id, role, path) not in the index."""

    pairs: list[tuple[int, int, float, float]]  # (row a, row b, target 1/0, weight)
    triplets: list[tuple[int, int, int, float]]  # (anchor, positive, negative, weight)
    missing: list[tuple[str, str, str]]


def resolve_records(records: list[dict], paths: list[str], hashes: list[str]) -> ResolvedPairs:
    """Map records to index row numbers by content hash, then by absolute path."""
    by_hash = {h: i for i, h in enumerate(hashes)}
    by_path = {os.path.abspath(p): i for i, p in enumerate(paths)}
    out = ResolvedPairs([], [], [])
    for rec in records:
        rows = []
        for role in roles_of(rec):
            h, p = rec.get(f"{role}_hash"), rec.get(f"{role}_path") or ""
            row = by_hash.get(h) if h else None
            if row is None and p:
                row = by_path.get(os.path.abspath(p))
            if row is None:
                out.missing.append((rec["id"], role, p or str(h)))
            rows.append(row)
        if any(r is None for r in rows):
            continue
        if rec["kind"] == "triplet":
            out.triplets.append((rows[0], rows[1], rows[2], rec["weight"]))
        else:
            out.pairs.append((rows[0], rows[1], 1.0 if rec["label"] == "similar" else 0.0, rec["weight"]))
    return out
