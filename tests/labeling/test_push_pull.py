"""push / pull / status against a fake Label Studio: nothing re-sent, nothing pulled twice or lost."""

import json
import os

import pytest

from timbre.errors import LabelingError
from timbre.heads.pairs import read_pairs
from timbre.labeling import label_status, pull_annotations, push_tasks


@pytest.fixture
def session(tmp_path, library, studio):
    """Keyword arguments shared by the calls of one session."""
    return {"client": studio, "ledger_path": str(tmp_path / "ledger.json")}


def _push(library, session, **kw):
    return push_tasks(library.path, **{"strategy": "random", "n": 5, **kw}, **session)


def _pull(library, session, out):
    return pull_annotations(library.path, str(out), **session)


def test_push_creates_a_playable_project_and_never_resends(library, studio, session):
    first = _push(library, session)
    assert first.pushed == 5 and first.url.endswith(f"/projects/{first.project_id}/data")
    (project_id,) = studio.projects
    storages = studio.storages[project_id]
    tasks = studio.tasks[project_id]
    for task in tasks:
        data = task["data"]
        for role in ("a", "b"):
            assert data[role].startswith("/data/local-files/?d=library/bank")
            assert "preset%20" in data[role]  # spaces quoted
            assert any(data[f"{role}_path"].startswith(s + os.sep) for s in storages)
            assert data[f"{role}_hash"].startswith("hash")
    second = _push(library, session)
    assert second.pushed == 5 and len(studio.projects) == 1
    pair_ids = [t["data"]["pair_id"] for t in studio.tasks[project_id]]
    assert len(pair_ids) == len(set(pair_ids)) == 10


def test_a_lost_ledger_still_does_not_resend(library, studio, session, tmp_path):
    _push(library, session, n=30)
    os.remove(session["ledger_path"])
    _push(library, session, n=30)
    pair_ids = [t["data"]["pair_id"] for t in studio.tasks[1]]
    assert len(pair_ids) == len(set(pair_ids)) == 60


def test_pull_is_idempotent_and_keeps_each_annotators_judgment(library, studio, session, tmp_path):
    _push(library, session, n=4)
    t1, t2, t3, t4 = studio.tasks[1]
    studio.annotate(t1, "similar", user=1)
    studio.annotate(t1, "not_similar", user=2)  # disagreement
    studio.annotate(t2, "not_similar")
    studio.annotate(t3, "skip")
    studio.annotate(t4, "whatever")
    studio.annotate(t4, "", cancelled=True)
    out = tmp_path / "pairs.jsonl"
    report = _pull(library, session, out)
    assert (report.added, report.skipped, report.cancelled) == (3, 1, 1)
    assert len(report.invalid) == 1 and "unknown choice 'whatever'" in report.invalid[0]
    assert len(report.disagreements) == 1 and "ana@studio, bo@studio" in report.disagreements[0]
    records = read_pairs(out)
    assert {(r["annotator"], r["label"]) for r in records} == {
        ("ana@studio", "similar"), ("bo@studio", "not_similar"), ("ana@studio", "not_similar")}
    assert all(r["source"] == "labelstudio" and r["created_at"] == "2026-11-21T01:00:00Z" for r in records)
    assert records[0]["a_hash"] == t1["data"]["a_hash"]
    again = _pull(library, session, out)
    assert again.added == 0 and again.already_pulled == 3
    assert read_pairs(out) == records


def test_a_changed_answer_replaces_the_old_record(library, studio, session, tmp_path):
    _push(library, session, n=1)
    (task,) = studio.tasks[1]
    ann = studio.annotate(task, "similar")
    out = tmp_path / "pairs.jsonl"
    _pull(library, session, out)
    ann["result"][0]["value"]["choices"] = ["not_similar"]
    report = _pull(library, session, out)
    assert (report.added, report.replaced) == (1, 1)
    assert [r["label"] for r in read_pairs(out)] == ["not_similar"]


def test_triplet_answers_become_triplets(library, studio, session, tmp_path):
    _push(library, session, n=2, mode="triplet")
    (project,) = studio.projects.values()
    assert project["title"] == "timbre similarity (triplets)" and 'name="r"' in project["label_config"]
    t1, t2 = studio.tasks[1]
    studio.annotate(t1, "a_closer", mode="triplet")
    studio.annotate(t2, "b_closer", mode="triplet")
    out = tmp_path / "pairs.jsonl"
    assert _pull(library, session, out).added == 2
    first, second = read_pairs(out)
    assert first["kind"] == "triplet" and first["anchor_hash"] == t1["data"]["r_hash"]
    assert first["positive_hash"] == t1["data"]["a_hash"] and second["positive_hash"] == t2["data"]["b_hash"]


