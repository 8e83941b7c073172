"""Multi-pitch views: each preview as a sampler would play it a few semitones up and down.

A preview is one note at C3; a target plays the preset at other pitches, and every embedder's
vector moves with pitch. So each preview is also embedded pitch-shifted by resampling (speed and
pitch together, as a sampler plays a one-shot) to each of the index's ``views.semitones``
(index.json; ``DEFAULT_SEMITONES`` for new indexes), and search scores a preset by its
best-matching view (:mod:`timbre.search.engine`). Search still returns presets, never views.

Views belong to their preview by content hash and are stored in the index's cache folder a
part at a time (:class:`timbre.index.content_rows.ContentRows`): ``timbre index`` completes them
after committing its rows, a crash loses at most the part being computed, a moved or touched
preview keeps its views, and a grown library computes only its new previews. A row whose views
are not (yet) computed is searched by its own vector, so a search never waits for them.

What a view plays at its shift is its *texture* (:mod:`timbre.index.view_textures`): the one-shot
alone, or chords and an arpeggio made of it, so loops of chords and fast notes find their preset
too (``views.textures``; a new index gets its embedder's ``view_textures``, an index made before
textures existed keeps ``note`` alone).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence

import numpy as np

from timbre.index.content_rows import ContentRows
from timbre.index.view_textures import texture_clips, texture_spec, views_per_preview
from timbre.progress import Progress, ensure_progress

VIEWS_VERSION = 1
#: Octave, fifth and fourth either side of C3, where loops most often sit, and an octave and a fifth
#: and two octaves above: leads and plucks often play there, and the reach up to +24 was measured
#: to help on two tuning seeds of the benchmark (README).
DEFAULT_SEMITONES = (-12, -7, -5, 0, 5, 7, 12, 19, 24)
#: The textures of an index whose config names none (made before textures existed).
PLAIN_TEXTURES = ("note",)
MAX_SEMITONES = 24
PART_PRESETS = 64  # previews per saved part: what a crash can lose


def parse_semitones(text: str) -> tuple[int, ...]:
    """``"-12,-5,0,7,12"`` → ``(-12, -5, 0, 7, 12)``; ``"none"`` → ``()``; ``"default"`` →
    ``DEFAULT_SEMITONES``. Raises ``ValueError`` with a one-line reason."""
    text = text.strip().lower()
    if text in ("none", "off", ""):
        return ()
    if text == "default":
        return DEFAULT_SEMITONES
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"views {text!r} are not whole semitones — write them separated by commas, e.g. "
                         "-12,-7,0,7,12, or 'default' or 'none'") from None
    if any(abs(v) > MAX_SEMITONES for v in values):
        raise ValueError(f"views {text!r} go beyond ±{MAX_SEMITONES} semitones, which distorts a one-shot too "
                         f"much — choose shifts within ±{MAX_SEMITONES}")
    return tuple(values if 0 in values else sorted([0, *values]))


def view_semitones(lib) -> tuple[int, ...]:
    """The index's view transpositions; ``()`` for an index without views."""
    return tuple(int(s) for s in (lib.config.get("views") or {}).get("semitones", ()))


def view_textures(lib) -> tuple[str, ...]:
    """What the index's views play at each shift (:mod:`timbre.index.view_textures`)."""
    return tuple((lib.config.get("views") or {}).get("textures", PLAIN_TEXTURES))


def view_store(lib, semitones: Sequence[int] | None = None, textures: Sequence[str] | None = None) -> ContentRows:
    """Where the views of ``lib`` for ``semitones`` and ``textures`` (default: the index's) are
    kept. The folder name covers the embedder fingerprint, the shifts, the textures and how their
    clips are made (unless only ``note``, so views stored before textures existed stay valid) and
    ``VIEWS_VERSION``."""
    semitones = view_semitones(lib) if semitones is None else tuple(semitones)
    textures = view_textures(lib) if textures is None else tuple(textures)
    layout = {"version": VIEWS_VERSION, "semitones": list(semitones), "embedder": lib.embedder_spec["fingerprint"]}
    if textures != PLAIN_TEXTURES:
        layout["textures"] = texture_spec(textures)
    key = hashlib.sha1(json.dumps(layout).encode()).hexdigest()[:16]
    return ContentRows(os.path.join(lib.cache_dir(), f"views-{key}"), views_per_preview(semitones, textures))


def prune_view_stores(lib) -> list[str]:
    """Delete the stored views of other shift lists than the index's (after ``--views`` changed),
    all of them for an index without views; returns the folders removed. Views are derived data:
    going back to an earlier list computes them again."""
    current = os.path.basename(view_store(lib).folder) if view_semitones(lib) else None
    folder, removed = lib.cache_dir(), []
    for entry in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if entry.startswith("views-") and entry != current and os.path.isdir(os.path.join(folder, entry)):
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)
            removed.append(entry)
    return removed


