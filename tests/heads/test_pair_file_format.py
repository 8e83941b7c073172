"""The pair file shared by `timbre train` and `timbre label pull`."""

import json
import os

import pytest

from timbre.errors import TimbreError
from timbre.heads.pairs import (append_pairs, default_pairs_file, pair_files_or_default, read_pairs, remove_pairs,
                                replace_judgment, resolve_records)


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


def test_app_judgments_are_accepted_and_an_unknown_source_is_refused(tmp_path):
    path = tmp_path / "pairs.jsonl"
    assert append_pairs(path, [_pair("target.wav", "p.ogg", source="app")]) == 1
    assert read_pairs(path)[0]["source"] == "app"
    path.write_text(json.dumps(_pair(source="ap")) + "\n")
    with pytest.raises(TimbreError, match=r"pairs.jsonl:1: source must be one of user, labelstudio, app"):
        read_pairs(path)


def test_remove_pairs_drops_only_the_given_ids(tmp_path):
    path = tmp_path / "pairs.jsonl"
    append_pairs(path, [_pair("t.wav", "p1.ogg"), _pair("t.wav", "p2.ogg"), _pair("t.wav", "p3.ogg")])
    first, second, third = (r["id"] for r in read_pairs(path))
    assert remove_pairs(path, [second, "no-such-id"]) == 1
    assert [r["id"] for r in read_pairs(path)] == [first, third]
    assert remove_pairs(path, [second]) == 0
    assert remove_pairs(tmp_path / "absent.jsonl", [first]) == 0
    assert not (tmp_path / "absent.jsonl").exists()


def test_remove_pairs_leaves_the_file_whole_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "pairs.jsonl"
    append_pairs(path, [_pair("t.wav", "p1.ogg"), _pair("t.wav", "p2.ogg")])
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        remove_pairs(path, [read_pairs(path)[0]["id"]])
    assert path.read_bytes() == before


def test_replace_judgment_keeps_one_answer_per_target_and_preset(tmp_path):
    path = tmp_path / "pairs.jsonl"
    append_pairs(path, [_pair("t.wav", "other.ogg", source="app")])
    first, removed = replace_judgment(path, _pair("t.wav", "p.ogg", source="app"))
    assert removed == []
    changed, removed = replace_judgment(path, _pair("t.wav", "p.ogg", "not_similar", source="app"))
    assert [r["id"] for r in removed] == [first["id"]]
    assert [(r["b_path"], r["label"]) for r in read_pairs(path)] == [("other.ogg", "similar"),
                                                                     ("p.ogg", "not_similar")]
    assert replace_judgment(path, _pair("t.wav", "p.ogg", "not_similar", source="app")) == (changed, [])
    assert len(read_pairs(path)) == 2
    # undo the change: drop the new answer, put the old one back
    remove_pairs(path, [changed["id"]])
    append_pairs(path, removed)
    assert [r["label"] for r in read_pairs(path) if r["b_path"] == "p.ogg"] == ["similar"]


def test_replace_judgment_swaps_a_triplet_choice_but_keeps_other_annotators(tmp_path):
    path = tmp_path / "pairs.jsonl"

    def triplet(pos, neg, annotator=""):
        return {"kind": "triplet", "anchor_hash": "t", "positive_hash": pos, "negative_hash": neg,
                "source": "app", "annotator": annotator}

    replace_judgment(path, triplet("x", "y"))
    replace_judgment(path, triplet("x", "y", annotator="bo"))
    stored, removed = replace_judgment(path, triplet("y", "x"))
    assert len(removed) == 1 and removed[0]["positive_hash"] == "x" and removed[0]["annotator"] == ""
    assert sorted((r["positive_hash"], r["annotator"]) for r in read_pairs(path)) == [("x", "bo"), ("y", "")]


def test_the_default_pair_file_is_used_only_when_it_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path))
    assert default_pairs_file() == str(tmp_path / "pairs.jsonl")
    assert pair_files_or_default(None) == []
    append_pairs(tmp_path / "pairs.jsonl", [_pair()])
    assert pair_files_or_default(None) == [str(tmp_path / "pairs.jsonl")]
    assert pair_files_or_default([]) == []
    assert pair_files_or_default(["mine.jsonl"]) == ["mine.jsonl"]
