"""Head registry: embedder fingerprint check, `latest`, `rm` repointing, damaged folders."""

import os

import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from heads_toy_embedder import build_toy_index
from synthetic import trained_like_network

from timbre.errors import HeadError
from timbre.heads.model import ProjectionHead, ResidualProjection
from timbre.heads.registry import (CONFIG_FILE, FORMAT_VERSION, commit_head, ensure_head_fits, head_ids, heads_dir,
                                   latest_id, list_heads, load_head, remove_head, resolve_ref, save_weights,
                                   staging_dir, write_json)
from timbre.index import open_index
from timbre.search import search_audio

OLD, NEW = "20260101-000000-aaaaaa", "20260102-000000-bbbbbb"


def save_fake_head(models, head_id, fingerprint="fp", dim=16, nets=None, version=FORMAT_VERSION):
    """Write a complete head the way train_head does (``nets``: its networks; default one identity)."""
    folder = staging_dir(str(models), head_id)
    nets = nets or [ResidualProjection(dim, 8, dim, dropout=0.0)]
    save_weights(folder, nets)
    write_json(os.path.join(folder, CONFIG_FILE), {
        "format_version": version, "dims": {"input": dim, "hidden": 8, "output": dim, "members": len(nets)},
        "loss": {"name": "infonce"}, "embedder": {"name": "headtoy", "fingerprint": fingerprint},
        "created": head_id})
    return commit_head(str(models), folder, head_id)


def test_latest_resolves_to_the_newest_of_two_heads(tmp_path):
    save_fake_head(tmp_path, OLD)
    save_fake_head(tmp_path, NEW)
    assert head_ids(str(tmp_path)) == [OLD, NEW]
    assert resolve_ref(str(tmp_path), "latest") == NEW
    assert load_head(str(tmp_path), "latest").id == NEW
    assert load_head(str(tmp_path), OLD[:12]).id == OLD  # unique prefix


def test_latest_pointer_missing_falls_back_to_newest(tmp_path):
    save_fake_head(tmp_path, OLD)
    save_fake_head(tmp_path, NEW)
    os.remove(os.path.join(heads_dir(str(tmp_path)), "latest"))
    assert latest_id(str(tmp_path)) == NEW


def test_rm_of_latest_repoints_it_and_rm_of_last_clears_it(tmp_path):
    save_fake_head(tmp_path, OLD)
    save_fake_head(tmp_path, NEW)
    assert remove_head(str(tmp_path), "latest") == NEW
    assert not os.path.exists(os.path.join(heads_dir(str(tmp_path)), NEW))
    with open(os.path.join(heads_dir(str(tmp_path)), "latest")) as fh:
        assert fh.read().strip() == OLD
    assert resolve_ref(str(tmp_path), "latest") == OLD
    remove_head(str(tmp_path), OLD)
    assert not os.path.exists(os.path.join(heads_dir(str(tmp_path)), "latest"))
    with pytest.raises(HeadError, match="no trained head"):
        load_head(str(tmp_path), "latest")


def test_rm_of_an_older_head_keeps_latest(tmp_path):
    save_fake_head(tmp_path, OLD)
    save_fake_head(tmp_path, NEW)
    remove_head(str(tmp_path), OLD)
    assert resolve_ref(str(tmp_path), "latest") == NEW


def test_damaged_head_without_config_gives_a_one_line_head_error(tmp_path):
    save_fake_head(tmp_path, OLD)
    folder = save_fake_head(tmp_path, NEW)
    os.remove(os.path.join(folder, CONFIG_FILE))
    # A folder without config.json is not a complete head: asking for it by id fails clearly.
    with pytest.raises(HeadError) as err:
        load_head(str(tmp_path), NEW)
    assert "\n" not in str(err.value) and NEW in str(err.value)
    assert resolve_ref(str(tmp_path), "latest") == OLD  # the stale pointer falls back to a complete head


def test_damaged_config_json_gives_a_one_line_head_error(tmp_path):
    folder = save_fake_head(tmp_path, NEW)
    with open(os.path.join(folder, CONFIG_FILE), "w") as fh:
        fh.write("{not json")
    with pytest.raises(HeadError) as err:
        load_head(str(tmp_path), "latest")
    message = str(err.value)
    assert "\n" not in message and CONFIG_FILE in message and "timbre heads rm" in message
    assert [i.loss for i in list_heads(str(tmp_path))] == ["damaged"]


def test_missing_weights_give_a_one_line_head_error(tmp_path):
    folder = save_fake_head(tmp_path, NEW)
    os.remove(os.path.join(folder, "model.safetensors"))
    with pytest.raises(HeadError) as err:
        load_head(str(tmp_path), NEW)
    assert "\n" not in str(err.value)


@pytest.fixture
def toy_index(tmp_path):
    return build_toy_index(tmp_path, 6)


def test_head_of_another_embedder_fingerprint_is_refused(tmp_path, toy_index):
    lib = open_index(toy_index)
    fingerprint = lib.embedder_spec["fingerprint"]
    save_fake_head(tmp_path / "models", NEW, fingerprint="someone-elses-fingerprint")
    head = load_head(str(tmp_path / "models"), "latest")
    with pytest.raises(HeadError, match="fingerprint"):
        ensure_head_fits(head, fingerprint)
    with pytest.raises(HeadError, match="fingerprint"):
        load_head(str(tmp_path / "models"), "latest", embedder_fingerprint=fingerprint)
    target = lib.paths[0]
    with pytest.raises(HeadError, match="fingerprint"):
        search_audio(toy_index, [target], head=head)


def test_head_of_the_same_fingerprint_is_accepted(tmp_path, toy_index):
    lib = open_index(toy_index)
    save_fake_head(tmp_path / "models", NEW, fingerprint=lib.embedder_spec["fingerprint"])
    head = load_head(str(tmp_path / "models"), "latest", embedder_fingerprint=lib.embedder_spec["fingerprint"])
    result = search_audio(toy_index, [lib.paths[0]], head=head, top=3)[0]
    assert result.error is None and result.hits[0].path == lib.paths[0]  # identity head: the file itself wins


def _moved(dim, seed):
    return trained_like_network(dim, hidden_dim=8, seed=seed)


def test_a_head_of_three_networks_loads_back_projecting_as_saved(tmp_path):
    nets = [_moved(16, seed) for seed in (1, 2, 3)]
    save_fake_head(tmp_path, NEW, nets=nets)
    head = load_head(str(tmp_path), "latest")
    x = np.random.default_rng(0).normal(size=(7, 16)).astype(np.float32)
    assert len(head.nets) == 3 and head.output_dim == 16
    np.testing.assert_array_equal(head.project(x), ProjectionHead(nets, "same", "fp").project(x))


def test_a_head_saved_in_format_1_still_loads(tmp_path):
    save_fake_head(tmp_path, OLD, version=1)
    assert load_head(str(tmp_path), "latest").output_dim == 16


def test_a_weights_file_with_a_member_too_many_gives_a_one_line_head_error(tmp_path):
    folder = save_fake_head(tmp_path, NEW, nets=[_moved(16, 1), _moved(16, 2)])
    path = os.path.join(folder, "model.safetensors")
    tensors = load_file(path)
    tensors.update({k.replace("member1.", "member2."): v.clone() for k, v in tensors.items() if k.startswith("member1.")})
    save_file(tensors, path)
    with pytest.raises(HeadError, match="cannot load the head's weights"):
        load_head(str(tmp_path), "latest")
