"""A head over one part of a combined space: ``spectral``'s head on a ``spectral+learned`` index.

A head trained on an index of one embedder can rank an index that combines that embedder with
others: it projects its own part of each vector and leaves the other parts as they are, so the
cosine of two projected vectors is the parts' weighted mean with that part seen through the head.
On the benchmark this beat a head trained on the whole combined vector: a learned embedder and a
self-supervised head learn from the same augmented clips, so a head over both adds little, while
``spectral``'s own head re-weighs what ``spectral`` keeps and the learned part adds what it drops
(see the README's issue-12 figures).
"""

from __future__ import annotations

import numpy as np

from timbre.embedders.base import l2_normalize
from timbre.errors import HeadError


class PartHead:
    """``head`` applied to part ``part`` (columns ``slices[part]``, share ``weights[part]``) of a combined
    space whose fingerprint is ``embedder_fingerprint``; follows the search ``Head`` protocol.
    ``output_columns`` are where the parts lie in the projected vectors (the head's part split
    further when the head has columns of its own, e.g. its network's and its base share), so search
    can still score each by its own best pitch view (:func:`timbre.search.space.part_columns`)."""

    def __init__(self, head, slices: list[tuple[int, int]], weights: list[float], part: int,
                 embedder_fingerprint: str):
        from timbre.embedders.combined import column_ranges

        self.inner, self.slices, self.weights, self.part = head, slices, weights, part
        self.id, self.config, self.device = head.id, head.config, head.device
        self.embedder_fingerprint = embedder_fingerprint
        widths = [stop - start for start, stop in slices]
        inner_columns = getattr(head, "output_columns", None) or [(0, int(head.output_dim))]
        widths[part:part + 1] = [stop - start for start, stop in inner_columns]
        self.output_columns = column_ranges(widths)
        self.input_dim = slices[-1][1]
        self.output_dim = sum(widths)

    def project(self, vectors: np.ndarray) -> np.ndarray:
        """Map ``(n, input_dim)`` combined vectors to ``(n, output_dim)`` unit vectors."""
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise HeadError(f"head {self.id}: expects {self.input_dim}-d vectors, got shape {x.shape}; "
                            "use a head trained on this index's embedder")
        blocks = []
        for i, (start, stop) in enumerate(self.slices):
            part = x[:, start:stop]  # each part is its unit vector scaled by sqrt(its share)
            if i == self.part:
                part = np.sqrt(self.weights[i]) * self.inner.project(l2_normalize(part))
            blocks.append(part)
        return l2_normalize(np.concatenate(blocks, axis=1))

    def __repr__(self) -> str:
        return f"PartHead({self.inner!r}, part={self.part})"


def part_fingerprints(lib) -> list[str]:
    """The fingerprints of the parts of ``lib``'s combined embedder (none for a single embedder)."""
    from timbre.embedders.combined import is_combined

    if not is_combined(lib.embedder_spec["name"]):
        return []
    return [part.fingerprint() for part in lib.load_embedder().parts]


def head_for_index(head, lib):
    """``head`` ready to rank ``lib``: itself when trained on ``lib``'s embedder, a ``PartHead`` when
    trained on one part of ``lib``'s combined embedder; ``HeadError`` otherwise."""
    spec = lib.embedder_spec
    if head.embedder_fingerprint == spec["fingerprint"]:
        return head
    fingerprints = part_fingerprints(lib)
    if head.embedder_fingerprint in fingerprints:
        model = lib.load_embedder()
        return PartHead(head, model.columns, list(model.weights), fingerprints.index(head.embedder_fingerprint),
                        spec["fingerprint"])
    raise HeadError(f"head {head.id} was trained on embedder fingerprint {head.embedder_fingerprint} but index "
                    f"{lib.path} has {spec['fingerprint']} (nor is it one of its parts); use a head trained on this "
                    "index's embedder, or on one part of it")
