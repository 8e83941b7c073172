"""The held-out voices: in tune, one note per preview, clean audio, and variation groups that hang together."""

import numpy as np
import pytest

from bench_spectra import fundamental_hz, mel_cepstrum
from timbre.bench.heldout import VOICES, render_heldout_phrase
from timbre.bench.heldout_families import FAMILIES, sample_heldout_patch
from timbre.bench.patch import Preset, load_preset, save_preset
from timbre.bench.plan import get_size, get_source, plan_presets
from timbre.bench.render import preview_audio
from timbre.bench.synth import Note, midi_to_hz

SR = 44100
C3_HZ = midi_to_hz(48)
PITCHED = [family for family in FAMILIES if family != "bell"]  # a bell's partials are inharmonic


def _preset(family: str, seed: int) -> Preset:
    patch = sample_heldout_patch(family, np.random.default_rng(seed))
    return Preset(f"{family}-{seed}", family, f"{family}-g{seed}", patch)


@pytest.fixture(scope="module")
def previews() -> dict:
    return {(family, seed): preview_audio(_preset(family, seed), np.random.default_rng(seed))
            for family in FAMILIES for seed in range(3)}


def test_every_family_renders_finite_unclipped_centred_audio(previews):
    for key, audio in previews.items():
        assert np.all(np.isfinite(audio)) and np.max(np.abs(audio)) <= 1.0, key
        assert np.sqrt(np.mean(audio**2)) > 0.01 and abs(float(np.mean(audio))) < 0.01, key
    for family in FAMILIES:
        patch = _preset(family, 7).patch
        notes = [Note(0.3 * i, midi, 0.5, 0.6 + 0.1 * i) for i, midi in enumerate((55, 59, 62, 66))]
        loop = render_heldout_phrase(patch, notes, 48000, 4.0, np.random.default_rng(0))
        assert np.all(np.isfinite(loop)) and np.sqrt(np.mean(loop**2)) > 1e-3, family


def test_a_preview_is_one_note_at_c3(previews):
    for (family, seed), audio in previews.items():
        frames = np.sqrt(np.mean(audio[: len(audio) // 2205 * 2205].reshape(-1, 2205) ** 2, axis=1))  # 50 ms
        assert frames[:2].max() > 0.01 * frames.max(), (family, seed)  # sounding from the start
        assert np.all(frames[17:] <= 2 * frames[16:-1] + 1e-6), (family, seed)  # no second attack after 0.8 s
        assert frames[-2:].max() < 0.1 * frames.max(), (family, seed)  # released before the end
        if family in PITCHED:
            start = int(0.05 * SR)
            hz = fundamental_hz(audio[start:start + SR // 2], SR)
            assert abs(12 * np.log2(hz / C3_HZ)) < 1.0, (family, seed, hz)


@pytest.mark.parametrize("engine_family", ["string", "reed", "fmbass", "wavetable"])
def test_voices_play_in_tune_across_their_range(engine_family):
    patch = _preset(engine_family, 1).patch
    for midi in (36, 52, 70, 88):
        audio = VOICES[patch.engine](patch, midi_to_hz(midi), 1.0, SR, SR, 1.0, np.random.default_rng(midi))
        hz = fundamental_hz(audio[int(0.1 * SR):int(0.6 * SR)], SR, high_hz=3000.0)
        assert abs(1200 * np.log2(hz / midi_to_hz(midi))) < 6, (engine_family, midi, hz)


def test_variants_of_a_group_sound_nearer_each_other_than_other_families():
    source = get_source("heldout")
    presets = plan_presets(get_size("small"), 0, source)
    envelopes = np.stack([mel_cepstrum(preview_audio(p, np.random.default_rng(i))) for i, p in enumerate(presets)])
    distances = np.linalg.norm(envelopes[:, None] - envelopes[None], axis=2)
    groups = np.array([p.group for p in presets])
    families = np.array([p.family for p in presets])
    same_group = (groups[:, None] == groups[None]) & ~np.eye(len(presets), dtype=bool)
    other_family = families[:, None] != families[None]
    assert distances[same_group].mean() < 0.5 * distances[other_family].mean()
    np.fill_diagonal(distances, np.inf)
    nearest = np.argmin(distances, axis=1)
    assert np.mean(groups[nearest] == groups) > 0.8


def test_preset_json_round_trips_to_the_same_sound(tmp_path, previews):
    for family in FAMILIES:
        preset = _preset(family, 0)
        save_preset(preset, tmp_path / f"{family}.json")
        loaded = load_preset(tmp_path / f"{family}.json")
        assert loaded == preset and loaded.source == "heldout"
    assert np.array_equal(preview_audio(loaded, np.random.default_rng(0)), previews[(family, 0)])
