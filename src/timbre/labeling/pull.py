"""``timbre label pull``: turn Label Studio annotations into records of the pair file.

Each annotator's answer to a task is one record (source ``labelstudio``, annotator = their
email, ``created_at`` kept). Pulling is idempotent: record ids are stable, and the ledger
remembers which annotation became which record. An annotator who changed an answer replaces
their old record. Cancelled (skipped in the UI) and "skip" answers add nothing; answers with an
unknown value are reported and skipped; tasks whose annotators disagree are reported (every
judgment is still kept, the trainer weighs them).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from timbre.heads.pairs import append_pairs, remove_pairs, validate_record
from timbre.labeling.client import connect
from timbre.labeling.interface import SKIP, read_answer
from timbre.labeling.project import projects_to_read
from timbre.labeling.state import Ledger, ProjectState, ledger_path_for


@dataclass
class PullReport:
    """What a pull did; ``to_dict`` is the stable JSON of ``timbre label pull --json``."""

    out: str
    projects: list[str] = field(default_factory=list)
    annotations: int = 0
    added: int = 0
    already_pulled: int = 0
    replaced: int = 0
    skipped: int = 0
    cancelled: int = 0
    invalid: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def pull_annotations(index_path: str, out: str, *, project: str | None = None, client=None,
                     ledger_path: str | None = None) -> PullReport:
    """Append new judgments to the pair file ``out``; returns counts and problems.

    Without ``project``, every project pushed to this server is pulled: pair answers become
    pair records, triplet answers triplet records."""
    client = client or connect()
    ledger = Ledger.load(ledger_path or ledger_path_for(index_path))
    projects, notes = projects_to_read(client, ledger, project)
    emails = client.user_emails()
    report = PullReport(out=out, projects=[state.title for state, _ in projects], notes=notes)
    records, replaced = [], set()
    pulled: dict[str, dict] = {state.title: {} for state, _ in projects}
    for state, project_id in projects:
        for task in client.iter_tasks(project_id):
            task_records = _task_records(task, state, emails, report)
            for annotation_id, record in task_records:
                previous = state.pulled.get(annotation_id, {}).get("record_id")
                if previous == record["id"]:
                    report.already_pulled += 1
                elif previous:
                    replaced.add(previous)
                pulled[state.title][annotation_id] = {"task_id": task["id"], "record_id": record["id"]}
                records.append(record)
            _note_disagreement(task, [r for _, r in task_records], report)
    replaced -= {r["id"] for r in records}
    report.replaced = remove_pairs(out, replaced)  # superseded: the annotator changed the answer
    report.added = append_pairs(out, records) if records else 0
    report.missing_files = sorted({rec[k] for rec in records for k in rec
                                   if k.endswith("_path") and not os.path.exists(rec[k])})
    for state, _ in projects:  # only after the pair file is safely written
        state.pulled.update(pulled[state.title])
    ledger.save()
    return report


def _task_records(task: dict, state: ProjectState, emails: dict[int, str], report: PullReport) -> list:
    """``(annotation id, record)`` for each usable annotation of one task."""
    data = task["data"]
    mode = data.get("mode") or state.mode
    out = []
    for ann in task["annotations"]:
        report.annotations += 1
        if ann.get("was_cancelled"):
            report.cancelled += 1
            continue
        answer = read_answer(ann.get("result"), mode)
        if answer.problem:
            report.invalid.append(f"task {task['id']} annotation {ann.get('id')}: {answer.problem}")
            continue
        if answer.choice == SKIP:
            report.skipped += 1
            continue
        annotator = emails.get(ann.get("completed_by")) or str(ann.get("completed_by", ""))
        record = make_record(data, answer.choice, annotator, str(ann.get("created_at") or ""))
        out.append((str(ann.get("id")), record))
    return out


def make_record(data: dict, choice: str, annotator: str, created_at: str) -> dict:
    """The pair-file record of one answer to a task whose ``data`` came from ``push``."""
    base = {"source": "labelstudio", "annotator": annotator, "created_at": created_at, "weight": 1.0}
    if data.get("mode", "pair") == "pair":
        record = {"kind": "pair", "label": choice, **base,
                  **{f"{role}_{key}": data[f"{role}_{key}"] for role in ("a", "b") for key in ("path", "hash")}}
    else:
        positive, negative = ("a", "b") if choice == "a_closer" else ("b", "a")
        record = {"kind": "triplet", **base,
                  "anchor_path": data["r_path"], "anchor_hash": data["r_hash"],
                  "positive_path": data[f"{positive}_path"], "positive_hash": data[f"{positive}_hash"],
                  "negative_path": data[f"{negative}_path"], "negative_hash": data[f"{negative}_hash"]}
    return validate_record(record, "label studio task")


def _note_disagreement(task: dict, records: list[dict], report: PullReport) -> None:
    answers = {r["annotator"]: r.get("label") or r["positive_hash"] for r in records}
    if len(set(answers.values())) > 1:
        data = task["data"]
        reference = f"R {data['r_name']}: " if data.get("r_name") else ""
        report.disagreements.append(f"task {task['id']} ({reference}{data.get('a_name', '')} / "
                                    f"{data.get('b_name', '')}): annotators disagree "
                                    f"({', '.join(sorted(answers))})")
