"""Finding, creating and checking the Label Studio projects a ledger entry points to.

Each mode has its own project (the labeling interface differs): pairs go to ``timbre
similarity``, triplets to ``timbre similarity (triplets)`` unless ``--project`` names another.
"""

from __future__ import annotations

from timbre.errors import LabelingError
from timbre.labeling.interface import check_mode, label_config, mode_of_config
from timbre.labeling.state import Ledger, ProjectState

DEFAULT_PROJECT = "timbre similarity"
DEFAULT_TITLES = {"pair": DEFAULT_PROJECT, "triplet": f"{DEFAULT_PROJECT} (triplets)"}
_DESCRIPTIONS = {"pair": "timbre: is this preset similar to that one?",
                 "triplet": "timbre: which of A or B sounds closer to R?"}


def project_title(mode: str, project: str | None = None) -> str:
    """The project questions of ``mode`` go to: ``project`` when given, else the mode's default."""
    check_mode(mode)
    return project or DEFAULT_TITLES[mode]


def project_url(server: str, project_id: int) -> str:
    """The page listing the project's tasks."""
    return f"{server}/projects/{project_id}/data"


def existing_project(client, state: ProjectState) -> tuple[int | None, list[str]]:
    """The id of the project for ``state`` (by id, then by title), or None; nothing is created.

    Returns ``(project_id, notes)``. A project deleted on the server is forgotten: its pending
    tasks can be sent again to a new project; pulled judgments are kept."""
    notes = []
    if state.project_id is not None:
        project = client.get_project(state.project_id)
        if project is not None:
            _check_mode(project, state)
            return project["id"], notes
        old_id = state.project_id
        dropped = state.forget_tasks()
        notes.append(f"project '{state.title}' (id {old_id}) is gone from "
                     f"{state.server}; {dropped} unlabeled tasks will be sent again to a new project")
    project = client.find_project(state.title)
    if project is None:
        return None, notes
    _check_mode(project, state)
    state.project_id = project["id"]
    return project["id"], notes


def create_project(client, state: ProjectState) -> int:
    """Create the project of ``state`` with its mode's interface; returns its id."""
    project = client.create_project(state.title, label_config(state.mode), description=_DESCRIPTIONS[state.mode])
    state.project_id = project["id"]
    return project["id"]


def check_ledger_mode(state: ProjectState, mode: str) -> None:
    """Refuse to send ``mode`` questions to a project the ledger knows for the other mode."""
    if state.mode != mode:
        raise LabelingError(f"project '{state.title}' on {state.server} asks {state.mode} questions, not {mode}s; "
                            f"leave out --project (the {mode}s go to '{DEFAULT_TITLES[mode]}') or name another")


def require_project(client, state: ProjectState | None, title: str, server: str) -> int:
    """The id of an existing project for pulling or status; one-line errors otherwise."""
    if state is None or state.project_id is None:
        raise LabelingError(f"nothing was pushed to project '{title}' on {server}; run `timbre label push` first")
    if client.get_project(state.project_id) is None:
        raise LabelingError(f"project '{title}' (id {state.project_id}) was deleted on {server}; labels already "
                            "pulled are kept; run `timbre label push` to start a new project")
    return state.project_id


def projects_to_read(client, ledger: Ledger, project: str | None) -> tuple[list[tuple[ProjectState, int]], list[str]]:
    """``(state, project id)`` of ``project``, or of every project pushed to this server (both modes).

    Without ``project``, deleted projects are skipped with a note (an error when none is left)."""
    if project:
        state = ledger.find(client.url, project)
        return [(state, require_project(client, state, project, client.url))], []
    states = [s for s in ledger.on_server(client.url) if s.project_id is not None]
    if not states:
        raise LabelingError(f"nothing was pushed to {client.url} yet; run `timbre label push` first")
    found, notes = [], []
    for state in states:
        try:
            found.append((state, require_project(client, state, state.title, client.url)))
        except LabelingError as exc:
            notes.append(str(exc))
    if not found:
        raise LabelingError(notes[0])
    return found, notes


def _check_mode(project: dict, state: ProjectState) -> None:
    mode = mode_of_config(project.get("label_config") or "")
    if mode != state.mode:
        raise LabelingError(f"project '{state.title}' on {state.server} asks {mode} questions, not {state.mode}s; "
                            f"use --mode {mode} or another --project name")
