"""Making presets playable in the browser: local-files URLs, storages, and task data.

Label Studio serves a local file at ``/data/local-files/?d=<path relative to its document
root>`` only when the file lies under the document root (``LOCAL_FILES_DOCUMENT_ROOT``) and
under a local storage of the project, whose folder must be a strict sub-folder of that root.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from timbre.errors import LabelingError

ROLES = {"pair": ("a", "b"), "triplet": ("r", "a", "b")}


def check_document_root(document_root: str | None, url: str) -> str:
    """The server's document root as an absolute path; a clear error when unknown or missing."""
    if not document_root:
        raise LabelingError(f"the document root of Label Studio at {url} is unknown: set LABEL_STUDIO_DOCUMENT_ROOT to "
                            "the server's LOCAL_FILES_DOCUMENT_ROOT (or start it with `timbre label server --start`)")
    root = os.path.realpath(document_root)
    if not os.path.isdir(root):
        raise LabelingError(f"{root}: the Label Studio document root does not exist; fix LABEL_STUDIO_DOCUMENT_ROOT")
    return root


def is_served(path: str, root: str) -> bool:
    """Whether ``path`` lies strictly inside ``root`` (so the server may serve it)."""
    real = os.path.realpath(path)
    return real != root and os.path.commonpath([real, root]) == root


def file_url(path: str, root: str) -> str:
    """The URL path under which Label Studio serves ``path``."""
    rel = os.path.relpath(os.path.realpath(path), root)
    return "/data/local-files/?d=" + quote(rel.replace(os.sep, "/"), safe="/")


def storage_folders(paths: list[str], root: str) -> list[str]:
    """Few folders (strict sub-folders of ``root``) that together hold all ``paths``."""
    real = [os.path.realpath(p) for p in paths]
    common = os.path.commonpath([os.path.dirname(p) for p in real]) if real else root
    if common != root and is_served(common, root):
        return [common]
    # The files spread over several top-level folders of the root: one storage each.
    return sorted({os.path.join(root, os.path.relpath(p, root).split(os.sep)[0]) for p in real})


def missing_storages(paths: list[str], existing: list[str], root: str) -> list[str]:
    """Storage folders still to create so every path is served."""
    existing_real = [os.path.realpath(e) for e in existing]
    uncovered = [p for p in paths
                 if not any(os.path.commonpath([os.path.realpath(p), e]) == e for e in existing_real)]
    return storage_folders(uncovered, root) if uncovered else []


def task_data(records: list[dict], rows: tuple[int, ...], mode: str, root: str, pid: str, reason: str) -> dict:
    """The data of one task: audio URLs for the players plus what ``pull`` needs to rebuild the record."""
    data = {"pair_id": pid, "mode": mode, "reason": reason}
    for role, row in zip(ROLES[mode], rows):
        rec = records[row]
        data[role] = file_url(rec["path"], root)
        data[f"{role}_name"] = f"{rec.get('name', '')} ({rec.get('bank', '')})"
        data[f"{role}_path"] = rec["path"]
        data[f"{role}_hash"] = rec["content_hash"]
    return data
