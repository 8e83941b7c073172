"""The per-file part of an indexing run: hash, reuse or decode + embed, hand rows to the writer.

Files whose content is already indexed (touched, moved, renamed, copied) reuse the stored
vector and are not decoded. Decoding runs in spawned worker processes (or in this process);
embedders that are not ``parallel_safe`` embed here, in batches.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import numpy as np

from timbre.index.report import IndexReport, SkippedFile
from timbre.index.scan import FoundFile, file_record


class StoredVectors:
    """Rows and vectors of the index as the run started, looked up by content hash."""

    def __init__(self, rows: list[dict], vectors: np.ndarray):
        self.rows, self.vectors = rows, vectors
        self.by_hash = {row["content_hash"]: i for i, row in enumerate(rows)}

    def reuse(self, found: FoundFile, digest: str) -> tuple[dict, np.ndarray]:
        """The row for ``found`` (its path and stat facts, the stored audio facts) and the vector."""
        i = self.by_hash[digest]
        old = self.rows[i]
        return file_record(found, digest, old["duration"], old["sample_rate"], old["channels"]), self.vectors[i]


def index_files(pending: list[FoundFile], model: Any, spec: dict, stored: StoredVectors, writer,
                report: IndexReport, changed: set[str], workers: int | None, progress) -> set[str]:
    """Decode (+embed) ``pending`` and hand rows to ``writer``; bad files become skips.

    Returns the paths of ``changed`` files that got a new row."""
    progress.start(len(pending), "indexing", "file")
    waiting: list[tuple[FoundFile, dict, np.ndarray]] = []  # decoded, for main-process embedding
    renewed: set[str] = set()

    def accept(found: FoundFile, record: dict, vector: np.ndarray) -> None:
        writer.add(record, vector)
        if found.path in changed:
            report.updated += 1
            renewed.add(found.path)
        else:
            report.added += 1

    def flush_waiting() -> None:
        for found, record, vector, failure in _embed_in_main(model, waiting):
            if failure is None:
                accept(found, record, vector)
            else:
                skip(writer, report, found, "embed_failed", failure)
        waiting.clear()

    known = frozenset(stored.by_hash)
    for found, outcome in zip(pending, _process_all(pending, model, spec, known, workers)):
        if outcome[0] == "skip":
            skip(writer, report, found, outcome[2], outcome[3])
        elif outcome[0] == "known":
            accept(found, *stored.reuse(found, outcome[1]))
            report.reused += 1
        elif outcome[2] is not None:
            accept(found, outcome[1], outcome[2])
        else:
            waiting.append((found, outcome[1], outcome[3]))
            if len(waiting) >= model.batch_size:
                flush_waiting()
        progress.advance(1)
        writer.commit_if_due()
    flush_waiting()
    writer.commit()
    progress.close()
    return renewed


def skip(writer, report: IndexReport, found: FoundFile, reason: str, detail: str) -> None:
    writer.skip({"path": found.path, "reason": reason, "detail": detail, "size": found.size, "mtime": found.mtime})
    report.skipped.append(SkippedFile(found.path, reason, detail))


def _embed_in_main(model: Any, items: list[tuple]) -> Iterator[tuple]:
    """Embed decoded clips in one batch; if the batch fails, clip by clip to find the bad one."""
    if not items:
        return
    try:
        vectors = model.embed_audio([signal for _, _, signal in items])
        for (found, record, _), vector in zip(items, vectors):
            yield found, record, vector, None
        return
    except Exception:
        pass
    for found, record, signal in items:
        try:
            yield found, record, model.embed_audio([signal])[0], None
        except Exception as exc:
            yield found, record, None, f"{exc.__class__.__name__}: {exc}"


def _process_all(pending: list[FoundFile], model: Any, spec: dict, known: frozenset[str],
                 workers: int | None) -> Iterator[tuple]:
    """``process_file`` outcomes for ``pending``, in order: in spawned workers or in-process."""
    from timbre.index import workers as work
    from timbre.runtime import default_threads

    count = default_threads() if workers is None else workers
    if count <= 1 or len(pending) < 2:
        work.init_in_process(model if model.parallel_safe else None, spec["sample_rate"], known)
        yield from map(work.process_file, pending)
        return
    yield from _process_in_pool(pending, model, spec, known, count)


def _process_in_pool(pending: list[FoundFile], model: Any, spec: dict, known: frozenset[str],
                     count: int) -> Iterator[tuple]:
    from timbre.embedders import embedder_target
    from timbre.index import workers as work

    class_path = embedder_target(spec["name"]) if model.parallel_safe else None
    initargs = (os.getpid(), class_path, spec["options"], spec["sample_rate"], known)
    yield from work.ordered_pool_map(work.process_file, pending, count, initargs)
