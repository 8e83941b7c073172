"""Note-level targets: cut a decoded target into note-sized events at its onsets.

A preview is one note; a target is a loop of many notes. ``--thorough`` search compares each
note of the target with the previews as well as the whole target (:func:`timbre.search.engine.
rank_rows_thorough`). Onsets come from spectral flux (the rise of the log-magnitude spectrum
from frame to frame, in log-spaced bands), so a new pitch of the same timbre starts a new event even without a gap.
Pure numpy, deterministic, and independent of the embedder.
"""

from __future__ import annotations

import numpy as np

MIN_EVENT_S = 0.15  # shorter events are merged into the one before (a note, not a click)
MAX_EVENT_S = 2.0  # longer events are cut into pieces of at most this length
MAX_EVENTS = 16  # at most this many events per target (the loudest, kept in time order)
FRAME_S = 0.046  # analysis window (~1024 samples at 22.05 kHz)
HOP_S = 0.01
PEAK_WINDOW_S = 0.05  # an onset is the largest flux within this distance
MEDIAN_WINDOW_S = 0.25  # the local flux level an onset must rise above
ONSET_DB = 3.0  # ... by this rise in dB, averaged over the bands (noise: ~1, a new note: 6 or more)
N_BANDS = 32  # log-spaced bands: summing bins keeps window leakage from looking like onsets
BAND_LOW_HZ = 50.0
FLOOR_DB = -80.0  # band levels below the loudest band by more than this count as this
SILENT_DB = -40.0  # events this far below the loudest event are left out


def onset_times(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Onset positions (in samples, ascending) of the mono ``audio``."""
    hop = max(1, int(round(HOP_S * sample_rate)))
    frame = max(hop, 1 << int(np.round(np.log2(FRAME_S * sample_rate))))
    if len(audio) < frame:
        return np.zeros(0, np.int64)
    starts = np.arange(0, len(audio) - frame + 1, hop)
    frames = audio[starts[:, None] + np.arange(frame)[None, :]] * np.hanning(frame).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    bands = np.geomspace(BAND_LOW_HZ, sample_rate / 2, N_BANDS + 1)
    band_of = np.searchsorted(bands, np.fft.rfftfreq(frame, 1.0 / sample_rate), side="right") - 1
    energy = np.stack([power[:, band_of == b].sum(axis=1) for b in range(N_BANDS)], axis=1)
    level_db = 10 * np.log10(np.maximum(energy, max(energy.max(), 1e-20) * 10 ** (FLOOR_DB / 10)))
    flux = np.concatenate([[0.0], np.maximum(np.diff(level_db, axis=0), 0.0).mean(axis=1)])
    peak = max(1, int(round(PEAK_WINDOW_S / HOP_S)))
    median = max(1, int(round(MEDIAN_WINDOW_S / HOP_S)))
    padded = np.pad(flux, peak, mode="constant")
    local_max = np.lib.stride_tricks.sliding_window_view(padded, 2 * peak + 1).max(axis=1)
    level = np.median(np.lib.stride_tricks.sliding_window_view(np.pad(flux, median, mode="edge"),
                                                               2 * median + 1), axis=1)
    is_onset = (flux >= local_max) & (flux > level + ONSET_DB)
    return starts[np.flatnonzero(is_onset)].astype(np.int64)


def segment_notes(audio: np.ndarray, sample_rate: int) -> list[np.ndarray]:
    """Note-sized events of the mono float32 ``audio`` (as ``timbre.audio.load_audio`` gives), in
    time order: cut at onsets, each MIN_EVENT_S to MAX_EVENT_S long, near-silent ones left out,
    at most MAX_EVENTS. A target shorter than MIN_EVENT_S gives no events."""
    audio = np.asarray(audio, np.float32)
    min_len, max_len = int(MIN_EVENT_S * sample_rate), int(MAX_EVENT_S * sample_rate)
    if len(audio) < min_len:
        return []
    bounds = _merge_short(np.unique(np.concatenate([[0], onset_times(audio, sample_rate), [len(audio)]])), min_len)
    spans = [(s, min(s + max_len, end)) for start, end in zip(bounds[:-1], bounds[1:])
             for s in range(int(start), int(end), max_len) if min(s + max_len, end) - s >= min_len]
    if not spans:
        return []
    rms = np.array([np.sqrt(np.mean(audio[s:e].astype(np.float64) ** 2)) for s, e in spans])
    loud = rms > rms.max() * 10 ** (SILENT_DB / 20) if rms.max() > 0 else np.zeros(len(spans), bool)
    chosen = [i for i in np.argsort(-rms, kind="stable") if loud[i]][:MAX_EVENTS]
    return [audio[spans[i][0]:spans[i][1]] for i in sorted(chosen)]


def _merge_short(bounds: np.ndarray, min_len: int) -> np.ndarray:
    """Drop inner boundaries that would leave an event shorter than ``min_len`` samples."""
    kept = [int(bounds[0])]
    for b in bounds[1:-1]:
        if b - kept[-1] >= min_len:
            kept.append(int(b))
    if len(kept) > 1 and bounds[-1] - kept[-1] < min_len:
        kept.pop()  # the last event would be too short: it joins the one before
    return np.array(kept + [int(bounds[-1])], np.int64)


def embed_notes(model, audio: np.ndarray) -> np.ndarray:
    """Base-space unit vectors ``(n_events, dim)`` of the note events of one decoded target."""
    events = segment_notes(audio, int(model.sample_rate))
    if not events:
        return np.zeros((0, int(model.dim)), np.float32)
    vectors = []
    for start in range(0, len(events), max(1, int(model.batch_size))):
        vectors.append(np.asarray(model.embed_audio(events[start:start + model.batch_size]), np.float32))
    return np.concatenate(vectors)
