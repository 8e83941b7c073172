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

from timbre.audio_checks import check_complete, check_file, check_rate, decoder_error, truncated_stream
from timbre.errors import DamagedAudioError, EmptyAudioError, SilentAudioError, TooShortAudioError

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
#: Frames decoded by the first read call; each next one reads twice as many, up to READ_BLOCK.
FIRST_BLOCK, READ_BLOCK = 1 << 10, 1 << 16
#: A stream that decodes this much less than its header declares is truncated.
TRUNCATION_SLACK = 0.02


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
    """Read the header of ``path``; raises an ``AudioError`` saying what is wrong."""
    import soundfile as sf

    size = check_file(path)
    check_complete(path, size)
    try:
        info = sf.info(os.fsencode(path))
    except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError / TypeError
        raise decoder_error(path, exc) from exc
    check_rate(path, info.samplerate)
    if info.frames <= 0:
        raise EmptyAudioError(path, "no audio frames — re-export the file")
    return AudioInfo(info.frames / info.samplerate, info.samplerate, info.channels,
                     info.frames, info.format, info.subtype)


def decode(path: str | os.PathLike, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Decode to float32 ``(frames, channels)`` and the file's sample rate.

    ``max_seconds`` reads only the beginning of long files (a 10-minute file costs what
    its first ``max_seconds`` cost). Cut files raise ``TruncatedAudioError``, NaN or
    infinite samples ``DamagedAudioError``."""
    size = check_file(path)
    check_complete(path, size)
    data, sr = _read_blocks(path, max_seconds)
    if data.size == 0:
        raise EmptyAudioError(path, "no audio frames — re-export the file")
    if not np.all(np.isfinite(data)):
        raise DamagedAudioError(path, "damaged float data (NaN or infinite samples) — re-export it")
    return data, sr


def _read_blocks(path: str | os.PathLike, max_seconds: float | None) -> tuple[np.ndarray, int]:
    """Read block by block: memory follows the real data, not a (possibly absurd) header,
    and a decoder error midway is told apart from a file that never opened."""
    import soundfile as sf

    try:
        fh = sf.SoundFile(os.fsencode(path))
    except Exception as exc:
        raise decoder_error(path, exc) from exc
    with fh:
        sr, declared, channels = fh.samplerate, fh.frames, fh.channels
        check_rate(path, sr)
        wanted = declared if max_seconds is None else min(declared, int(max_seconds * sr))
        blocks, got, step = [], 0, FIRST_BLOCK  # small first reads: a cut soon after the header shows
        try:
            while got < wanted:
                block = fh.read(frames=min(step, wanted - got), dtype="float32", always_2d=True)
                if len(block) == 0:
                    break
                blocks.append(block)
                got += len(block)
                step = min(step * 2, READ_BLOCK)
        except Exception as exc:
            if got == 0:
                raise decoder_error(path, exc, header_ok=True) from exc
            raise truncated_stream(path, got, declared, sr, exc) from exc
    if got < wanted * (1 - TRUNCATION_SLACK) and wanted - got > sr * 0.05:
        raise truncated_stream(path, got, declared, sr)
    data = np.concatenate(blocks) if blocks else np.zeros((0, max(1, channels)), np.float32)
    return data, sr


def to_mono(data: np.ndarray) -> np.ndarray:
    """Average channels of a ``(frames, channels)`` array into a 1-d float32 signal
    (summed in float64, so loud float channels cannot overflow)."""
    if data.ndim == 2:
        return data.mean(axis=1, dtype=np.float64).astype(np.float32)
    return data.astype(np.float32)


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


def pitch_shift(audio: np.ndarray, sr: int, semitones: float) -> np.ndarray:
    """Play ``audio`` ``semitones`` higher (shorter) or lower (longer), like a sampler."""
    if semitones == 0:
        return audio
    return resample(audio, int(round(sr * 2.0 ** (semitones / 12.0))), sr)


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

    Raises an ``AudioError`` (``UnreadableAudioError`` and its kinds: damaged, truncated,
    permission denied, not a file, missing; ``EmptyAudioError``, ``SilentAudioError``,
    ``TooShortAudioError``); each message names the file and what to do."""
    data, sr = decode(path, max_seconds=max_seconds)
    mono = to_mono(data)
    peak = float(np.max(np.abs(mono)))
    if peak < SILENCE_PEAK:
        raise SilentAudioError(path, "silent (peak below -60 dBFS) — nothing to compare")
    if peak > 1.0:  # float files may exceed full scale; the level is normalised away anyway
        mono = (mono / np.float32(peak)).astype(np.float32)
    if trim:
        mono = trim_silence(mono, sr)
    if len(mono) < min_seconds * sr:
        raise TooShortAudioError(
            path, f"only {len(mono) / sr * 1000:.0f} ms of sound — at least {min_seconds * 1000:.0f} ms is needed")
    mono = resample(mono, sr, sample_rate)
    return normalize_level(mono) if normalize else mono
