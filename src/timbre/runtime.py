"""Process-wide runtime settings: thread counts and offline behaviour.

On small machines, torch, faiss and BLAS each start one thread per core by default and
oversubscribe the CPU (5-20x slower on 2 cores). ``pin_threads`` is called once by the CLI
before heavy imports; library users may call it themselves.
"""

from __future__ import annotations

import os

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def default_threads() -> int:
    """Threads for compute in this process: ``TIMBRE_THREADS`` or the usable core count."""
    env = os.environ.get("TIMBRE_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pin_threads(threads: int | None = None) -> int:
    """Pin BLAS/OpenMP (env), torch and faiss to ``threads``; returns the count used.

    Environment variables only take effect for libraries not yet loaded, so call this
    early. torch and faiss are configured only if already imported, to keep start-up fast;
    modules that import them later call ``configure_torch`` / ``configure_faiss``.
    """
    n = threads or default_threads()
    for var in _THREAD_VARS:
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import sys

    if "torch" in sys.modules:
        configure_torch(n)
    if "faiss" in sys.modules:
        configure_faiss(n)
    return n


def configure_torch(threads: int | None = None) -> None:
    """Set torch's intra-op and inter-op thread counts (inter-op only once per process)."""
    import torch

    n = threads or default_threads()
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass


def configure_faiss(threads: int | None = None) -> None:
    """Set faiss's OpenMP thread count."""
    import faiss

    faiss.omp_set_num_threads(threads or default_threads())


def timbre_home() -> str:
    """Folder for the user's default index and models: ``TIMBRE_HOME`` or ``~/.timbre``."""
    return os.environ.get("TIMBRE_HOME") or os.path.join(os.path.expanduser("~"), ".timbre")


def default_index_path() -> str:
    """``TIMBRE_INDEX`` or ``$TIMBRE_HOME/index``."""
    return os.environ.get("TIMBRE_INDEX") or os.path.join(timbre_home(), "index")


def default_models_dir() -> str:
    """``TIMBRE_MODELS`` or ``$TIMBRE_HOME/models`` (heads live in ``<models>/heads``)."""
    return os.environ.get("TIMBRE_MODELS") or os.path.join(timbre_home(), "models")
