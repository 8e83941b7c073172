"""train_head on a tiny toy-embedder index, then search with the head; re-indexing rebuilds the head library."""

import json
import os

import pytest

from heads_toy_embedder import make_presets, write_preset

from timbre.heads.registry import load_head
from timbre.heads.train import train_head
from timbre.index import build_index, open_index
from timbre.search import search_audio

TINY = {"model": {"hidden_dim": 16}, "trainer": {"max_epochs": 2, "batch_size": 32, "patience": 2,
                                                 "val_fraction": 0.25},
        "augment": {"variants_per_preset": 2}}


@pytest.fixture
def trained(tmp_path):
    lib_dir, index, models = tmp_path / "lib", str(tmp_path / "idx"), str(tmp_path / "models")
    presets = make_presets(str(lib_dir), 12)
    build_index([str(lib_dir)], index, "headtoy", workers=0)
    missing = str(tmp_path / "elsewhere" / "gone.wav")
    pairs = tmp_path / "pairs.jsonl"
    records = [{"a_path": presets[0], "b_path": presets[2], "label": "similar"},
               {"a_path": presets[1], "b_path": presets[3], "label": "not_similar"},
               {"a_path": presets[4], "b_path": missing, "label": "similar"}]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in records))
    info = train_head(index, pairs=[str(pairs)], augment=True, config=TINY, models_dir=models)
    return tmp_path, lib_dir, index, models, presets, missing, info


def test_train_writes_a_complete_head_and_reports_the_missing_record(trained):
    _, _, index, models, _, missing, info = trained
    for name in ("model.safetensors", "config.json", "metrics.json", "training_curve.png"):
        assert os.path.isfile(os.path.join(info.path, name)), name
    assert info.latest
    assert info.training["missing"]["records"] == 1
    assert info.training["missing"]["examples"] == [missing]
    with open(os.path.join(info.path, "config.json")) as fh:
        config = json.load(fh)
    assert config["embedder"]["fingerprint"] == open_index(index).embedder_spec["fingerprint"]
    assert config["training"]["missing"]["records"] == 1
    assert not [n for n in os.listdir(os.path.dirname(info.path)) if n.startswith(".tmp-")]


def test_training_projects_the_library_so_the_first_search_with_the_head_does_not(trained, monkeypatch):
    from timbre.heads.model import ProjectionHead

    _, _, index, models, presets, _, info = trained
    assert [n for n in os.listdir(os.path.join(index, "cache")) if n.startswith(f"head.{info.id}.views--")]
    projected = []
    project = ProjectionHead.project
    monkeypatch.setattr(ProjectionHead, "project",
                        lambda head, x, **kw: projected.append(len(x)) or project(head, x, **kw))
    assert search_audio(index, presets[:1], head=load_head(models, "latest"), top=3)[0].error is None
    assert projected == [1]  # the target only


def test_search_with_the_latest_head_and_reindex_rebuilds_the_projected_library(trained):
    tmp_path, lib_dir, index, models, presets, _, info = trained
    head = load_head(models, "latest")
    assert head.id == info.id
    results = search_audio(index, presets[:2], head=head, top=20)
    assert [r.error for r in results] == [None, None]
    assert len(results[0].hits) == 12
    cache = os.path.join(index, "cache")
    before = {n for n in os.listdir(cache) if n.startswith(f"head.{head.id}.views--")}  # the presets' views
    assert len(before) == 1

    new_file = write_preset(str(lib_dir / "bank0" / "added.wav"), 300.0, 5)
    build_index([str(lib_dir)], index, workers=0)
    results = search_audio(index, [new_file], head=load_head(models, "latest"), top=20)[0]
    assert results.error is None
    assert len(results.hits) == 13 and new_file in [h.path for h in results.hits]
    after = {n for n in os.listdir(cache) if n.startswith(f"head.{head.id}.views--")}
    assert len(after) == 1 and after != before  # rebuilt for the new index state, old one deleted


def test_a_head_of_two_networks_keeps_the_single_head_as_its_first_and_ranks_with_both(trained):
    import torch

    tmp_path, _, index, _, presets, _, _ = trained
    from timbre.progress import NullProgress

    class Stages(NullProgress):
        seen: list = []

        def start(self, total, desc, unit="file"):
            self.seen.append(desc)

    config = {**TINY, "model": {"hidden_dim": 16, "members": 2}}
    info = train_head(index, pairs=(), augment=True, config=config, models_dir=str(tmp_path / "two"),
                      progress=Stages())
    assert [s for s in Stages.seen if s.startswith("training head")] == [  # what the app's job shows
        "training head, network 1 of 2", "training head, network 2 of 2"]
    train_head(index, pairs=(), augment=True, config={**TINY, "model": {"hidden_dim": 16, "members": 1}},
               models_dir=str(tmp_path / "one"))
    two, one = load_head(str(tmp_path / "two"), "latest"), load_head(str(tmp_path / "one"), "latest")
    assert len(two.nets) == 2 and info.dims["members"] == 2
    first, second = (net.state_dict() for net in two.nets)
    for name, tensor in one.net.state_dict().items():  # member 0 is what a one-network config trains
        assert torch.equal(first[name], tensor), name
    assert not torch.equal(first["mlp.0.weight"], second["mlp.0.weight"])  # member 1: another seed
    with open(os.path.join(info.path, "metrics.json")) as fh:
        assert [m["seed"] for m in json.load(fh)["members"]] == [0, 1]
    assert os.path.isfile(os.path.join(info.path, "members", "1", "logs", "metrics.csv"))
    hits = search_audio(index, presets[:1], head=two, top=20)[0].hits
    assert len(hits) == 12 and hits[0].path == presets[0]
