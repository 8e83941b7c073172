"""Tune and check the weights-free embedders on loop -> preset retrieval.

Without arguments it renders a quick additive-synth toy set in memory (families of
patches, variation groups, one-shot previews at MIDI 48, melodies/chords at other
pitches through reverb/EQ/saturation) and prints recall@1, MRR and nDCG@10 for
``spectral`` and ``mfcc``. ``--bench DIR [DIR ...]`` evaluates folders written by
``timbre.bench.render_benchmark`` instead (each on its own). ``--write-constants`` re-estimates
the standardisation constants of ``spectral`` from all the clips given (and prints ``mfcc``'s).
The shipped constants and block weights come from bench seeds 1 and 2; seed 0 is kept for the
README's figures:

    timbre bench render /tmp/bench_s1 --size bench --seed 1     # and --seed 2
    python benchmarks/tune_spectral.py --bench /tmp/bench_s1 /tmp/bench_s2 --write-constants --ablate
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

SR = 22050
CONSTANTS_PATH = os.path.join(os.path.dirname(__file__), "..", "src", "timbre", "embedders",
                              "spectral_constants.py")
FAMILIES = {
    # attack s, decay s, sustain, cutoff Hz, filter-env octaves, noise
    "bass": dict(attack=(0.002, 0.01), decay=(0.1, 0.4), sustain=(0.3, 0.8), cutoff=(150, 900),
                 fenv=(0.0, 3.0), noise=(0.0, 0.05)),
    "pluck": dict(attack=(0.001, 0.005), decay=(0.08, 0.3), sustain=(0.0, 0.1),
                  cutoff=(500, 3000), fenv=(1.0, 4.0), noise=(0.0, 0.1)),
    "pad": dict(attack=(0.2, 0.6), decay=(0.5, 1.5), sustain=(0.6, 1.0), cutoff=(400, 4000),
                fenv=(0.0, 1.0), noise=(0.0, 0.2)),
    "lead": dict(attack=(0.005, 0.03), decay=(0.2, 0.8), sustain=(0.6, 1.0),
                 cutoff=(1500, 8000), fenv=(0.0, 1.5), noise=(0.0, 0.05)),
    "keys": dict(attack=(0.002, 0.01), decay=(0.4, 1.2), sustain=(0.1, 0.4), cutoff=(800, 5000),
                 fenv=(0.5, 2.0), noise=(0.0, 0.03)),
}
SHAPES = ["saw", "square", "triangle", "pulse", "sine_saw"]


def random_patch(rng, family):
    ranges = FAMILIES[family]
    patch = {key: float(np.exp(rng.uniform(np.log(max(lo, 1e-4)), np.log(max(hi, 2e-4)))))
             for key, (lo, hi) in ranges.items()}
    patch.update(shape=str(rng.choice(SHAPES)), pw=float(rng.uniform(0.1, 0.5)),
                 resonance=float(rng.uniform(0, 12)), keytrack=float(rng.uniform(0, 1)),
                 detune=float(rng.choice([0.0, rng.uniform(5, 20)])),
                 vibrato=float(rng.choice([0.0, rng.uniform(10, 40)])))
    return patch


def vary(rng, patch):
    varied = dict(patch)
    for key in ("attack", "decay", "cutoff"):
        varied[key] = patch[key] * float(np.exp(rng.normal(0, 0.15)))
    varied["resonance"] = float(np.clip(patch["resonance"] + rng.normal(0, 1.5), 0, 15))
    return varied


def harmonic_amplitudes(patch, k):
    shape = patch["shape"]
    if shape == "saw":
        return 1.0 / k
    if shape == "square":
        return np.where(k % 2 == 1, 1.0 / k, 0.0)
    if shape == "triangle":
        return np.where(k % 2 == 1, 1.0 / k ** 2, 0.0)
    if shape == "pulse":
        return np.abs(np.sin(np.pi * k * patch["pw"])) / k
    return np.where(k == 1, 1.0, 0.3 / k)


def render_note(patch, midi, duration, rng):
    """Additive synth note of ``duration`` s (gate) plus 0.3 s release."""
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    n = int((duration + 0.3) * SR)
    t = np.arange(n) / SR
    amp = adsr(patch, duration, t)
    fenv = np.exp(-t / max(patch["decay"], 1e-3))
    cutoff = patch["cutoff"] * (f0 / 130.8) ** patch["keytrack"] * 2 ** (patch["fenv"] * fenv)
    vib = 1 + (2 ** (patch["vibrato"] / 1200) - 1) * np.sin(2 * np.pi * 5.5 * t)
    phase_rate = 2 * np.pi * f0 * np.cumsum(vib) / SR
    out = np.zeros(n)
    k_max = int(SR / 2 / f0)
    for k in range(1, k_max + 1):
        a = harmonic_amplitudes(patch, np.array(k))
        if a == 0:
            continue
        ratio = k * f0 / cutoff[::64]
        gain = 1 / np.sqrt(1 + ratio ** 8) * (1 + (10 ** (patch["resonance"] / 20) - 1)
                                               * np.exp(-((np.log2(ratio)) ** 2) / 0.05))
        gain = np.repeat(gain, 64)[:n]
        voices = np.sin(k * phase_rate + rng.uniform(0, 2 * np.pi))
        if patch["detune"]:
            voices = voices + np.sin(k * phase_rate * 2 ** (patch["detune"] / 1200) + 1.0)
        out += a * gain * voices
    out += patch["noise"] * np.abs(out).max() * rng.standard_normal(n) * amp
    return out * amp


def adsr(patch, gate, t):
    attack = np.clip(t / patch["attack"], 0, 1)
    decay = patch["sustain"] + (1 - patch["sustain"]) * np.exp(
        -np.maximum(t - patch["attack"], 0) / patch["decay"])
    level = np.where(t < patch["attack"], attack, decay)
    release = np.where(t > gate, np.exp(-(t - gate) / 0.08), 1.0)
    return level * release


def render_target(patch, rng):
    kind = str(rng.choice(["melody", "melody", "chord"]))
    notes = []
    if kind == "melody":
        start = 0.0
        for _ in range(int(rng.integers(5, 10))):
            dur = float(rng.uniform(0.15, 0.6))
            notes.append((start, int(rng.integers(52, 80)), dur))
            start += dur + float(rng.uniform(0, 0.1))
    else:
        for i, root in enumerate(rng.integers(50, 70, size=3)):
            for interval in (0, 4, 7):
                notes.append((i * 1.2, int(root + interval), 1.0))
    total = max(s + d for s, _, d in notes) + 0.5
    out = np.zeros(int(total * SR))
    for start, midi, dur in notes:
        note = render_note(patch, midi, dur, rng)
        i = int(start * SR)
        out[i:i + len(note)] += note[: len(out) - i]
    return apply_fx(out, rng)


def apply_fx(signal, rng):
    if rng.random() < 0.5:  # reverb: convolution with decaying noise
        rt = rng.uniform(0.3, 2.0)
        ir = rng.standard_normal(int(rt * SR)) * np.exp(-6.9 * np.arange(int(rt * SR)) / (rt * SR))
        wet = np.fft.irfft(np.fft.rfft(signal, 2 * len(signal) + len(ir))
                           * np.fft.rfft(ir, 2 * len(signal) + len(ir)))[: len(signal)]
        wet *= np.std(signal) / max(np.std(wet), 1e-9)
        signal = signal + rng.uniform(0.2, 0.8) * wet
    if rng.random() < 0.5:  # EQ: tilt +-6 dB over the spectrum
        spec = np.fft.rfft(signal)
        freqs = np.fft.rfftfreq(len(signal), 1 / SR)
        tilt = rng.uniform(-6, 6) * np.log2(np.maximum(freqs, 50) / 1000) / 4
        signal = np.fft.irfft(spec * 10 ** (tilt / 20), len(signal))
    if rng.random() < 0.4:  # saturation
        drive = rng.uniform(1.5, 5)
        signal = np.tanh(drive * signal / np.abs(signal).max())
    return signal


def render_toy(seed, n_groups=5, n_variations=3):
    rng = np.random.default_rng(seed)
    presets, previews, targets, target_meta = [], [], [], []
    for family in FAMILIES:
        for g in range(n_groups):
            base = random_patch(rng, family)
            for v in range(n_variations):
                patch = vary(rng, base) if v else base
                name = f"{family}-{g}-{v}"
                presets.append({"name": name, "group": f"{family}-{g}", "family": family})
                previews.append(render_note(patch, 48, 2.2, rng))
                targets.append(render_target(patch, rng))
                target_meta.append(presets[-1])
    norm = [normalise(x) for x in previews], [normalise(x) for x in targets]
    return presets, norm[0], target_meta, norm[1]


def cached_toy(seed):
    """``render_toy(seed)``, cached as a pickle under /tmp (rendering takes ~30 s)."""
    import pickle
    path = f"/tmp/tune_spectral_toy_{seed}.pkl"
    if os.path.exists(path):
        with open(path, "rb") as fh:
            return pickle.load(fh)
    data = render_toy(seed)
    with open(path, "wb") as fh:
        pickle.dump(data, fh)
    return data


def write_constants(center, scale, path=CONSTANTS_PATH):
    """Rewrite the constants module of ``spectral``."""
    text = (
        '"""Fixed standardisation constants of the ``spectral`` embedder: per-feature median and\n'
        'IQR/1.349 over previews + targets of rendered synth sets (timbre.bench `bench` seeds 1-2).\n'
        'Generated by ``benchmarks/tune_spectral.py --write-constants``; changing them changes the\n'
        'fingerprint."""\n\n'
        "import numpy as np\n\n"
        f"FEATURE_CENTER = np.array({fmt(center)})\n"
        f"FEATURE_SCALE = np.array({fmt(scale)})\n"
    )
    with open(path, "w") as fh:
        fh.write(text)


