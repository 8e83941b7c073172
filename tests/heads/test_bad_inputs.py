"""Bad pair files, NaN heads, junk `latest` pointers and self-pairs: one clear error, never a NaN head."""

import json
import os

import numpy as np
import pytest
import torch

from heads_toy_embedder import build_toy_index, make_presets
from test_registry import NEW, OLD, save_fake_head

from timbre.errors import HeadError, TimbreError
from timbre.heads.model import ResidualProjection
from timbre.heads.pairs import read_pairs, resolve_records
from timbre.heads.registry import commit_head, head_ids, heads_dir, latest_id, load_head, staging_dir
from timbre.heads.train import train_head
from timbre.index import open_index
from timbre.search import search_audio

TINY = {"model": {"hidden_dim": 16}, "trainer": {"max_epochs": 2, "batch_size": 32, "patience": 2,
                                                 "val_fraction": 0.25},
        "augment": {"variants_per_preset": 1}}


def _line(**fields):
    return json.dumps({"a_path": "/a.ogg", "b_path": "/b.ogg", "label": "similar", **fields})


@pytest.mark.parametrize("weight", ["NaN", "Infinity", "-1", "0", '"heavy"', "true", "[1]"])
def test_a_bad_weight_is_refused_naming_file_and_line(tmp_path, weight):
    path = tmp_path / "pairs.jsonl"
    path.write_text(_line() + "\n" + _line()[:-1] + f', "weight": {weight}}}\n')
    with pytest.raises(TimbreError, match=r"pairs\.jsonl:2: weight must be a finite number above 0") as err:
        read_pairs(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("line", ["[1, 2]", "3", '"a string"', "null"])
def test_a_line_that_is_not_an_object_is_refused(tmp_path, line):
    path = tmp_path / "pairs.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(TimbreError, match=r"pairs\.jsonl:1: expected a JSON object"):
        read_pairs(path)


def test_a_path_that_is_not_a_string_is_refused(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(_line(a_path=5) + "\n")
    with pytest.raises(TimbreError, match=r"pairs\.jsonl:1: a_path must be a string"):
        read_pairs(path)


def test_a_folder_a_wav_and_a_broken_parquet_are_not_pair_files(tmp_path):
    (tmp_path / "folder").mkdir()
    wav = make_presets(str(tmp_path / "lib"), 1)[0]
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    for path, reason in ((tmp_path / "folder", "is a folder"), (wav, "not UTF-8 text"),
                         (tmp_path / "broken.parquet", "not a readable Parquet pair file")):
        with pytest.raises(TimbreError, match=reason) as err:
            read_pairs(path)
        assert "\n" not in str(err.value) and ".jsonl or .parquet" in str(err.value)


def test_parquet_nulls_are_absent_fields(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"a_path": "/a.ogg", "b_path": "/b.ogg", "label": "similar", "weight": None, "kind": None}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "pairs.parquet")
    [record] = read_pairs(tmp_path / "pairs.parquet")
    assert record["weight"] == 1.0 and record["kind"] == "pair"


def test_self_pairs_are_left_out_and_counted():
    records = [dict(json.loads(_line(b_path="/a.ogg")), id="self", weight=1.0, kind="pair"),
               dict(json.loads(_line()), id="ok", weight=1.0, kind="pair")]
    resolved = resolve_records(records, paths=["/a.ogg", "/b.ogg"], hashes=["ha", "hb"])
    assert resolved.pairs == [(0, 1, 1.0, 1.0)] and resolved.self_pairs == ["self"]


def _save_nan_head(models, head_id, fingerprint):
    net = ResidualProjection(16, 8, 16, dropout=0.0)
    with torch.no_grad():
        net.skip.weight.fill_(float("nan"))
    folder = save_fake_head(models, head_id, fingerprint=fingerprint)
    from timbre.heads.registry import save_weights

    save_weights(folder, net)
    return folder


@pytest.fixture
def toy_index(tmp_path):
    return build_toy_index(tmp_path, 12)


def test_a_head_file_with_nan_tensors_is_a_head_error(tmp_path, toy_index):
    _save_nan_head(tmp_path / "models", NEW, open_index(toy_index).embedder_spec["fingerprint"])
    with pytest.raises(HeadError, match="NaN or inf") as err:
        load_head(str(tmp_path / "models"), "latest")
    assert "timbre heads rm" in str(err.value)


class NanHead:
    id, embedder_fingerprint = "nanhead", None

    def project(self, vectors):
        return np.full_like(vectors, np.nan)


def test_search_never_ranks_with_a_head_that_outputs_nan(toy_index):
    head = NanHead()
    head.embedder_fingerprint = open_index(toy_index).embedder_spec["fingerprint"]
    paths = open_index(toy_index).paths
    for rerank in (None, 3):
        with pytest.raises(HeadError, match="NaN or inf"):
            search_audio(toy_index, paths[:1], head=head, rerank=rerank)


@pytest.mark.parametrize("junk", [b"\xff\xfe\x00binary\x80", b"/etc/passwd\n", b"", b"../../elsewhere"])
def test_a_junk_latest_pointer_falls_back_to_the_newest_head(tmp_path, junk):
    save_fake_head(tmp_path, OLD)
    save_fake_head(tmp_path, NEW)
    with open(os.path.join(heads_dir(str(tmp_path)), "latest"), "wb") as fh:
        fh.write(junk)
    assert latest_id(str(tmp_path)) == NEW
    assert load_head(str(tmp_path), "latest").id == NEW


def test_a_folder_named_latest_is_a_clear_error_and_commits_nothing(tmp_path):
    save_fake_head(tmp_path, OLD)
    pointer = os.path.join(heads_dir(str(tmp_path)), "latest")
    os.remove(pointer)
    os.makedirs(pointer)
    assert latest_id(str(tmp_path)) == OLD
    staging = staging_dir(str(tmp_path), NEW)
    with pytest.raises(HeadError, match="is a folder"):
        commit_head(str(tmp_path), staging, NEW)
    assert head_ids(str(tmp_path)) == [OLD]


def _pairs_file(tmp_path, records):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_self_pairs_alone_train_nothing(tmp_path, toy_index):
    paths = open_index(toy_index).paths
    pairs = _pairs_file(tmp_path, [{"a_path": p, "b_path": p, "label": "similar"} for p in paths[:3]])
    models = str(tmp_path / "models")
    with pytest.raises(TimbreError, match="nothing to train on"):
        train_head(toy_index, pairs=[pairs], augment=False, config=TINY, models_dir=models)
    assert head_ids(models) == [] and latest_id(models) is None


def test_a_head_without_any_validation_is_not_made(tmp_path, toy_index, monkeypatch):
    import timbre.heads.examples as examples

    paths = open_index(toy_index).paths
    pairs = _pairs_file(tmp_path, [{"a_path": paths[0], "b_path": paths[1], "label": "similar"}])
    monkeypatch.setattr(examples, "split_presets", lambda keys, fraction, seed: np.arange(len(keys)) == 5)
    models = str(tmp_path / "models")
    with pytest.raises(TimbreError, match="no validation possible"):
        train_head(toy_index, pairs=[pairs], augment=False, config=TINY, models_dir=models)
    assert head_ids(models) == []


def test_a_diverged_training_commits_no_head(tmp_path, toy_index, monkeypatch):
    import timbre.heads.fit as fit

    real_fit = fit.fit_projection

    def diverging(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        with torch.no_grad():
            result.net.mlp[-1].bias.fill_(float("nan"))
        return result

    monkeypatch.setattr(fit, "fit_projection", diverging)
    models = str(tmp_path / "models")
    with pytest.raises(TimbreError, match="training diverged") as err:
        train_head(toy_index, pairs=[], augment=True, config=TINY, models_dir=models)
    assert "\n" not in str(err.value) and "no head was saved" in str(err.value)
    assert head_ids(models) == [] and not os.listdir(heads_dir(models))
