"""Retrieval quality on a rendered benchmark: recall@k, MRR, graded nDCG, family precision.

    report = evaluate("bench/", ["spectral"], out_dir="eval/")
    print(report.markdown())

The ``mfcc`` baseline is always evaluated alongside the requested embedders.
"""

from timbre.evaluation.report import EvalReport, SystemResult
from timbre.evaluation.runner import evaluate

__all__ = ["evaluate", "EvalReport", "SystemResult"]
