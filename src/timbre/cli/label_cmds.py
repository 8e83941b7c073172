"""``timbre label push|pull|status|server``: a Label Studio session that feeds ``timbre train``."""

from __future__ import annotations

from typing import List, Optional

import typer

from timbre.cli.common import index_option, models_option, print_json, progress_bar, resolve_index

label_app = typer.Typer(help="Label pairs of presets in Label Studio for `timbre train`.", no_args_is_help=True)

DEFAULT_PROJECT = "timbre similarity"  # == timbre.labeling.project.DEFAULT_PROJECT (not imported: fast --help)


def _project_option():
    return typer.Option(DEFAULT_PROJECT, "--project", help="Label Studio project title")


def _json_option():
    return typer.Option(False, "--json", help="Print the report as JSON")


@label_app.command("push")
def push(strategy: str = typer.Option("diverse", help="queries | uncertainty | diverse | random"),
         n: int = typer.Option(20, "--n", min=1, help="How many new questions to send"),
         targets: Optional[List[str]] = typer.Option(None, "--targets", help="Your target loops (strategy queries)"),
         mode: str = typer.Option("pair", help="pair (similar?) or triplet (A or B closer to R?)"),
         project: str = _project_option(),
         pairs: Optional[str] = typer.Option(None, "--pairs", help="Pair file whose pairs need no new label"),
         index: Optional[str] = index_option(), models: Optional[str] = models_option(),
         as_json: bool = _json_option()) -> None:
    """Pick new questions from the index and send them to Label Studio."""
    from timbre.labeling import push_tasks
    from timbre.labeling.pull import default_pairs_file

    report = push_tasks(resolve_index(index), strategy=strategy, n=n, targets=targets, mode=mode, project=project,
                        models_dir=models, pairs_file=pairs or default_pairs_file(), progress=progress_bar())
    if as_json:
        return print_json(report.to_dict())
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"pushed {report.pushed} new {mode}s ({report.already_known} known before) to {report.url}")


@label_app.command("pull")
def pull(out: Optional[str] = typer.Option(None, "--out", help="Pair file [default: $TIMBRE_HOME/pairs.jsonl]"),
         project: str = _project_option(), index: Optional[str] = index_option(),
         as_json: bool = _json_option()) -> None:
    """Append the project's new judgments to the pair file (pulling twice adds nothing)."""
    from timbre.labeling import pull_annotations
    from timbre.labeling.pull import default_pairs_file

    report = pull_annotations(resolve_index(index), out or default_pairs_file(), project=project)
    if as_json:
        return print_json(report.to_dict())
    for line in report.invalid:
        typer.echo(f"skipped: {line}", err=True)
    for line in report.disagreements:
        typer.echo(f"disagreement: {line}", err=True)
    if report.missing_files:
        typer.echo(f"note: {len(report.missing_files)} labeled files are no longer at their path "
                   f"(e.g. {report.missing_files[0]}); re-index them, pairs match by content hash", err=True)
    typer.echo(f"added {report.added} judgments to {report.out} ({report.already_pulled} already there, "
               f"{report.replaced} replaced, {report.skipped} skipped, {report.cancelled} cancelled, "
               f"{len(report.invalid)} invalid)")


@label_app.command("status")
def status(project: str = _project_option(), index: Optional[str] = index_option(),
           as_json: bool = _json_option()) -> None:
    """Counts of pushed, labeled, pending and pulled questions."""
    from timbre.labeling import label_status

    report = label_status(resolve_index(index), project=project)
    if as_json:
        return print_json(report.to_dict())
    typer.echo(f"{report.project} ({report.mode}) at {report.url}\n"
               f"  pushed {report.pushed}  labeled {report.labeled}  pending {report.pending}\n"
               f"  answers {report.annotations}  pulled {report.pulled}  to pull {report.to_pull}  "
               f"invalid {report.invalid}")


@label_app.command("server")
def server(data: Optional[str] = typer.Option(None, "--data", help="Data folder [default: $TIMBRE_HOME/labelstudio]"),
           port: int = typer.Option(8080, help="Port on 127.0.0.1"),
           document_root: Optional[str] = typer.Option(None, "--document-root",
                                                       help="Folder holding your presets [default: ~]"),
           start: bool = typer.Option(False, "--start", help="Start it now (Ctrl-C stops it)")) -> None:
    """Print (or, with --start, run) the command that starts a local Label Studio server."""
    from timbre.labeling.server import serve, server_command

    command = server_command(data, port, document_root)
    if not start:
        typer.echo(command.shell())
        return

    def ready(running, config_path: str) -> None:
        typer.echo(f"Label Studio is up at {running.url} (login {command.env['LABEL_STUDIO_USERNAME']} / "
                   f"{command.env['LABEL_STUDIO_PASSWORD']}); connection saved to {config_path}; Ctrl-C stops it")

    typer.echo(f"starting Label Studio on {command.url} (about a minute on first start)...", err=True)
    serve(command, on_ready=ready)


def register(app: typer.Typer) -> None:
    """Add the ``label`` command group to ``app``."""
    app.add_typer(label_app, name="label")
