"""`timbre eval --index`: self-retrieval of augmented previews and agreement with the producer's own
judgments, on a tiny `spectral` index of synthesized tones (no benchmark manifest)."""

import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

from cli_run import timbre  # noqa: E402
from eval_data import make_tone_library, save_identity_head, write_tone  # noqa: E402

from timbre.errors import HeadError  # noqa: E402
from timbre.evaluation.own_library import evaluate_own_library, pair_agreement, pair_folds, sample_rows  # noqa: E402
from timbre.heads import augment  # noqa: E402
from timbre.heads.config import load_head_config  # noqa: E402
from timbre.heads.examples import Judgments, split_presets  # noqa: E402
from timbre.heads.pairs import write_pairs  # noqa: E402
from timbre.index import build_index, open_index  # noqa: E402

FAST = {"augment": {"variants_per_preset": 2, "max_semitones": 5}}
COPIES = {"augment": {"variants_per_preset": 1, "max_semitones": 0, "loop_probability": 0.0, "chord_probability": 0.0,
                      "fx_probability": 0.0}}


@pytest.fixture(autouse=True)
def quiet_home(monkeypatch, tmp_path):
    monkeypatch.setenv("TIMBRE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIMBRE_THREADS", "1")
    monkeypatch.delenv("TIMBRE_DEBUG", raising=False)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    return str(root / "lib"), make_tone_library(str(root / "lib"))


@pytest.fixture
def index(library, tmp_path):
    path = str(tmp_path / "idx")
    build_index([library[0]], path, "spectral", workers=0)
    return path