def normalise(signal):
    signal = np.asarray(signal, dtype=np.float32)
    return (signal * 0.1 / max(float(np.sqrt(np.mean(signal ** 2))), 1e-9)).astype(np.float32)


def load_bench(bench_dir):
    from timbre.audio import load_audio
    manifest = json.load(open(os.path.join(bench_dir, "manifest.json")))
    presets = manifest["presets"]
    previews = [load_audio(os.path.join(bench_dir, p["preview"]), SR) for p in presets]
    meta = [{"name": t["preset"], "group": t["group"], "family": t["family"]}
            for t in manifest["targets"]]
    targets = [load_audio(os.path.join(bench_dir, t["path"]), SR) for t in manifest["targets"]]
    return presets, previews, meta, targets


def retrieval_metrics(preset_vecs, presets, target_vecs, target_meta):
    scores = target_vecs @ preset_vecs.T
    names = np.array([p["name"] for p in presets])
    groups = np.array([p["group"] for p in presets])
    families = np.array([p["family"] for p in presets])
    r1, rr, ndcg = [], [], []
    discounts = 1 / np.log2(np.arange(2, 12))
    for row, meta in zip(scores, target_meta):
        order = np.argsort(-row, kind="stable")
        gains = np.where(names == meta["name"], 3,
                         np.where(groups == meta["group"], 2,
                                  np.where(families == meta["family"], 1, 0)))
        rank = int(np.flatnonzero(names[order] == meta["name"])[0]) + 1
        r1.append(rank == 1)
        rr.append(1 / rank)
        ideal = np.sort(gains)[::-1][:10]
        got = gains[order][:10]
        ndcg.append(((2.0 ** got - 1) @ discounts) / ((2.0 ** ideal - 1) @ discounts))
    return {"recall@1": float(np.mean(r1)), "mrr": float(np.mean(rr)), "ndcg@10": float(np.mean(ndcg))}


