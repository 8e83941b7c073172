"""Whether the pitch-views stage of `timbre index` keeps a fast device busy.

A torch embedder (CLAP, PANN) computes views in the main process, where its device is. Before,
that process also decoded and resampled each preview, so a GPU sat idle between previews. Now
decode workers prepare the shifted clips and the model takes several previews per call. A GPU
cannot be measured here, so a stand-in model takes a fixed time per clip (``--device-ms``, e.g.
2 ms = 500 clips/s, a GPU's order of magnitude for CLAP) at CLAP's 48 kHz, and the stage is timed
fed in this process (``--workers 0``, the old way) and by ``--workers N``. Prints stable JSON:
previews/s and the share of the time the stand-in device was busy.

    TIMBRE_THREADS=2 python benchmarks/views_feed.py --previews 160 --device-ms 2 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from embed_throughput import write_clips  # noqa: E402


class StandInDevice:
    """The index's embedder seen as a GPU model: ``seconds_per_clip`` a clip, ``batch_size`` clips a call."""

    parallel_safe = False
    sample_rate = 48000

    def __init__(self, inner, seconds_per_clip: float, batch_size: int):
        self.inner, self.seconds_per_clip, self.batch_size = inner, seconds_per_clip, batch_size
        self.busy_s = 0.0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_audio(self, batch):
        started = time.perf_counter()
        time.sleep(self.seconds_per_clip * len(batch))
        self.busy_s += time.perf_counter() - started
        vectors = np.zeros((len(batch), self.inner.dim), np.float32)
        vectors[:, 0] = 1.0
        return vectors


def time_views(folder: str, index: str, args, workers: int) -> dict:
    from timbre.embedders import load_embedder
    from timbre.index import build_index, open_index
    from timbre.index.views import DEFAULT_SEMITONES, complete_views

    build_index([folder], index, "spectral", workers=0, views=())
    lib = open_index(index)
    model = StandInDevice(load_embedder("spectral"), args.device_ms / 1000, args.batch)
    lib.use_embedder(model)
    started = time.perf_counter()
    done = complete_views(lib, DEFAULT_SEMITONES, workers=workers, textures=("note",))  # CLAP's default views
    seconds = time.perf_counter() - started
    return {"workers": workers, "previews": done, "seconds": round(seconds, 2),
            "previews_per_s": round(done / seconds, 1), "device_busy_share": round(model.busy_s / seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previews", type=int, default=160, help="at least 128, or views are computed in this process")
    parser.add_argument("--device-ms", type=float, default=2.0, help="the stand-in device's milliseconds per clip")
    parser.add_argument("--batch", type=int, default=32, help="clips per model call (CLAP on a GPU: 32)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "lib"))
        write_clips(os.path.join(tmp, "lib"), args.previews)
        runs = [time_views(os.path.join(tmp, "lib"), os.path.join(tmp, f"idx{w}"), args, w) for w in (0, args.workers)]
    print(json.dumps({"device_ms_per_clip": args.device_ms, "clips_per_call": args.batch,
                      "threads": os.environ.get("TIMBRE_THREADS", "all"), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
