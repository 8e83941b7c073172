"""The CLI starts fast: `timbre --help` must not import torch, transformers or faiss."""

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "faiss", "pytorch_lightning", "lightning", "matplotlib")


def _imported_modules_after(code: str) -> set[str]:
    probe = code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_lists_the_commands_without_heavy_imports():
    code = (
        "import sys\n"
        "sys.argv = ['timbre', '--help']\n"
        "from timbre.cli.main import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
    )
    modules = _imported_modules_after(code)
    assert not [m for m in HEAVY if m in modules], f"heavy imports at start-up: {modules & set(HEAVY)}"


def test_help_shows_the_main_commands():
    out = subprocess.run([sys.executable, "-m", "timbre", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for command in ("index", "search", "info", "train", "eval", "label", "heads", "bench"):
        assert command in out.stdout, f"`timbre --help` does not list {command}"
