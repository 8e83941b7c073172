"""``evaluate``: index a rendered benchmark with each embedder, search every target, score.

Every system goes through the product path (``build_index`` + ``search_audio``), so the
figures measure what users get. Each target is searched against the whole library so
the exact preset's rank (for MRR) is always known.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime, timezone

from timbre.errors import HeadError
from timbre.evaluation import scoring
from timbre.evaluation.ground_truth import Benchmark, load_benchmark
from timbre.evaluation.output import write_report
from timbre.evaluation.report import EvalReport, SystemResult
from timbre.progress import Progress, ensure_progress

BASELINE_EMBEDDER = "mfcc"
DEFAULT_EMBEDDERS = ("spectral",)
INDEXES_DIR = "indexes"


def evaluate(bench_dir: str, embedders: Sequence[str] = DEFAULT_EMBEDDERS, *, heads: Sequence[str] = (),
             models_dir: str | None = None, out_dir: str, top: int | None = None,
             progress: Progress | None = None, thorough: bool = False,
             views: Sequence[int] | None = None, textures: Sequence[str] | None = None) -> EvalReport:
    """Score each embedder (plus the ``mfcc`` baseline, always) and each head on a benchmark.

    ``bench_dir`` is a folder from ``timbre.bench.render_benchmark``. Indexes of its previews
    are built (incrementally) in ``<out_dir>/indexes/<embedder>/``. ``heads`` are refs for
    ``timbre.heads.registry.load_head(models_dir, ref)``; each adds a row
    ``<embedder>+head:<id>`` searched on the index of the embedder the head was trained on.
    ``top`` limits the hits searched per target (at least 20; MRR then counts a preset
    ranked lower as 0); None searches the whole library. ``thorough`` adds a ``+thorough`` row
    after each system's, searched with ``search_audio(..., thorough=True)``. ``views`` and
    ``textures`` set the indexes' pitch views and what they play (``timbre.index.views``; ``None``:
    keep, new indexes get the defaults).
    Writes report.json, report.md and recall_at_k.png into ``out_dir``.
    """
    from timbre import __version__

    progress = ensure_progress(progress)
    bench = load_benchmark(bench_dir)
    loaded_heads = [_load_head(models_dir, ref) for ref in heads]  # before indexing: fail fast
    names = _system_embedders(list(embedders or DEFAULT_EMBEDDERS) + [_head_embedder(h) for h in loaded_heads])
    libraries = {name: _index_benchmark(bench, name, out_dir, progress, (views, textures)) for name in names}
    head_rows = _head_rows(loaded_heads, libraries)
    systems = []
    modes = (False, True) if thorough else (False,)
    for name, lib in libraries.items():  # each embedder's row, then the rows of its heads
        systems += [_evaluate_system(bench, lib, name, None, top, progress, mode) for mode in modes]
        systems += [_evaluate_system(bench, lib, name, head, top, progress, mode)
                    for embedder, head in head_rows if embedder == name for mode in modes]
    report = EvalReport(bench=bench.info(), systems=systems, search_top=top, timbre_version=__version__,
                        date=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    write_report(report, out_dir)
    return report


def _system_embedders(embedders: Sequence[str]) -> list[str]:
    """The requested embedders in order, without repeats, then the baseline if missing.

    Unknown names are refused here, before any (long) indexing starts."""
    from timbre.embedders import check_embedder_name
    from timbre.embedders.combined import canonical_name

    names = list(dict.fromkeys(canonical_name(name) for name in embedders or DEFAULT_EMBEDDERS))
    for name in names:
        check_embedder_name(name)
    return names if BASELINE_EMBEDDER in names else names + [BASELINE_EMBEDDER]


def _index_benchmark(bench: Benchmark, embedder: str, out_dir: str, progress: Progress,
                     layout: tuple[Sequence[int] | None, Sequence[str] | None] = (None, None)):
    from timbre.index import build_index, open_index

    index_path = os.path.join(os.path.abspath(out_dir), INDEXES_DIR, embedder)
    progress.note(f"{embedder}: indexing {len(bench.presets)} previews into {index_path}")
    views, textures = layout
    report = build_index([bench.previews_dir], index_path, embedder, progress=progress, views=views,
                         textures=textures)
    if report.skipped:
        progress.note(f"{embedder}: {len(report.skipped)} preview(s) could not be indexed; "
                      "their targets count as misses")
    return open_index(index_path)


def _evaluate_system(bench: Benchmark, lib, embedder: str, head, top: int | None,
                     progress: Progress, thorough: bool = False) -> SystemResult:
    from timbre.search import search_audio

    name = (embedder if head is None else f"{embedder}+head:{head.id}") + ("+thorough" if thorough else "")
    progress.note(f"{name}: searching {len(bench.targets)} targets")
    depth = len(lib) if top is None else max(top, scoring.CURVE_MAX_K)
    started = time.perf_counter()
    results = search_audio(lib, [t.path for t in bench.targets], top=depth, head=head, progress=progress,
                           thorough=thorough)
    progress.note(f"{name}: {(time.perf_counter() - started) / max(1, len(bench.targets)):.3f} s per target")
    scores = score_results(bench, results)
    failed = sum(1 for result in results if result.error)
    if failed:
        progress.note(f"{name}: {failed} target(s) could not be decoded and count as misses")
    return SystemResult(name=name, embedder=embedder, head=None if head is None else head.id, index=lib.path,
                        metrics=scoring.summarize(scores), breakdowns=scoring.breakdowns(scores),
                        recall_curve=scoring.recall_curve(scores))


def score_results(bench: Benchmark, results) -> list[scoring.TargetScore]:
    """Score search results (one per target of ``bench``, in the manifest's order)."""
    if len(results) != len(bench.targets):
        raise ValueError(f"{len(results)} search results for {len(bench.targets)} targets")
    return [scoring.score_ranking(bench, target, [bench.preset_for_path(hit.path) for hit in result.hits])
            for target, result in zip(bench.targets, results)]


def _load_head(models_dir: str | None, ref: str):
    from timbre.heads.registry import load_head
    from timbre.runtime import default_models_dir

    return load_head(models_dir or default_models_dir(), ref)


def _head_embedder(head) -> str:
    """The name of the embedder ``head`` was trained on (its saved config records it)."""
    name = head.config.get("embedder", {}).get("name")
    if not name:
        raise HeadError(f"head {head.id}: its config does not name its embedder; train the head again")
    return name


def _head_rows(heads: Sequence, libraries: dict) -> list[tuple[str, object]]:
    """``(embedder, head fitted to its index)`` for every index each head can rank: its own embedder's,
    and each combined one holding that embedder as a part (``timbre.heads.part_head``)."""
    from timbre.heads.part_head import head_for_index

    rows = []
    for head in heads:
        fitted = []
        for name, lib in libraries.items():
            try:
                fitted.append((name, head_for_index(head, lib)))
            except HeadError:
                continue
        if not fitted:
            _no_index_for(head)
        rows += fitted
    return rows


def _no_index_for(head) -> None:
    name = _head_embedder(head)
    raise HeadError(f"head {head.id} was trained on embedder fingerprint {head.embedder_fingerprint}, the "
                    f"benchmark's {name} index has another; train the head with the default {name} options")
