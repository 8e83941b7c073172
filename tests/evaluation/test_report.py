"""The report's JSON, Markdown and files."""

import json
import os

import pytest

from timbre.evaluation.output import write_report
from timbre.evaluation.report import EvalReport, SystemResult
from timbre.evaluation.runner import score_results
from timbre.evaluation.scoring import breakdowns, recall_curve, summarize


@pytest.fixture
def report(fake_bench, make_results):
    scores = score_results(fake_bench, make_results(fake_bench))
    systems = [SystemResult(name=name, embedder=name.split("+")[0], head=None, index=f"/idx/{name}",
                            metrics=summarize(scores), breakdowns=breakdowns(scores),
                            recall_curve=recall_curve(scores))
               for name in ("spectral", "mfcc")]
    return EvalReport(bench=fake_bench.info(), systems=systems, search_top=None, timbre_version="0.1.0",
                      date="2026-01-01T00:00:00+00:00")


def test_json_layout_is_stable_and_rounded(report):
    data = report.to_dict()
    assert [s["name"] for s in data["systems"]] == ["spectral", "mfcc"]
    metrics = data["systems"][0]["metrics"]
    assert metrics["mrr"] == round((1 / 2 + 1 + 1 / 5) / 3, 4) and metrics["targets"] == 3
    assert set(data["systems"][0]["breakdowns"]) == {"fx", "kind", "family"}
    assert data["bench"]["presets"] == 5 and data["timbre_version"] == "0.1.0"
    assert json.loads(json.dumps(data)) == data


def test_markdown_has_one_row_per_system_and_the_breakdown_tables(report):
    table = report.summary_markdown().splitlines()
    assert table[0].startswith("| system | targets | R@1 | R@5 | R@10 | MRR | nDCG@10 | FamP@10 |")
    assert table[2].startswith("| spectral | 3 | 0.333 | 1.000 | 1.000 | 0.567 |")
    assert table[3].startswith("| mfcc | 3 |")
    text = report.markdown()
    for heading in ("## Effects: fx / no fx", "## Kind: chords / single notes", "## Family"):
        assert heading in text
    assert "| no fx | spectral | 1 | 0.000 | 1.000 | 1.000 | 0.500 |" in text
    assert "| single notes | mfcc | 2 |" in text


def test_write_report_writes_json_markdown_and_png(report, tmp_path):
    out = tmp_path / "eval"
    files = write_report(report, str(out))
    assert sorted(os.listdir(out)) == ["recall_at_k.png", "report.json", "report.md"]
    assert files == report.files and files["json"] == str(out / "report.json")
    assert json.loads((out / "report.json").read_text())["systems"][1]["name"] == "mfcc"
    assert (out / "report.md").read_text().startswith("# timbre evaluation")
    assert (out / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
