"""Time one target's exact ranking of a combined space with pitch views (e.g. ``spectral+learned``:
153 + 128 columns, 36 views a preset): one best view for the whole vector (faiss flat over every
view, the path of a single embedder's index) against each part's own best view (the default for a
combined index, :func:`timbre.search.space.best_view_scores`). Random unit vectors; prints JSON::

    TIMBRE_THREADS=2 PYTHONPATH=src python benchmarks/part_views.py --presets 30000 --repeat 5
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
    from timbre.search.space import nearest_rows

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
    figures = {"presets": args.presets, "views": args.views, "dims": dims, "repeat": args.repeat}
    for label, parts in (("one_view_s", None), ("each_part_s", column_ranges(dims))):
        nearest_rows(no_cache, ("base-views", None), space, query, 10, "flat", 128, parts)  # warm up
        started = time.perf_counter()
        for _ in range(args.repeat):
            nearest_rows(no_cache, ("base-views", None), space, query, 10, "flat", 128, parts)
        figures[label] = round((time.perf_counter() - started) / args.repeat, 4)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