def estimate_constants(clips, raw):
    matrix = np.stack([raw(c) for c in clips])
    center = np.nanmedian(matrix, axis=0)
    q75, q25 = np.nanpercentile(matrix, [75, 25], axis=0)
    scale = np.maximum((q75 - q25) / 1.349, 1e-3)
    return center, scale


def ablate(presets, previews, target_meta, targets):
    """nDCG@10 of each feature block alone and of all blocks minus one (raw features once)."""
    from timbre.embedders import spectral, spectral_features
    embedder = spectral.SpectralEmbedder()
    raw_previews = np.stack([embedder.raw_features(c) for c in previews])
    raw_targets = np.stack([embedder.raw_features(c) for c in targets])
    dims = spectral_features.BLOCK_DIMS

    def score(weights):
        scale = np.concatenate([np.full(dim, weights[name] / np.sqrt(dim)) for name, dim in dims.items()])
        vecs = []
        for raw in (raw_previews, raw_targets):
            z = (raw - spectral.FEATURE_CENTER) / spectral.FEATURE_SCALE
            z = np.clip(np.nan_to_num(z, nan=0.0), -5, 5) * scale
            vecs.append(z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12))
        return retrieval_metrics(vecs[0], presets, vecs[1], target_meta)["ndcg@10"]

    current = dict(spectral.BLOCK_WEIGHTS)
    print(f"all blocks (current weights) ndcg@10={score(current):.3f}")
    for name in dims:
        only = {n: float(n == name) for n in dims}
        without = {**current, name: 0.0}
        print(f"  {name:9s} alone={score(only):.3f}  without={score(without):.3f}")


