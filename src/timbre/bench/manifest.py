"""The benchmark's ``manifest.json``: which presets exist and which preset plays each target."""

from __future__ import annotations

import json
from pathlib import Path

from timbre.bench.patch import Preset, write_text_atomic
from timbre.bench.plan import BenchError, TargetPlan

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"


def preview_path(preset: Preset) -> str:
    """Preview location relative to the benchmark folder."""
    return f"previews/{preset.family}/{preset.name}.ogg"


def params_path(preset: Preset) -> str:
    """Preset JSON location relative to the benchmark folder."""
    return f"presets/{preset.family}/{preset.name}.json"


def target_path(plan: TargetPlan) -> str:
    """Target loop location relative to the benchmark folder."""
    return f"targets/{plan.target_id}.wav"


def build_manifest(size: str, seed: int, presets: list[Preset], targets: list[TargetPlan],
                   source: str = "synth") -> dict:
    """The manifest document (paths relative to the benchmark folder).

    Only a non-synth ``source`` is named, so synth manifests keep their bytes; a reader takes a
    missing ``"source"`` for ``"synth"``.
    """
    manifest = {
        "version": MANIFEST_VERSION,
        "size": size,
        "seed": seed,
        "presets": [{"name": p.name, "family": p.family, "group": p.group, "preview": preview_path(p),
                     "params": params_path(p)} for p in presets],
        "targets": [{"path": target_path(t), "preset": t.preset.name, "group": t.preset.group,
                     "family": t.preset.family, "fx": [fx["name"] for fx in t.fx], "kind": t.kind,
                     "notes": [note.midi for note in t.notes], "sample_rate": t.sample_rate,
                     "bit_depth": t.bit_depth} for t in targets],
    }
    if source != "synth":
        manifest["source"] = source
    return manifest


def write_manifest(out_dir: str | Path, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically; returns its path."""
    path = Path(out_dir) / MANIFEST_NAME
    write_text_atomic(path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path


def read_manifest(bench_dir: str | Path) -> dict:
    """Load a benchmark's manifest; ``BenchError`` when missing, unreadable or of another version."""
    path = Path(bench_dir) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"{path}: no benchmark manifest; render one with `timbre bench render {bench_dir}`") from None
    except (OSError, ValueError) as err:
        raise BenchError(f"{path}: unreadable manifest ({err}); render the benchmark again") from None
    if not isinstance(manifest, dict):
        raise BenchError(f"{path}: not a benchmark manifest (a JSON {type(manifest).__name__}, not an object); "
                         "render the benchmark again")
    if manifest.get("version") != MANIFEST_VERSION:
        raise BenchError(f"{path}: manifest version {manifest.get('version')!r}, expected {MANIFEST_VERSION}; "
                         "render the benchmark again")
    return manifest
