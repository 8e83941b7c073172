"""Where the invariance gap is: each target's preset re-rendered with one change at a time.

A target differs from its preset's preview in pitch, in phrase (short, overlapping notes, chords) and
in effects, and the render itself is random (phases, noise, LFO). For each target of a rendered
benchmark this re-renders, dry unless said, with the benchmark's own synth:

* ``preview_again``: the preview itself (one note at C3), another render: the ceiling;
* ``sampler_at_pitch``: that render resampled to the phrase's first pitch, as a sampler plays it (what
  a view is, at the exact shift): what comparing in another register costs by itself;
* ``note_at_pitch``: one 2-s note at the phrase's first pitch (pitch alone);
* ``phrase_at_c3``: the phrase moved so it starts on C3 (phrase alone);
* ``phrase``: the phrase where it is (pitch and phrase);
* ``target``: the phrase through the target's effects (everything, as the benchmark has it).

Each is searched against an index of the benchmark's previews (its views included) and scored by
MRR and by how often the first hit is the right preset, variation group and family; with
``--head``, in that head's space. Prints JSON.

    TIMBRE_THREADS=2 python benchmarks/invariance_gap.py --bench /tmp/bench1 \\
        --index /tmp/bench1-eval/indexes/spectral [--head latest --models /tmp/heads]
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from multiprocessing import Pool

import numpy as np

PROBES = ("preview_again", "sampler_at_pitch", "note_at_pitch", "phrase_at_c3", "phrase", "target")


def plans_of(bench_dir: str) -> list:
    """The benchmark's target plans, rebuilt from its manifest's size, seed and source."""
    from timbre.bench.manifest import read_manifest
    from timbre.bench.plan import get_size, get_source, plan_presets, plan_targets

    manifest = read_manifest(bench_dir)
    size, source = get_size(manifest["size"]), get_source(manifest.get("source", "synth"))
    plans = plan_targets(size, plan_presets(size, manifest["seed"], source), manifest["seed"], source)
    stems = [os.path.splitext(os.path.basename(t["path"]))[0] for t in manifest["targets"]]
    assert [p.target_id for p in plans] == stems, "the manifest's targets are not the plan's"
    return plans


def probe_audio(job: tuple) -> dict[str, tuple[np.ndarray, int]]:
    """Every probe of one target plan, as ``(audio, sample rate)``."""
    from timbre.audio import pitch_shift
    from timbre.bench.render import PREVIEW_SR, preview_audio, target_audio
    from timbre.bench.sequences import PREVIEW_MIDI
    from timbre.bench.synth import Note

    index, plan = job
    rng = np.random.default_rng(1000 + index)  # other renders than the benchmark's own
    root = plan.notes[0].midi
    dry = replace(plan, fx=())
    at_c3 = tuple(replace(n, midi=n.midi + PREVIEW_MIDI - root) for n in plan.notes)
    preview = preview_audio(plan.preset, rng).astype(np.float32)
    return {
        "preview_again": (preview, PREVIEW_SR),
        "sampler_at_pitch": (pitch_shift(preview, PREVIEW_SR, root - PREVIEW_MIDI), PREVIEW_SR),
        "note_at_pitch": (target_audio(replace(dry, notes=(Note(0.0, root, 2.0, 1.0),)), rng), plan.sample_rate),
        "phrase_at_c3": (target_audio(replace(dry, notes=at_c3), rng), plan.sample_rate),
        "phrase": (target_audio(dry, rng), plan.sample_rate),
        "target": (target_audio(plan, rng), plan.sample_rate),
    }


def scores(space: np.ndarray, queries: np.ndarray, truth: np.ndarray, groups: np.ndarray,
           families: np.ndarray) -> dict:
    """MRR and first-hit rates of ``queries`` against presets scored by their best view, as search
    scores them (``best_view_scores``)."""
    from timbre.search.space import best_view_scores

    best = best_view_scores(space, np.arange(len(space)), queries).T  # (queries, presets)
    rank = 1 + (best > best[np.arange(len(truth)), truth][:, None]).sum(axis=1)
    top = best.argmax(axis=1)
    return {"mrr": round(float(np.mean(1.0 / rank)), 3), "preset_at_1": round(float(np.mean(rank == 1)), 3),
            "group_at_1": round(float(np.mean(groups[top] == groups[truth])), 3),
            "family_at_1": round(float(np.mean(families[top] == families[truth])), 3)}


def main() -> None:
    from timbre.audio import resample
    from timbre.evaluation.ground_truth import load_benchmark
    from timbre.heads.registry import load_head
    from timbre.index import open_index
    from timbre.runtime import configure_torch, default_models_dir, default_threads
    from timbre.search.space import library_space, project_checked

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True)
    parser.add_argument("--index", required=True, help="an index of the benchmark's previews")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--head", default=None, help="search through this head (e.g. latest)")
    parser.add_argument("--models", default=None, help="the models folder holding --head")
    args = parser.parse_args()
    configure_torch()
    bench, lib = load_benchmark(args.bench), open_index(args.index)
    head = load_head(args.models or default_models_dir(), args.head) if args.head else None
    model = lib.load_embedder()
    presets = [bench.preset_for_path(path) for path in lib.paths]
    names = {preset.name: row for row, preset in enumerate(presets)}
    plans = plans_of(args.bench)
    truth = np.array([names[plan.preset.name] for plan in plans])
    groups = np.array([p.group for p in presets])
    families = np.array([p.family for p in presets])
    with Pool(args.workers or default_threads()) as pool:
        rendered = pool.map(probe_audio, list(enumerate(plans)), chunksize=4)
    space = library_space(lib, head)[1]
    out = {}
    for probe in PROBES:
        clips = [resample(audio.astype(np.float32), sr, model.sample_rate) for audio, sr in
                 (r[probe] for r in rendered)]
        queries = np.asarray(model.embed_audio(clips), np.float32)
        if head is not None:
            queries = project_checked(head, queries)
        out[probe] = {"all": scores(space, queries, truth, groups, families),
                      **{kind: scores(space, queries[mask], truth[mask], groups, families)
                         for kind in sorted({p.kind for p in plans})
                         for mask in [np.array([p.kind == kind for p in plans])]}}
    print(json.dumps({"bench": args.bench, "index": args.index, "head": head.id if head else None,
                      "views": int(space.shape[1]),
                      "targets": len(plans), "probes": out}, indent=2))


if __name__ == "__main__":
    main()
