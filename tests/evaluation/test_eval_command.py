"""`timbre eval` parses, calls ``evaluate`` once and prints the table or JSON."""

import json

import pytest
from typer.testing import CliRunner

import timbre.evaluation
from timbre.cli.main import app
from timbre.evaluation.report import EvalReport, SystemResult


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def fake_evaluate(bench_dir, embedders, *, heads=(), models_dir=None, out_dir, top=None, progress=None,
                      thorough=False, views=None, textures=None):
        seen.append({"bench": bench_dir, "embedders": list(embedders), "heads": list(heads),
                     "models": models_dir, "out": out_dir, "top": top, "thorough": thorough})
        metrics = {"targets": 2, "recall@1": 0.5, "recall@5": 1.0, "recall@10": 1.0, "mrr": 0.75,
                   "ndcg@10": 0.8, "family_precision@10": 0.6}
        system = SystemResult("mfcc", "mfcc", None, "/i", metrics, {}, [0.5] * 20)
        return EvalReport(bench={"path": bench_dir}, systems=[system], search_top=top, timbre_version="0.1.0",
                          date="d", files={"json": f"{out_dir}/report.json"})

    monkeypatch.setattr(timbre.evaluation, "evaluate", fake_evaluate)
    return seen


def test_eval_prints_the_table_and_where_the_files_are(calls, tmp_path):
    result = CliRunner().invoke(app, ["eval", "--bench", "b", "--embedder", "spectral", "--embedder", "clap",
                                      "--out", str(tmp_path), "--top", "30"])
    assert result.exit_code == 0, result.output
    assert calls == [{"bench": "b", "embedders": ["spectral", "clap"], "heads": [], "models": None,
                      "out": str(tmp_path), "top": 30, "thorough": False}]
    assert "| mfcc | 2 | 0.500 | 1.000 | 1.000 | 0.750 | 0.800 | 0.600 |" in result.output
    assert f"json: {tmp_path}/report.json" in result.output


def test_eval_json_is_the_report_dict(calls, tmp_path):
    result = CliRunner().invoke(app, ["eval", "--bench", "b", "--head", "latest", "--models", "m",
                                      "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert calls[0]["heads"] == ["latest"] and calls[0]["models"] == "m"
    assert json.loads(result.output)["systems"][0]["metrics"]["mrr"] == 0.75


def test_eval_thorough_is_passed_on_and_refused_with_index(calls, tmp_path):
    result = CliRunner().invoke(app, ["eval", "--bench", "b", "--thorough", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls[0]["thorough"] is True
    result = CliRunner().invoke(app, ["eval", "--index", str(tmp_path), "--thorough"])
    assert "--thorough does not apply to --index evaluation" in str(result.exception)
