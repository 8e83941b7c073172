"""Synth patch parameters and named presets, stored as JSON."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from timbre.bench.heldout_patch import patch_from_dict

PRESET_FORMAT_VERSION = 1


@dataclass(frozen=True)
class SynthPatch:
    """Every knob of the benchmark synth; times in seconds, levels 0..1, pitches in semitones/cents."""

    source: ClassVar[str] = "synth"
    osc1_wave: str = "saw"
    osc2_wave: str = "square"
    osc2_semitones: float = 0.0
    osc2_detune_cents: float = 7.0
    osc1_level: float = 0.8
    osc2_level: float = 0.5
    pulse_width: float = 0.5
    unison_voices: int = 1
    unison_detune_cents: float = 0.0
    sub_level: float = 0.0
    noise_level: float = 0.0
    ring_level: float = 0.0
    fm_level: float = 0.0
    fm_ratio: float = 2.0
    fm_index: float = 0.0
    fm_decay_s: float = 1.0
    pitch_env_semitones: float = 0.0
    pitch_env_decay_s: float = 0.05
    filter_type: str = "lp"
    filter_stages: int = 1
    cutoff_hz: float = 2000.0
    resonance: float = 0.2
    key_tracking: float = 0.5
    filter_env_octaves: float = 2.0
    filter_attack_s: float = 0.005
    filter_decay_s: float = 0.4
    filter_sustain: float = 0.3
    filter_release_s: float = 0.3
    amp_attack_s: float = 0.005
    amp_decay_s: float = 0.5
    amp_sustain: float = 0.7
    amp_release_s: float = 0.3
    lfo_rate_hz: float = 5.0
    lfo_shape: str = "sine"
    lfo_delay_s: float = 0.0
    vibrato_cents: float = 0.0
    tremolo_depth: float = 0.0
    filter_lfo_octaves: float = 0.0
    drive: float = 0.0
    chorus_mix: float = 0.0
    chorus_rate_hz: float = 0.8
    chorus_depth_ms: float = 3.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SynthPatch":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Preset:
    """A named patch: ``family`` (bass, lead, ...) and ``group`` (its near-variation group).

    ``patch`` is a :class:`SynthPatch`, or a held-out voice's patch (``timbre.bench.heldout_patch``).
    """

    name: str
    family: str
    group: str
    patch: Any

    @property
    def source(self) -> str:
        """The sound source whose voice plays this preset: ``"synth"`` or ``"heldout"``."""
        return self.patch.source

    def to_dict(self) -> dict:
        data = {"version": PRESET_FORMAT_VERSION, "name": self.name, "family": self.family,
                "group": self.group, "params": self.patch.to_dict()}
        if self.source != "synth":  # synth presets keep the bytes they had before sources existed
            data["source"] = self.source
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Preset":
        if data.get("source", "synth") == "heldout":
            patch = patch_from_dict(data["params"])
        else:
            patch = SynthPatch.from_dict(data["params"])
        return cls(data["name"], data["family"], data["group"], patch)


def save_preset(preset: Preset, path: str | Path, *, durable: bool = True) -> None:
    """Write ``preset`` as sorted JSON, atomically."""
    write_text_atomic(Path(path), json.dumps(preset.to_dict(), indent=2, sort_keys=True) + "\n", durable=durable)


def load_preset(path: str | Path) -> Preset:
    """Read a preset written by :func:`save_preset`."""
    return Preset.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Temp file in the same folder, fsync (if ``durable``), ``os.replace``."""
    write_bytes_atomic(path, text.encode("utf-8"), durable=durable)


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Atomic write; ``durable=False`` skips fsync (10 ms a file adds minutes over 30,000 previews)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)
