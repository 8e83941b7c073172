"""search_library (the CLI's call): every failed target reported, hints for short or quiet targets, finite scores."""

import json

import numpy as np
import soundfile as sf
import toy_embedders

from timbre.index import open_index
from timbre.search import search_library
from timbre.search.engine import hits_from_rows
from timbre.search.formats import render_results


def test_an_all_bad_batch_reports_every_target(library, tmp_path):
    index, _ = library
    (tmp_path / "a.wav").write_text("not audio")
    (tmp_path / "b.wav").write_bytes(b"")
    targets = [str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), str(tmp_path / "missing.wav")]
    results = search_library(index, targets)
    assert [r.target for r in results] == targets
    assert all(r.error and r.target in r.error and not r.hits for r in results)
    assert [entry["target"] for entry in json.loads(render_results(results, "json")) if entry["error"]] == targets
    assert len(render_results(results, "jsonl").splitlines()) == 3


def test_short_and_quiet_targets_carry_a_hint(library, tmp_path):
    index, paths = library
    short = toy_embedders.write_tone(tmp_path / "short.wav", 330.0, seconds=0.2)
    quiet = str(tmp_path / "quiet.wav")
    sf.write(quiet, 0.01 * toy_embedders.tone(330.0, seconds=1.0), toy_embedders.SAMPLE_RATE)
    results = search_library(index, [short, quiet, paths[0]], top=2)
    assert "very short (0.20 s)" in results[0].hint
    assert "very quiet (peak -" in results[1].hint
    assert results[2].hint is None and "hint" not in results[2].to_dict()
    table = render_results(results, "table")
    assert "  hint: very short (0.20 s)" in table and "  hint: very quiet" in table
    entries = json.loads(render_results(results, "json"))
    assert entries[0]["hint"] == results[0].hint and "hint" not in entries[2]


def test_rows_with_non_finite_scores_are_never_hits(library):
    lib = open_index(library[0])
    hits = hits_from_rows(lib, np.array([0.9, np.nan, np.inf, 0.5], np.float32), np.array([0, 1, 2, 3]))
    assert [(h.rank, h.row) for h in hits] == [(1, 0), (2, 3)]
    json.loads(json.dumps([h.to_dict() for h in hits], allow_nan=False))
