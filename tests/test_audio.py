"""timbre.audio: every supported format decodes; bad inputs raise the right typed error."""

import time

import numpy as np
import pytest
import soundfile as sf

from timbre.audio import audio_info, decode, is_audio_file, load_audio
from timbre.errors import EmptyAudioError, SilentAudioError, TooShortAudioError, UnreadableAudioError

SR_OUT = 22050


def _tone(seconds=0.5, sr=44100, channels=1, freq=220.0):
    t = np.arange(int(seconds * sr)) / sr
    mono = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.stack([mono] * channels, axis=1) if channels > 1 else mono


@pytest.mark.parametrize("ending, fmt, subtype", [
    ("wav", "WAV", "PCM_16"),
    ("wav", "WAV", "PCM_24"),
    ("wav", "WAV", "PCM_32"),
    ("wav", "WAV", "FLOAT"),
    ("flac", "FLAC", "PCM_16"),
    ("ogg", "OGG", "VORBIS"),
    ("aiff", "AIFF", "PCM_16"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
])
@pytest.mark.parametrize("sr", [44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_every_supported_format_decodes_to_normalised_mono(tmp_path, ending, fmt, subtype, sr, channels):
    path = tmp_path / f"tone.{ending}"
    sf.write(str(path), _tone(sr=sr, channels=channels), sr, format=fmt, subtype=subtype)
    assert is_audio_file(path)
    info = audio_info(path)
    assert info.sample_rate == sr and info.channels == channels
    signal = load_audio(path, SR_OUT)
    assert signal.dtype == np.float32 and signal.ndim == 1
    assert abs(len(signal) / SR_OUT - 0.5) < 0.1  # mp3 adds encoder padding
    assert np.sqrt(np.mean(signal ** 2)) == pytest.approx(0.1, rel=0.05)


def test_truncated_ogg_is_unreadable_or_short_never_a_crash(tmp_path):
    whole = tmp_path / "whole.ogg"
    sf.write(str(whole), _tone(seconds=2.0), 44100, format="OGG", subtype="VORBIS")
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises((UnreadableAudioError, EmptyAudioError, TooShortAudioError)) as err:
        load_audio(cut, SR_OUT)
    assert str(cut) in str(err.value)


def test_zero_bytes_is_empty(tmp_path):
    path = tmp_path / "nothing.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="0 bytes") as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "empty"


def test_text_named_wav_is_unreadable(tmp_path):
    path = tmp_path / "readme.wav"
    path.write_text("hello, I am not audio")
    with pytest.raises(UnreadableAudioError, match="convert it") as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "unreadable" and "\n" not in str(err.value)


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableAudioError, match="check the path"):
        load_audio(tmp_path / "gone.wav", SR_OUT)


def test_silence_is_silent(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros(44100), 44100)
    with pytest.raises(SilentAudioError) as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "silent"


def test_ten_milliseconds_is_too_short(tmp_path):
    path = tmp_path / "blip.wav"
    sf.write(str(path), _tone(seconds=0.01), 44100)
    with pytest.raises(TooShortAudioError, match="10 ms") as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "too_short"


def test_a_ten_minute_file_is_read_only_up_to_max_seconds(tmp_path):
    path = tmp_path / "long.flac"
    sr = 8000
    rng = np.random.default_rng(0)
    sf.write(str(path), (0.1 * rng.standard_normal(600 * sr)).astype(np.float32), sr, format="FLAC")
    start = time.perf_counter()
    signal = load_audio(path, sr, max_seconds=5.0)
    assert len(signal) <= 5 * sr
    assert time.perf_counter() - start < 2.0
    data, rate = decode(path, max_seconds=2.0)
    assert rate == sr and data.shape == (2 * sr, 1)


def test_unicode_and_spaces_in_paths(tmp_path):
    folder = tmp_path / "Bänk ☃ one"
    folder.mkdir()
    path = folder / "Pad – warm ünïcode.ogg"
    sf.write(str(path), _tone(), 44100, format="OGG", subtype="VORBIS")
    assert load_audio(path, SR_OUT).size > 0
    assert audio_info(str(path)).channels == 1
