"""`timbre train` as a producer runs it: the default pair file is used and the agreement is said."""

import os
import sys
import warnings

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heads"))

from cli_run import timbre  # noqa: E402
from heads_toy_embedder import make_presets  # noqa: E402

from timbre import embedders  # noqa: E402
from timbre.heads.pairs import append_pairs  # noqa: E402
from timbre.index import build_index, open_index  # noqa: E402

pytest.importorskip("pytorch_lightning")

TINY_TOML = """
[model]
hidden_dim = 16
[trainer]
max_epochs = 1
batch_size = 32
val_fraction = 0.25
[augment]
variants_per_preset = 1
"""


def test_train_uses_the_default_pair_file_prints_the_agreement_and_heads_show_names_its_networks(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(embedders.BUILTIN, "headtoy", "heads_toy_embedder:HeadToyEmbedder")
    monkeypatch.setenv("TIMBRE_CONFIG", os.devnull + ".missing")
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIMBRE_THREADS", "1")
    index = str(tmp_path / "idx")
    make_presets(str(tmp_path / "lib"), 6)
    build_index([str(tmp_path / "lib")], index, "headtoy", workers=0)
    paths = open_index(index).paths
    pairs = str(tmp_path / "home" / "pairs.jsonl")
    append_pairs(pairs, [{"a_path": paths[0], "b_path": paths[1], "label": "similar", "source": "app"},
                         {"a_path": paths[2], "b_path": paths[3], "label": "not_similar", "source": "app"}])
    (tmp_path / "tiny.toml").write_text(TINY_TOML)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = timbre(monkeypatch, capsys, "train", "--index", index, "--models", tmp_path / "models",
                                "--config", tmp_path / "tiny.toml")
    assert code == 0, err
    assert f"using your judgments in {pairs} (the default pair file)" in err
    assert "of 2 judgments you made, the new head agrees with " in out
    assert "trained on 2 judgment(s) of yours, " in out and " pair(s) held out for validation" in out
    assert not [w for w in caught if "deprecated" in str(w.message)], [str(w.message) for w in caught]
    code, shown, err = timbre(monkeypatch, capsys, "heads", "show", "latest", "--models", tmp_path / "models")
    assert code == 0, err
    assert "scores    0.80 x head (the mean of its 3 networks) + 0.20 x base space" in shown  # the default head
