"""Reading the benchmark manifest and grading relevance."""

import json
import os

import pytest

from timbre.errors import TimbreError
from timbre.evaluation.ground_truth import BenchPreset, load_benchmark, relevance


def test_manifest_paths_become_absolute_and_targets_carry_their_labels(fake_bench, tmp_path):
    assert fake_bench.size == "fake" and fake_bench.seed == 7
    assert fake_bench.presets[0].preview == os.path.join(str(tmp_path), "previews", "pad", "p1.ogg")
    t1, t2, t3 = fake_bench.targets
    assert (t1.has_fx, t1.note_kind) == (False, "chords")
    assert (t2.has_fx, t2.note_kind) == (True, "single notes")
    assert t3.note_kind == "single notes" and t3.fx == ("delay", "eq")
    assert fake_bench.info() == {"path": str(tmp_path), "version": 1, "size": "fake", "seed": 7,
                                 "source": "synth", "presets": 5, "targets": 3}


def test_presets_are_found_by_preview_path(fake_bench, tmp_path):
    path = os.path.join(str(tmp_path), "previews", "bass", "..", "bass", "b2.ogg")
    assert fake_bench.preset_for_path(path).name == "b2"
    assert fake_bench.preset_for_path("/elsewhere/b2.ogg") is None


def test_relevance_grades_exact_group_family_other(fake_bench):
    t1 = fake_bench.targets[0]  # rendered from p1, pad/pad-a
    grade = {p.name: relevance(t1, p) for p in fake_bench.presets}
    assert grade == {"p1": 3, "p2": 2, "p3": 1, "b1": 0, "b2": 0}
    assert relevance(t1, None) == 0


def test_ideal_relevances_follow_the_library_distribution(fake_bench):
    t1, t2, t3 = fake_bench.targets
    assert fake_bench.ideal_relevances(t1, 10) == [3, 2, 1, 0, 0, 0, 0, 0, 0, 0]
    assert fake_bench.ideal_relevances(t2, 3) == [3, 2, 0]
    assert fake_bench.ideal_relevances(t3, 4) == [3, 1, 1, 0]


def test_ideal_relevances_match_grading_every_preset(fake_bench):
    extra = [BenchPreset(f"x{i}", "pad", "pad-a" if i % 2 else "pad-c", f"/x{i}.ogg") for i in range(7)]
    fake_bench.presets.extend(extra)
    fake_bench.__post_init__()
    for target in fake_bench.targets:
        graded = sorted((relevance(target, p) for p in fake_bench.presets), reverse=True)
        assert fake_bench.ideal_relevances(target, 10) == graded[:10]


def test_a_folder_without_manifest_is_a_one_line_error(tmp_path):
    with pytest.raises(TimbreError, match="no benchmark manifest") as err:
        load_benchmark(str(tmp_path))
    assert "\n" not in str(err.value) and "timbre bench render" in str(err.value)


@pytest.mark.parametrize(("manifest", "message"), [
    ({"version": 99, "presets": [], "targets": []}, "version"),
    ({"version": 1, "presets": [{"name": "a"}], "targets": []}, "lacks the field"),
    ({"version": 1, "presets": [], "targets": []}, "no presets"),
])
def test_malformed_manifests_are_refused(tmp_path, manifest, message):
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TimbreError, match=message):
        load_benchmark(str(tmp_path))


def test_an_unparseable_manifest_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(TimbreError, match="unreadable manifest"):
        load_benchmark(str(tmp_path))
