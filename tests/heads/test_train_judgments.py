"""The app's judgments (targets kept outside the index) train the head, and the head says how
many of them it agrees with."""

import json
import os

import numpy as np
import pytest

from heads_toy_embedder import HeadToyEmbedder, make_presets, write_preset

from timbre.audio import load_audio
from timbre.heads import outside
from timbre.heads.agreement import describe_agreement
from timbre.heads.pairs import append_pairs
from timbre.heads.registry import load_head
from timbre.heads.train import train_head
from timbre.index import build_index, open_index
from timbre.index.views import view_vectors
from timbre.index.scan import content_hash

TINY = {"model": {"hidden_dim": 16}, "trainer": {"max_epochs": 2, "batch_size": 32, "patience": 2,
                                                 "val_fraction": 0.25},
        "augment": {"variants_per_preset": 2}}


def _app_records(targets, lib):
    """Each target judged against every preset (similar when the brightness matches), plus triplets."""
    records = []
    for t, target in enumerate(targets):
        for row, preset in enumerate(lib.records):
            records.append({"kind": "pair", "a_path": target, "a_hash": content_hash(target),
                            "b_path": preset["path"], "b_hash": preset["content_hash"],
                            "label": "similar" if row % 3 == t else "not_similar", "source": "app"})
        records.append({"kind": "triplet", "anchor_path": target, "anchor_hash": content_hash(target),
                        "positive_path": lib.records[t]["path"], "positive_hash": lib.records[t]["content_hash"],
                        "negative_path": lib.records[t + 1]["path"],
                        "negative_hash": lib.records[t + 1]["content_hash"], "source": "app"})
    return records


@pytest.fixture
def judged(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("TIMBRE_HOME", str(home))
    index, models = str(tmp_path / "idx"), str(tmp_path / "models")
    make_presets(str(tmp_path / "lib"), 9)
    build_index([str(tmp_path / "lib")], index, "headtoy", workers=0)
    lib = open_index(index)
    targets = [write_preset(str(home / "targets" / f"target{i}.wav"), 150.0 + 40 * i, 2 + 2 * i) for i in range(2)]
    records = _app_records(targets, lib)
    broken = home / "targets" / "broken.wav"
    broken.write_bytes(b"RIFF not audio")
    records.append({"kind": "pair", "a_path": str(broken), "b_path": lib.paths[0], "label": "similar",
                    "source": "app"})
    append_pairs(home / "pairs.jsonl", records)
    return index, models, lib, targets, str(broken)


def _decoded(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = outside.load_audio
    monkeypatch.setattr(outside, "load_audio", lambda path, sr: seen.append(path) or real(path, sr))
    return seen


def test_app_judgments_on_targets_outside_the_index_train_the_head(judged, monkeypatch):
    index, models, lib, targets, broken = judged
    seen = _decoded(monkeypatch)
    info = train_head(index, augment=True, config=TINY, models_dir=models)  # no pairs: the default file
    assert info.training["pair_files"][0]["path"] == os.path.join(os.environ["TIMBRE_HOME"], "pairs.jsonl")
    summary = info.training["summary"]
    assert summary["judgments"] == 2 * 9 + 2 and summary["outside_files"] == 2
    assert summary["augment_records"] == 0 and summary["self_supervised_pairs"] > 0
    assert 0 < summary["held_out_judgments"] < summary["judgments"]
    assert info.training["missing"] == {"records": 1, "examples": [broken]}  # only the undecodable file
    assert sorted(seen) == sorted(targets + [broken])
    assert info.metrics["judgments"]["total"] == 20
    assert info.metrics["judgments"]["held_out"] == summary["held_out_judgments"]
    assert describe_agreement(info.metrics).startswith("of 20 judgments you made, the new head agrees with ")

    seen.clear()  # the targets' vectors are cached in the index: a retrain decodes only what failed
    train_head(index, augment=False, config=TINY, models_dir=models)
    assert seen == [broken]
    assert [n for n in os.listdir(os.path.join(index, "cache")) if n.startswith("outside-")]


def test_agreement_counts_match_the_saved_spaces(judged):
    index, models, lib, targets, _ = judged
    info = train_head(index, augment=False, config=TINY, models_dir=models)
    with open(os.path.join(info.path, "metrics.json")) as fh:
        metrics = json.load(fh)
    toy = HeadToyEmbedder()
    target_vectors = toy.embed_audio([load_audio(t, toy.sample_rate) for t in targets]).astype(np.float32)
    head = load_head(models, "latest")
    counts = metrics["judgments"]
    views = view_vectors(lib)  # a judged preset is compared by its pitch view nearest the target
    nearest = [views[np.arange(len(views)), (views @ target).argmax(axis=1)] for target in target_vectors]
    for when, space in (("before", lambda v: v), ("after", head.project)):
        queries = space(target_vectors)
        threshold = metrics[when]["threshold"]
        agree = 0
        for t in range(2):
            cos = space(nearest[t]) @ queries[t]
            agree += int(sum((cos[row] >= threshold) == (row % 3 == t) for row in range(9)))
            agree += int(cos[t] > cos[t + 1])
        assert counts[when]["all"] == agree, when


def test_no_default_pair_file_and_no_pairs_means_self_supervised_only(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "empty-home"))
    index = str(tmp_path / "idx")
    make_presets(str(tmp_path / "lib"), 6)
    build_index([str(tmp_path / "lib")], index, "headtoy", workers=0)
    info = train_head(index, augment=True, config=TINY, models_dir=str(tmp_path / "models"))
    assert info.training["pair_files"] == [] and info.metrics["judgments"]["total"] == 0
    assert describe_agreement(info.metrics) == "no judgments of yours yet: trained on self-supervised pairs only"
