"""Label Studio sessions that turn a person's listening into training pairs for ``timbre train``.

    push_tasks(index_path, strategy=..., n=..., mode="pair"|"triplet") -> PushReport
    pull_annotations(index_path, out) -> PullReport
    label_status(index_path) -> [StatusReport, ...]  (one per project: pairs, triplets)

The server side (own virtualenv, headless start) is in ``timbre.labeling.server``;
``label-studio-sdk`` is imported only when a connection is made.
"""

from timbre.labeling.pull import PullReport, pull_annotations
from timbre.labeling.push import PushReport, push_tasks
from timbre.labeling.status import StatusReport, label_status

__all__ = ["PullReport", "PushReport", "StatusReport", "label_status", "pull_annotations", "push_tasks"]
