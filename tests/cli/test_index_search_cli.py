"""`timbre index`, `timbre info` and `timbre search` as a user runs them (toy embedder)."""

import csv
import io
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "index"))

import toy_embedders  # noqa: E402
from cli_run import timbre  # noqa: E402

from timbre import embedders  # noqa: E402


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch):
    for name, target in toy_embedders.REGISTRY.items():
        monkeypatch.setitem(embedders.BUILTIN, name, target)
    monkeypatch.setenv("TIMBRE_CONFIG", os.devnull + ".missing")


@pytest.fixture
def indexed(tmp_path, monkeypatch, capsys):
    paths = toy_embedders.make_library(tmp_path / "lib", banks=2, per_bank=3)
    (tmp_path / "lib" / "bank0" / "broken.ogg").write_bytes(b"OggS broken")
    index = tmp_path / "idx"
    code, out, err = timbre(monkeypatch, capsys, "index", tmp_path / "lib", "--index", index,
                            "--embedder", "toy", "--workers", "0")
    assert code == 0, err
    return index, paths, out


def test_index_prints_a_summary_with_the_skipped_files(indexed):
    _, _, out = indexed
    assert "6 files indexed: 6 added, 0 updated, 0 removed, 0 unchanged, 1 skipped" in out
    assert "broken.ogg: damaged" in out


def test_index_json_and_info_json(indexed, monkeypatch, capsys, tmp_path):
    index, _, _ = indexed
    code, out, _ = timbre(monkeypatch, capsys, "index", tmp_path / "lib", "--index", index, "--json",
                          "--workers", "0")
    report = json.loads(out)
    assert code == 0 and report["unchanged"] == 6 and report["skipped"][0]["reason"] == "damaged"
    code, out, _ = timbre(monkeypatch, capsys, "info", "--index", index, "--json")
    info = json.loads(out)
    assert info["embedder"]["name"] == "toy" and info["files"] == 6
    assert info["banks"] == {"bank0": 3, "bank1": 3} and info["skipped"][0]["path"].endswith("broken.ogg")
    code, out, _ = timbre(monkeypatch, capsys, "info", "--index", index)
    assert "fingerprint" in out and "broken.ogg: damaged" in out
    assert "views     " in out and "today's default" not in out  # no hint while the index has the default shifts


def test_index_with_another_embedder_exits_2_with_one_line(indexed, monkeypatch, capsys, tmp_path):
    index, _, _ = indexed
    code, _, err = timbre(monkeypatch, capsys, "index", tmp_path / "lib", "--index", index,
                          "--embedder", "slowtoy")
    assert code == 2 and err.startswith("error: index ") and "--index NEW" in err
    assert len(err.strip().splitlines()) == 1


def test_search_formats(indexed, monkeypatch, capsys):
    index, paths, _ = indexed
    code, out, _ = timbre(monkeypatch, capsys, "search", paths[4], paths[0], "--index", index,
                          "--top", "2", "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["target"] for line in lines] == [paths[4], paths[0]]
    assert lines[0]["results"][0] == {"rank": 1, "path": paths[4], "name": "preset 1-1", "bank": "bank1",
                                      "score": pytest.approx(1.0, abs=1e-5)}
    code, out, _ = timbre(monkeypatch, capsys, "search", paths[4], "--index", index, "--top", "2",
                          "--format", "json")
    assert json.loads(out)[0]["results"][0]["path"] == paths[4]
    code, out, _ = timbre(monkeypatch, capsys, "search", paths[4], "--index", index, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["target", "rank", "score", "name", "bank", "path"] and rows[1][5] == paths[4]
    code, out, _ = timbre(monkeypatch, capsys, "search", paths[4], "--index", index, "--hnsw")
    assert code == 0 and "preset 1-1" in out and paths[4] in out


def test_search_with_a_bad_target_answers_the_rest_and_exits_2(indexed, monkeypatch, capsys, tmp_path):
    index, paths, _ = indexed
    bad = tmp_path / "bad target.wav"
    bad.write_bytes(b"")
    code, out, err = timbre(monkeypatch, capsys, "search", paths[0], bad, "--index", index, "--format", "jsonl")
    assert code == 2
    assert json.loads(out.splitlines()[0])["results"][0]["path"] == paths[0]
    assert f"error: {bad}: file is empty" in err
    code, _, err = timbre(monkeypatch, capsys, "search", bad, "--index", index)
    assert code == 2 and err.count("error:") == 1


def test_text_search_without_a_text_tower_is_one_clear_line(indexed, monkeypatch, capsys):
    index, _, _ = indexed
    code, _, err = timbre(monkeypatch, capsys, "search", "--text", "warm pad", "--index", index)
    assert code == 2 and "no text tower" in err and len(err.strip().splitlines()) == 1


def test_search_without_an_index_says_how_to_build_one(monkeypatch, capsys, tmp_path):
    code, _, err = timbre(monkeypatch, capsys, "search", "x.wav", "--index", tmp_path / "none")
    assert code == 2 and "timbre index DIR --index" in err
