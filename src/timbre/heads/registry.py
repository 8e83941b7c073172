"""Trained heads on disk: ``<models>/heads/<id>/`` plus a ``latest`` pointer.

A head folder holds ``model.safetensors`` (the networks' weights), ``config.json``
(format version, architecture, dimensions, loss, embedder name + fingerprint, hashes of
the training data, library versions, creation time), ``metrics.json`` (validation figures
before and after training), ``training_curve.png`` and Lightning's CSV logs in ``logs/``.
It is written under a temporary name in the same folder and renamed when complete, so a
crash never leaves a half-written head.

``latest`` is a small text file holding the newest head's id, replaced atomically with
``os.replace``. A text file rather than a symlink because creating symlinks needs extra
privileges on Windows; it works the same on every OS.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from typing import Any

from timbre.errors import HeadError
from timbre.heads.config import base_weight

FORMAT_VERSION = 2  # 2: ``dims.members`` networks in one head (1: a single network, still read)
READABLE_VERSIONS = (1, 2)
WEIGHTS_FILE, CONFIG_FILE, METRICS_FILE, LATEST_FILE = "model.safetensors", "config.json", "metrics.json", "latest"
TMP_PREFIX = ".tmp-"


@dataclass
class HeadInfo:
    """What ``timbre heads list/show`` and ``train_head`` report about one head."""

    id: str
    path: str
    created: str
    loss: str
    dims: dict[str, int]
    embedder: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    latest: bool = False
    training: dict[str, Any] = field(default_factory=dict)
    base_weight: float = 0.0  # the share of the base space's cosine in the head's score

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def heads_dir(models_dir: str) -> str:
    """``<models>/heads``."""
    return os.path.join(os.path.abspath(models_dir), "heads")


def staging_dir(models_dir: str, head_id: str) -> str:
    """A fresh temporary folder for a head being written (renamed by ``commit_head``)."""
    path = os.path.join(heads_dir(models_dir), f"{TMP_PREFIX}{head_id}")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write_json(path: str, obj: Any) -> None:
    """Write JSON atomically (temp file in the same folder, fsync, rename)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save_weights(folder: str, nets) -> None:
    """The networks' weights as ``model.safetensors`` (fsynced): one network's tensors under their own
    names, several members' as ``member<i>.<name>``."""
    from safetensors.torch import save_file

    nets = nets if isinstance(nets, (list, tuple)) else [nets]
    path = os.path.join(folder, WEIGHTS_FILE)
    save_file({member_key(i, len(nets), k): v.detach().cpu().contiguous()
               for i, net in enumerate(nets) for k, v in net.state_dict().items()}, path)
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def member_count(dims: dict) -> int:
    """How many networks a head's ``config.json`` ``dims`` describe (format 1 heads hold one)."""
    return int(dims.get("members", 1))


def member_key(member: int, members: int, name: str) -> str:
    """The name a member's tensor is saved under (a single network's keep their own)."""
    return name if members == 1 else f"member{member}.{name}"


def commit_head(models_dir: str, staging: str, head_id: str) -> str:
    """Rename a complete staging folder to ``heads/<id>`` and point ``latest`` at it."""
    final = os.path.join(heads_dir(models_dir), head_id)
    pointer = os.path.join(heads_dir(models_dir), LATEST_FILE)
    if os.path.isdir(pointer) and not os.path.islink(pointer):
        raise HeadError(f"{pointer}: is a folder, where timbre keeps the text file naming the latest head; "
                        "move that folder away and train again")
    if os.path.exists(final):
        raise HeadError(f"{final}: a head with this id already exists; train again for a new id")
    os.replace(staging, final)
    set_latest(models_dir, head_id)
    return final


