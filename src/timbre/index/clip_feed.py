"""Clips made from files and embedded, in order: the shared engine of pitch views and of the
head's augmented clips.

A ``ClipMaker`` turns one item (a file and what it needs) into a list of clips, or ``None``
with a note when the file cannot be decoded. ``embed_made_clips`` yields, per item, the
``(len(clips), dim)`` vectors (``None`` for a failure or non-finite vectors):

* without a pool (one worker, or few items), everything runs here, item by item;
* a ``parallel_safe`` embedder (numpy, like ``spectral``) runs whole in worker processes;
* a torch embedder stays here, on its device, while the workers make the clips, and takes
  as many items per call as fill its indexing batch, so a GPU does not wait on the CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from timbre.progress import NullProgress, Progress

#: ``maker(item, sample_rate, progress) -> clips or None`` (a module-level function or a
#: ``functools.partial`` of one: it is sent to worker processes).
ClipMaker = Callable[[Any, int, Progress], "list[np.ndarray] | None"]


def embed_made_clips(model, spec: dict, maker: ClipMaker, items: Sequence[Any], workers: int | None,
                     progress: Progress, min_pooled: int = 2) -> Iterator[np.ndarray | None]:
    """The vectors of ``maker``'s clips of each of ``items``, in order (see the module docstring).
    ``spec`` is the index's embedder spec (workers build a ``parallel_safe`` embedder from it);
    a pool of ``workers`` processes (default: the usable cores) starts only for more than one
    and at least ``min_pooled`` items."""
    workers = _worker_count(workers)
    if not _pooled(len(items), workers, min_pooled):
        for item in items:
            yield finite_or_none(_embed(model, maker(item, model.sample_rate, progress)))
        return
    from timbre.embedders import embedder_target
    from timbre.index import workers as work

    if model.parallel_safe:
        initargs = (os.getpid(), embedder_target(spec["name"]), spec.get("options", {}), spec["sample_rate"])
        for vectors, problem in work.ordered_pool_map(partial(_worker_vectors, maker=maker), items, workers,
                                                      initargs):
            _note(progress, problem)
            yield vectors
        return
    made = work.ordered_pool_map(partial(_worker_clips, maker=maker, sample_rate=model.sample_rate), items,
                                 workers, (os.getpid(), None, {}, spec["sample_rate"]))
    yield from _embed_in_groups(model, made, progress)


def embedding_processes(model, items: int, workers: int | None, min_pooled: int = 2) -> int:
    """How many processes run ``model`` in ``embed_made_clips`` over ``items`` items: the pool's
    workers for a ``parallel_safe`` model fed through a pool, else 1 (a torch model embeds here)."""
    workers = _worker_count(workers)
    return workers if model.parallel_safe and _pooled(items, workers, min_pooled) else 1


def _worker_count(workers: int | None) -> int:
    from timbre.runtime import default_threads

    return default_threads() if workers is None else workers


def _pooled(items: int, workers: int, min_pooled: int) -> bool:
    return workers > 1 and items >= max(2, min_pooled)


def finite_or_none(vectors: np.ndarray | None) -> np.ndarray | None:
    """``vectors`` if every number is finite, else ``None``."""
    return vectors if vectors is not None and np.isfinite(vectors).all() else None


def _embed(model, clips: list | None) -> np.ndarray | None:
    return None if clips is None else np.asarray(model.embed_audio(clips), np.float32)


def _embed_in_groups(model, made: Iterable[tuple[list | None, str | None]], progress: Progress):
    """Per item, in order, from ``(clips or None, note or None)``: the clips of a few items go
    through the model in one call, about ``model.batch_size`` clips."""
    per_call = int(getattr(model, "batch_size", 1))
    group: list = []
    clip_count = 0
    for clips, problem in made:
        _note(progress, problem)
        group.append(clips)
        clip_count += 0 if clips is None else len(clips)
        if clip_count >= per_call:
            yield from _embed_group(model, group)
            group, clip_count = [], 0
    yield from _embed_group(model, group)


def _embed_group(model, group: list):
    """The vectors of each item's clips in ``group`` (``None`` where it has none)."""
    vectors = _embed(model, [clip for clips in group if clips is not None for clip in clips] or None)
    start = 0
    for clips in group:
        if clips is None:
            yield None
            continue
        yield finite_or_none(vectors[start:start + len(clips)])
        start += len(clips)


def _worker_vectors(item: Any, maker: ClipMaker):
    """In a pool worker: ``(vectors or None, note or None)`` of one item, embedded here."""
    from timbre.index import workers as work

    notes: list[str] = []
    model = work.worker_embedder()
    vectors = finite_or_none(_embed(model, maker(item, model.sample_rate, _Notes(notes))))
    return vectors, (notes[0] if notes else None)


def _worker_clips(item: Any, maker: ClipMaker, sample_rate: int):
    """In a pool worker: ``(clips or None, note or None)`` of one item, for the parent to embed."""
    notes: list[str] = []
    clips = maker(item, sample_rate, _Notes(notes))
    return clips, (notes[0] if notes else None)


def _note(progress: Progress, problem: str | None) -> None:
    if problem:
        progress.note(problem)


class _Notes(NullProgress):
    """Collects ``progress.note`` lines in a worker (its progress bar lives in the parent)."""

    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def note(self, line: str) -> None:
        self.lines.append(line)
