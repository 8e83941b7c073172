"""The pair file format shared by ``timbre train`` and ``timbre label pull``.

A pair file is JSON Lines (``.jsonl``; ``.parquet`` with the same columns is also read).
Each line is one judgment, either a pair::

    {"kind": "pair", "a_path": "/abs/a.ogg", "a_hash": "<content hash>",
     "b_path": "/abs/b.ogg", "b_hash": "...", "label": "similar" | "not_similar",
     "source": "user" | "labelstudio" | "app" | "augment", "annotator": "ana@studio",
     "created_at": "2026-11-21T10:00:00+00:00", "weight": 1.0, "id": "<stable id>"}

or a triplet (``positive`` is closer to ``anchor`` than ``negative``)::

    {"kind": "triplet", "anchor_path": ..., "anchor_hash": ..., "positive_path": ...,
     "positive_hash": ..., "negative_path": ..., "negative_hash": ..., "source": ...,
     "annotator": ..., "created_at": ..., "weight": 1.0, "id": "..."}

Files are matched to the index by content hash first (survives moves), then by path; a
file outside the index (a target the app kept) is embedded by ``timbre.heads.outside``.
``id`` makes appends idempotent: a record whose id is already in the file is not added again.
``source`` tells the producer's judgments (``user``, ``labelstudio``, ``app``) from generated
ones (``augment``). The default file is ``$TIMBRE_HOME/pairs.jsonl`` (``default_pairs_file``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from timbre.errors import TimbreError

LABELS = ("similar", "not_similar")
SOURCES = ("user", "labelstudio", "app", "augment")
GENERATED_SOURCES = ("augment",)
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
    if not isinstance(record, dict):
        raise TimbreError(f"{where}: expected a JSON object {{\"a_path\": ..., \"b_path\": ..., \"label\": ...}}, "
                          f"got {type(record).__name__}; fix or remove the line")
    rec = {k: v for k, v in record.items() if v is not None}  # Parquet fills absent fields with null
    rec.setdefault("kind", "pair")
    if rec["kind"] not in ("pair", "triplet"):
        raise TimbreError(f"{where}: kind must be 'pair' or 'triplet', got {rec['kind']!r}")
    for role in roles_of(rec):
        if not (rec.get(f"{role}_path") or rec.get(f"{role}_hash")):
            raise TimbreError(f"{where}: missing {role}_path / {role}_hash; fix or remove the line")
        for key in (f"{role}_path", f"{role}_hash"):
            if key in rec and not isinstance(rec[key], str):
                raise TimbreError(f"{where}: {key} must be a string, got {rec[key]!r}; fix or remove the line")
    if rec["kind"] == "pair" and rec.get("label") not in LABELS:
        raise TimbreError(f"{where}: label must be one of {', '.join(LABELS)}, got {rec.get('label')!r}")
    rec.setdefault("source", "user")
    if rec["source"] not in SOURCES:
        raise TimbreError(f"{where}: source must be one of {', '.join(SOURCES)}, got {rec['source']!r}")
    rec.setdefault("annotator", "")
    rec.setdefault("created_at", "")
    rec["weight"] = _weight(rec.get("weight", 1.0), where)
    rec.setdefault("id", record_id(rec))
    return rec


def _weight(value: object, where: str) -> float:
    """A record's weight: a finite number above zero (NaN or inf would train a NaN head)."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or number <= 0:
        raise TimbreError(f"{where}: weight must be a finite number above 0, got {value!r}; "
                          "fix the weight or remove the line")
    return float(number)


def read_pairs(path: str | os.PathLike) -> list[dict]:
    """Read and validate a ``.jsonl`` or ``.parquet`` pair file; ``TimbreError`` naming the file
    (and line) when it is missing, not a pair file, or holds a bad record."""
    path = Path(path)
    if not path.exists():
        raise TimbreError(f"{path}: pair file not found; pass a .jsonl or .parquet pair file")
    if not path.is_file():
        raise TimbreError(f"{path}: is a folder, not a pair file; pass a .jsonl or .parquet pair file")
    try:
        if path.suffix == ".parquet":
            return _read_parquet(path)
        return _read_jsonl(path)
    except UnicodeDecodeError as exc:
        raise TimbreError(f"{path}: not a pair file (not UTF-8 text, byte {exc.start}); "
                          "pass a .jsonl or .parquet pair file") from exc
    except OSError as exc:
        raise TimbreError(f"{path}: cannot read the pair file ({exc.strerror or exc}); check its permissions") from exc


