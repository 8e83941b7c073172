"""The benchmark synth: oscillators -> filter -> drive -> amp, then chorus over the whole phrase."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timbre.bench.envelopes import adsr, decay_curve, fade_edges, lfo
from timbre.bench.filter import BLOCK, dc_block, resonant_filter
from timbre.bench.oscillators import fm_operator, oscillator, phase_from_frequency, unison_detunes
from timbre.bench.patch import SynthPatch

MAX_RELEASE_S = 2.0
POLYPHONY = 8


@dataclass(frozen=True)
class Note:
    """One played note: start and held time in seconds, MIDI pitch, velocity 0..1."""

    onset_s: float
    midi: int
    gate_s: float
    velocity: float = 1.0


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def render_phrase(patch: SynthPatch, notes: list[Note], sr: int, length_s: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Mix of all ``notes`` (each synthesised at its own pitch) with chorus, DC removed, edges faded."""
    total = int(round(length_s * sr))
    mix = np.zeros(total)
    tail = min(patch.amp_release_s, MAX_RELEASE_S)
    for index, note in enumerate(notes):
        start = int(round(note.onset_s * sr))
        if start >= total:
            continue
        voice_s = note.gate_s + tail
        if index + POLYPHONY < len(notes):  # voice stealing, like a synth with POLYPHONY voices
            voice_s = min(voice_s, max(notes[index + POLYPHONY].onset_s - note.onset_s, 0.01))
        voice = render_note(patch, note.midi, note.gate_s, voice_s, sr, rng) * note.velocity
        voice = fade_edges(voice, sr, fade_in_s=0.0005, fade_out_s=0.005)
        end = min(total, start + len(voice))
        mix[start:end] += voice[: end - start]
    if patch.chorus_mix > 0:
        mix = chorus(mix, sr, patch.chorus_mix, patch.chorus_rate_hz, patch.chorus_depth_ms)
    return fade_edges(dc_block(mix, sr), sr)


def render_note(patch: SynthPatch, midi: int, gate_s: float, length_s: float, sr: int,
                rng: np.random.Generator) -> np.ndarray:
    """One voice, ``length_s`` long, key released after ``gate_s``."""
    n = max(BLOCK, int(round(length_s * sr)))
    modulation = lfo(n, sr, patch.lfo_rate_hz, patch.lfo_shape, float(rng.uniform()), patch.lfo_delay_s)
    semitones = np.zeros(n)
    if patch.pitch_env_semitones:
        semitones += patch.pitch_env_semitones * decay_curve(n, sr, patch.pitch_env_decay_s)
    if patch.vibrato_cents:
        semitones += patch.vibrato_cents / 100 * modulation
    freq = midi_to_hz(midi) * 2 ** (semitones / 12)
    tone = _oscillator_mix(patch, freq, sr, rng)
    tone = _filtered(patch, tone, midi, gate_s, modulation, sr)
    if patch.drive > 0:
        gain = 1 + 9 * patch.drive
        tone = np.tanh(gain * tone) / np.tanh(gain)
    amp = adsr(n, sr, gate_s, patch.amp_attack_s, patch.amp_decay_s, patch.amp_sustain, patch.amp_release_s)
    if patch.tremolo_depth:
        amp *= 1 - patch.tremolo_depth * (0.5 + 0.5 * modulation)
    return tone * amp


def _oscillator_mix(patch: SynthPatch, freq: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Unison osc1/osc2 stack plus sub, ring, FM and noise layers, scaled to about unit peak."""
    n = len(freq)
    # Every layer's frequency is a fixed multiple of ``freq``, so one cumulative sum serves all.
    base_phase = phase_from_frequency(freq, sr)
    increment = freq / sr
    stack = np.zeros(n)
    ring = np.zeros(n)
    detunes = unison_detunes(patch.unison_voices, patch.unison_detune_cents)
    osc2_ratio = 2 ** ((patch.osc2_semitones + patch.osc2_detune_cents / 100) / 12)
    for cents in detunes:
        ratio = 2 ** (cents / 1200)
        one = oscillator(patch.osc1_wave, ratio * base_phase + rng.uniform(), ratio * increment, patch.pulse_width)
        ratio *= osc2_ratio
        two = oscillator(patch.osc2_wave, ratio * base_phase + rng.uniform(), ratio * increment, patch.pulse_width)
        stack += patch.osc1_level * one + patch.osc2_level * two
        ring += one * two
    scale = 1 / np.sqrt(len(detunes))
    out = stack * scale + patch.ring_level * ring * scale
    if patch.sub_level > 0:
        out += patch.sub_level * np.sin(np.pi * base_phase)
    if patch.fm_level > 0:
        index = patch.fm_index * decay_curve(n, sr, patch.fm_decay_s)
        out += patch.fm_level * fm_operator(base_phase, patch.fm_ratio * base_phase, index)
    if patch.noise_level > 0:
        out += patch.noise_level * rng.uniform(-1, 1, n)
    return out / (np.max(np.abs(out)) + 1e-9)


def _filtered(patch: SynthPatch, tone: np.ndarray, midi: int, gate_s: float, modulation: np.ndarray,
              sr: int) -> np.ndarray:
    """Filter with cutoff from key tracking, its ADSR and the LFO, updated every block."""
    n_blocks = -(-len(tone) // BLOCK)
    # Envelope sampled at block starts: an "audio rate" of sr / BLOCK.
    env = adsr(n_blocks, sr / BLOCK, gate_s, patch.filter_attack_s, patch.filter_decay_s, patch.filter_sustain,
               patch.filter_release_s)
    wobble = modulation[::BLOCK]
    octaves = (patch.key_tracking * (midi - 60) / 12 + patch.filter_env_octaves * env
               + patch.filter_lfo_octaves * wobble)
    cutoff = patch.cutoff_hz * 2**octaves
    return resonant_filter(tone, patch.filter_type, cutoff, patch.resonance, sr, patch.filter_stages)


def chorus(x: np.ndarray, sr: int, mix: float, rate_hz: float, depth_ms: float) -> np.ndarray:
    """Two modulated delay taps (7-20 ms) in quadrature, read with linear interpolation."""
    t = np.arange(len(x))
    out = (1 - 0.5 * mix) * x
    for offset in (0.0, 0.25):
        delay = (0.012 + depth_ms / 1000 * 0.5 * (1 + np.sin(2 * np.pi * (rate_hz * t / sr + offset)))) * sr
        out += 0.5 * mix * np.interp(t - delay, t, x, left=0.0)
    return out
