"""Decode workers: started single-threaded whatever the parent's thread settings, results in order."""

import os
import sys

import pytest

from timbre.index import workers


def start_environment(_item) -> dict[str, str]:
    """The environment this worker process was started with (not later changes to os.environ)."""
    with open("/proc/self/environ", "rb") as fh:
        pairs = [entry.split(b"=", 1) for entry in fh.read().split(b"\0") if b"=" in entry]
    return {key.decode(): value.decode() for key, value in pairs}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/environ")
def test_workers_start_with_one_blas_thread_even_when_the_parent_pinned_more(monkeypatch):
    # The CLI pins BLAS to every core for its own process; a worker inheriting that at start
    # (numpy reads it on import, before the pool initializer runs) oversubscribes the CPU.
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    seen = list(workers.ordered_pool_map(start_environment, range(4), 2, (os.getpid(), None, {}, 22050)))
    assert len(seen) == 4
    for environment in seen:
        assert environment["OPENBLAS_NUM_THREADS"] == "1" and environment["OMP_NUM_THREADS"] == "1"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2" and "OMP_NUM_THREADS" not in os.environ  # restored


def test_results_come_back_in_the_order_of_the_items():
    assert list(workers.ordered_pool_map(abs, range(0, -20, -1), 2, (os.getpid(), None, {}, 22050))) == list(range(20))