def fmt(values):
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def fresh_embedder(name):
    """Reload the embedder modules so freshly written constants are used."""
    import importlib
    from timbre.embedders import load_embedder, spectral, spectral_constants
    importlib.reload(spectral_constants)
    importlib.reload(spectral)
    return load_embedder(name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", nargs="+", help="benchmark folders (evaluated one by one)")
    parser.add_argument("--write-constants", action="store_true")
    parser.add_argument("--ablate", action="store_true", help="per-block nDCG@10")
    args = parser.parse_args()

    start = time.time()
    sets = [load_bench(path) for path in args.bench] if args.bench else [cached_toy(args.seed)]
    print(f"{len(sets)} set(s) loaded in {time.time() - start:.1f}s")
    if args.write_constants:
        write_all_constants(sets)
    for data in sets:
        report(data, args.ablate)


def write_all_constants(sets):
    from timbre.embedders import load_embedder
    clips = [clip for _, previews, _, targets in sets for clip in previews + targets]
    spectral = load_embedder("spectral")
    center, scale = estimate_constants(clips, spectral.raw_features)
    write_constants(center, scale)
    print("wrote", os.path.normpath(CONSTANTS_PATH))
    mfcc = load_embedder("mfcc")
    def stats(clip):
        frames = mfcc.mfcc_frames(clip)
        return np.concatenate([frames.mean(0), frames.std(0)])

    center, scale = estimate_constants(clips, stats)
    print("MFCC_CENTER =", fmt(center))
    print("MFCC_SCALE =", fmt(scale))


def report(data, with_ablation):
    presets, previews, target_meta, targets = data
    print(f"{len(previews)} presets, {len(targets)} targets")
    if with_ablation:
        fresh_embedder("spectral")
        ablate(presets, previews, target_meta, targets)
    for name in ("spectral", "mfcc"):
        embedder = fresh_embedder(name)
        start = time.time()
        preset_vecs = embedder.embed_audio(previews)
        seconds = time.time() - start
        target_vecs = embedder.embed_audio(targets)
        metrics = retrieval_metrics(preset_vecs, presets, target_vecs, target_meta)
        rate = len(previews) / seconds
        print(f"{name:9s} " + "  ".join(f"{k}={v:.3f}" for k, v in metrics.items())
              + f"  previews/s={rate:.0f}")


if __name__ == "__main__":
    main()
