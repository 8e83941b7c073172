"""Self-supervised positives: from each preview, what a target of that preset sounds like.

A target in the wild plays the preset at other pitches, as a loop of notes of different
lengths, often through effects. Each preview yields ``variants_per_preset`` such clips:

* a copy pitch-shifted by up to ``max_semitones`` (resampling: speed and pitch change
  together, as a sampler would play it);
* with ``chord_probability``, a chord (2-4 notes of a common shape around that shift, each a
  shifted copy, sounding together) struck 1-4 times;
* otherwise, with ``loop_probability``, a loop of 2-8 notes around that shift, 0.08-1 s each
  (melodies and fast arpeggios);
* with ``fx_probability``, a random effect chain from ``timbre.bench.effects``.

The clips are embedded with the index's own embedder and cached in the index per preview
content (:mod:`timbre.heads.augment_cache`, keyed by the embedder fingerprint and the
augmentation settings), so a second training run decodes no audio and a grown library
augments only its new previews. A preview that cannot be decoded gives NaN rows, which
``augmented_views`` drops.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Callable

import numpy as np

from timbre.audio import load_audio, normalize_level, pitch_shift
from timbre.errors import AudioError
from timbre.heads import augment_cache
from timbre.index.view_textures import cut_note, overlay
from timbre.progress import Progress, ensure_progress

#: Settings that choose which presets are augmented, not what their clips are (kept out of the cache key).
BUDGET_KEYS = ("max_presets",)
#: Fewer presets than this are augmented in this process (a pool's start costs more).
POOLED_PRESETS = 32

CostCheck = Callable[[int, float, int, int], None]


def augmented_views(lib, settings: dict, seed: int = 0, progress: Progress | None = None,
                    rows: list[int] | None = None,
                    check_cost: CostCheck | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors (m, dim), owner rows (m,))`` of the augmented clips of the presets at ``rows``
    of ``lib`` (default: every preset); cached rows of the other presets are kept.

    ``check_cost(clips left, seconds a clip, clips measured, processes sharing them)`` is called
    once the cost of the clips to embed has been measured on a few presets, before the rest; it
    may raise to stop."""
    per_preset = int(settings["variants_per_preset"])
    clip_settings = {k: v for k, v in settings.items() if k not in BUDGET_KEYS}  # same clips whatever the budget
    key = "augment-" + hashlib.sha1(json.dumps(
        {"settings": clip_settings, "seed": seed, "embedder": lib.embedder_spec["fingerprint"]},
        sort_keys=True).encode()).hexdigest()[:16]
    path = augment_cache.cache_path(lib, key)
    cached = augment_cache.load_rows(path, per_preset)
    keys = [augment_cache.content_key(record) for record in lib.records]
    wanted = list(range(len(keys))) if rows is None else [int(row) for row in rows]
    missing = [row for row in wanted if keys[row] not in cached]
    if missing:
        fresh = _embed_measured(lib, settings, seed, progress, missing, check_cost)
        for i, row in enumerate(missing):
            cached[keys[row]] = fresh[i * per_preset:(i + 1) * per_preset]
        augment_cache.save_rows(path, {k: cached[k] for k in keys if k in cached})
    vectors = (np.concatenate([cached[keys[row]] for row in wanted]) if wanted
               else np.zeros((0, lib.vectors.shape[1]), dtype=np.float32))
    owner = np.repeat(np.asarray(wanted, dtype=np.int64), per_preset)
    keep = ~np.isnan(vectors).any(axis=1)
    return vectors[keep].astype(np.float32), owner[keep]


def embed_augmentations(lib, settings: dict, seed: int = 0, progress: Progress | None = None,
                        rows: list[int] | None = None, workers: int | None = None) -> np.ndarray:
    """Decode, augment and embed the previews at ``rows`` of ``lib.records`` (default: all);
    ``(len(rows) * variants_per_preset, dim)`` with NaN rows for failures. With ``workers``
    processes (default: the usable cores) the clips are made in parallel, and embedded there
    too for a ``parallel_safe`` embedder (:mod:`timbre.index.clip_feed`); the clips do not
    depend on where they are made."""
    from functools import partial

    from timbre.index.clip_feed import embed_made_clips

    embedder = lib.load_embedder()
    per_preset = int(settings["variants_per_preset"])
    records = [lib.records[row] for row in (range(len(lib.records)) if rows is None else rows)]
    items = [(record["path"], augment_cache.content_key(record)) for record in records]
    out = np.full((len(records) * per_preset, embedder.dim), np.nan, dtype=np.float32)
    progress = ensure_progress(progress)
    progress.start(len(records), "augmenting previews", unit="file")
    maker = partial(augmented_clips, settings=settings, seed=seed)
    for i, vectors in enumerate(embed_made_clips(embedder, lib.embedder_spec, maker, items, workers, progress,
                                                 min_pooled=POOLED_PRESETS)):
        if vectors is not None:
            out[i * per_preset:(i + 1) * per_preset] = vectors
        progress.advance()
    progress.close()
    return out