def _read_parquet(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except OSError:
        raise
    except Exception as exc:  # pyarrow's ArrowInvalid and friends: not a Parquet file
        detail = " ".join(str(exc).split()).split(". ")[0][:160]
        raise TimbreError(f"{path}: not a readable Parquet pair file ({detail}); "
                          "pass a .jsonl or .parquet pair file") from exc
    return [validate_record(r, f"{path}:{i + 1}") for i, r in enumerate(rows)]


def _read_jsonl(path: Path) -> list[dict]:
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


def remove_pairs(path: str | os.PathLike, ids: Iterable[str]) -> int:
    """Remove the records whose ``id`` is in ``ids`` (e.g. to undo); returns how many.

    The file is rewritten atomically and left untouched when nothing matches."""
    path, ids = Path(path), set(ids)
    if not ids or not path.exists():
        return 0
    existing = read_pairs(path)
    kept = [r for r in existing if r["id"] not in ids]
    if len(kept) != len(existing):
        write_pairs(path, kept)
    return len(existing) - len(kept)


def replace_judgment(path: str | os.PathLike, record: dict) -> tuple[dict, list[dict]]:
    """Store ``record`` in place of earlier records of the same judgment; returns
    ``(stored record, removed records)``.

    The same judgment means the same kind, source, annotator and files (a pair's two files in
    either order; a triplet's anchor and its two other files in either order), so changing
    "similar" to "not similar", or swapping a triplet's choice, keeps one answer. To undo:
    ``remove_pairs(path, [stored["id"]])`` then ``append_pairs(path, removed)``. One atomic
    rewrite; storing a record that is already there changes nothing."""
    path = Path(path)
    rec = validate_record(record, str(path))
    existing = read_pairs(path) if path.exists() else []
    key = judgment_key(rec)
    removed = [r for r in existing if r["id"] != rec["id"] and judgment_key(r) == key]
    present = any(r["id"] == rec["id"] for r in existing)
    if removed or not present:
        gone = {r["id"] for r in removed}
        kept = [r for r in existing if r["id"] not in gone]
        write_pairs(path, kept if present else kept + [rec])
    return rec, removed


def judgment_key(record: dict) -> tuple:
    """What identifies a judgment regardless of its answer (see ``replace_judgment``)."""
    files = [record.get(f"{role}_hash") or os.path.abspath(record.get(f"{role}_path") or "")
             for role in roles_of(record)]
    head, rest = (files[0], frozenset(files[1:])) if record.get("kind") == "triplet" else ("", frozenset(files))
    return record.get("kind", "pair"), record.get("source", "user"), record.get("annotator", ""), head, rest


def default_pairs_file() -> str:
    """``$TIMBRE_HOME/pairs.jsonl``: where the app and ``timbre label pull`` write judgments."""
    from timbre.runtime import timbre_home

    return os.path.join(timbre_home(), "pairs.jsonl")


def pair_files_or_default(pairs: Sequence[str] | None) -> list[str]:
    """``pairs`` as given; for ``None``, the default pair file if it exists, else none."""
    if pairs is not None:
        return [str(p) for p in pairs]
    default = default_pairs_file()
    return [default] if os.path.isfile(default) else []


def write_pairs(path: str | os.PathLike, records: Iterable[dict]) -> None:
    """Write records as JSON Lines, atomically (a failed write leaves the old file whole)."""
    from timbre.index.store import atomic_write_bytes

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n" for rec in records)
    atomic_write_bytes(str(path), text.encode("utf-8"))


@dataclass
class ResolvedPairs:
    """Records mapped to table rows; ``missing`` lists (record id, role, path) found nowhere;
    ``self_pairs`` the ids of records naming one file twice (a file paired with itself teaches
    nothing and is left out).

    ``pair_sources`` / ``triplet_sources`` give each resolved example's ``source`` (absent:
    ``user``), so the producer's judgments can be told from generated ones."""

    pairs: list[tuple[int, int, float, float]]  # (row a, row b, target 1/0, weight)
    triplets: list[tuple[int, int, int, float]]  # (anchor, positive, negative, weight)
    missing: list[tuple[str, str, str]]
    pair_sources: list[str] = field(default_factory=list)
    triplet_sources: list[str] = field(default_factory=list)
    self_pairs: list[str] = field(default_factory=list)


def resolve_records(records: list[dict], paths: list[str], hashes: list[str]) -> ResolvedPairs:
    """Map records to row numbers by content hash, then by absolute path (the first row
    wins when a hash or path appears twice, so rows appended after the index never shadow it).
    Records whose files resolve to one row twice are listed in ``self_pairs``, not used."""
    by_hash: dict[str, int] = {}
    by_path: dict[str, int] = {}
    for i, (p, h) in enumerate(zip(paths, hashes)):
        by_hash.setdefault(h, i)
        by_path.setdefault(os.path.abspath(p), i)
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
        if len(set(rows)) < len(rows):
            out.self_pairs.append(rec["id"])
            continue
        source = rec.get("source", "user")
        if rec["kind"] == "triplet":
            out.triplets.append((rows[0], rows[1], rows[2], rec["weight"]))
            out.triplet_sources.append(source)
        else:
            out.pairs.append((rows[0], rows[1], 1.0 if rec["label"] == "similar" else 0.0, rec["weight"]))
            out.pair_sources.append(source)
    return out
