"""What pitch views and `--thorough` cost per file, for `spectral` or a real-size CLAP (random weights).

For each embedder: seconds to compute one preview's pitch views (decode included; the default shifts
playing ``--textures``, default the note alone), and, for a 10-s loop of notes, seconds to embed it
whole (the default search) and its notes (what `--thorough` adds). Prints stable JSON.

    TIMBRE_THREADS=2 python benchmarks/views_cost.py --embedders spectral,clap --previews 3 [--textures all]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from embed_throughput import real_size_clap, write_clips  # noqa: E402


def write_loop(path: str, sr: int = 44100, seconds: float = 10.0) -> str:
    """Twenty 0.5-s saw notes of a C-minor arpeggio: a loop with clear onsets."""
    notes = []
    for k in range(int(seconds / 0.5)):
        f0 = 130.81 * 2 ** ((0, 3, 7, 12)[k % 4] / 12)
        t = np.arange(int(0.5 * sr)) / sr
        wave = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 12)) * np.exp(-4 * t)
        notes.append(0.3 * wave)
    sf.write(path, np.concatenate(notes).astype(np.float32), sr)
    return path


def measure(name: str, model, previews: list[str], loop: str, textures: tuple[str, ...] = ("note",)) -> dict:
    from timbre.audio import load_audio
    from timbre.index.view_textures import views_per_preview
    from timbre.index.views import DEFAULT_SEMITONES, embed_views
    from timbre.progress import ensure_progress
    from timbre.search.notes import embed_notes

    model.embed_audio([load_audio(previews[0], model.sample_rate)])  # warm-up
    started = time.perf_counter()
    for path in previews:
        embed_views(model, path, DEFAULT_SEMITONES, ensure_progress(None), textures)
    per_preview = (time.perf_counter() - started) / len(previews)
    audio = load_audio(loop, model.sample_rate)
    started = time.perf_counter()
    model.embed_audio([audio])
    whole = time.perf_counter() - started
    started = time.perf_counter()
    notes = embed_notes(model, audio)
    note_seconds = time.perf_counter() - started
    return {"embedder": name, "textures": list(textures), "views": views_per_preview(DEFAULT_SEMITONES, textures),
            "seconds_per_preview_views": round(per_preview, 3),
            "loop_seconds_whole": round(whole, 3), "loop_notes": int(len(notes)),
            "loop_seconds_notes": round(note_seconds, 3)}


def main() -> None:
    from timbre.embedders import load_embedder
    from timbre.runtime import configure_torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default="spectral,clap")
    parser.add_argument("--previews", type=int, default=3)
    parser.add_argument("--textures", default="note", help="what the views play: note, all, or e.g. note,chord")
    args = parser.parse_args()
    from timbre.index.view_textures import parse_textures

    textures = parse_textures(args.textures)
    configure_torch()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "previews"))
        previews = write_clips(os.path.join(tmp, "previews"), args.previews)
        loop = write_loop(os.path.join(tmp, "loop.wav"))
        for name in args.embedders.split(","):
            if name == "clap":
                model = load_embedder("clap", model=real_size_clap(os.path.join(tmp, "clap")), device="cpu")
            else:
                model = load_embedder(name)
            rows.append(measure(name, model, previews, loop, textures))
    print(json.dumps({"threads": os.environ.get("TIMBRE_THREADS"), "results": rows}, indent=2))


if __name__ == "__main__":
    main()
