"""The pair file shared by `timbre train` and `timbre label pull`."""

import json

import pytest

from timbre.errors import TimbreError
from timbre.heads.pairs import append_pairs, read_pairs, resolve_records


def _pair(a="a.ogg", b="b.ogg", label="similar", **extra):
    return {"a_path": a, "a_hash": f"h-{a}", "b_path": b, "b_hash": f"h-{b}", "label": label, **extra}


def test_append_is_idempotent_and_keeps_existing_records(tmp_path):
    path = tmp_path / "pairs.jsonl"
    assert append_pairs(path, [_pair(), _pair("a.ogg", "c.ogg", "not_similar")]) == 2
    assert append_pairs(path, [_pair(), _pair("c.ogg", "d.ogg")]) == 1
    records = read_pairs(path)
    assert [(r["a_path"], r["b_path"]) for r in records] == [("a.ogg", "b.ogg"), ("a.ogg", "c.ogg"), ("c.ogg", "d.ogg")]
    assert all(r["weight"] == 1.0 and r["source"] == "user" for r in records)


def test_two_annotators_judging_one_pair_are_two_records(tmp_path):
    path = tmp_path / "pairs.jsonl"
    added = append_pairs(path, [_pair(annotator="ana"), _pair(label="not_similar", annotator="bo")])
    assert added == 2


def test_bad_label_names_the_file_and_line(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(_pair()) + "\n" + json.dumps(_pair(label="maybe")) + "\n")
    with pytest.raises(TimbreError, match=r"pairs.jsonl:2: label must be one of"):
        read_pairs(path)


def test_broken_json_line_is_reported(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("{not json\n")
    with pytest.raises(TimbreError, match=r"pairs.jsonl:1: not valid JSON"):
        read_pairs(path)


def test_resolve_by_hash_survives_moves_and_reports_missing(tmp_path):
    records = [append_record for append_record in [_pair("moved/a.ogg", "b.ogg"), _pair("a.ogg", "gone.ogg")]]
    records = [dict(r, id=str(i), weight=1.0, kind="pair") for i, r in enumerate(records)]
    resolved = resolve_records(records, paths=["/lib/a.ogg", "/lib/b.ogg"], hashes=["h-moved/a.ogg", "h-b.ogg"])
    assert resolved.pairs == [(0, 1, 1.0, 1.0)]
    assert [(m[1], m[2]) for m in resolved.missing] == [("a", "a.ogg"), ("b", "gone.ogg")]


def test_triplets_resolve_to_three_rows():
    rec = {"kind": "triplet", "id": "t", "weight": 2.0,
           "anchor_hash": "x", "positive_hash": "y", "negative_hash": "z"}
    resolved = resolve_records([rec], paths=["/x", "/y", "/z"], hashes=["x", "y", "z"])
    assert resolved.triplets == [(0, 1, 2, 2.0)]
