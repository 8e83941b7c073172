"""``timbre label push``: pick new questions and send them to a Label Studio project."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from timbre.errors import LabelingError, TimbreError
from timbre.labeling.client import connect
from timbre.labeling.media import check_document_root, is_served, missing_storages, task_data
from timbre.labeling.project import check_ledger_mode, create_project, existing_project, project_title, project_url
from timbre.labeling.state import Ledger, ProjectState, ledger_path_for, now_iso
from timbre.labeling.strategies import pair_id, select_candidates
from timbre.progress import ensure_progress

BATCH = 100


@dataclass
class PushReport:
    """What a push did; ``to_dict`` is the stable JSON of ``timbre label push --json``."""

    project: str
    project_id: int | None  # None when nothing was sent and no project existed
    url: str
    strategy: str
    mode: str
    requested: int
    pushed: int
    already_known: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def push_tasks(index_path: str, *, strategy: str = "diverse", n: int = 20, targets: list[str] | None = None,
               mode: str = "pair", project: str | None = None, models_dir: str | None = None,
               pairs_file: str | None = None, client=None, ledger_path: str | None = None, seed: int = 0,
               progress=None) -> PushReport:
    """Send ``n`` new questions chosen by ``strategy`` from the index at ``index_path``.

    Pairs and triplets go to separate projects (``project`` defaults to the mode's own). The
    questions are chosen before any project is created, so a refused push leaves nothing behind.
    Questions already pending in the project, already pulled, or already in ``pairs_file`` are
    never sent again. ``client`` defaults to a checked connection from the environment."""
    from timbre.index import open_index

    title = project_title(mode, project)
    _check_targets(strategy, targets)
    progress = ensure_progress(progress)
    lib = open_index(index_path)
    client = client or connect()
    root = check_document_root(client.settings.document_root, client.url)
    ledger = Ledger.load(ledger_path or ledger_path_for(index_path))
    state = ledger.project(client.url, title, mode)
    check_ledger_mode(state, mode)
    project_id, notes = existing_project(client, state)
    if project_id is not None:
        _adopt_server_tasks(client, state, project_id)
    known = set(state.tasks) | _labeled_pair_ids(pairs_file, mode)
    head, threshold = _current_head(models_dir, lib, notes) if strategy in ("queries", "uncertainty") else (None, None)
    usable, refused = _usable_rows(lib, root)
    chosen = select_candidates(lib, strategy, n, mode=mode, targets=targets, head=head, threshold=threshold,
                               exclude=known, usable=usable, seed=seed + len(state.tasks), progress=progress)
    notes += _refusal_notes(refused, root, chosen)
    if len(chosen) < n:
        notes.append(f"only {len(chosen)} new {mode}s found with strategy {strategy}")
    tasks = [task_data(lib.records, c.rows, mode, root, pair_id([lib.hashes[r] for r in c.rows], mode), c.reason)
             for c in chosen]
    if tasks and project_id is None:
        project_id = create_project(client, state)
    if project_id is None:  # nothing to send and no project yet: create none
        return PushReport(title, None, "", strategy, mode, n, 0, len(known), notes)
    ledger.save()
    _ensure_storages(client, project_id, tasks, mode, root)
    pushed = _import(client, state, ledger, project_id, tasks, progress)
    return PushReport(title, project_id, project_url(client.url, project_id), strategy, mode, n, pushed,
                      len(known), notes)


def _check_targets(strategy: str, targets: list[str] | None) -> None:
    """Targets only steer ``queries``; each must be a file (checked before anything is created)."""
    if targets and strategy != "queries":
        raise LabelingError(f"--targets are used only by --strategy queries, not {strategy}; "
                            "use --strategy queries or leave the targets out")
    for target in targets or ():
        if not os.path.isfile(target):
            what = "is a folder" if os.path.isdir(target) else "does not exist"
            raise LabelingError(f"{target}: target {what}; give your loops as audio files (e.g. loop.wav)")


def _adopt_server_tasks(client, state: ProjectState, project_id: int) -> None:
    """Record tasks the project holds but the ledger lacks (e.g. after a crash mid-push)."""
    for task in client.iter_tasks(project_id):
        pid = task["data"].get("pair_id")
        if pid and pid not in state.tasks:
            files = {k: v for k, v in task["data"].items() if k.endswith(("_path", "_hash"))}
            state.tasks[pid] = {"task_id": task["id"], "pushed_at": now_iso(), "files": files}


def _labeled_pair_ids(pairs_file: str | None, mode: str) -> set[str]:
    """Pair ids of the judgments already in the pair file (they need no new label)."""
    if not pairs_file or not os.path.exists(pairs_file):
        return set()
    from timbre.heads.pairs import read_pairs, roles_of

    ids = set()
    for rec in read_pairs(pairs_file):
        hashes = [rec.get(f"{role}_hash") or "" for role in roles_of(rec)]
        if rec.get("kind", "pair") == mode and all(hashes):
            ids.add(pair_id(hashes, mode))
    return ids


def _current_head(models_dir: str | None, lib, notes: list[str]):
    """``(head, threshold)`` of the latest trained head if it fits the index, else ``(None, None)``."""
    from timbre.runtime import default_models_dir

    models_dir = models_dir or default_models_dir()
    try:
        from timbre.heads.registry import head_info, load_head

        head = load_head(models_dir, "latest")
        metrics = head_info(models_dir, head.id).metrics
    except (ImportError, TimbreError) as exc:  # no head yet is the normal first session
        notes.append(f"no trained head used ({str(exc) or type(exc).__name__}); ranking with the base embedding")
        return None, None
    if head.embedder_fingerprint != lib.embedder_spec.get("fingerprint"):
        notes.append(f"head {head.id} was trained for another embedder; ranking with the base embedding")
        return None, None
    threshold = (metrics.get("after") or {}).get("threshold")
    return head, threshold


def _usable_rows(lib, root: str):
    """A row filter (file still exists, lies under the server's document root) and what it refused."""
    refused: dict[str, list[str]] = {"gone": [], "outside": []}

    def usable(row: int) -> bool:
        path = lib.records[row]["path"]
        reason = "gone" if not os.path.exists(path) else "outside" if not is_served(path, root) else None
        if reason:
            refused[reason].append(path)
        return reason is None

    return usable, refused


def _refusal_notes(refused: dict[str, list[str]], root: str, chosen: list) -> list[str]:
    """One line per kind of unusable preset; an error when nothing could be chosen because of them."""
    lines = {"gone": "{n} preset files moved or deleted since indexing (e.g. {ex}); run `timbre index` again",
             "outside": "{n} presets lie outside the Label Studio document root " + root
                        + " (e.g. {ex}); restart the server with --document-root covering your library"}
    notes = [lines[kind].format(n=len(set(paths)), ex=paths[0]) for kind, paths in refused.items() if paths]
    if notes and not chosen:
        raise LabelingError(notes[0])
    return notes


def _ensure_storages(client, project_id: int, tasks: list[dict], mode: str, root: str) -> None:
    roles = ("r", "a", "b") if mode == "triplet" else ("a", "b")
    paths = [t[f"{role}_path"] for t in tasks for role in roles]
    for folder in missing_storages(paths, client.list_local_storages(project_id), root):
        client.add_local_storage(project_id, folder)


def _import(client, state: ProjectState, ledger: Ledger, project_id: int, tasks: list[dict], progress) -> int:
    """Import in batches, saving the ledger after each so a crash loses no bookkeeping."""
    progress.start(len(tasks), "pushing to Label Studio", unit="task")
    for start in range(0, len(tasks), BATCH):
        batch = tasks[start:start + BATCH]
        task_ids = client.import_tasks(project_id, batch)
        if len(task_ids) != len(batch):  # older servers do not return ids: look them up
            _adopt_server_tasks(client, state, project_id)
        for data, task_id in zip(batch, task_ids):
            files = {k: v for k, v in data.items() if k.endswith(("_path", "_hash"))}
            state.tasks[data["pair_id"]] = {"task_id": task_id, "pushed_at": now_iso(), "files": files}
        ledger.save()
        progress.advance(len(batch))
    progress.close()
    return len(tasks)
