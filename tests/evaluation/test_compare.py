"""`timbre compare`: indexes of one library built with different embedders, scored on the same
previews and judgments, ranked best first (table and stable JSON)."""

import json
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

from cli_run import timbre  # noqa: E402
from eval_data import make_tone_library, write_tone  # noqa: E402

from timbre import embedders  # noqa: E402
from timbre.errors import TimbreError  # noqa: E402
from timbre.evaluation.compare import compare_indexes  # noqa: E402
from timbre.heads.pairs import write_pairs  # noqa: E402
from timbre.index import build_index  # noqa: E402

FAST = {"augment": {"variants_per_preset": 2, "max_semitones": 3, "fx_probability": 0.0}}


@pytest.fixture(autouse=True)
def setup(monkeypatch, tmp_path):
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIMBRE_THREADS", "1")
    monkeypatch.setitem(embedders.BUILTIN, "noise", "eval_data:NoiseEmbedder")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    return str(root / "lib"), make_tone_library(str(root / "lib"))


@pytest.fixture
def indexes(library, tmp_path):
    paths = {}
    for name in ("noise", "spectral"):  # the useless space first: the ranking must reorder them
        paths[name] = str(tmp_path / f"idx-{name}")
        build_index([library[0]], paths[name], name, workers=0)
    return paths


@pytest.fixture
def judged(library, tmp_path):
    presets = library[1]
    copy = write_tone(str(tmp_path / "home" / "targets" / "t0.wav"), 110.0, 1, gain=0.2)  # preset 0, quieter
    path = tmp_path / "judged.jsonl"
    write_pairs(path, [{"kind": "triplet", "anchor_path": copy, "positive_path": presets[0],
                        "negative_path": presets[7]}])
    return str(path)


def test_the_better_space_ranks_first_on_the_same_previews(indexes, judged):
    comparison = compare_indexes([indexes["noise"], indexes["spectral"]], pairs=[judged], config=FAST, presets=4)
    best, worst = comparison.rows
    assert (best.rank, best.embedder, worst.rank, worst.embedder) == (1, "spectral", 2, "noise")
    assert best.retrieval["mrr"] > worst.retrieval["mrr"]
    assert best.retrieval["queries"] == worst.retrieval["queries"] == 8  # 4 previews x 2 clips, in each index
    assert best.judgments["total"] == worst.judgments["total"] == 1 and best.judgments["agree"] == 1
    assert comparison.sample["previews"] == 4 and best.dim == 153 and worst.dim == 16
    assert best.index == indexes["spectral"] and len(best.fingerprint) == 16


def test_only_previews_in_every_index_are_sampled(library, indexes, tmp_path):
    extra = tmp_path / "more"
    shutil.copytree(library[0], extra / "copies")  # the same content again: sampled once
    for k, f0 in enumerate((333.0, 444.0)):  # new content, only in the spectral index
        write_tone(str(extra / "new" / f"new{k}.wav"), f0, 3 + k)
    build_index([library[0], str(extra)], indexes["spectral"], workers=0)
    comparison = compare_indexes([indexes["spectral"], indexes["noise"]], pairs=[], config=FAST, presets=100)
    assert comparison.sample["previews"] == 8 and comparison.sample["shared_presets"] == 8
    assert all(row.retrieval["queries"] == 16 for row in comparison.rows)
    assert any("2 preview(s) are not in every index" in note for note in comparison.notes)


def test_the_cli_prints_a_ranked_table_and_stable_json(indexes, judged, monkeypatch, capsys):
    args = ["compare", "--index", indexes["noise"], "--index", indexes["spectral"], "--pairs", judged,
            "--presets", "8", "--variants", "2"]  # enough clips that one unlucky draw cannot reorder them
    code, out, err = timbre(monkeypatch, capsys, *args)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "| rank | embedder | dim | MRR | R@1 | R@10 | judgments agreed | index |"
    assert lines[2].startswith("| 1 | spectral | 153 |") and lines[3].startswith("| 2 | noise | 16 |")
    assert "note: ranked by self-retrieval MRR" in out
    assert "16 clips of the same 8 previews in every index; 1 judgment(s) of yours (0 pairs, 1 triplets)" in out
    code, out, err = timbre(monkeypatch, capsys, *args, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert sorted(report) == ["notes", "ranking", "sample"]
    assert [row["embedder"] for row in report["ranking"]] == ["spectral", "noise"]
    assert sorted(report["ranking"][0]) == ["dim", "embedder", "fingerprint", "index", "judgments", "presets",
                                            "rank", "retrieval"]


@pytest.mark.parametrize("args, says", [
    (["--index", "{spectral}"], "two or more --index"),
    (["--index", "{spectral}", "--index", "{tmp}/nope"], "no timbre index"),
])
def test_wrong_inputs_end_in_one_line(indexes, tmp_path, monkeypatch, capsys, args, says):
    code, out, err = timbre(monkeypatch, capsys, "compare",
                            *[a.format(tmp=tmp_path, spectral=indexes["spectral"]) for a in args])
    assert code == 2 and out == "" and err.count("\n") == 1 and says in err, err


def test_indexes_of_different_libraries_are_refused(indexes, tmp_path):
    for i in range(2):  # other sounds entirely
        write_tone(str(tmp_path / "other" / "bank" / f"tone{i}.wav"), 1000.0 + 100 * i, 3)
    build_index([str(tmp_path / "other")], str(tmp_path / "idx-other"), "spectral", workers=0)
    with pytest.raises(TimbreError, match="share no preview"):
        compare_indexes([indexes["noise"], str(tmp_path / "idx-other")], config=FAST)
