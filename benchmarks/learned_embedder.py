"""Exploration: a small CNN learned from the library's own previews, alone and fused with search.

`spectral`'s features are fixed; a head can only re-weigh what they keep. This asks whether an
embedder *learned* from the previews hears something they drop. It trains a log-mel CNN on the
benchmark's previews only (no target, no label), self-supervised as ``timbre train --augment``
trains a head: each preview's augmented clips (``timbre.heads.augment.augment_clip``: shifts,
chords, loops, effects) must find, among the batch's presets, their own preview's note view
nearest their shift (InfoNCE). It then scores the benchmark's targets three ways, each preset by
its best view as search does:

* ``cnn``: the CNN alone, on the previews' note views (``DEFAULT_SEMITONES``);
* ``search``: the product's own scores, from ``--index`` (its views; through ``--head`` if given);
* ``fused``: both, each z-scored over the library per target, mixed at ``--weights`` (the CNN's share).

MRR and the rate at which the first hit is the right variation group, overall and per kind of
target. Prints JSON. Not part of the product: a learned embedder is not built yet.

    TIMBRE_THREADS=2 python benchmarks/learned_embedder.py --bench /tmp/bench1 \\
        --index /tmp/bench1-eval/indexes/spectral --head latest --models /tmp/heads1
"""

from __future__ import annotations

import argparse
import functools
import json
import time
import multiprocessing

import numpy as np

SAMPLE_RATE = 22050
N_FFT, HOP, N_MELS = 1024, 512, 64
CROP = 64  # frames (1.5 s) a clip or view is cut to in training
SILENT_LOG = -6.0  # log10 power that pads short clips
CLIPS_PER_PRESET = 8
TEMPERATURE = 0.07


def log_mel(audio: np.ndarray) -> np.ndarray:
    """``(frames, N_MELS)`` float16 log10 mel power of mono ``audio`` at ``SAMPLE_RATE``."""
    from timbre.dsp import power_spectrogram

    power = power_spectrogram(audio.astype(np.float32), N_FFT, HOP) @ _mel_bank().T
    return np.log10(power + 1e-6).astype(np.float16)


@functools.lru_cache(maxsize=1)
def _mel_bank() -> np.ndarray:
    from timbre.dsp import mel_filterbank

    return mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS)


def preset_features(job: tuple[int, str]) -> tuple[list, list, list]:
    """One preview's note views, and its augmented clips with the shift each was made around."""
    from timbre.audio import load_audio, pitch_shift
    from timbre.heads.augment import augment_clip, draw_shift
    from timbre.heads.config import DEFAULT_CONFIG
    from timbre.index.views import DEFAULT_SEMITONES

    row, path = job
    settings = DEFAULT_CONFIG["augment"]
    audio = load_audio(path, SAMPLE_RATE)
    views = [log_mel(pitch_shift(audio, SAMPLE_RATE, shift)) for shift in DEFAULT_SEMITONES]
    rng = np.random.default_rng(10_000 + row)
    clips, shifts = [], []
    for _ in range(CLIPS_PER_PRESET):
        shifts.append(draw_shift(settings, rng))
        clips.append(log_mel(augment_clip(audio, SAMPLE_RATE, settings, rng, shifts[-1])))
    return views, clips, shifts


def target_features(path: str) -> np.ndarray:
    from timbre.audio import load_audio

    return log_mel(load_audio(path, SAMPLE_RATE))