def test_triplets_after_pairs_go_to_their_own_project_and_both_are_pulled(library, studio, session, tmp_path):
    pairs = _push(library, session, n=2)
    triplets = _push(library, session, n=2, mode="triplet")
    assert triplets.project_id != pairs.project_id
    configs = {p["title"]: p["label_config"] for p in studio.projects.values()}
    assert 'name="r"' in configs["timbre similarity (triplets)"] and 'name="r"' not in configs["timbre similarity"]
    assert all(t["data"]["mode"] == "pair" for t in studio.tasks[pairs.project_id])
    for task in studio.tasks[pairs.project_id]:
        studio.annotate(task, "similar")
    for task in studio.tasks[triplets.project_id]:
        studio.annotate(task, "b_closer", mode="triplet")
    out = tmp_path / "pairs.jsonl"
    report = _pull(library, session, out)
    assert report.invalid == [] and report.added == 4
    assert sorted(r["kind"] for r in read_pairs(out)) == ["pair", "pair", "triplet", "triplet"]
    statuses = label_status(library.path, **session)
    assert [(s.mode, s.pushed, s.pulled) for s in statuses] == [("pair", 2, 2), ("triplet", 2, 2)]


def test_triplets_into_a_named_pair_project_are_refused(library, studio, session):
    _push(library, session, n=2, project="mine")
    with pytest.raises(LabelingError, match="asks pair questions, not triplets") as err:
        _push(library, session, n=2, mode="triplet", project="mine")
    assert "\n" not in str(err.value) and len(studio.projects) == 1 and len(studio.tasks[1]) == 2


def test_a_refused_push_creates_no_project(library, studio, session, tmp_path):
    with pytest.raises(LabelingError, match="--strategy queries needs your target files"):
        _push(library, session, strategy="queries")
    with pytest.raises(LabelingError, match="does not exist"):
        _push(library, session, strategy="queries", targets=[str(tmp_path / "nope.wav")])
    with pytest.raises(LabelingError, match="used only by --strategy queries"):
        _push(library, session, strategy="random", targets=[str(tmp_path)])
    with pytest.raises(LabelingError, match="unknown strategy"):
        _push(library, session, strategy="nearest")
    assert studio.projects == {}


def test_pulled_pairs_are_not_pushed_again_even_to_a_new_project(library, studio, session, tmp_path):
    _push(library, session, n=20)
    for task in studio.tasks[1]:
        studio.annotate(task, "similar")
    out = tmp_path / "pairs.jsonl"
    _pull(library, session, out)
    studio.delete_project(1)
    report = _push(library, session, n=20, pairs_file=str(out))
    assert any("is gone" in note for note in report.notes)
    old = {t["data"]["pair_id"] for t in studio.tasks[1]}
    new = {t["data"]["pair_id"] for t in studio.tasks[report.project_id]}
    assert report.project_id != 1 and len(new) == 20 and not old & new


def test_pull_and_status_of_a_deleted_project_say_so(library, studio, session, tmp_path):
    _push(library, session, n=2)
    studio.delete_project(1)
    with pytest.raises(LabelingError, match="was deleted"):
        _pull(library, session, tmp_path / "pairs.jsonl")
    with pytest.raises(LabelingError, match="was deleted"):
        label_status(library.path, **session)


def test_pull_before_any_push_says_push_first(library, session, tmp_path):
    with pytest.raises(LabelingError, match="run `timbre label push` first"):
        _pull(library, session, tmp_path / "pairs.jsonl")


def test_status_counts(library, studio, session, tmp_path):
    _push(library, session, n=5)
    tasks = studio.tasks[1]
    studio.annotate(tasks[0], "similar")
    studio.annotate(tasks[1], "not_similar")
    _pull(library, session, tmp_path / "pairs.jsonl")
    studio.annotate(tasks[2], "similar")
    studio.annotate(tasks[3], "skip")
    studio.annotate(tasks[3], "maybe", user=2)
    studio.annotate(tasks[4], "", cancelled=True)
    (status,) = label_status(library.path, **session)
    status = status.to_dict()
    keys = ("pushed", "labeled", "pending", "annotations", "pulled", "to_pull", "invalid")
    assert {k: status[k] for k in keys} == {"pushed": 5, "labeled": 4, "pending": 1, "annotations": 5,
                                            "pulled": 2, "to_pull": 1, "invalid": 1}
    json.dumps(status)


def test_moved_files_are_left_out_of_a_push_with_a_note(library, session):
    for path in library.paths[::2]:
        os.remove(path)
    report = _push(library, session, n=5)
    assert report.pushed == 5 and any("moved or deleted since indexing" in n for n in report.notes)
    for path in library.paths[1::2]:
        os.remove(path)
    with pytest.raises(LabelingError, match="run `timbre index` again"):
        _push(library, session, n=5)


def test_presets_outside_the_document_root_are_refused(library, studio, session, tmp_path):
    studio.settings = studio.settings.__class__(studio.url, "key", str(tmp_path / "elsewhere"))
    os.makedirs(studio.settings.document_root)
    with pytest.raises(LabelingError, match="outside the Label Studio document root"):
        _push(library, session)
