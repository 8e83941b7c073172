"""The connection to a Label Studio server, behind a small interface the rest of the package uses.

Settings come from the environment (``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``,
``LABEL_STUDIO_DOCUMENT_ROOT``) or from the user's connection file
(``$TIMBRE_LABELSTUDIO_CONFIG`` or ``$TIMBRE_HOME/labelstudio.json``, written by
``timbre label server``); the environment wins. Keys never go into the repository.

``StudioClient`` wraps ``label-studio-sdk`` 2.x (imported lazily) and turns its errors into
one-line ``LabelingError``\\ s. Tests replace it with any object that has the same methods.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from timbre.errors import LabelingError
from timbre.runtime import timbre_home

DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the server is, the key to use, and the folder its local-files serving exposes."""

    url: str
    api_key: str
    document_root: str | None = None


def connection_file() -> str:
    """The user's connection file location (it may not exist)."""
    return os.environ.get("TIMBRE_LABELSTUDIO_CONFIG") or os.path.join(timbre_home(), "labelstudio.json")


def write_connection_file(settings: ConnectionSettings, path: str | None = None, **server: Any) -> str:
    """Store ``settings`` (and the ``server`` options that started it) in the connection file.

    Mode 600, written atomically; returns its path."""
    path = path or connection_file()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"url": settings.url, "api_key": settings.api_key,
                   "document_root": settings.document_root, **server}, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_connection_file(path: str | None = None) -> dict[str, Any]:
    """The connection file's content (empty when there is none)."""
    path = path or connection_file()
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
        if not isinstance(stored, dict):
            raise ValueError("not a JSON object")
        return stored
    except (OSError, ValueError) as exc:
        raise LabelingError(f"{path}: unreadable Label Studio connection file ({exc}); "
                            "remove it and run `timbre label server --start` again") from exc


def load_settings(path: str | None = None) -> ConnectionSettings:
    """Settings from the environment, falling back to the connection file."""
    path = path or connection_file()
    stored = read_connection_file(path)
    url = os.environ.get("LABEL_STUDIO_URL") or stored.get("url") or DEFAULT_URL
    key = os.environ.get("LABEL_STUDIO_API_KEY") or stored.get("api_key")
    root = os.environ.get("LABEL_STUDIO_DOCUMENT_ROOT") or stored.get("document_root")
    if not key:
        raise LabelingError(f"no Label Studio API key: set LABEL_STUDIO_API_KEY or start the server "
                            f"with `timbre label server --start` (writes {path})")
    return ConnectionSettings(url.rstrip("/"), key, root)


class StudioClient:
    """The few Label Studio calls ``timbre label`` needs, with one-line errors."""

    def __init__(self, settings: ConnectionSettings, *, timeout: float = 30.0):
        from label_studio_sdk import LabelStudio

        self.settings = settings
        self.url = settings.url
        self._sdk = LabelStudio(base_url=settings.url, api_key=settings.api_key,
                                timeout=timeout, max_retries=0)

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one SDK call, turning transport and HTTP errors into a ``LabelingError``."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        try:
            return fn()
        except httpx.HTTPError as exc:
            raise LabelingError(f"Label Studio at {self.url} is unreachable ({type(exc).__name__}); "
                                "start it with `timbre label server --start` or set LABEL_STUDIO_URL") from exc
        except ApiError as exc:
            if exc.status_code in (401, 403):
                raise LabelingError(f"Label Studio at {self.url} refused the API key (HTTP {exc.status_code}); "
                                    "check LABEL_STUDIO_API_KEY (Account & Settings > Access Token)") from exc
            detail = f"HTTP {exc.status_code}: {_short(exc.body)}"
            raise LabelingError(f"Label Studio at {self.url}: {what} failed ({detail})") from exc

    def whoami(self) -> dict:
        """The key's user as ``{"id", "email"}``; checks the server is there and takes the key."""
        user = self._call("whoami", self._sdk.users.whoami)
        return {"id": user.id, "email": user.email}

    def find_project(self, title: str) -> dict | None:
        """The first project with exactly this title, or None."""
        for project in self._call("list projects", lambda: list(self._sdk.projects.list(title=title))):
            if project.title == title:
                return {"id": project.id, "title": project.title, "label_config": project.label_config}
        return None

    def get_project(self, project_id: int) -> dict | None:
        """The project, or None when it no longer exists."""
        from label_studio_sdk.core.api_error import ApiError

        def fetch():
            try:
                return self._sdk.projects.get(project_id)
            except ApiError as exc:
                if exc.status_code == 404:
                    return None
                raise

        project = self._call("get project", fetch)
        if project is None:
            return None
        return {"id": project.id, "title": project.title, "label_config": project.label_config}

    def create_project(self, title: str, label_config: str, description: str = "") -> dict:
        """Create a project with this labeling interface."""
        project = self._call("create project", lambda: self._sdk.projects.create(
            title=title, label_config=label_config, description=description, show_skip_button=True))
        return {"id": project.id, "title": title, "label_config": label_config}

    def list_local_storages(self, project_id: int) -> list[str]:
        """Paths of the project's local-files storages."""
        storages = self._call("list storages", lambda: self._sdk.import_storage.local.list(project=project_id))
        return [s.path for s in storages]

    def add_local_storage(self, project_id: int, path: str) -> None:
        """Let the project serve files under ``path`` (a strict sub-folder of the document root)."""
        self._call(f"add local storage {path}", lambda: self._sdk.import_storage.local.create(
            project=project_id, path=path, title=os.path.basename(path) or path, use_blob_urls=False))

    def import_tasks(self, project_id: int, tasks: list[dict]) -> list[int]:
        """Import task data dicts; returns the new task ids in order."""
        response = self._call("import tasks", lambda: self._sdk.projects.import_tasks(
            project_id, request=tasks, return_task_ids=True))
        return list(getattr(response, "task_ids", None) or [])

    def iter_tasks(self, project_id: int) -> Iterator[dict]:
        """All tasks of the project: ``{"id", "data", "annotations": [dict, ...]}``."""
        pager = self._call("list tasks", lambda: self._sdk.tasks.list(project=project_id, fields="all"))
        for task in self._call("list tasks", lambda: list(pager)):
            annotations = [a if isinstance(a, dict) else a.dict() for a in (task.annotations or [])]
            yield {"id": task.id, "data": dict(task.data or {}), "annotations": annotations}

    def user_emails(self) -> dict[int, str]:
        """User id -> email, to name annotators."""
        return {u.id: u.email for u in self._call("list users", lambda: list(self._sdk.users.list()))}


def _short(body: Any, limit: int = 160) -> str:
    text = json.dumps(body) if not isinstance(body, str) else body
    return " ".join(text.split())[:limit]


def connect(settings: ConnectionSettings | None = None) -> StudioClient:
    """A checked client: raises ``LabelingError`` when the server is down or refuses the key."""
    try:
        import label_studio_sdk  # noqa: F401
    except ImportError as exc:
        raise LabelingError("label-studio-sdk is not installed; run "
                            "`pip install -c constraints.txt -e '.[labeling]'`") from exc
    client = StudioClient(settings or load_settings())
    client.whoami()
    return client
