"""Rendering the held-out source: deterministic, eval-ready, in its own registers, and the synth untouched."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from timbre.bench import render_benchmark
from timbre.bench.heldout_families import FAMILIES
from timbre.bench.patch import load_preset
from timbre.bench.plan import BenchError, get_size, get_source, plan_presets, plan_targets, render_rng
from timbre.bench.render import preview_audio
from timbre.bench.sequences import PREVIEW_MIDI
from timbre.bench.synth import Note, render_phrase
from timbre.evaluation.ground_truth import load_benchmark

# main's `timbre bench render OUT --size tiny --seed 0` before sources existed: manifest and preset JSON.
SYNTH_TINY_SEED0_JSON_SHA256 = "d192fba57a65218b8fa7edff823d244c0e2f9c66ccaab5b24630dc9a5785176f"


def _tree_hash(folder: Path, pattern: str = "*") -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob(pattern) if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def heldout(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("heldout")
    report = render_benchmark(folder, size="tiny", seed=0, workers=1, source="heldout")
    assert (report.source, report.presets, report.targets) == ("heldout", 6, 4)
    return folder


def test_same_seed_gives_identical_bytes_with_any_worker_count(heldout, tmp_path):
    render_benchmark(tmp_path / "again", size="tiny", seed=0, workers=2, source="heldout")
    assert _tree_hash(tmp_path / "again") == _tree_hash(heldout)
    render_benchmark(tmp_path / "other", size="tiny", seed=1, workers=1, source="heldout")
    assert _tree_hash(tmp_path / "other") != _tree_hash(heldout)


def test_the_manifest_loads_for_eval_and_names_its_source(heldout):
    bench = load_benchmark(str(heldout))
    assert bench.source == "heldout" and bench.info()["source"] == "heldout"
    assert json.loads((heldout / "manifest.json").read_text())["source"] == "heldout"
    assert {p.family for p in bench.presets} <= set(FAMILIES)
    assert len({p.group for p in bench.presets}) < len(bench.presets)  # variation groups
    for preset in bench.presets:
        assert Path(preset.preview).is_file() and bench.preset_for_path(preset.preview) == preset
        info = sf.info(preset.preview)
        assert info.samplerate == 44100 and 2.9 <= info.duration <= 3.1
    for target in bench.targets:
        assert target.family in FAMILIES and target.kind in ("melody", "chord", "arp")
        info = sf.info(target.path)
        assert info.samplerate in (44100, 48000) and info.subtype in ("PCM_16", "PCM_24")
        assert 4.0 <= info.duration <= 12.0
    assert any(t.has_fx for t in bench.targets) and any(not t.has_fx for t in bench.targets)


def test_preset_json_loads_back_to_the_patch_that_rendered_the_preview(heldout):
    entry = json.loads((heldout / "manifest.json").read_text())["presets"][0]
    preset = load_preset(heldout / entry["params"])
    assert preset.source == "heldout" and type(preset.patch).__name__ == FAMILIES[entry["family"]].patch_type.__name__
    rendered = preview_audio(preset, render_rng(0, get_source("heldout").stream_offset, 0))
    stored, _ = sf.read(str(heldout / entry["preview"]))
    # The preview went through Ogg Vorbis, so compare loosely.
    assert np.corrcoef(rendered[: len(stored)], stored[: len(rendered)])[0, 1] > 0.95


def test_targets_start_in_their_familys_register_not_at_the_preview_pitch():
    source = get_source("heldout")
    presets = plan_presets(get_size("bench"), 0, source)
    targets = plan_targets(get_size("bench"), presets, 0, source)
    assert {t.preset.family for t in targets} == set(FAMILIES)
    for target in targets:
        low, high = FAMILIES[target.preset.family].register
        root = target.notes[0].midi  # every phrase kind starts on its root
        assert root != PREVIEW_MIDI and low <= root <= high + 2, (target.target_id, root)
    bass_roots = [t.notes[0].midi for t in targets if t.preset.family == "fmbass"]
    assert max(bass_roots) < PREVIEW_MIDI  # the bass family plays below its C3 preview


def test_the_synth_source_renders_what_it_always_did(tmp_path):
    render_benchmark(tmp_path / "synth", size="tiny", seed=0, workers=1)
    assert _tree_hash(tmp_path / "synth", "*.json") == SYNTH_TINY_SEED0_JSON_SHA256
    assert "source" not in json.loads((tmp_path / "synth" / "manifest.json").read_text())
    assert load_benchmark(str(tmp_path / "synth")).source == "synth"
    # The audio too: preview 0 is still the synth's note with preview 0's original random stream.
    preset = plan_presets(get_size("tiny"), 0)[0]
    rng = np.random.default_rng(np.random.SeedSequence([0, 30, 0]))
    expected = render_phrase(preset.patch, [Note(0.0, PREVIEW_MIDI, 2.0, 1.0)], 44100, 3.0, rng)
    stored, _ = sf.read(str(tmp_path / "synth" / "previews" / preset.family / f"{preset.name}.ogg"))
    assert np.corrcoef(expected[: len(stored)], stored[: len(expected)])[0, 1] > 0.99


def test_an_unknown_source_is_a_one_line_user_error(tmp_path):
    with pytest.raises(BenchError, match="unknown sound source 'fm'; use one of synth, heldout"):
        render_benchmark(tmp_path / "x", size="tiny", source="fm")
    assert not (tmp_path / "x").exists()
