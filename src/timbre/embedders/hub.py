"""Finding model weights without hanging: local paths, the Hugging Face hub, weight hashes.

A model reference is a local folder, a local checkpoint file, or a hub id. The hub is only
contacted when ``HF_HUB_OFFLINE`` is not set and the endpoint answers a 2-s TCP probe;
otherwise only the local cache is used (``local_files_only``), so a missing model fails in
seconds with a message that says what to pass instead of retrying for minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tempfile
from urllib.parse import urlparse

from timbre.errors import ModelLoadError

PROBE_TIMEOUT_S = 2.0
#: Files a transformers model folder needs (weights are fetched separately, one format only).
CONFIG_PATTERNS = ["*.json", "*.txt", "*.model"]
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")
_TRUE = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """True when the user asked for no network (``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``)."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Cheap TCP probe of ``HF_ENDPOINT`` (default huggingface.co:443)."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def limit_hub_timeouts() -> None:
    """Short hub timeouts unless the user chose their own (read when huggingface_hub loads)."""
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "5")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "15")


def looks_like_path(ref: str) -> bool:
    """A reference the user meant as a file or folder rather than a hub id."""
    return (
        ref.startswith(("/", ".", "~"))
        or ref.lower().endswith(WEIGHT_SUFFIXES)
        or os.path.exists(ref)
        or ref.count("/") > 1
        or "\\" in ref
    )


def missing_model_error(ref: str, what: str, detail: str) -> ModelLoadError:
    """The one-line error for a model that cannot be found."""
    return ModelLoadError(
        f"{what} model '{ref}' is not available ({detail}); pass --model /path/to/folder-or-checkpoint, "
        f"or run once with network access (HF_HUB_OFFLINE unset) to download it from huggingface.co"
    )


def hub_snapshot(repo_id: str, what: str) -> str:
    """Local folder with the config, tokenizer and weights of hub model ``repo_id``."""
    limit_hub_timeouts()
    local_only = hub_offline() or not hub_reachable()
    from huggingface_hub import snapshot_download

    def fetch(patterns: list[str]) -> str:
        return snapshot_download(repo_id, allow_patterns=patterns, local_files_only=local_only)

    try:
        folder = fetch(CONFIG_PATTERNS + ["model.safetensors"])
        if not any(os.path.exists(os.path.join(folder, f)) for f in WEIGHT_FILES):
            folder = fetch(CONFIG_PATTERNS + ["pytorch_model.bin"])
    except Exception as err:  # hub raises many types: offline, 404, timeouts, auth
        reason = "offline and not in the local cache" if local_only else type(err).__name__
        raise missing_model_error(repo_id, what, reason) from None
    if not any(os.path.exists(os.path.join(folder, f)) for f in WEIGHT_FILES):
        raise missing_model_error(repo_id, what, "no weights in the downloaded snapshot")
    return folder


def read_torch_checkpoint(path: str, hint: str):
    """``torch.load`` a checkpoint safely (on the CPU); one-line ``ModelLoadError`` ending in
    ``hint`` when the file is not a readable PyTorch checkpoint.

    Only tensors, containers and the numpy scalars that training loops leave in optimizer
    state (LAION's learning-rate schedule stores ``numpy.float64``) are unpickled; any other
    object in the file is refused, never executed."""
    import torch

    try:
        with torch.serialization.safe_globals(numpy_scalar_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        unsafe = re.search(r"GLOBAL ([\w.]+) was not an allowed global", str(err))
        if unsafe:
            raise ModelLoadError(
                f"{path}: holds a pickled Python object ({unsafe.group(1)}) besides weights, which timbre "
                f"does not unpickle; re-save only the weights, e.g. torch.save(ckpt['state_dict'], PATH)"
            ) from None
        raise ModelLoadError(f"{path}: not a readable PyTorch checkpoint ({type(err).__name__}); {hint}") from None


def numpy_scalar_globals() -> list:
    """The numpy globals a pickled ``numpy.float64`` needs, under numpy 1 and numpy 2 names.

    ``scalar`` rebuilds a scalar from a dtype and its raw bytes; ``dtype`` (and numpy 2's
    per-type dtype classes) only describe a type. Nothing here runs arbitrary code."""
    import numpy as np

    core = np._core if hasattr(np, "_core") else np.core
    scalar = core.multiarray.scalar
    allowed: list = [(scalar, "numpy.core.multiarray.scalar"), (scalar, "numpy._core.multiarray.scalar"),
                     np.dtype]
    dtypes = getattr(np, "dtypes", None)  # numpy >= 1.25
    if dtypes is not None:
        allowed += [dtypes.Float64DType, dtypes.Float32DType, dtypes.Int64DType]
    return allowed


def weight_files(folder: str) -> list[str]:
    """The weight files of a transformers model folder, sorted (sharded models included)."""
    names = sorted(os.listdir(folder))
    safetensors = [n for n in names if n.endswith(".safetensors")]
    chosen = safetensors or [n for n in names if n.startswith("pytorch_model") and n.endswith(".bin")]
    return [os.path.join(folder, n) for n in chosen]


def cache_dir() -> str:
    """``TIMBRE_CACHE`` or ``$XDG_CACHE_HOME/timbre`` (``~/.cache/timbre``)."""
    if os.environ.get("TIMBRE_CACHE"):
        return os.environ["TIMBRE_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "timbre")


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, cached by (real path, size, mtime) so reloads are instant."""
    real = os.path.realpath(path)
    stat = os.stat(real)
    key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_path = os.path.join(cache_dir(), "weight-hashes.json")
    cached = _read_json(cache_path)
    if key in cached:
        return cached[key]
    digest = hashlib.sha256()
    with open(real, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    cached[key] = digest.hexdigest()
    _write_json_atomic(cache_path, cached)
    return cached[key]


def weights_hash(paths: list[str]) -> str:
    """One short hash over several weight files (their content hashes, in order)."""
    combined = hashlib.sha256("|".join(file_sha256(p) for p in paths).encode()).hexdigest()
    return combined[:16]


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_json_atomic(path: str, data: dict) -> None:
    """Best effort: an unwritable cache only costs re-hashing next time."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        pass
