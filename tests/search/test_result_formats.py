"""The machine-readable formats are exactly as documented (json, jsonl, csv)."""

import csv
import io
import json

from timbre.search import Hit, SearchResult
from timbre.search.formats import render_results

RESULTS = [
    SearchResult("loop one.wav", [Hit(1, 0.93, "/lib/bank a/Pad 1.ogg", "Pad 1", "bank a"),
                                  Hit(2, 0.5, "/lib/b/Lead, 2.ogg", "Lead, 2", "b")]),
    SearchResult("loop2.wav", [Hit(1, 0.25, "/lib/b/Bass.ogg", "Bass", "b")]),
]


def test_jsonl_is_one_object_per_target_with_the_documented_keys():
    lines = render_results(RESULTS, "jsonl").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first) == ["target", "results"]
    assert first == {"target": "loop one.wav", "results": [
        {"rank": 1, "path": "/lib/bank a/Pad 1.ogg", "name": "Pad 1", "bank": "bank a", "score": 0.93},
        {"rank": 2, "path": "/lib/b/Lead, 2.ogg", "name": "Lead, 2", "bank": "b", "score": 0.5}]}


def test_json_is_a_list_of_the_jsonl_objects():
    assert json.loads(render_results(RESULTS, "json")) == [
        json.loads(line) for line in render_results(RESULTS, "jsonl").splitlines()]


def test_csv_has_one_row_per_hit_with_the_documented_header():
    rows = list(csv.reader(io.StringIO(render_results(RESULTS, "csv"))))
    assert rows[0] == ["target", "rank", "score", "name", "bank", "path"]
    assert rows[2] == ["loop one.wav", "2", "0.500000", "Lead, 2", "b", "/lib/b/Lead, 2.ogg"]
    assert len(rows) == 4


def test_table_shows_rank_score_name_bank_and_path():
    table = render_results(RESULTS, "table")
    assert "loop one.wav" in table
    assert any(all(part in line for part in ("1", "0.930", "Pad 1", "bank a", "/lib/bank a/Pad 1.ogg"))
               for line in table.splitlines())
