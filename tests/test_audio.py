"""timbre.audio: every supported format decodes; bad inputs raise the right typed error."""

import errno
import os
import time

import numpy as np
import pytest
import soundfile as sf

from timbre.audio import AUDIO_EXTENSIONS, audio_info, decode, is_audio_file, load_audio
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


def test_text_named_wav_is_damaged_or_not_audio(tmp_path):
    path = tmp_path / "readme.wav"
    path.write_text("hello, I am not audio")
    with pytest.raises(UnreadableAudioError, match="damaged or not audio .* — re-export it") as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "damaged" and "\n" not in str(err.value)


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


@pytest.mark.parametrize("ending", AUDIO_EXTENSIONS)
def test_random_bytes_with_every_audio_ending_are_damaged_not_a_pipe(tmp_path, ending):
    path = tmp_path / f"noise{ending}"
    path.write_bytes(np.random.default_rng(len(ending)).bytes(5000))
    with pytest.raises(UnreadableAudioError) as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "damaged"
    assert "damaged or not audio" in str(err.value) and "pipe" not in str(err.value)


def test_a_folder_named_like_audio_is_called_a_folder(tmp_path):
    folder = tmp_path / "Pad.wav"
    folder.mkdir()
    with pytest.raises(UnreadableAudioError, match="is a folder") as err:
        load_audio(folder, SR_OUT)
    assert err.value.reason == "folder" and "convert" not in str(err.value)


def test_a_pipe_named_like_audio_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "stream.ogg"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableAudioError, match="pipe") as err:
        load_audio(fifo, SR_OUT)
    assert err.value.reason == "not_a_file"


def test_an_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "locked.wav"
    sf.write(str(path), _tone(), 44100)
    if os.geteuid() == 0:  # root reads through chmod 000: simulate the kernel's answer
        real_open = os.open

        def deny(file, flags, *args, **kwargs):
            if os.fspath(file) == str(path):
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)
    else:
        path.chmod(0)
    with pytest.raises(UnreadableAudioError) as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "permission_denied"
    assert str(err.value).endswith("cannot read (permission denied) — check its permissions")


def _preset_like(seconds, sr=44100):
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("ending, fmt, subtype", [
    ("ogg", "OGG", "VORBIS"),
    ("opus", "OGG", "OPUS"),
    ("wav", "WAV", "PCM_16"),
    ("aiff", "AIFF", "PCM_16"),
    ("flac", "FLAC", "PCM_16"),
])
def test_cut_files_are_truncated_not_partial_audio(tmp_path, fraction, ending, fmt, subtype):
    whole = tmp_path / f"whole.{ending}"
    sf.write(str(whole), _preset_like(8.0), 48000, format=fmt, subtype=subtype)
    assert load_audio(whole, SR_OUT).size > 0
    cut = tmp_path / f"cut.{ending}"
    data = whole.read_bytes()
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(UnreadableAudioError, match="truncated .* — re-export or re-download it") as err:
        load_audio(cut, SR_OUT)
    assert err.value.reason == "truncated"
    if ending != "flac":  # the container alone shows the cut (FLAC's shows only when decoding)
        with pytest.raises(UnreadableAudioError, match="truncated"):
            audio_info(cut)


def test_cut_mp3_is_truncated(tmp_path):
    whole = tmp_path / "whole.mp3"
    sf.write(str(whole), _preset_like(4.0), 44100, format="MP3", subtype="MPEG_LAYER_III")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    with pytest.raises(UnreadableAudioError) as err:
        load_audio(cut, SR_OUT)
    assert err.value.reason == "truncated"


def test_float_wav_beyond_full_scale_gives_the_same_clip_as_at_normal_level(tmp_path):
    quiet, loud = tmp_path / "quiet.wav", tmp_path / "loud.wav"
    stereo = _tone(channels=2)
    sf.write(str(quiet), stereo, 44100, subtype="FLOAT")
    sf.write(str(loud), (stereo / 0.5 * 3.0e38).astype(np.float32), 44100, subtype="FLOAT")  # mono mix overflows
    a, b = load_audio(quiet, SR_OUT), load_audio(loud, SR_OUT)
    assert np.all(np.isfinite(b)) and np.allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_float_wav_with_nan_or_inf_samples_is_damaged(tmp_path, bad):
    path = tmp_path / "nan.wav"
    data = _tone().astype(np.float32)
    data[100:200] = bad
    sf.write(str(path), data, 44100, subtype="FLOAT")
    with pytest.raises(UnreadableAudioError, match="NaN or infinite") as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "damaged"


def test_a_header_with_an_absurd_sample_rate_is_damaged(tmp_path):
    path = tmp_path / "rate.wav"
    sf.write(str(path), _tone(), 44100)
    raw = bytearray(path.read_bytes())
    raw[24:28] = (3_000_000_000).to_bytes(4, "little")  # the fmt chunk's sample rate
    path.write_bytes(bytes(raw))
    with pytest.raises(UnreadableAudioError) as err:
        load_audio(path, SR_OUT)
    assert err.value.reason == "damaged"


def test_a_target_whose_name_is_not_utf8_decodes(tmp_path):
    good = tmp_path / "tone.wav"
    sf.write(str(good), _tone(), 44100)
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.wav")
    os.rename(good, raw)
    assert load_audio(os.fsdecode(raw), SR_OUT).size > 0