def complete_views(lib, semitones: Sequence[int] | None = None, progress: Progress | None = None,
                   workers: int | None = None, textures: Sequence[str] | None = None) -> int:
    """Compute and store the views of every row that has none; returns how many previews got views.
    A preview that cannot be decoded is left without views (searched by its own vector) and tried
    again next time. A ``parallel_safe`` embedder (numpy, like ``spectral``) runs in ``workers``
    processes (default: the usable cores); a torch embedder in this process, where its device is,
    fed by ``workers`` processes that decode and shift."""
    semitones = view_semitones(lib) if semitones is None else tuple(semitones)
    textures = view_textures(lib) if textures is None else tuple(textures)
    if not semitones or not len(lib):
        return 0
    store = view_store(lib, semitones, textures)
    stored = store.keys()
    todo = [row for row, key in enumerate(lib.hashes) if key not in stored]
    if not todo:
        return 0
    progress = ensure_progress(progress)
    model = lib.load_embedder()  # a model given to ``lib.use_embedder`` is not loaded again
    paths = [lib.records[row]["path"] for row in todo]
    progress.start(len(todo), f"pitch views ({store.per_key} per preview: {', '.join(textures)})", unit="file")
    done, part = 0, {}
    try:
        for row, vectors in zip(todo, _views_in_order(lib, model, paths, (semitones, textures), workers, progress)):
            if vectors is not None:
                part[lib.hashes[row]] = vectors
                done += 1
            progress.advance()
            if len(part) >= PART_PRESETS:
                store.save(part)
                part = {}
        store.save(part)
    finally:
        progress.close()
    return done


def _views_in_order(lib, model, paths: list[str], layout: tuple[tuple[int, ...], tuple[str, ...]],
                    workers: int | None, progress: Progress):
    """What ``embed_views`` gives for each path, in order, fed as :mod:`timbre.index.clip_feed` does."""
    from functools import partial

    from timbre.index.clip_feed import embed_made_clips

    maker = partial(_clips_of_path, layout=layout)
    yield from embed_made_clips(model, lib.embedder_spec, maker, paths, workers, progress,
                                min_pooled=2 * PART_PRESETS)


def _clips_of_path(path: str, sample_rate: int, progress: Progress,
                   layout: tuple[tuple[int, ...], tuple[str, ...]]):
    """``shifted_clips`` with the argument order of a ``clip_feed.ClipMaker``."""
    semitones, textures = layout
    return shifted_clips(path, sample_rate, semitones, progress, textures)


def embed_views(model, path: str, semitones: Sequence[int], progress: Progress,
                textures: Sequence[str] = PLAIN_TEXTURES) -> np.ndarray | None:
    """``(views, dim)`` unit vectors of the preview at ``path``, a view per texture and shift
    (``shifted_clips``); ``None`` (with a note) when it cannot be decoded."""
    from timbre.index.clip_feed import finite_or_none

    clips = shifted_clips(path, model.sample_rate, semitones, progress, textures)
    return None if clips is None else finite_or_none(np.asarray(model.embed_audio(clips), np.float32))


def shifted_clips(path: str, sample_rate: int, semitones: Sequence[int], progress: Progress,
                  textures: Sequence[str] = PLAIN_TEXTURES) -> list | None:
    """The preview at ``path`` decoded at ``sample_rate``, resampled to each of ``semitones`` and
    played as each of ``textures`` (``view_textures.texture_clips`` order); ``None`` (with a note)
    when it cannot be decoded."""
    from timbre.audio import load_audio, pitch_shift
    from timbre.errors import AudioError

    try:
        audio = load_audio(path, sample_rate)
    except (AudioError, OSError) as exc:
        progress.note(f"pitch views: skipped {path}: {exc}")
        return None
    shifted: dict[int, np.ndarray] = {}

    def shift(semitones_up: int) -> np.ndarray:
        if semitones_up not in shifted:
            shifted[semitones_up] = pitch_shift(audio, sample_rate, semitones_up)
        return shifted[semitones_up]

    return texture_clips(sample_rate, semitones, textures, shift)


def view_vectors(lib) -> np.ndarray | None:
    """``(rows, views, dim)`` base-space views of the index's rows in row order, or ``None`` for an
    index without views. A row without stored views repeats its own vector in every view."""
    semitones = view_semitones(lib)
    if not semitones:
        return None
    store = view_store(lib, semitones)
    stored = store.load()
    views = np.repeat(lib.vectors[:, None, :], store.per_key, axis=1)
    for row, key in enumerate(lib.hashes):
        found = stored.get(key)
        if found is not None and found.shape == views.shape[1:]:
            views[row] = found
    return views


def describe_views(lib) -> dict | None:
    """What ``timbre info`` says of the index's views: shifts, textures, views a preview, how
    many previews have them and today's default shifts (an index keeps the shifts it was made
    with); ``None`` for an index without views."""
    semitones = view_semitones(lib)
    if not semitones:
        return None
    store = view_store(lib, semitones)
    stored = store.keys()
    return {"semitones": list(semitones), "textures": list(view_textures(lib)), "per_preview": store.per_key,
            "previews_with_views": sum(1 for key in set(lib.hashes) if key in stored),
            "default_semitones": list(DEFAULT_SEMITONES)}


def views_state(lib) -> str:
    """A short id of which rows have views now (changes as ``complete_views`` adds parts): part of
    the key of anything derived from ``view_vectors``."""
    semitones = view_semitones(lib)
    if not semitones:
        return "none"
    store = view_store(lib, semitones)
    return hashlib.sha1(json.dumps([store.folder, store.part_names()]).encode()).hexdigest()[:12]
