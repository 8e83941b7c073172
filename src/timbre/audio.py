"""The one place that turns a file into audio: decode, mix to mono, resample, trim, normalise.

Decoding uses libsndfile (through soundfile): WAV/AIFF (8/16/24/32-bit int and float),
FLAC, OGG Vorbis/Opus and MP3 where the bundled libsndfile has it. Resampling uses soxr
(high quality). Errors are typed (``timbre.errors``) so callers can skip bad files with a
reason instead of stopping.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from timbre.errors import (
    EmptyAudioError,
    SilentAudioError,
    TooShortAudioError,
    UnreadableAudioError,
)

#: File endings that indexing picks up.
AUDIO_EXTENSIONS = (".wav", ".wave", ".ogg", ".oga", ".opus", ".flac", ".aif", ".aiff", ".mp3")
#: Peak level below which a clip counts as silence (about -60 dBFS).
SILENCE_PEAK = 1e-3
#: Shortest audio (after trimming) a timbre is measured on.
MIN_SECONDS = 0.05
#: Trim threshold relative to the clip's peak (-50 dB).
TRIM_RELATIVE = 10 ** (-50 / 20)
#: Target RMS level after normalisation (-20 dBFS); peaks are then limited to 0.99.
TARGET_RMS = 0.1


@dataclass(frozen=True)
class AudioInfo:
    """Header facts about a file, read without decoding it."""

    duration: float
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str


def is_audio_file(path: str | os.PathLike) -> bool:
    """True for file names with a supported audio ending (case-insensitive)."""
    return str(path).lower().endswith(AUDIO_EXTENSIONS)


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Read the header of ``path``; raises ``UnreadableAudioError``/``EmptyAudioError``."""
    import soundfile as sf

    _check_nonempty(path)
    try:
        info = sf.info(str(path))
    except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError / TypeError
        raise UnreadableAudioError(path, _decoder_message(exc)) from exc
    if info.frames <= 0:
        raise EmptyAudioError(path, "no audio frames; re-export the file")
    return AudioInfo(info.frames / info.samplerate, info.samplerate, info.channels,
                     info.frames, info.format, info.subtype)


def decode(path: str | os.PathLike, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Decode to float32 ``(frames, channels)`` and the file's sample rate.

    ``max_seconds`` reads only the beginning of long files (a 10-minute file costs what
    its first ``max_seconds`` cost)."""
    import soundfile as sf

    _check_nonempty(path)
    try:
        with sf.SoundFile(str(path)) as fh:
            sr = fh.samplerate
            frames = -1 if max_seconds is None else int(max_seconds * sr)
            data = fh.read(frames=frames, dtype="float32", always_2d=True)
    except Exception as exc:
        raise UnreadableAudioError(path, _decoder_message(exc)) from exc
    if data.size == 0:
        raise EmptyAudioError(path, "no audio frames; re-export the file")
    if not np.all(np.isfinite(data)):
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
    return data, sr


def to_mono(data: np.ndarray) -> np.ndarray:
    """Average channels of a ``(frames, channels)`` array into a 1-d float32 signal."""
    return data.mean(axis=1, dtype=np.float32) if data.ndim == 2 else data.astype(np.float32)


def resample(signal: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """High-quality (soxr 'HQ') resampling of a 1-d signal; a no-op when rates match."""
    if sr_in == sr_out:
        return signal.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(signal, sr_in, sr_out, quality="HQ").astype(np.float32)


def trim_silence(signal: np.ndarray, sample_rate: int, relative: float = TRIM_RELATIVE) -> np.ndarray:
    """Cut leading and trailing stretches quieter than ``relative`` x peak (10 ms frames)."""
    hop = max(1, sample_rate // 100)
    n = len(signal) // hop
    if n == 0:
        return signal
    frame_peaks = np.abs(signal[: n * hop]).reshape(n, hop).max(axis=1)
    loud = np.flatnonzero(frame_peaks >= relative * frame_peaks.max())
    if loud.size == 0:
        return signal[:0]
    return signal[loud[0] * hop: min(len(signal), (loud[-1] + 1) * hop)]


def normalize_level(signal: np.ndarray, target_rms: float = TARGET_RMS) -> np.ndarray:
    """Scale to ``target_rms`` and limit peaks to 0.99: embeddings become loudness-invariant."""
    rms = float(np.sqrt(np.mean(np.square(signal, dtype=np.float64))))
    if rms <= 0:
        return signal
    out = signal * (target_rms / rms)
    peak = float(np.max(np.abs(out)))
    if peak > 0.99:
        out = out * (0.99 / peak)
    return out.astype(np.float32)


def load_audio(
    path: str | os.PathLike,
    sample_rate: int,
    *,
    trim: bool = True,
    normalize: bool = True,
    max_seconds: float | None = 120.0,
    min_seconds: float = MIN_SECONDS,
) -> np.ndarray:
    """Load ``path`` as mono float32 at ``sample_rate``, silence-trimmed and level-normalised.

    Raises ``UnreadableAudioError``, ``EmptyAudioError``, ``SilentAudioError`` or
    ``TooShortAudioError``; each message names the file and what to do."""
    data, sr = decode(path, max_seconds=max_seconds)
    mono = to_mono(data)
    if float(np.max(np.abs(mono))) < SILENCE_PEAK:
        raise SilentAudioError(path, "silent (peak below -60 dBFS); nothing to compare")
    if trim:
        mono = trim_silence(mono, sr)
    if len(mono) < min_seconds * sr:
        raise TooShortAudioError(
            path, f"only {len(mono) / sr * 1000:.0f} ms of sound; at least {min_seconds * 1000:.0f} ms needed")
    mono = resample(mono, sr, sample_rate)
    return normalize_level(mono) if normalize else mono


def _check_nonempty(path: str | os.PathLike) -> None:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise UnreadableAudioError(path, f"cannot open ({exc.strerror}); check the path") from exc
    if size == 0:
        raise EmptyAudioError(path, "file is empty (0 bytes); re-export or delete it")


def _decoder_message(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = text.replace("Error opening", "cannot decode").strip()
    return f"not decodable audio ({text}); convert it to WAV, FLAC or OGG"
