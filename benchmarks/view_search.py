"""Time one target's exact ranking of presets with pitch views (36 views a preset), three ways:
faiss's flat search over every view asked for ``k * views`` hits, collapsed to presets (the search's
path before the blocked matmul); :func:`timbre.search.space.best_view_scores` with one best view for
the whole vector (the default for one embedder's index); and with each part's own best view (the
default for a combined index such as ``spectral+learned``: 153 + 128 columns). Random unit vectors;
prints JSON::

    TIMBRE_THREADS=2 PYTHONPATH=src python benchmarks/view_search.py --presets 30000 --repeat 5
    TIMBRE_THREADS=2 PYTHONPATH=src python benchmarks/view_search.py --presets 30000 --dims 153
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace


def random_space(presets: int, views: int, dims: list[int], seed: int = 0):
    """``(presets, views, sum(dims))``: each part a unit vector scaled by the square root of its share."""
    import numpy as np

    rng = np.random.default_rng(seed)
    blocks = []
    for dim in dims:
        block = rng.standard_normal((presets, views, dim), dtype=np.float32)
        blocks.append(block / np.linalg.norm(block, axis=2, keepdims=True) / np.sqrt(len(dims)))
    return np.concatenate(blocks, axis=2)


def main() -> None:
    from timbre.runtime import pin_threads

    pin_threads()  # TIMBRE_THREADS, before numpy loads its BLAS, as the CLI does
    from timbre.embedders.combined import column_ranges
    from timbre.search import ranking
    from timbre.search.space import best_view_per_row, nearest_rows

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", type=int, default=30000)
    parser.add_argument("--views", type=int, default=36)
    parser.add_argument("--dims", default="153,128", help="each part's columns, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dims = [int(d) for d in args.dims.split(",")]
    space = random_space(args.presets, args.views, dims)
    query = space[args.presets // 2, args.views // 2][None].copy()
    no_cache = SimpleNamespace(cache_file=lambda *a: (_ for _ in ()).throw(OSError()))  # as a read-only index
    flat_views = space.reshape(-1, space.shape[2])

    def faiss_views():
        scores, ids = ranking.flat_search(flat_views, query, 10 * args.views)
        return best_view_per_row(scores, ids, args.views, 10)

    ways = {"faiss_views_s": faiss_views,
            "one_view_s": lambda: nearest_rows(no_cache, ("base-views", None), space, query, 10, "flat", 128),
            "each_part_s": lambda: nearest_rows(no_cache, ("base-views", None), space, query, 10, "flat", 128,
                                                column_ranges(dims))}
    if len(dims) == 1:
        del ways["each_part_s"]
    figures = {"presets": args.presets, "views": args.views, "dims": dims, "repeat": args.repeat}
    for label, way in ways.items():
        way()  # warm up
        started = time.perf_counter()
        for _ in range(args.repeat):
            way()
        figures[label] = round((time.perf_counter() - started) / args.repeat, 4)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
