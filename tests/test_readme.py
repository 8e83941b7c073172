"""Every command in the README's code blocks runs as written, so the docs cannot drift from the tool.

The blocks run in order, in bash from the checkout, with this checkout's `timbre` on PATH and a fresh
HOME holding a demo library where the README puts one (~/Presets/previews, ~/loops/loop.wav):

* ``console``/``bash`` blocks run as written. `timbre app` and `make app` serve until stopped: each must
  print its URL and serve the page, then it is stopped. The benchmark block runs as written except
  ``--size bench`` becomes ``--size small`` and /tmp a temporary folder (the bench render alone takes
  minutes on 2 cores; the same commands, flags and flow run on the small library).
* ``bash weights`` blocks need model weights this machine cannot have: each command must fail with one
  ``error:`` line and exit 2, creating nothing.
* ``text`` blocks that start with `timbre` are synopses: every option they name is in that command's --help.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest
from readme_shell import REPO, block_commands, make_shell, readme_blocks

pytestmark = pytest.mark.slow
SERVERS = ("timbre app", "make app")


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    root = tmp_path_factory.mktemp("readme")
    home = root / "home"
    run = make_shell(root, home)
    run(f"timbre bench render {root}/rendered --size small --seed 3")
    shutil.copytree(root / "rendered" / "previews", home / "Presets" / "previews")
    (home / "loops").mkdir()
    shutil.copy(sorted((root / "rendered" / "targets").glob("*.wav"))[0], home / "loops" / "loop.wav")
    run.root = root
    return run


def serve_and_stop(shell, command: str) -> str:
    """Start a serving command, wait for its URL, fetch the page, stop it; returns the URL."""
    process = subprocess.Popen(["bash", "-c", command], cwd=REPO, env=shell.env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, seen = time.monotonic() + 600, []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            seen.append(line)
            found = re.search(r"timbre app: (http://127\.0\.0\.1:\d+/\?token=\S+)", line)
            if found:
                with urllib.request.urlopen(found.group(1), timeout=60) as page:
                    assert page.status == 200 and b"timbre" in page.read()
                return found.group(1)
            assert line or process.poll() is None, f"`{command}` ended:\n{''.join(seen)[-3000:]}"
        raise AssertionError(f"`{command}` printed no URL:\n{''.join(seen)[-3000:]}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)


def as_small_bench(command: str, tmp: str) -> str:
    return command.replace("--size bench", "--size small").replace("/tmp/", f"{tmp}/")


def test_every_readme_block_runs_as_written(shell):
    ran = []
    for info, body in readme_blocks("README.md"):
        info = info.strip()
        for command in block_commands(body):
            if info == "bash weights":
                failed = shell(command, check=False, env={**shell.env, "HF_HUB_OFFLINE": "1"})
                lines = failed.stderr.strip().splitlines()
                assert failed.returncode == 2 and lines[-1].startswith("error: ") and "Traceback" not in failed.stderr, \
                    (command, failed.stderr[-2000:])
            elif info in ("console", "bash", ""):
                if command.startswith(SERVERS):
                    serve_and_stop(shell, command)
                else:
                    shell(as_small_bench(command, str(shell.root)))
            else:
                continue
            ran.append(command)
    assert any(c.startswith("timbre search ~/loops/loop.wav") for c in ran)
    assert {"make app", "timbre app"} <= set(ran) and any(c.startswith("timbre eval --bench") for c in ran)
    assert not (shell.home / ".timbre" / "clap").exists(), "a failed command left an index behind"


def test_synopsis_options_exist(shell):
    for info, body in readme_blocks("README.md"):
        if info.strip() != "text":
            continue
        for line in block_commands(body):
            words = line.split()
            if words[0] != "timbre":
                break
            command = [w for w in words[1:3] if re.fullmatch(r"[a-z]+", w)]
            help_text = shell(f"timbre {' '.join(command)} --help").stdout
            for option in re.findall(r"(--[a-z][a-z-]*)", line):
                assert option in help_text, f"{line!r}: {option} is not in `timbre {' '.join(command)} --help`"