def set_latest(models_dir: str, head_id: str | None) -> None:
    """Point ``latest`` at ``head_id`` (atomic), or remove it when ``None``."""
    path = os.path.join(heads_dir(models_dir), LATEST_FILE)
    if head_id is None:
        if os.path.isfile(path) or os.path.islink(path):
            os.remove(path)
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(head_id + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def latest_id(models_dir: str) -> str | None:
    """The id ``latest`` names, or the newest head when the pointer is missing, stale or junk."""
    ids = head_ids(models_dir)
    named = _read_latest(os.path.join(heads_dir(models_dir), LATEST_FILE))
    if named in ids:
        return named
    return ids[-1] if ids else None


def _read_latest(path: str) -> str | None:
    """The text of the ``latest`` pointer; ``None`` when it is absent or not a small text file."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(4096)
    except OSError:  # absent, a folder, unreadable
        return None
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None


def head_ids(models_dir: str) -> list[str]:
    """Ids of the complete heads, oldest first (ids start with their UTC creation time)."""
    return complete_ids(heads_dir(models_dir))


def complete_ids(root: str, config_file: str = CONFIG_FILE) -> list[str]:
    """Sorted names of the folders in ``root`` holding ``config_file`` (written last, so complete);
    staging folders (``.tmp-*``) left out."""
    if not os.path.isdir(root):
        return []
    return sorted(name for name in os.listdir(root)
                  if not name.startswith(".") and os.path.isfile(os.path.join(root, name, config_file)))


def resolve_ref(models_dir: str, ref: str = "latest") -> str:
    """The head id for ``ref``: ``latest``, an id, or a unique prefix of one."""
    ids = head_ids(models_dir)
    if ref == "latest":
        found = latest_id(models_dir)
        if found is None:
            raise HeadError(f"{heads_dir(models_dir)}: no trained head; run `timbre train` first")
        return found
    matches = [i for i in ids if i == ref] or [i for i in ids if i.startswith(ref)]
    if len(matches) != 1:
        what = "matches several heads" if matches else "is not a head"
        raise HeadError(f"{ref!r} {what} in {heads_dir(models_dir)}; see `timbre heads list`")
    return matches[0]


def read_head_config(folder: str) -> dict[str, Any]:
    """A head's ``config.json``, checked; ``HeadError`` when missing, damaged or too new."""
    path = os.path.join(folder, CONFIG_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
        version, dims = config["format_version"], config["dims"]
        int(dims["input"]), int(dims["output"]), int(dims["hidden"])
        if member_count(dims) < 1:
            raise ValueError("no member networks")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HeadError(f"{path}: missing or damaged head config ({type(exc).__name__}); "
                        "remove the head with `timbre heads rm` and train again") from exc
    if version not in READABLE_VERSIONS:
        raise HeadError(f"{path}: head format version {version} is not supported (expected {FORMAT_VERSION}); "
                        "upgrade timbre or train again")
    return config


def load_head(models_dir: str, ref: str = "latest", *, embedder_fingerprint: str | None = None,
              device: str = "cpu"):
    """The ``ProjectionHead`` named by ``ref`` (``latest``, an id or a unique id prefix), projecting
    on the resolved torch ``device`` (``timbre.devices.resolve_device``).

    With ``embedder_fingerprint``, a head trained on another embedder raises ``HeadError``."""
    from timbre.heads.model import ProjectionHead, non_finite_tensors

    head_id = resolve_ref(models_dir, ref)
    folder = os.path.join(heads_dir(models_dir), head_id)
    config = read_head_config(folder)
    nets = _load_networks(folder, head_id, config["dims"])
    broken = [name for net in nets for name in non_finite_tensors(net.state_dict())]
    if broken:
        raise HeadError(f"{os.path.join(folder, WEIGHTS_FILE)}: the head's weights hold NaN or inf ({broken[0]}); "
                        f"remove it with `timbre heads rm {head_id}` and train again")
    head = ProjectionHead(nets, head_id, config["embedder"]["fingerprint"], config, device=device)
    if embedder_fingerprint is not None:
        ensure_head_fits(head, embedder_fingerprint)
    return head


def _load_networks(folder: str, head_id: str, dims: dict) -> list:
    """The head's member networks (eval only: no dropout), weights loaded; ``HeadError`` when the
    weights file is missing, truncated or does not fit ``dims``."""
    from timbre.heads.model import ResidualProjection

    members = member_count(dims)
    nets = [ResidualProjection(dims["input"], dims["hidden"], dims["output"], dropout=0.0) for _ in range(members)]
    try:
        from safetensors.torch import load_file

        tensors = load_file(os.path.join(folder, WEIGHTS_FILE))
        for i, net in enumerate(nets):
            net.load_state_dict({name: tensors.pop(member_key(i, members, name)) for name in net.state_dict()})
        if tensors:
            raise KeyError(f"unexpected tensors: {', '.join(sorted(tensors)[:3])}")
    except Exception as exc:  # missing file, truncated file, wrong tensor names or shapes
        raise HeadError(f"{os.path.join(folder, WEIGHTS_FILE)}: cannot load the head's weights "
                        f"({type(exc).__name__}); remove it with `timbre heads rm {head_id}` and train again") from exc
    return nets


def ensure_head_fits(head, embedder_fingerprint: str) -> None:
    """``HeadError`` unless ``head`` was trained on vectors of this embedder fingerprint."""
    if head.embedder_fingerprint != embedder_fingerprint:
        raise HeadError(f"head {head.id} was trained on embedder fingerprint {head.embedder_fingerprint}, "
                        f"the index has {embedder_fingerprint}; train a head on this index with `timbre train`")


def head_info(models_dir: str, ref: str = "latest") -> HeadInfo:
    """Config and metrics of one head (no weights loaded)."""
    head_id = resolve_ref(models_dir, ref)
    folder = os.path.join(heads_dir(models_dir), head_id)
    config = read_head_config(folder)
    try:
        with open(os.path.join(folder, METRICS_FILE), encoding="utf-8") as fh:
            metrics = json.load(fh)
    except (OSError, ValueError):
        metrics = {}
    return HeadInfo(head_id, folder, config.get("created", ""), config.get("loss", {}).get("name", ""),
                    config["dims"], config.get("embedder", {}), metrics, head_id == latest_id(models_dir),
                    config.get("training", {}), base_weight(config))


def list_heads(models_dir: str) -> list[HeadInfo]:
    """Every complete head, oldest first; damaged ones are listed with ``loss == "damaged"``."""
    infos = []
    for head_id in head_ids(models_dir):
        try:
            infos.append(head_info(models_dir, head_id))
        except HeadError as err:
            folder = os.path.join(heads_dir(models_dir), head_id)
            infos.append(HeadInfo(head_id, folder, "", "damaged", {}, {}, {"error": str(err)}))
    return infos


def remove_head(models_dir: str, ref: str) -> str:
    """Delete a head; if ``latest`` named it, repoint it at the newest remaining head (or clear it)."""
    head_id = resolve_ref(models_dir, ref)
    was_latest = head_id == latest_id(models_dir)
    shutil.rmtree(os.path.join(heads_dir(models_dir), head_id))
    if was_latest:
        remaining = head_ids(models_dir)
        set_latest(models_dir, remaining[-1] if remaining else None)
    return head_id
