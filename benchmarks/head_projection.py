"""What a new head costs before its first search: projecting every pitch view of the library through
it (a head of the default settings: its networks and its base share), writing that to the index's
cache, and reading it back in another process. ``timbre train`` and the app's Retrain do the first
two before they finish; without that, the first search with each new head waited for them.
Random unit vectors stand in for the views (the head's cost does not depend on their values);
prints JSON::

    TIMBRE_THREADS=2 PYTHONPATH=src python benchmarks/head_projection.py --presets 30000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def main() -> None:
    from timbre.runtime import pin_threads

    pin_threads()  # TIMBRE_THREADS, before numpy and torch load, as the CLI does
    import numpy as np

    from timbre.heads.config import load_head_config
    from timbre.heads.model import ProjectionHead, ResidualProjection

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", type=int, default=30000)
    parser.add_argument("--views", type=int, default=36, help="views a preset (spectral's default: 36)")
    parser.add_argument("--dim", type=int, default=153, help="the embedder's width (spectral: 153, CLAP: 512)")
    args = parser.parse_args()
    settings = load_head_config()
    model = settings["model"]
    nets = [ResidualProjection(args.dim, model["hidden_dim"], model["output_dim"], model["dropout"])
            for _ in range(model["members"])]
    head = ProjectionHead(nets, "benchmark", "", {"settings": settings})
    views = np.random.default_rng(0).standard_normal((args.presets * args.views, args.dim), dtype=np.float32)
    views /= np.linalg.norm(views, axis=1, keepdims=True)

    started = time.perf_counter()
    projected = head.project(views)
    project_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "head.npy")
        started = time.perf_counter()
        np.save(path, projected)
        save_s = time.perf_counter() - started
        started = time.perf_counter()
        np.load(path)
        load_s = time.perf_counter() - started
    print(json.dumps({"presets": args.presets, "views": args.views, "dim": args.dim, "members": model["members"],
                      "base_weight": head.base_weight, "cache_gb": round(projected.nbytes / 1e9, 2),
                      "project_s": round(project_s, 2), "save_s": round(save_s, 2), "load_s": round(load_s, 2)}))


if __name__ == "__main__":
    main()
