"""Decide what an indexing run has to do: compare a folder scan with the rows already indexed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from timbre.index.scan import FoundFile, ScanResult, under

#: Skips retried on every run: fixing them (chmod, a new link) need not change size or mtime.
ALWAYS_RETRY = frozenset({"permission_denied", "missing", "not_a_file", "dangling_link", "link_loop"})


@dataclass
class RunPlan:
    """What to do with each row and file.

    ``drop_paths``: rows of files that are gone (removed at the end of the run, so their
    vectors can still serve moved files). ``changed_files``: files whose row stays visible
    until their new row is committed. ``skipped_kept``: earlier skips still valid."""

    keep_paths: set[str] = field(default_factory=set)
    drop_paths: set[str] = field(default_factory=set)
    new_files: list[FoundFile] = field(default_factory=list)
    changed_files: list[FoundFile] = field(default_factory=list)
    skipped_kept: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pending(self) -> list[FoundFile]:
        return self.changed_files + self.new_files


def plan_run(scan: ScanResult, indexed: dict[str, dict[str, Any]],
             skipped: list[dict[str, Any]], roots: list[str]) -> RunPlan:
    """Compare the scan with the index by (path, size, mtime).

    A row is dropped when its file is gone from a scanned folder, or is now scanned under its
    real path; rows of other folders that still exist stay (indexing folder B does not forget
    folder A), and so do rows inside folders that could not be read this time."""
    found = scan.files
    plan = RunPlan()
    for path, row in indexed.items():
        now = found.get(path)
        if now is None:
            if under(path, scan.unreadable_dirs) or not _gone(path, roots):
                plan.keep_paths.add(path)
            else:
                plan.drop_paths.add(path)
        elif now.size == row["size"] and now.mtime == row["mtime"]:
            plan.keep_paths.add(path)
        else:
            plan.changed_files.append(now)
    old_skips = {s["path"]: s for s in skipped}
    for path, now in found.items():
        if path in indexed:
            continue
        skip = old_skips.get(path)
        if skip and skip.get("size") == now.size and skip.get("mtime") == now.mtime \
                and skip["reason"] not in ALWAYS_RETRY:
            plan.skipped_kept.append(skip)
        else:
            plan.new_files.append(now)
    for path, skip in old_skips.items():
        if path not in found and not under(path, roots) and _still_there(skip):
            plan.skipped_kept.append(skip)
    return plan


def _gone(path: str, roots: list[str]) -> bool:
    """A row whose file was not found: gone if under a scanned folder, deleted, or reached
    through a link into one (it is indexed under its real path now)."""
    if under(path, roots) or not os.path.exists(path):
        return True
    return under(os.path.realpath(path), roots)


def _still_there(skip: dict[str, Any]) -> bool:
    if skip.get("scan"):  # a problem found by the scan: valid while its folder exists
        return os.path.isdir(os.path.dirname(skip["path"]))
    return os.path.exists(skip["path"])
