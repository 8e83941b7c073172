"""Indexing throughput: files/s of `build_index` with an embedder vs decode-only, same files.

Generates N one-shot .ogg previews (3 s, 44.1 kHz, harmonic tones with a decay) in a temp
folder, then times (1) decode-only: the indexing worker's per-file work (header + decode +
resample + hash) without embedding, in the same worker pool, and (2) a full `build_index`
into a fresh index. Keep N small on a shared machine.

    python benchmarks/index_throughput.py --files 200 --workers 2 --embedder spectral [--views none] \
        [--view-textures note]

The full build includes the pitch views of a new index (9 shifts; for ``spectral`` each plays the
note, two chords and an arpeggio: 36 views a preview) unless ``--views none``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import soundfile as sf


def write_previews(folder: str, count: int, seed: int = 0) -> list[str]:
    """``count`` 3-second decaying harmonic tones as OGG Vorbis in 10 bank folders."""
    rng = np.random.default_rng(seed)
    sr, t = 44100, np.arange(3 * 44100) / 44100
    paths = []
    for i in range(count):
        freq = 130.81 * 2 ** rng.uniform(-0.1, 0.1)
        amps = rng.uniform(0, 1, 8) / np.arange(1, 9)
        wave = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(amps))
        wave *= np.exp(-t * rng.uniform(0.5, 4.0))
        path = os.path.join(folder, f"bank{i % 10}", f"preset{i:05d}.ogg")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        sf.write(path, (0.5 * wave / np.abs(wave).max()).astype(np.float32), sr, format="OGG", subtype="VORBIS")
        paths.append(path)
    return paths


def time_decode_only(paths: list[str], workers: int, sample_rate: int) -> float:
    """Seconds for header + decode + resample + hash of every file in ``workers`` processes."""
    from timbre.index import workers as work
    from timbre.index.scan import FoundFile

    found = [FoundFile(p, os.path.getsize(p), os.path.getmtime(p)) for p in paths]
    start = time.perf_counter()
    if workers <= 1:
        work.init_in_process(None, sample_rate)
        outcomes = list(map(work.process_file, found))
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=work.init_worker,
                                 initargs=(os.getpid(), None, {}, sample_rate)) as pool:
            outcomes = list(pool.map(work.process_file, found, chunksize=8))
    elapsed = time.perf_counter() - start
    assert all(o[0] == "ok" for o in outcomes), [o for o in outcomes if o[0] != "ok"][:3]
    return elapsed


def time_build_index(folder: str, index: str, embedder: str, workers: int, views, textures) -> tuple[float, int]:
    from timbre.index import build_index

    start = time.perf_counter()
    report = build_index([folder], index, embedder, workers=workers, views=views, textures=textures)
    return time.perf_counter() - start, report.total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--embedder", default="spectral")
    parser.add_argument("--views", default="default", help="pitch views: default | none | -12,0,12 ...")
    parser.add_argument("--view-textures", default=None, help="what the views play: note | all | note,chord ... "
                                                               "[default: the embedder's]")
    args = parser.parse_args()

    from timbre.embedders import load_embedder
    from timbre.index import open_index
    from timbre.index.view_textures import parse_textures
    from timbre.index.views import describe_views, parse_semitones
    from timbre.runtime import pin_threads

    pin_threads(1)
    sample_rate = load_embedder(args.embedder).sample_rate
    views = parse_semitones(args.views)
    textures = None if args.view_textures is None else parse_textures(args.view_textures)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        paths = write_previews(os.path.join(tmp, "lib"), args.files)
        print(f"generated {len(paths)} .ogg previews (3 s, 44.1 kHz) in {time.perf_counter() - start:.1f} s")
        decode_s = time_decode_only(paths, args.workers, sample_rate)
        index_s, total = time_build_index(os.path.join(tmp, "lib"), os.path.join(tmp, "idx"),
                                          args.embedder, args.workers, views, textures)
        per_preview = (describe_views(open_index(os.path.join(tmp, "idx"))) or {}).get("per_preview", 0)
        again_s, _ = time_build_index(os.path.join(tmp, "lib"), os.path.join(tmp, "idx"), None, args.workers, views,
                                      textures)
    n = len(paths)
    print(f"workers={args.workers} cores={os.cpu_count()} files={n} resample to {sample_rate} Hz")
    print(f"decode-only (header+decode+resample+hash): {decode_s:6.2f} s  {n / decode_s:7.1f} files/s")
    print(f"build_index with {args.embedder:<10}:        {index_s:6.2f} s  {n / index_s:7.1f} files/s "
          f"({total} indexed, {per_preview} pitch views each, incl. pool start + Parquet writes)")
    print(f"re-run, nothing changed:                  {again_s:6.2f} s")


if __name__ == "__main__":
    main()
