"""Render search results as a table (people) or JSON / JSON Lines / CSV (scripts)."""

from __future__ import annotations

import csv
import io
import json

from timbre.search.results import SearchResult

FORMATS = ("table", "json", "jsonl", "csv")


def render_results(results: list[SearchResult], fmt: str = "table") -> str:
    """The text to print for ``results`` in ``fmt`` (one of ``FORMATS``); failed targets are
    left out of the table and CSV (the caller reports their errors) and kept in JSON; a target's
    hint is printed under its table and kept in JSON (CSV has no place for it)."""
    if fmt == "json":
        return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in results)
    if fmt == "csv":
        return _csv(results)
    if fmt == "table":
        return _table(results)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def _csv(results: list[SearchResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["target", "rank", "score", "name", "bank", "path"])
    for result in results:
        for hit in result.hits:
            writer.writerow([result.target, hit.rank, f"{hit.score:.6f}", hit.name, hit.bank, hit.path])
    return out.getvalue()


def _table(results: list[SearchResult]) -> str:
    blocks = []
    for result in results:
        if result.error is not None:
            continue
        name_width = max([len(h.name) for h in result.hits] + [6])
        bank_width = max([len(h.bank) for h in result.hits] + [4])
        lines = [f"{result.target}"] + _translation_lines(result) + [
                 f"  {'rank':>4}  {'score':>6}  {'preset':<{name_width}}  {'bank':<{bank_width}}  path"]
        for hit in result.hits:
            lines.append(f"  {hit.rank:>4}  {hit.score:>6.3f}  {hit.name:<{name_width}}  "
                         f"{hit.bank:<{bank_width}}  {hit.path}")
        if not result.hits:
            lines.append("  (no indexed files)")
        if result.hint:
            lines.append(f"  hint: {result.hint}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _translation_lines(result: SearchResult) -> list[str]:
    """"searched for: warm pad" and the words not understood, under a translated text query."""
    lines = [f"  searched for: {result.searched_for}"] if result.searched_for is not None else []
    if result.not_understood:
        from timbre.translation import user_file

        lines.append(f"  not understood: {', '.join(result.not_understood)} — add such words to {user_file()} "
                     "([words] table)")
    return lines
