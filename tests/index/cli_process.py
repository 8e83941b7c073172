"""Run `python -m timbre` in a subprocess with the toy embedders registered, and watch its process group."""

import os
import signal
import sys
import time

import timbre

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(timbre.__file__)))  # the timbre under test

# `python -m timbre` with the toy embedders registered and small commits (8 files per shard).
LAUNCHER = (
    "import runpy, sys\n"
    f"sys.path[:0] = [{SRC_DIR!r}, {TESTS_DIR!r}]\n"
    "import toy_embedders, timbre.embedders, timbre.index.builder as builder\n"
    "timbre.embedders.BUILTIN.update(toy_embedders.REGISTRY)\n"
    "builder.COMMIT_ROWS = 8\n"
    "sys.argv = ['timbre'] + sys.argv[1:]\n"
    "runpy.run_module('timbre', run_name='__main__')\n"
)


def timbre_args(*args):
    """argv for a `timbre` subprocess."""
    return [sys.executable, "-c", LAUNCHER, *map(str, args)]


def group_exits(pgid, timeout):
    """True once no process of group ``pgid`` is left (within ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def children_of(pid, cmdline_has=""):
    """Pids whose parent is ``pid`` and whose command line contains ``cmdline_has`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) == pid and cmdline_has in cmdline:
            found.append(int(entry))
    return found
