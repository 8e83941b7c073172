"""Finding, creating and checking the Label Studio project a ledger entry points to."""

from __future__ import annotations

from timbre.errors import LabelingError
from timbre.labeling.interface import label_config, mode_of_config
from timbre.labeling.state import ProjectState

DEFAULT_PROJECT = "timbre similarity"


def project_url(server: str, project_id: int) -> str:
    """The page listing the project's tasks."""
    return f"{server}/projects/{project_id}/data"


def ensure_project(client, state: ProjectState) -> tuple[int, list[str]]:
    """The id of the project for ``state`` (reused by id, then by title, else created).

    Returns ``(project_id, notes)``. A project deleted on the server is replaced by a new one:
    its pending tasks are forgotten so they can be sent again; pulled judgments are kept."""
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
        project = client.create_project(state.title, label_config(state.mode),
                                        description="timbre: is this preset similar to that one?")
    _check_mode(project, state)
    state.project_id = project["id"]
    return project["id"], notes


def require_project(client, state: ProjectState | None, title: str, server: str) -> int:
    """The id of an existing project for pulling or status; one-line errors otherwise."""
    if state is None or state.project_id is None:
        raise LabelingError(f"nothing was pushed to project '{title}' on {server}; run `timbre label push` first")
    if client.get_project(state.project_id) is None:
        raise LabelingError(f"project '{title}' (id {state.project_id}) was deleted on {server}; labels already "
                            "pulled are kept; run `timbre label push` to start a new project")
    return state.project_id


def _check_mode(project: dict, state: ProjectState) -> None:
    mode = mode_of_config(project.get("label_config") or "")
    if mode != state.mode:
        raise LabelingError(f"project '{state.title}' on {state.server} asks {mode} questions, not {state.mode}s; "
                            f"use --mode {mode} or another --project name")
