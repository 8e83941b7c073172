"""Writing an ``EvalReport`` to its folder: report.json, report.md, recall_at_k.png."""

from __future__ import annotations

import json
import os

from timbre.evaluation.plot import write_recall_plot
from timbre.evaluation.report import EvalReport
from timbre.index.store import atomic_write_bytes

JSON_FILE = "report.json"
MARKDOWN_FILE = "report.md"
PLOT_FILE = "recall_at_k.png"


def write_report(report: EvalReport, out_dir: str) -> dict[str, str]:
    """Write the three report files into ``out_dir``; sets and returns ``report.files``."""
    os.makedirs(out_dir, exist_ok=True)
    report.files = {name: os.path.join(os.path.abspath(out_dir), file)
                    for name, file in (("json", JSON_FILE), ("markdown", MARKDOWN_FILE), ("plot", PLOT_FILE))}
    bench = report.bench
    title = (f"Exact preset in top k: {bench.get('size')} benchmark, "
             f"{bench.get('presets')} presets, {bench.get('targets')} targets")
    write_recall_plot(report.systems, report.files["plot"], title)
    atomic_write_bytes(report.files["markdown"], report.markdown().encode())
    text = json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_bytes(report.files["json"], text.encode())
    return report.files
