"""Every command in the code blocks of labeling/README.md and training/README.md runs as written.

The commands run in bash from the checkout, with `timbre` on PATH being this checkout's, against a
demo library where the READMEs say it is: previews in ~/Music/presets, loops in ~/loops (HOME is
a fresh folder, so $TIMBRE_HOME is ~/.timbre). The labeling session starts the real Label Studio
(its port through the documented $TIMBRE_LABELSTUDIO_PORT) and answers the pushed questions as a
person would in the browser before the pull.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest
from demo_audio import synthesize_library, write_loop
from readme_shell import REPO, make_shell, readme_commands

pytestmark = pytest.mark.slow

START_TIMEOUT = float(os.environ.get("TIMBRE_LS_START_TIMEOUT", "420"))


@pytest.fixture
def shell(tmp_path):
    """``run(command)`` in bash from the checkout, with the demo library in a fresh HOME."""
    home = tmp_path / "home"
    synthesize_library(str(home / "Music" / "presets"), per_family=6)
    (home / "loops").mkdir()
    write_loop(str(home / "loops" / "my_loop.wav"))
    write_loop(str(home / "loops" / "other_loop.wav"), "sine", 261.6, 2)
    run = make_shell(tmp_path, home, timeout=600)
    assert run("timbre --help").stdout
    return run


def test_training_readme_runs_as_written(shell):
    commands = readme_commands("training/README.md")
    assert commands[0].startswith("timbre index") and any(c.startswith("timbre train") for c in commands)
    for command in commands:
        shell(command)
    assert "no trained heads" in shell("timbre heads list").stdout  # the README's `rm latest` removed it


def _answer_every_task(home) -> int:
    """What the person does in the browser: answer each question (same bank folder = similar)."""
    from label_studio_sdk import LabelStudio

    from timbre.labeling.interface import choice_result

    conn = json.loads((home / ".timbre" / "labelstudio.json").read_text())
    sdk = LabelStudio(base_url=conn["url"], api_key=conn["api_key"])
    answered = 0
    for project in sdk.projects.list():
        for task in sdk.tasks.list(project=project.id, fields="all"):
            folders = [os.path.dirname(task.data[f"{role}_path"]) for role in ("a", "b")]
            choice = "similar" if folders[0] == folders[1] else "not_similar"
            sdk.annotations.create(task.id, result=choice_result(choice), was_cancelled=False)
            answered += 1
    return answered


def _start_terminal_one(shell, command: str) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(["bash", "-c", command], cwd=REPO, env=shell.env, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    lines, deadline = [], time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "is up at" in line:
            return process, lines
    os.killpg(process.pid, signal.SIGTERM)
    raise AssertionError(f"`{command}` did not bring Label Studio up:\n{''.join(lines)[-3000:]}")


@pytest.mark.labelstudio
def test_labeling_readme_runs_as_written(shell):
    from timbre.errors import LabelingError
    from timbre.labeling.server import free_port, server_executable

    pytest.importorskip("label_studio_sdk")
    try:
        venv = os.path.dirname(os.path.dirname(server_executable()))
    except LabelingError as exc:
        pytest.skip(str(exc))
    shell.env.update(TIMBRE_LABELSTUDIO_VENV=venv, TIMBRE_LABELSTUDIO_PORT=str(free_port()))
    commands = readme_commands("labeling/README.md")
    assert [c.split()[:3] for c in commands] == [["timbre", "index", "~/Music/presets"],
                                                 ["bash", "labeling/server.sh", "--document-root"],
                                                 ["timbre", "label", "push"], ["timbre", "label", "pull"]]
    shell(commands[0])
    server, lines = _start_terminal_one(shell, commands[1])
    try:
        pushed = shell(commands[2])
        assert re.search(r"pushed [1-9]\d* new pairs", pushed.stdout), pushed.stdout + pushed.stderr
        answered = _answer_every_task(shell.home)
        pulled = shell(commands[3])
        assert f"added {answered} judgments to {shell.home}/.timbre/pairs.jsonl" in pulled.stdout
        assert "(latest)" in pulled.stdout  # the head was trained ...
        info = json.loads(shell("timbre heads show latest --json").stdout)
        assert info["training"]["pair_files"][0]["records"] == answered  # ... on the pulled judgments
        assert "was deleted" not in shell("timbre label server --start && timbre label status").stderr
    finally:
        os.kill(server.pid, signal.SIGHUP)  # closing terminal 1
        code = server.wait(60)
    assert code == 0 and "Label Studio stopped (SIGHUP)" in server.stderr.read()
