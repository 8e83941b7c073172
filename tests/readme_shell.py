"""Run a README's commands as its reader would: bash in the checkout, `timbre` on PATH, a fresh HOME."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = Path(__import__("timbre").__file__).resolve().parents[1]
RUNNABLE = ("", "bash", "sh", "shell")


def readme_blocks(relpath: str) -> list[tuple[str, str]]:
    """``(info string, body)`` of every fenced code block of a README."""
    text = (REPO / relpath).read_text(encoding="utf-8")
    return re.findall(r"^```([^\n]*)\n(.*?)^```", text, flags=re.S | re.M)


def block_commands(body: str) -> list[str]:
    """The command lines of one block: comments and blank lines dropped; in a block with `$ `
    prompts only the prompted lines (the others are output)."""
    lines = [line.rstrip() for line in body.splitlines()]
    if any(line.startswith("$ ") for line in lines):
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in lines]
    return [line for line in lines if line and not line.startswith("#")]


def readme_commands(relpath: str, infos: tuple[str, ...] = RUNNABLE + ("console",)) -> list[str]:
    """The command lines of the README's blocks whose info string is one of ``infos``."""
    blocks = [body for info, body in readme_blocks(relpath) if info.strip() in infos]
    assert blocks, f"{relpath} has no runnable code block"
    return [command for body in blocks for command in block_commands(body)]


def make_shell(root: Path, home: Path, timeout: float = 900):
    """``run(command)`` in bash from the checkout with HOME=``home`` and this checkout's `timbre` and
    `python` first on PATH; it asserts exit 0 unless ``check=False``. ``run.env`` and ``run.home`` are exposed."""
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "timbre").write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" -m timbre "$@"\n')
    (bin_dir / "timbre").chmod(0o755)
    (bin_dir / "python").write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)  # `python benchmarks/...` means the project's python
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TIMBRE_", "LABEL_STUDIO_", "PYTHONPATH"))}
    env.update(HOME=str(home), PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", TIMBRE_THREADS="2")

    def run(command: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("env", env)
        result = subprocess.run(["bash", "-c", command], cwd=REPO, capture_output=True, text=True,
                                timeout=timeout, **kw)
        if check:
            assert result.returncode == 0, f"`{command}` failed ({result.returncode}):\n{result.stderr[-3000:]}"
        return result

    run.env, run.home, run.bin = env, home, bin_dir
    assert run("command -v timbre").stdout.strip() == str(bin_dir / "timbre")
    return run