def augmented_clips(item: tuple[str, str], sample_rate: int, progress: Progress, settings: dict,
                    seed: int) -> list[np.ndarray] | None:
    """The ``variants_per_preset`` augmented clips of the preview ``item = (path, content key)``;
    ``None`` (with a note) when it cannot be decoded."""
    path, key = item
    try:
        audio = load_audio(path, sample_rate)
    except (AudioError, OSError) as exc:
        progress.note(f"augment: skipped {path}: {exc}")
        return None
    rng = preset_rng(seed, key)
    return [augment_clip(audio, sample_rate, settings, rng) for _ in range(int(settings["variants_per_preset"]))]


def _embed_measured(lib, settings: dict, seed: int, progress: Progress | None, rows: list[int],
                    check_cost: CostCheck | None) -> np.ndarray:
    """``embed_augmentations`` of ``rows`` (in that order); with ``check_cost``, one preset warms the
    model up and a few spread over ``rows`` are timed, and ``check_cost`` hears the cost of the rest
    before it is embedded (the timed presets run in this process, the rest maybe in a pool)."""
    from timbre.heads.budget import MEASURED_PRESETS, WARMUP_PRESETS
    from timbre.index.clip_feed import embedding_processes

    per_preset = int(settings["variants_per_preset"])
    if check_cost is None or len(rows) <= WARMUP_PRESETS + MEASURED_PRESETS:
        return embed_augmentations(lib, settings, seed, progress, rows=rows)
    spread = np.linspace(WARMUP_PRESETS, len(rows) - 1, MEASURED_PRESETS).round().astype(int)
    warm, timed = rows[:WARMUP_PRESETS], [rows[i] for i in spread]
    timed_rows = set(timed)
    rest = [row for row in rows[WARMUP_PRESETS:] if row not in timed_rows]
    model = lib.load_embedder()  # loading the model is not embedding cost
    done = {"warm": embed_augmentations(lib, settings, seed, rows=warm)}
    started = time.perf_counter()
    done["timed"] = embed_augmentations(lib, settings, seed, rows=timed)
    check_cost(len(rest) * per_preset, (time.perf_counter() - started) / (len(timed) * per_preset),
               len(timed) * per_preset, embedding_processes(model, len(rest), None, POOLED_PRESETS))
    done["rest"] = embed_augmentations(lib, settings, seed, progress, rows=rest)
    by_row = {row: done[part][i * per_preset:(i + 1) * per_preset]
              for part, part_rows in (("warm", warm), ("timed", timed), ("rest", rest))
              for i, row in enumerate(part_rows)}
    return np.concatenate([by_row[row] for row in rows])


def draw_shift(settings: dict, rng: np.random.Generator) -> int:
    """The semitones an augmented clip is made around: uniform within ``max_semitones``."""
    max_shift = int(settings["max_semitones"])
    return int(rng.integers(-max_shift, max_shift + 1))


def augment_clip(audio: np.ndarray, sr: int, settings: dict, rng: np.random.Generator,
                 shift: int | None = None) -> np.ndarray:
    """One augmented clip of a one-shot ``audio`` (see the module docstring), made around ``shift``
    semitones (``draw_shift`` from ``rng`` unless given: drawing it first yourself gives the same clip)."""
    max_shift = int(settings["max_semitones"])
    shift = draw_shift(settings, rng) if shift is None else shift
    if rng.random() < settings.get("chord_probability", 0.0):
        clip = _chord(audio, sr, shift, rng)
    elif rng.random() < settings["loop_probability"]:
        notes = [int(np.clip(shift + rng.integers(-5, 6), -max_shift, max_shift))
                 for _ in range(int(rng.integers(2, 9)))]
        clip = np.concatenate([cut_note(pitch_shift(audio, sr, s), sr, rng.uniform(0.08, 1.0)) for s in notes])
    else:
        clip = pitch_shift(audio, sr, shift)
    if rng.random() < settings["fx_probability"]:
        from timbre.bench.effects import apply_fx_chain, random_fx_chain

        clip = apply_fx_chain(clip, sr, random_fx_chain(rng))
    return normalize_level(clip.astype(np.float32))


#: Chord shapes in semitones above the root: major, minor, sus4, major 7th, minor 7th, power, octave.
CHORD_SHAPES = ((0, 4, 7), (0, 3, 7), (0, 5, 7), (0, 4, 7, 11), (0, 3, 7, 10), (0, 7, 12), (0, 12))


def _chord(audio: np.ndarray, sr: int, root: int, rng: np.random.Generator) -> np.ndarray:
    """A chord of shifted copies of ``audio`` on ``root`` (its notes sound together), struck 1-4 times."""
    shape = CHORD_SHAPES[int(rng.integers(len(CHORD_SHAPES)))]
    voices = [pitch_shift(audio, sr, root + interval) for interval in shape]
    hits = []
    for _ in range(int(rng.integers(1, 5))):
        seconds = rng.uniform(0.2, 1.5)
        hits.append(overlay([(0, cut_note(voice, sr, seconds)) for voice in voices]) / len(voices))
    return np.concatenate(hits)


def preset_rng(seed: int, key: str) -> np.random.Generator:
    """A generator fixed by the seed and the preset's content (stable as the index changes)."""
    return np.random.default_rng(int(hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()[:15], 16))
