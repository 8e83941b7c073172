"""A fake Label Studio (in memory) and a fake library, for the labeling unit tests."""

from __future__ import annotations

import itertools
import os

import numpy as np

from timbre.labeling.client import ConnectionSettings
from timbre.labeling.interface import choice_result


class FakeStudio:
    """An in-memory stand-in for ``StudioClient`` (same methods, no network)."""

    def __init__(self, document_root: str, url: str = "http://fake:8080"):
        self.url = url
        self.settings = ConnectionSettings(url, "key", document_root)
        self.projects: dict[int, dict] = {}
        self.storages: dict[int, list[str]] = {}
        self.tasks: dict[int, list[dict]] = {}
        self.users = {1: "ana@studio", 2: "bo@studio"}
        self._ids = itertools.count(1)
        self.imported = 0

    def whoami(self):
        return {"id": 1, "email": self.users[1]}

    def find_project(self, title):
        return next((p for p in self.projects.values() if p["title"] == title), None)

    def get_project(self, project_id):
        return self.projects.get(project_id)

    def create_project(self, title, label_config, description=""):
        pid = next(self._ids)
        self.projects[pid] = {"id": pid, "title": title, "label_config": label_config}
        self.tasks[pid], self.storages[pid] = [], []
        return self.projects[pid]

    def delete_project(self, project_id):
        del self.projects[project_id]

    def list_local_storages(self, project_id):
        return list(self.storages[project_id])

    def add_local_storage(self, project_id, path):
        root = self.settings.document_root
        assert path.startswith(root + os.sep), f"{path} is not a strict sub-folder of {root}"
        self.storages[project_id].append(path)

    def import_tasks(self, project_id, tasks):
        ids = []
        for data in tasks:
            tid = next(self._ids)
            self.tasks[project_id].append({"id": tid, "data": dict(data), "annotations": []})
            ids.append(tid)
        self.imported += len(ids)
        return ids

    def iter_tasks(self, project_id):
        return iter([dict(t, annotations=list(t["annotations"])) for t in self.tasks[project_id]])

    def user_emails(self):
        return dict(self.users)

    # What a person does in the UI:
    def annotate(self, task, choice, *, user=1, mode="pair", cancelled=False):
        ann = {"id": next(self._ids), "completed_by": user, "was_cancelled": cancelled,
               "created_at": "2026-11-21T01:00:00Z", "result": [] if cancelled else choice_result(choice, mode)}
        task["annotations"].append(ann)
        return ann


class FakeLibrary:
    """The parts of ``LibraryIndex`` the labeling code reads; files exist under ``folder``."""

    def __init__(self, folder: str, count: int = 40, dim: int = 8, seed: int = 0):
        rng = np.random.default_rng(seed)
        centres = rng.normal(size=(4, dim))
        vectors = centres[np.arange(count) % 4] + 0.3 * rng.normal(size=(count, dim))
        self.vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        self.path = os.path.join(folder, "index")
        self.records = []
        for i in range(count):
            path = os.path.join(folder, "library", f"bank{i % 2}", f"preset {i}.ogg")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(b"OggS")
            self.records.append({"path": path, "name": f"preset {i}", "bank": f"bank{i % 2}",
                                 "content_hash": f"hash{i:03d}"})
        self.paths = [r["path"] for r in self.records]
        self.hashes = [r["content_hash"] for r in self.records]
        self.embedder_spec = {"name": "fake", "fingerprint": "fp"}

    def cached_array(self, key, compute):
        return compute()
