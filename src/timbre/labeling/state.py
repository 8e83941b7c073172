"""The local ledger of what was sent to and taken from Label Studio.

One JSON file (``<index>/labelstudio-ledger.json`` by default), written atomically. Per server
and project title it remembers the project id, the mode, every pushed question (pair id ->
task id + the files it shows) and every pulled annotation (annotation id -> the record it
became), so pushes never re-send a question and pulls never add a judgment twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from timbre.errors import LabelingError

LEDGER_NAME = "labelstudio-ledger.json"
VERSION = 1


def ledger_path_for(index_path: str) -> str:
    """Where the ledger of an index lives."""
    return os.path.join(index_path, LEDGER_NAME)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class ProjectState:
    """What one Label Studio project holds for us."""

    server: str
    title: str
    mode: str
    project_id: int | None = None
    tasks: dict[str, dict] = field(default_factory=dict)  # pair id -> {task_id, pushed_at, files}
    pulled: dict[str, dict] = field(default_factory=dict)  # annotation id -> {task_id, record_id, choice, updated_at}

    def task_to_pair(self) -> dict[int, str]:
        """Task id -> pair id."""
        return {entry["task_id"]: pid for pid, entry in self.tasks.items()}

    def forget_tasks(self) -> int:
        """Drop pushed tasks (the project is gone); pulled judgments stay. Returns how many."""
        dropped = len(self.tasks)
        self.tasks.clear()
        self.project_id = None
        return dropped

    def to_dict(self) -> dict:
        return {"server": self.server, "title": self.title, "mode": self.mode, "project_id": self.project_id,
                "tasks": self.tasks, "pulled": self.pulled}


class Ledger:
    """All projects' states in one file; ``save`` writes it atomically."""

    def __init__(self, path: str | os.PathLike, projects: dict[str, ProjectState] | None = None):
        self.path = Path(path)
        self.projects = projects or {}

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Ledger":
        """Read the ledger (an empty one when the file does not exist)."""
        path = Path(path)
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != VERSION:
                raise ValueError(f"version {raw.get('version')!r}, expected {VERSION}")
            projects = {key: ProjectState(**value) for key, value in raw["projects"].items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LabelingError(f"{path}: damaged labeling ledger ({exc}); restore it from a backup "
                                "or move it away to start over (pulled pairs stay in the pair file)") from exc
        return cls(path, projects)

    def project(self, server: str, title: str, mode: str = "pair") -> ProjectState:
        """The state of project ``title`` on ``server``, created empty if new."""
        key = f"{server}|{title}"
        if key not in self.projects:
            self.projects[key] = ProjectState(server=server, title=title, mode=mode)
        return self.projects[key]

    def find(self, server: str, title: str) -> ProjectState | None:
        """The state of project ``title`` on ``server`` if the ledger knows it."""
        return self.projects.get(f"{server}|{title}")

    def on_server(self, server: str) -> list[ProjectState]:
        """The states of every project on ``server``, pair projects first."""
        states = [p for p in self.projects.values() if p.server == server]
        return sorted(states, key=lambda p: (p.mode != "pair", p.title))

    def save(self) -> None:
        """Write atomically (temp file in the same folder, fsync, rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        payload = {"version": VERSION, "projects": {k: p.to_dict() for k, p in sorted(self.projects.items())}}
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
