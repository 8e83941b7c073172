"""A listening session over one index: targets kept by hash, search, judgments, retraining, the map.

    ws = Workspace("~/.timbre/index")
    target = ws.add_target_path("loop.wav")
    ws.search(target=target.id, top=20)["hits"][0]["name"]

``timbre app`` is a thin web shell over ``Workspace``; nothing here imports a web framework.
"""

from timbre.workspace.session import Workspace
from timbre.workspace.targets import Target, TargetStore

__all__ = ["Workspace", "Target", "TargetStore"]
