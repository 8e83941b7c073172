"""Rendering the `tiny` benchmark: determinism, plausible audio, a consistent manifest."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from timbre.bench import render_benchmark
from timbre.bench.patch import load_preset
from timbre.bench.plan import BenchError


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    render_benchmark(folder, size="tiny", seed=0, workers=1)
    return folder


@pytest.fixture(scope="module")
def manifest(tiny) -> dict:
    return json.loads((tiny / "manifest.json").read_text())


def test_same_seed_gives_identical_bytes_with_any_worker_count(tiny, tmp_path):
    report = render_benchmark(tmp_path / "again", size="tiny", seed=0, workers=2)
    assert report.presets == 6 and report.targets == 4
    assert _tree_hash(tmp_path / "again") == _tree_hash(tiny)


def test_another_seed_gives_other_files(tiny, tmp_path):
    render_benchmark(tmp_path / "other", size="tiny", seed=1, workers=1)
    assert _tree_hash(tmp_path / "other") != _tree_hash(tiny)


def test_manifest_lists_existing_files_and_targets_name_listed_presets(tiny, manifest):
    assert manifest["version"] == 1 and manifest["size"] == "tiny" and manifest["seed"] == 0
    by_name = {p["name"]: p for p in manifest["presets"]}
    assert len(by_name) == len(manifest["presets"]) == 6
    for entry in manifest["presets"]:
        assert entry["preview"] == f"previews/{entry['family']}/{entry['name']}.ogg"
        assert (tiny / entry["preview"]).is_file()
        preset = load_preset(tiny / entry["params"])
        assert (preset.name, preset.family, preset.group) == (entry["name"], entry["family"], entry["group"])
    assert len({p["group"] for p in manifest["presets"]}) < len(manifest["presets"])  # variation groups
    for target in manifest["targets"]:
        played_by = by_name[target["preset"]]
        assert (target["group"], target["family"]) == (played_by["group"], played_by["family"])
        info = sf.info(str(tiny / target["path"]))
        assert info.samplerate == target["sample_rate"] in (44100, 48000)
        assert info.subtype == f"PCM_{target['bit_depth']}"
        assert 4.0 <= info.duration <= 12.0
        assert target["kind"] in ("melody", "chord", "arp") and target["notes"]
    assert any(t["fx"] for t in manifest["targets"]) and any(not t["fx"] for t in manifest["targets"])


def test_every_file_is_loud_enough_unclipped_and_centred(tiny, manifest):
    paths = [p["preview"] for p in manifest["presets"]] + [t["path"] for t in manifest["targets"]]
    for relative in paths:
        audio, sr = sf.read(str(tiny / relative), dtype="float64")
        assert np.max(np.abs(audio)) <= 1.0, relative
        assert np.sqrt(np.mean(audio**2)) > 0.01, relative
        assert abs(np.mean(audio)) < 0.005, relative
        if relative.startswith("previews/"):
            assert sr == 44100 and 2.9 <= len(audio) / sr <= 3.1


def test_unknown_size_is_a_one_line_user_error(tmp_path):
    with pytest.raises(BenchError, match="unknown benchmark size 'huge'.*tiny, small, bench, 30k"):
        render_benchmark(tmp_path, size="huge")
