"""``timbre label status``: how far the labeling session has come, per project (pairs, triplets)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from timbre.labeling.client import connect
from timbre.labeling.interface import SKIP, read_answer
from timbre.labeling.project import project_url, projects_to_read
from timbre.labeling.state import Ledger, ProjectState, ledger_path_for


@dataclass
class StatusReport:
    """Counts of one project; ``to_dict`` is the stable JSON of ``timbre label status --json``."""

    project: str
    project_id: int
    url: str
    mode: str
    pushed: int  # tasks sent (as the ledger knows them)
    labeled: int  # tasks with at least one usable answer
    pending: int  # tasks nobody answered yet
    annotations: int  # answers on the server, cancelled ones excluded
    pulled: int  # answers already turned into pair-file records
    to_pull: int  # usable answers not pulled yet
    invalid: int  # answers with a value the interface does not offer (never pulled)

    def to_dict(self) -> dict:
        return asdict(self)


def label_status(index_path: str, *, project: str | None = None, client=None,
                 ledger_path: str | None = None) -> list[StatusReport]:
    """Compare each project on the server (or only ``project``) with the local ledger."""
    client = client or connect()
    ledger = Ledger.load(ledger_path or ledger_path_for(index_path))
    projects, _ = projects_to_read(client, ledger, project)
    return [_project_status(client, state, project_id) for state, project_id in projects]


def _project_status(client, state: ProjectState, project_id: int) -> StatusReport:
    labeled = annotations = to_pull = invalid = on_server = 0
    for task in client.iter_tasks(project_id):
        on_server += 1
        answers = [(a, read_answer(a.get("result"), state.mode)) for a in task["annotations"]
                   if not a.get("was_cancelled")]
        annotations += len(answers)
        labeled += any(answer.choice for _, answer in answers)
        invalid += sum(1 for _, answer in answers if answer.problem)
        to_pull += sum(1 for a, answer in answers
                       if answer.choice not in (None, SKIP) and str(a.get("id")) not in state.pulled)
    pushed = max(len(state.tasks), on_server)
    return StatusReport(state.title, project_id, project_url(client.url, project_id), state.mode, pushed, labeled,
                        pushed - labeled, annotations, len(state.pulled), to_pull, invalid)
