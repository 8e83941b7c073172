"""What the learned embedder trains on, made from each preview: its pitch views and augmented clips.

Each preview gives its note views at ``timbre.index.views.DEFAULT_SEMITONES`` (the anchors, cut to
``CROP`` frames) and ``clips_per_preset`` clips from ``timbre.heads.augment.augment_clip`` (the
head's own augmentation: shifts, chords, loops, effects), each with the shift it was made around,
as log-mel frames. A clip pairs in training with its preview's view nearest that shift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timbre.learned.features import CROP, SAMPLE_RATE, fit_length, log_mel

#: Longest stretch of a clip kept (frames, 6 s): training cuts ``CROP`` at random from it, and
#: keeping every frame of long loops would hold gigabytes for a large library.
KEPT_FRAMES = 4 * CROP
#: Fewer previews than this are prepared in this process (a pool's start costs more).
POOLED_PREVIEWS = 32


@dataclass
class PreviewMaterial:
    """One preview's views ``(n_views, CROP, mels)``, clips (each ``(frames, mels)``) and their shifts."""

    views: np.ndarray
    clips: list[np.ndarray]
    shifts: np.ndarray


def preview_material(item: tuple[str, str], settings: dict, clips_per_preset: int, seed: int) -> PreviewMaterial | None:
    """The material of the preview ``item = (path, content key)``; ``None`` when it cannot be decoded."""
    from timbre.audio import load_audio, pitch_shift
    from timbre.errors import AudioError
    from timbre.heads.augment import augment_clip, draw_shift, preset_rng
    from timbre.index.views import DEFAULT_SEMITONES

    path, key = item
    try:
        audio = load_audio(path, SAMPLE_RATE)
    except (AudioError, OSError):
        return None
    views = np.stack([fit_length(log_mel(pitch_shift(audio, SAMPLE_RATE, shift)), CROP)
                      for shift in DEFAULT_SEMITONES]).astype(np.float16)
    rng = preset_rng(seed, key)
    clips, shifts = [], []
    for _ in range(clips_per_preset):
        shifts.append(draw_shift(settings, rng))
        frames = log_mel(augment_clip(audio, SAMPLE_RATE, settings, rng, shifts[-1]))
        clips.append(fit_length(frames, min(len(frames), KEPT_FRAMES), rng).astype(np.float16))
    return PreviewMaterial(views, clips, np.array(shifts, np.float32))


def prepare_material(items: list[tuple[str, str]], settings: dict, clips_per_preset: int, seed: int,
                     workers: int, progress) -> list[PreviewMaterial | None]:
    """``preview_material`` of each item, in order, in ``workers`` processes (here when few)."""
    import os
    from functools import partial

    from timbre.index.workers import ordered_pool_map

    make = partial(preview_material, settings=settings, clips_per_preset=clips_per_preset, seed=seed)
    progress.start(len(items), "preparing previews", unit="file")
    if workers <= 1 or len(items) < POOLED_PREVIEWS:
        made = map(make, items)
    else:
        made = ordered_pool_map(make, items, workers, (os.getpid(), None, {}, 0))
    out = []
    for material in made:
        out.append(material)
        progress.advance()
    progress.close()
    return out
