"""End to end on a rendered `tiny` benchmark: real indexes, real search, real report files."""

import json
import os

import pytest

from eval_data import save_identity_head

from timbre.bench import render_benchmark
from timbre.errors import HeadError
from timbre.evaluation import evaluate


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_bench")
    render_benchmark(folder, size="tiny", seed=0, workers=1)
    return str(folder)


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("TIMBRE_THREADS", "1")


def test_evaluate_scores_spectral_and_the_mfcc_baseline(tiny_bench, tmp_path):
    report = evaluate(tiny_bench, ["spectral"], out_dir=str(tmp_path))
    assert [s.name for s in report.systems] == ["spectral", "mfcc"]
    manifest = json.loads(open(os.path.join(tiny_bench, "manifest.json")).read())
    for system in report.systems:
        assert system.metrics["targets"] == len(manifest["targets"])
        assert all(0.0 <= system.metrics[m] <= 1.0 for m in ("recall@1", "mrr", "ndcg@10", "family_precision@10"))
        assert system.metrics["recall@10"] == 1.0  # the tiny library has fewer than 10 presets
        assert system.metrics["mrr"] >= 1 / len(manifest["presets"])
        assert os.path.isdir(os.path.join(str(tmp_path), "indexes", system.embedder))
    written = json.loads((tmp_path / "report.json").read_text())
    assert written["bench"]["size"] == "tiny" and len(written["systems"]) == 2
    assert (tmp_path / "recall_at_k.png").stat().st_size > 0
    assert "| spectral |" in (tmp_path / "report.md").read_text()

    again = evaluate(tiny_bench, ["spectral"], out_dir=str(tmp_path))  # reuses the indexes
    assert [s.metrics for s in again.systems] == [s.metrics for s in report.systems]


def test_a_head_row_sits_next_to_its_embedder_and_an_identity_head_changes_nothing(tiny_bench, tmp_path):
    models = save_identity_head(str(tmp_path / "models"), "spectral")
    report = evaluate(tiny_bench, ["mfcc"], heads=["latest"], models_dir=models, out_dir=str(tmp_path / "eval"))
    names = [s.name for s in report.systems]
    assert names == ["mfcc", "spectral", "spectral+head:identity"]  # the head's embedder is indexed too
    base, with_head = report.systems[1], report.systems[2]
    assert with_head.head == "identity" and with_head.index == base.index
    assert with_head.metrics == pytest.approx(base.metrics)
    assert "| spectral+head:identity |" in report.summary_markdown()


def test_an_unknown_head_fails_before_any_indexing(tiny_bench, tmp_path):
    with pytest.raises(HeadError, match="no trained head"):
        evaluate(tiny_bench, ["spectral"], heads=["latest"], models_dir=str(tmp_path / "none"),
                 out_dir=str(tmp_path / "eval"))
    assert not (tmp_path / "eval").exists()


def test_a_head_of_another_embedder_version_is_refused(tiny_bench, tmp_path):
    models = save_identity_head(str(tmp_path / "models"), "mfcc", fingerprint="0123456789abcdef")
    with pytest.raises(HeadError, match="trained on embedder fingerprint 0123456789abcdef"):
        evaluate(tiny_bench, ["mfcc"], heads=["identity"], models_dir=models, out_dir=str(tmp_path / "eval"))


def test_thorough_adds_a_row_after_each_system_and_goes_through_the_head(tiny_bench, tmp_path):
    models = save_identity_head(str(tmp_path / "models"), "spectral")
    report = evaluate(tiny_bench, ["spectral"], heads=["latest"], models_dir=models, out_dir=str(tmp_path / "eval"),
                      thorough=True)
    names = [s.name for s in report.systems]
    assert names == ["spectral", "spectral+thorough", "spectral+head:identity", "spectral+head:identity+thorough",
                     "mfcc", "mfcc+thorough"]
    systems = dict(zip(names, report.systems))
    assert systems["spectral+head:identity+thorough"].metrics == pytest.approx(systems["spectral+thorough"].metrics)
    assert "| spectral+thorough |" in report.summary_markdown()
