"""Find audio files under folders; report every entry that looks like audio but cannot be indexed.

Nothing is dropped silently: a dangling or looping link, a folder named like audio, a pipe, a
name that is not valid UTF-8, a folder that cannot be read and a second path to an already
found file or folder each come back as a ``problem`` with a reason and what to do.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from timbre.audio import is_audio_file
from timbre.errors import IndexStoreError, display_path

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FoundFile:
    """An audio file on disk with the stat facts used to detect changes."""

    path: str
    size: int
    mtime: float


@dataclass
class ScanResult:
    """Audio files by path, problems (``{"path", "reason", "detail"}``) and folders that could
    not be read (their indexed rows must be kept: their files may well still exist)."""

    files: dict[str, FoundFile] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    unreadable_dirs: list[str] = field(default_factory=list)

    def problem(self, path: str, reason: str, detail: str) -> None:
        self.problems.append({"path": display_path(path), "reason": reason, "detail": detail})


def resolve_roots(dirs: list[str]) -> list[str]:
    """Real paths of ``dirs`` (a symlinked path to a library is the library), duplicates removed.

    Raises ``IndexStoreError`` before anything is written when one is not a folder."""
    roots: list[str] = []
    for folder in dirs:
        if not os.path.isdir(folder):
            what = "does not exist" if not os.path.lexists(folder) else "is not a folder"
            raise IndexStoreError(f"{display_path(os.path.abspath(folder))} {what} — pass folders that hold audio files")
        real = os.path.realpath(folder)
        if real not in roots:
            roots.append(real)
    return roots


def scan_folders(roots: list[str]) -> ScanResult:
    """Walk ``roots`` (from ``resolve_roots``) in sorted order, following links once each."""
    result = ScanResult()
    seen_dirs: dict[tuple[int, int], str] = {}
    seen_files: dict[tuple[int, int], str] = {}
    for root in roots:
        st = os.stat(root)
        if (st.st_dev, st.st_ino) in seen_dirs:
            continue  # a root inside another root
        seen_dirs[(st.st_dev, st.st_ino)] = root
        stack = [root]
        while stack:
            folder = stack.pop()
            subdirs = _scan_folder(folder, result, seen_dirs, seen_files)
            stack.extend(reversed(subdirs))
    return result


def _scan_folder(folder: str, result: ScanResult, seen_dirs: dict, seen_files: dict) -> list[str]:
    """Record the audio files of one folder; returns its subfolders to walk."""
    try:
        with os.scandir(folder) as it:
            entries = sorted((e.name, e.is_symlink()) for e in it)
    except OSError as exc:
        result.unreadable_dirs.append(folder)
        why = "permission denied" if exc.errno in (errno.EACCES, errno.EPERM) else exc.strerror or str(exc)
        result.problem(folder, "unreadable_folder",
                       f"cannot read this folder ({why}) — check its permissions; its indexed files are kept")
        return []
    subdirs = []
    for name, is_link in entries:
        path = os.path.join(folder, name)
        try:
            st = os.stat(path)
        except OSError as exc:
            _broken_entry(path, is_link, exc, result)
            continue
        key = (st.st_dev, st.st_ino)
        if stat.S_ISDIR(st.st_mode):
            if key in seen_dirs:
                _seen_folder(path, seen_dirs[key], is_link, result)
                continue
            seen_dirs[key] = path
            if is_audio_file(name):
                result.problem(path, "folder", "is a folder named like audio, not an audio file — "
                                               "the audio files inside it are indexed on their own")
            subdirs.append(path)
        elif is_audio_file(name):
            _audio_entry(path, st, key, seen_files, result)
    return subdirs


def _audio_entry(path: str, st: os.stat_result, key: tuple[int, int], seen_files: dict, result: ScanResult) -> None:
    if not stat.S_ISREG(st.st_mode):
        result.problem(path, "not_a_file", "is a pipe, socket or device, not an audio file — copy the audio into a file")
    elif key in seen_files:
        result.problem(path, "duplicate", f"same file as {display_path(seen_files[key])} (a link) — indexed once")
    elif display_path(path) != path:
        result.problem(path, "bad_name", "file or folder name is not valid UTF-8 — rename it "
                                         "(e.g. `convmv -f latin1 -t utf8 -r --notest DIR`)")
    else:
        seen_files[key] = path
        result.files[path] = FoundFile(path, st.st_size, st.st_mtime)


def _broken_entry(path: str, is_link: bool, exc: OSError, result: ScanResult) -> None:
    """A link whose target is missing or loops, or an entry stat() refuses."""
    target = os.readlink(path) if is_link else ""
    if not (is_audio_file(path) or is_audio_file(target) or not os.path.splitext(target or path)[1]):
        return  # a broken link to e.g. a text file is no audio to report
    if exc.errno == errno.ELOOP:
        result.problem(path, "link_loop", f"symbolic link loop ({display_path(target)}) — fix or delete the link")
    elif is_link and exc.errno == errno.ENOENT:
        result.problem(path, "dangling_link", f"link to a missing file or folder ({display_path(target)}) — "
                                              "fix or delete the link")
    else:
        why = "permission denied" if exc.errno in (errno.EACCES, errno.EPERM) else exc.strerror or str(exc)
        result.problem(path, "permission_denied" if "permission" in why else "unreadable",
                       f"cannot read ({why}) — check its permissions")


def _seen_folder(path: str, first: str, is_link: bool, result: ScanResult) -> None:
    if not is_link:
        return  # a root nested in another root, already walked
    if path.startswith(first.rstrip(os.sep) + os.sep):
        result.problem(path, "link_loop", f"links back to its parent folder {display_path(first)} — "
                                          "nothing new to scan; delete the link")
    else:
        result.problem(path, "duplicate", f"same folder as {display_path(first)} (a link) — its files are "
                                          "indexed once, under that path")


def under(path: str, roots: list[str]) -> bool:
    """True if ``path`` is one of ``roots`` or inside one."""
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


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