def fit_length(features: np.ndarray, frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``features`` padded with silence or cut to ``frames`` (at random with ``rng``, else from the start)."""
    features = np.asarray(features, np.float32)
    if len(features) < frames:
        features = np.pad(features, ((0, frames - len(features)), (0, 0)), constant_values=SILENT_LOG)
    start = 0 if rng is None else int(rng.integers(0, len(features) - frames + 1))
    return features[start:start + frames]


def make_net(channels: int):
    """Four blocks of two 3×3 convolutions (max-pooled between), mean and max over time and
    frequency, a linear map to 128-d unit vectors."""
    import torch
    from torch import nn

    def block(inputs: int, outputs: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(),
                             nn.Conv2d(outputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU())

    class LogMelNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            widths = (1, channels, 2 * channels, 4 * channels, 4 * channels)
            self.blocks = nn.ModuleList(block(a, b) for a, b in zip(widths, widths[1:]))
            self.out = nn.Linear(8 * channels, 128)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, frames, mels)
            x = ((x + 3.0) / 1.5).transpose(1, 2)[:, None]
            for i, layer in enumerate(self.blocks):
                x = layer(x)
                if i < len(self.blocks) - 1:
                    x = nn.functional.max_pool2d(x, 2)
            pooled = torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1)
            return nn.functional.normalize(self.out(pooled), dim=1)

    return LogMelNet()


def train(net, views: list, clips: list, shifts: np.ndarray, epochs: int, batch: int, seed: int) -> list[float]:
    """InfoNCE both ways between clips and their preset's nearest note view; returns each epoch's loss."""
    import torch
    from torch.nn import functional as F

    from timbre.index.views import DEFAULT_SEMITONES

    rng = np.random.default_rng(seed)
    slot = np.abs(shifts[..., None] - np.array(DEFAULT_SEMITONES)).argmin(-1)
    optimizer = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-4)
    per_preset, losses = shifts.shape[1], []
    net.train()
    for _ in range(epochs):
        order, epoch_losses = rng.permutation(shifts.size), []
        for start in range(0, len(order) - batch + 1, batch):
            presets, which = np.divmod(order[start:start + batch], per_preset)
            x_clips = np.stack([fit_length(clips[p][c], CROP, rng) for p, c in zip(presets, which)])
            x_views = np.stack([fit_length(views[p][slot[p, c]], CROP) for p, c in zip(presets, which)])
            logits = net(torch.from_numpy(x_clips)) @ net(torch.from_numpy(x_views)).T / TEMPERATURE
            same_preset = torch.from_numpy(presets[:, None] == presets[None, :]) & ~torch.eye(batch, dtype=bool)
            logits = logits.masked_fill(same_preset, -1e9)
            labels = torch.arange(batch)
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_losses.append(loss.item())
        losses.append(round(float(np.mean(epoch_losses)), 3))
    return losses


def embed(net, features: list, frames: int | None = None) -> np.ndarray:
    """Unit vectors of each ``features`` (whole, or cut to ``frames``)."""
    import torch

    net.eval()
    with torch.no_grad():
        return np.stack([net(torch.from_numpy(fit_length(f, frames or max(len(f), 16)))[None])[0].numpy()
                         for f in features])


def search_scores(args, bench) -> tuple[np.ndarray, list[str]]:
    """The product's best-view scores ``(targets, presets)`` and the presets' names in that order."""
    from timbre.audio import load_audio
    from timbre.heads.registry import load_head
    from timbre.index import open_index
    from timbre.runtime import default_models_dir
    from timbre.search.space import best_view_scores, library_space, project_checked

    lib = open_index(args.index)
    head = load_head(args.models or default_models_dir(), args.head) if args.head else None
    model = lib.load_embedder()
    queries = np.asarray(model.embed_audio([load_audio(t.path, model.sample_rate) for t in bench.targets]),
                         np.float32)
    if head is not None:
        queries = project_checked(head, queries)
    space = library_space(lib, head)[1]
    names = [bench.preset_for_path(path).name for path in lib.paths]
    return best_view_scores(space, np.arange(len(space)), queries).T, names


def figures(scores: np.ndarray, truth: np.ndarray, groups: np.ndarray, kinds: np.ndarray) -> dict:
    """MRR and group-at-1, overall and per kind of target."""
    rank = 1 + (scores > scores[np.arange(len(truth)), truth][:, None]).sum(axis=1)
    group_hit = groups[scores.argmax(axis=1)] == groups[truth]
    out = {"mrr": round(float(np.mean(1 / rank)), 3), "group_at_1": round(float(np.mean(group_hit)), 3)}
    out.update({kind: round(float(np.mean(1 / rank[kinds == kind])), 3) for kind in sorted(set(kinds))})
    return out


def standardized(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean(axis=1, keepdims=True)) / scores.std(axis=1, keepdims=True)


def main() -> None:
    from timbre.evaluation.ground_truth import load_benchmark
    from timbre.index.workers import single_threaded_children
    from timbre.runtime import configure_torch, default_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True)
    parser.add_argument("--index", required=True, help="an index of the benchmark's previews")
    parser.add_argument("--head", default=None, help="search through this head (e.g. latest)")
    parser.add_argument("--models", default=None, help="the models folder holding --head")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", default="0.2,0.35,0.5,0.65")
    args = parser.parse_args()
    bench = load_benchmark(args.bench)
    started = time.perf_counter()
    with single_threaded_children(), multiprocessing.get_context("spawn").Pool(default_threads()) as pool:
        prepared = pool.map(preset_features, list(enumerate(p.preview for p in bench.presets)), chunksize=8)
        targets = pool.map(target_features, [t.path for t in bench.targets], chunksize=8)
    features_s = time.perf_counter() - started
    configure_torch()
    import torch

    torch.manual_seed(args.seed)  # the network's first weights too
    net = make_net(args.channels)
    views, clips = [p[0] for p in prepared], [p[1] for p in prepared]
    losses = train(net, views, clips, np.array([p[2] for p in prepared]), args.epochs, args.batch, args.seed)
    train_s = time.perf_counter() - started - features_s
    view_vectors = np.stack([embed(net, v, CROP) for v in views])
    cnn = np.einsum("pvd,qd->qpv", view_vectors, embed(net, targets)).max(axis=2)
    search, names = search_scores(args, bench)
    by_name = {p.name: i for i, p in enumerate(bench.presets)}
    cnn = cnn[:, [by_name[name] for name in names]]  # the index's row order
    row_of = {name: row for row, name in enumerate(names)}
    truth = np.array([row_of[t.preset] for t in bench.targets])
    groups = np.array([bench.presets[by_name[name]].group for name in names])
    kinds = np.array([t.kind for t in bench.targets])
    fused = {w: figures((1 - float(w)) * standardized(search) + float(w) * standardized(cnn), truth, groups, kinds)
             for w in args.weights.split(",")}
    print(json.dumps({"bench": args.bench, "index": args.index, "head": args.head, "epochs": args.epochs,
                      "channels": args.channels, "seed": args.seed, "losses": losses,
                      "features_s": round(features_s), "train_s": round(train_s),
                      "cnn": figures(cnn, truth, groups, kinds), "search": figures(search, truth, groups, kinds),
                      "fused": fused}, indent=2))


if __name__ == "__main__":
    main()