def _decodes(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = augment.load_audio
    monkeypatch.setattr(augment, "load_audio", lambda path, sr: seen.append(path) or real(path, sr))
    return seen


def test_self_retrieval_figures_are_fractions_and_a_second_run_decodes_nothing(index, monkeypatch):
    seen = _decodes(monkeypatch)
    report = evaluate_own_library(index, pairs=[], config=FAST)
    [base] = report.systems
    assert base.name == "spectral" and base.head is None and base.held_out is None
    assert base.retrieval["queries"] == 16
    assert all(0.0 <= base.retrieval[m] <= 1.0 for m in ("mrr", "recall_at_1", "recall_at_10"))
    assert base.retrieval["recall_at_10"] == 1.0  # eight presets: every preview is in the top 10
    assert report.sample["previews"] == 8 and report.sample["unreadable"] == 0 and report.sample["banks"] == 2
    assert len(seen) == 8
    seen.clear()
    again = evaluate_own_library(index, pairs=[], config=FAST)
    assert seen == [] and again.to_dict() == report.to_dict()


def test_only_the_sampled_previews_are_augmented(index, monkeypatch):
    seen = _decodes(monkeypatch)
    report = evaluate_own_library(index, pairs=[], config=FAST, presets=4)
    assert report.sample["previews"] == 4 and report.systems[0].retrieval["queries"] == 8
    assert len(seen) == 4 and len({os.path.dirname(path) for path in seen}) == 2  # two of each bank


def test_exact_copies_rank_their_own_preview_first(index):
    report = evaluate_own_library(index, pairs=[], config=COPIES)
    assert report.systems[0].retrieval == {"mrr": 1.0, "recall_at_1": 1.0, "recall_at_10": 1.0, "queries": 8}


def test_the_sample_is_stratified_by_bank_and_seeded():
    banks = ["a"] * 30 + ["b"] * 10
    rows = sample_rows(banks, 8, seed=0)
    assert len(rows) == 8 and sum(row < 30 for row in rows) == 6
    assert rows == sample_rows(banks, 8, seed=0) and rows != sample_rows(banks, 8, seed=1)
    assert sample_rows(banks, 100, seed=0) == list(range(40))


def _unit(cosine: float) -> list[float]:
    return [cosine, float(np.sqrt(1.0 - cosine ** 2))]


def test_each_half_of_the_pairs_is_scored_with_the_threshold_fitted_on_the_other():
    table = np.array([[1.0, 0.0]] + [_unit(c) for c in (0.9, 0.8, 0.1, 0.0, -0.5, 0.7)], np.float32)
    pairs = np.array([[0, k] for k in range(1, 7)])
    judged = Judgments(pairs, np.array([1, 1, 0, 0, 1, 0], np.float32), np.zeros(6, bool),
                       np.array([[0, 1, 3], [0, 4, 2]]), np.zeros(2, bool))
    agrees, thresholds = pair_agreement(table, judged, np.array([0, 1, 0, 1, 0, 1]))
    # fold 0 (0.9 s, 0.1 n, -0.5 s) is cut at 0.75 from fold 1 (0.8 s, 0.7 n, 0.0 n), and fold 1 at 0.5
    assert thresholds == pytest.approx([0.75, 0.5])
    assert agrees.tolist() == [True, True, True, True, False, False, True, False]


def _pair(a, b, label, **extra):
    return {"kind": "pair", "a_path": a, "b_path": b, "label": label, **extra}


def _triplet(anchor, positive, negative):
    return {"kind": "triplet", "anchor_path": anchor, "positive_path": positive, "negative_path": negative}


@pytest.fixture
def judgments(library, tmp_path):
    """Two kept targets (exact copies of presets 0 and 5 at half the level) and judgments on them."""
    presets = library[1]
    copy0 = write_tone(str(tmp_path / "home" / "targets" / "t0.wav"), 110.0, 1, gain=0.2)
    copy5 = write_tone(str(tmp_path / "home" / "targets" / "t5.wav"), 110.0 * 1.3 + 17, 4, gain=0.2)
    similar = [_pair(copy0, presets[0], "similar"), _pair(copy5, presets[5], "similar")]
    different = [_pair(presets[0], presets[7], "not_similar"), _pair(presets[1], presets[6], "not_similar")]
    folds = pair_folds(4, seed=0)  # one fold all copies, the other all different presets
    pairs = [(similar if fold == folds[0] else different).pop() for fold in folds]
    records = pairs + [_triplet(copy0, presets[0], presets[3]), _triplet(copy0, presets[0], presets[7]),
                       _triplet(copy5, presets[2], presets[5]),  # the copy is nearer: disagrees
                       _pair(str(tmp_path / "nowhere.wav"), presets[0], "similar"),
                       _pair(presets[0], presets[1], "similar", source="augment")]
    path = tmp_path / "judged.jsonl"
    write_pairs(path, records)
    return str(path)


def test_judgments_on_the_index_and_on_kept_targets_are_counted(index, judgments):
    report = evaluate_own_library(index, pairs=[judgments], config=COPIES)
    assert report.judgments == {"pair_files": [judgments], "records": 9, "judgments": 7, "pairs": 4, "triplets": 3,
                                "outside_files": 2, "missing_records": 1, "generated_records": 1}
    counts = report.systems[0].judgments
    assert {k: counts[k] for k in ("total", "agree", "pairs", "pairs_agree", "triplets", "triplets_agree")} == {
        "total": 7, "agree": 6, "pairs": 4, "pairs_agree": 4, "triplets": 3, "triplets_agree": 2}
    assert len(counts["thresholds"]) == 2


def test_an_untrained_head_scores_as_the_base_and_its_held_out_presets_are_kept_apart(index, judgments, tmp_path):
    settings = load_head_config({"trainer": {"val_fraction": 0.5}})
    models = save_identity_head(str(tmp_path / "models"), "spectral", settings=settings)
    report = evaluate_own_library(index, pairs=[judgments], heads=["latest"], models_dir=models, config=FAST)
    base, head = report.systems
    assert head.name == "spectral+head:identity" and head.head == "identity"
    assert head.retrieval == pytest.approx(base.retrieval)
    assert {k: v for k, v in head.judgments.items() if k != "thresholds"} == {
        k: v for k, v in base.judgments.items() if k != "thresholds"}
    held = split_presets(open_index(index).hashes, 0.5, 0)
    assert head.held_out["presets"] == int(held.sum()) > 0
    assert head.held_out["head"]["retrieval"]["queries"] == 2 * int(held.sum())
    assert head.held_out["head"]["retrieval"] == pytest.approx(head.held_out["base"]["retrieval"])
    assert any("partly in-sample" in note for note in report.notes)


def test_a_head_of_another_embedder_is_refused(index, tmp_path):
    models = save_identity_head(str(tmp_path / "models"), "spectral", fingerprint="0123456789abcdef")
    with pytest.raises(HeadError, match="fingerprint"):
        evaluate_own_library(index, pairs=[], heads=["latest"], models_dir=models, config=FAST)


def test_the_cli_prints_the_table_and_stable_json(index, judgments, monkeypatch, capsys):
    code, out, err = timbre(monkeypatch, capsys, "eval", "--index", index, "--pairs", judgments,
                            "--presets", "4", "--variants", "1")
    assert code == 0, err
    assert out.startswith("| system | MRR | R@1 | R@10 | judgments agreed | pairs | pair thresholds | triplets |")
    assert "| spectral | " in out and "4 clips of 4 of the 8 previews" in out and "threshold fitted" in out
    code, out, err = timbre(monkeypatch, capsys, "eval", "--index", index, "--pairs", judgments,
                            "--presets", "4", "--variants", "1", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert sorted(report) == ["index", "judgments", "notes", "sample", "systems"]
    assert report["sample"]["previews"] == 4 and report["sample"]["augment"]["variants_per_preset"] == 1
    assert report["systems"][0]["judgments"]["total"] == 7 and 0 <= report["systems"][0]["retrieval"]["mrr"] <= 1


@pytest.mark.parametrize("args, says", [
    (["--index", "{tmp}/nope"], "no timbre index"),
    (["--index", "{index}", "--pairs", "{tmp}/none.jsonl"], "pair file not found"),
    (["--index", "{index}", "--head", "latest", "--models", "{tmp}/models"], "fingerprint"),
    (["--index", "{index}", "--bench", "{tmp}"], "two modes"),
    (["--index", "{index}", "--embedder", "mfcc"], "--embedder does not apply"),
    (["--bench", "{tmp}", "--pairs", "{tmp}/p.jsonl"], "--pairs does not apply"),
])
def test_wrong_inputs_end_in_one_line(index, tmp_path, monkeypatch, capsys, args, says):
    save_identity_head(str(tmp_path / "models"), "spectral", fingerprint="0123456789abcdef")
    code, out, err = timbre(monkeypatch, capsys, "eval", *[a.format(tmp=tmp_path, index=index) for a in args])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err and "Traceback" not in err
    assert not os.path.exists(tmp_path / "eval")
