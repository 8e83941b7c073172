"""A whole labeling session against a real Label Studio server (own venv, 127.0.0.1, fresh DB).

The index is built from synthesized previews under the server's document root; a script posts
the answers a person would give (same family = similar); pull must turn them into the pair
file exactly once, and the heads code must train on it.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from chromium_path import ARGS as CHROMIUM_ARGS
from chromium_path import chromium_or_skip
from demo_audio import synthesize_library, write_loop

from timbre.errors import LabelingError
from timbre.heads.pairs import read_pairs
from timbre.labeling.client import ConnectionSettings, StudioClient
from timbre.labeling.interface import choice_result

pytestmark = [pytest.mark.slow, pytest.mark.labelstudio]



def _synthesize_library(root: str) -> str:
    return synthesize_library(os.path.join(root, "library"))


def _answer_like_a_person(server, project_id: int) -> dict[int, str]:
    """Post the judgment a listener would give to each task; returns task id -> choice."""
    from label_studio_sdk import LabelStudio

    sdk = LabelStudio(base_url=server.url, api_key=server.settings.api_key)
    answers = {}
    for task in sdk.tasks.list(project=project_id, fields="all"):
        same = os.path.basename(os.path.dirname(task.data["a_path"])) == \
            os.path.basename(os.path.dirname(task.data["b_path"]))
        answers[task.id] = "similar" if same else "not_similar"
        sdk.annotations.create(task.id, result=choice_result(answers[task.id]), was_cancelled=False)
    first, second = sorted(answers)[:2]
    sdk.annotations.create(first, result=choice_result("maybe"), was_cancelled=False)  # not ours: rejected
    sdk.annotations.create(second, result=[], was_cancelled=True)  # skipped in the UI
    return answers


@pytest.fixture(scope="module")
def session(ls_server, tmp_path_factory):
    """Index -> push (CLI, then library with the queries strategy) -> answers -> pull."""
    from typer.testing import CliRunner

    from timbre.cli.main import app
    from timbre.index import build_index
    from timbre.labeling import pull_annotations

    work = tmp_path_factory.mktemp("session")
    library = _synthesize_library(ls_server.document_root)
    index = str(work / "index")
    build_index([library], index, "spectral", workers=0)
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.settings.api_key,
           "LABEL_STUDIO_DOCUMENT_ROOT": ls_server.document_root, "TIMBRE_HOME": str(work / "home")}
    pushed = CliRunner().invoke(app, ["label", "push", "--index", index, "--strategy", "diverse", "--n", "6",
                                      "--json"], env=env)
    assert pushed.exit_code == 0, pushed.output
    report = json.loads(pushed.stdout)
    client = StudioClient(ls_server.settings)
    answers = _answer_like_a_person(ls_server, report["project_id"])
    pairs = str(work / "pairs.jsonl")
    pulled = pull_annotations(index, pairs, project=report["project"], client=client)
    return {"index": index, "pairs": pairs, "env": env, "push": report, "answers": answers, "pull": pulled,
            "client": client, "work": work}


def test_push_sends_playable_new_pairs_once(session, ls_server):
    from timbre.labeling import push_tasks

    report = session["push"]
    assert report["pushed"] == 6 and report["url"] == f"{ls_server.url}/projects/{report['project_id']}/data"
    client = session["client"]
    tasks = list(client.iter_tasks(report["project_id"]))
    assert len({t["data"]["pair_id"] for t in tasks}) == 6
    target = session["work"] / "loop.wav"
    write_loop(str(target))  # a G3 saw loop
    again = push_tasks(session["index"], strategy="queries", targets=[str(target)], n=3, project=report["project"],
                       models_dir=str(session["work"] / "no-models"), client=client)
    tasks = list(client.iter_tasks(report["project_id"]))
    assert again.pushed == 3 and len({t["data"]["pair_id"] for t in tasks}) == len(tasks) == 9
    url = ls_server.url + tasks[0]["data"]["a"]
    request = urllib.request.Request(url, headers={"Authorization": f"Token {ls_server.settings.api_key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and response.read(4) == b"OggS"


def test_pull_writes_each_judgment_once(session):
    pulled, answers = session["pull"], session["answers"]
    assert pulled.added == len(answers) == 6 and pulled.cancelled == 1
    assert len(pulled.invalid) == 1 and "unknown choice 'maybe'" in pulled.invalid[0]
    assert pulled.disagreements == []  # one annotator
    records = read_pairs(session["pairs"])
    assert len(records) == 6
    for rec in records:
        same = os.path.dirname(rec["a_path"]) == os.path.dirname(rec["b_path"])
        assert rec["label"] == ("similar" if same else "not_similar")
        assert rec["source"] == "labelstudio" and rec["annotator"] == "labeler@timbre.local"
        assert rec["created_at"].startswith("20")
    from timbre.labeling import label_status, pull_annotations

    again = pull_annotations(session["index"], session["pairs"], project=session["push"]["project"],
                             client=session["client"])
    assert again.added == 0 and read_pairs(session["pairs"]) == records
    (status,) = label_status(session["index"], project=session["push"]["project"], client=session["client"])
    assert (status.pulled, status.to_pull) == (6, 0) and status.labeled >= 6


def test_cli_status_json_and_wrong_key(session):
    from typer.testing import CliRunner

    from timbre.cli.main import app

    env = dict(session["env"])
    result = CliRunner().invoke(app, ["label", "status", "--index", session["index"], "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert [p["pulled"] for p in json.loads(result.stdout) if p["mode"] == "pair"] == [6]
    with pytest.raises(LabelingError, match="refused the API key"):
        StudioClient(ConnectionSettings(env["LABEL_STUDIO_URL"], "not-the-key")).whoami()


def test_a_head_trains_on_the_pulled_pairs_and_steers_the_next_push(session):
    try:
        from timbre.heads.train import train_head
    except ImportError as exc:
        pytest.skip(f"timbre.heads.train is not available yet ({exc})")
    from timbre.labeling import push_tasks

    models = str(session["work"] / "models")
    # One augmented clip per preset lets the run validate whichever preset is held out: that follows the
    # previews' content hashes (fixed bytes via write_ogg, but any change to the audio moves it), and 6
    # pulled pairs may miss it.
    info = train_head(session["index"], pairs=[session["pairs"]], models_dir=models, max_epochs=2, augment=True,
                      config={"augment": {"variants_per_preset": 1}})
    assert info.training["pair_files"][0]["records"] == 6 and info.training["missing"]["records"] == 0
    report = push_tasks(session["index"], strategy="uncertainty", n=2, project=session["push"]["project"],
                        models_dir=models, pairs_file=session["pairs"], client=session["client"])
    assert report.pushed == 2 and not [n for n in report.notes if "no trained head" in n], report.notes


@pytest.fixture(scope="module")
def triplets(session):
    """``push --mode triplet`` (CLI) after the pair session, answered (A closer), then ``pull`` (CLI)."""
    from label_studio_sdk import LabelStudio
    from typer.testing import CliRunner

    from timbre.cli.main import app

    env, index = session["env"], session["index"]
    pushed = CliRunner().invoke(app, ["label", "push", "--index", index, "--mode", "triplet", "--n", "3", "--json"],
                                env=env)
    assert pushed.exit_code == 0, pushed.output
    report = json.loads(pushed.stdout)
    sdk = LabelStudio(base_url=env["LABEL_STUDIO_URL"], api_key=env["LABEL_STUDIO_API_KEY"])
    tasks = list(sdk.tasks.list(project=report["project_id"], fields="all"))
    for task in tasks:
        sdk.annotations.create(task.id, result=choice_result("a_closer", "triplet"), was_cancelled=False)
    pairs = str(session["work"] / "pairs.jsonl")
    pulled = CliRunner().invoke(app, ["label", "pull", "--index", index, "--out", pairs, "--json"], env=env)
    assert pulled.exit_code == 0, pulled.output
    return {"push": report, "tasks": tasks, "pull": json.loads(pulled.stdout), "pairs": pairs}


def test_triplets_get_a_project_of_their_own_and_pull_as_triplets(session, triplets):
    report = triplets["push"]
    assert report["pushed"] == 3 and report["project"] == "timbre similarity (triplets)"
    assert report["project_id"] != session["push"]["project_id"]
    config = session["client"].get_project(report["project_id"])["label_config"]
    assert '<Audio name="r"' in config and "a_closer" in config and "not_similar" not in config
    pull = triplets["pull"]  # pulls both projects: only the pair session's 'maybe' is invalid
    assert pull["projects"] == ["timbre similarity", "timbre similarity (triplets)"] and pull["added"] == 3
    assert len(pull["invalid"]) == 1 and "unknown choice 'maybe'" in pull["invalid"][0]
    records = [r for r in read_pairs(triplets["pairs"]) if r["kind"] == "triplet"]
    by_anchor = {r["anchor_hash"]: r for r in records}
    for task in triplets["tasks"]:
        record = by_anchor[task.data["r_hash"]]
        assert (record["positive_hash"], record["negative_hash"]) == (task.data["a_hash"], task.data["b_hash"])




def _artifact_dir() -> str:
    folder = os.path.join(os.path.dirname(__file__), "..", "..", "artifacts", "labeling")
    os.makedirs(folder, exist_ok=True)
    return os.path.abspath(folder)


def test_a_pushed_task_plays_both_clips_in_the_browser(session, ls_server):
    """Log in as the session's user, open a task's labeling page, and play A and B."""
    playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    executable = chromium_or_skip()
    project_id = session["push"]["project_id"]
    task_id = min(session["answers"])
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _log_in(page, ls_server)
            page.goto(f"{ls_server.url}/projects/{project_id}/data?task={task_id}", timeout=90_000)
            page.wait_for_function("document.querySelectorAll('audio').length >= 2 && Array.from("
                                   "document.querySelectorAll('audio')).every(a => a.readyState >= 2)",
                                   timeout=90_000)
            players = page.evaluate("""async () => Promise.all(Array.from(document.querySelectorAll('audio'))
                .map(async a => { a.muted = true; await a.play(); await new Promise(r => setTimeout(r, 400));
                                  const t = a.currentTime; a.pause();
                                  return {src: a.src, ready: a.readyState, duration: a.duration, played: t}; }))""")
            shot = os.path.join(_artifact_dir(), f"task-{task_id}.png")
            page.screenshot(path=shot, full_page=True)
            print(f"\nscreenshot: {shot}")
        finally:
            browser.close()
    assert len(players) == 2, players
    for player in players:
        assert "/data/local-files/?d=library" in player["src"]
        assert player["ready"] >= 2 and player["duration"] > 1.0 and player["played"] > 0, player


def test_a_triplet_task_shows_the_reference_and_both_choices(triplets, ls_server):
    """The triplet screen plays R, A and B and offers a_closer / b_closer / skip (not the pair choices)."""
    playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    executable = chromium_or_skip()
    task_id = triplets["tasks"][0].id
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            _log_in(page, ls_server)
            page.goto(f"{ls_server.url}/projects/{triplets['push']['project_id']}/data?task={task_id}",
                      timeout=90_000)
            page.wait_for_function("document.querySelectorAll('audio').length >= 3", timeout=90_000)
            page.wait_for_timeout(1500)
            sources = page.evaluate("Array.from(document.querySelectorAll('audio')).map(a => a.src)")
            text = page.inner_text("body")
            shot = os.path.join(_artifact_dir(), f"triplet-task-{task_id}.png")
            page.screenshot(path=shot, full_page=True)
            print(f"\nscreenshot: {shot}")
        finally:
            browser.close()
    assert len(sources) == 3 and all("/data/local-files/?d=library" in s for s in sources)
    for words in ("Which of A or B sounds closer to R", "R: ", "A: ", "B: ", "a_closer", "b_closer", "skip"):
        assert words in text, words
    assert "not_similar" not in text


def _log_in(page, server) -> None:
    page.goto(f"{server.url}/user/login", timeout=90_000)
    page.fill("input[name=email]", server.command.env["LABEL_STUDIO_USERNAME"])
    page.fill("input[name=password]", server.command.env["LABEL_STUDIO_PASSWORD"])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/user/login" not in url, timeout=60_000)
