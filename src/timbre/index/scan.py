"""Find audio files under folders and decide what an indexing run has to do with each."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from timbre.audio import is_audio_file
from timbre.errors import IndexStoreError

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FoundFile:
    """An audio file on disk with the stat facts used to detect changes."""

    path: str
    size: int
    mtime: float


@dataclass
class RunPlan:
    """What to do: rows to keep/drop, files to (re-)embed, skipped entries still valid."""

    keep_paths: set[str] = field(default_factory=set)
    drop_paths: set[str] = field(default_factory=set)
    new_files: list[FoundFile] = field(default_factory=list)
    changed_files: list[FoundFile] = field(default_factory=list)
    skipped_kept: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pending(self) -> list[FoundFile]:
        return self.changed_files + self.new_files


def scan_folders(dirs: list[str]) -> dict[str, FoundFile]:
    """Absolute path -> FoundFile for every audio file under ``dirs`` (recursive).

    Symlinked folders are followed once each, so link loops end."""
    found: dict[str, FoundFile] = {}
    seen_dirs: set[tuple[int, int]] = set()
    for root in dirs:
        root = os.path.abspath(root)
        if not os.path.isdir(root):
            raise IndexStoreError(f"{root}: not a folder; pass folders that hold audio files")
        for folder, subdirs, files in os.walk(root, followlinks=True):
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen_dirs:
                subdirs[:] = []
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            subdirs.sort()
            for name in sorted(files):
                if not is_audio_file(name):
                    continue
                path = os.path.join(folder, name)
                try:
                    fst = os.stat(path)
                except OSError:  # dangling link
                    continue
                found[path] = FoundFile(path, fst.st_size, fst.st_mtime)
    return found


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def plan_run(found: dict[str, FoundFile], indexed: dict[str, dict[str, Any]],
             skipped: list[dict[str, Any]], roots: list[str]) -> RunPlan:
    """Compare the scan with the index by (path, size, mtime).

    An indexed file is dropped when it is gone from disk or changed; files of other folders
    that still exist stay (indexing folder B does not forget folder A)."""
    roots = [os.path.abspath(r) for r in roots]
    plan = RunPlan()
    for path, row in indexed.items():
        now = found.get(path)
        if now is None:
            if _under(path, roots) or not os.path.exists(path):
                plan.drop_paths.add(path)
            else:
                plan.keep_paths.add(path)
        elif now.size == row["size"] and now.mtime == row["mtime"]:
            plan.keep_paths.add(path)
        else:
            plan.drop_paths.add(path)
            plan.changed_files.append(now)
    old_skips = {s["path"]: s for s in skipped}
    for path, now in found.items():
        if path in indexed:
            continue
        skip = old_skips.get(path)
        if skip and skip.get("size") == now.size and skip.get("mtime") == now.mtime:
            plan.skipped_kept.append(skip)
        else:
            plan.new_files.append(now)
    for path, skip in old_skips.items():
        if path not in found and not _under(path, roots) and os.path.exists(path):
            plan.skipped_kept.append(skip)
    return plan


def content_hash(path: str) -> str:
    """blake2b-128 of the file bytes, read in 1 MiB chunks."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_record(found: FoundFile, digest: str, duration: float, sample_rate: int, channels: int) -> dict[str, Any]:
    """The row facts stored for one indexed file."""
    folder = os.path.dirname(found.path)
    return {
        "path": found.path,
        "name": os.path.splitext(os.path.basename(found.path))[0],
        "bank": os.path.basename(folder),
        "folder": folder,
        "size": int(found.size),
        "mtime": float(found.mtime),
        "content_hash": digest,
        "duration": float(duration),
        "sample_rate": int(sample_rate),
        "channels": int(channels),
    }
