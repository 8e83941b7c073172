"""``timbre label push|pull|status|server``: a Label Studio session that feeds ``timbre train``."""

from __future__ import annotations

from typing import List, Optional

import typer

from timbre.cli.common import index_option, models_option, print_json, progress_bar, resolve_index

label_app = typer.Typer(help="Label pairs of presets in Label Studio for `timbre train`.", no_args_is_help=True)

def _project_option(default_help: str):
    return typer.Option(None, "--project", help=f"Label Studio project title [default: {default_help}]")


def _json_option():
    return typer.Option(False, "--json", help="Print the report as JSON")


@label_app.command("push")
def push(more_targets: Optional[List[str]] = typer.Argument(None, metavar="TARGETS",
                                                            help="More target loops (also after --targets)"),
         strategy: Optional[str] = typer.Option(None, help="queries | uncertainty | diverse | random "
                                                           "[default: queries with targets, else diverse]"),
         n: int = typer.Option(20, "--n", min=1, help="How many new questions to send"),
         targets: Optional[List[str]] = typer.Option(None, "--targets",
                                                     help="Your target loops (strategy queries): "
                                                          "--targets a.wav b.wav, or repeated"),
         mode: str = typer.Option("pair", help="pair (similar?) or triplet (A or B closer to R?)"),
         project: Optional[str] = _project_option("'timbre similarity', triplets 'timbre similarity (triplets)'"),
         pairs: Optional[str] = typer.Option(None, "--pairs", help="Pair file whose pairs need no new label"),
         index: Optional[str] = index_option(), models: Optional[str] = models_option(),
         as_json: bool = _json_option()) -> None:
    """Pick new questions from the index and send them to Label Studio."""
    from timbre.labeling import push_tasks
    from timbre.heads.pairs import default_pairs_file

    all_targets = [*(targets or []), *(more_targets or [])] or None
    strategy = strategy or ("queries" if all_targets else "diverse")
    report = push_tasks(resolve_index(index), strategy=strategy, n=n, targets=all_targets, mode=mode,
                        project=project, models_dir=models, pairs_file=pairs or default_pairs_file(),
                        progress=progress_bar())
    if as_json:
        return print_json(report.to_dict())
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    if report.project_id is None:
        typer.echo(f"pushed nothing: no new {mode}s to ask ({report.already_known} known before)")
        return
    typer.echo(f"pushed {report.pushed} new {mode}s ({report.already_known} known before) to "
               f"'{report.project}': {report.url}")


@label_app.command("pull")
def pull(out: Optional[str] = typer.Option(None, "--out", help="Pair file [default: $TIMBRE_HOME/pairs.jsonl]"),
         project: Optional[str] = _project_option("every project pushed to"),
         index: Optional[str] = index_option(), as_json: bool = _json_option()) -> None:
    """Append the new judgments (pairs and triplets) to the pair file (pulling twice adds nothing)."""
    from timbre.labeling import pull_annotations
    from timbre.heads.pairs import default_pairs_file

    report = pull_annotations(resolve_index(index), out or default_pairs_file(), project=project)
    if as_json:
        return print_json(report.to_dict())
    for line in report.notes:
        typer.echo(f"note: {line}", err=True)
    for line in report.invalid:
        typer.echo(f"skipped: {line}", err=True)
    for line in report.disagreements:
        typer.echo(f"disagreement: {line}", err=True)
    if report.missing_files:
        typer.echo(f"note: {len(report.missing_files)} labeled files are no longer at their path "
                   f"(e.g. {report.missing_files[0]}); re-index them, pairs match by content hash", err=True)
    typer.echo(f"added {report.added} judgments to {report.out} from {', '.join(report.projects)} "
               f"({report.already_pulled} already there, {report.replaced} replaced, {report.skipped} skipped, "
               f"{report.cancelled} cancelled, {len(report.invalid)} invalid)")


@label_app.command("status")
def status(project: Optional[str] = _project_option("every project pushed to"),
           index: Optional[str] = index_option(), as_json: bool = _json_option()) -> None:
    """Counts of pushed, labeled, pending and pulled questions, per project."""
    from timbre.labeling import label_status

    reports = label_status(resolve_index(index), project=project)
    if as_json:
        return print_json([report.to_dict() for report in reports])
    for report in reports:
        typer.echo(f"{report.project} ({report.mode}) at {report.url}\n"
                   f"  pushed {report.pushed}  labeled {report.labeled}  pending {report.pending}\n"
                   f"  answers {report.annotations}  pulled {report.pulled}  to pull {report.to_pull}  "
                   f"invalid {report.invalid}")


@label_app.command("server")
def server(data: Optional[str] = typer.Option(None, "--data",
                                              help="Data folder [default: last start's, else $TIMBRE_HOME/labelstudio]"),
           port: Optional[int] = typer.Option(None, help="Port on 127.0.0.1 [default: last start's, else "
                                                         "$TIMBRE_LABELSTUDIO_PORT or 8080]"),
           document_root: Optional[str] = typer.Option(None, "--document-root",
                                                       help="Folder holding your presets [default: last start's, else ~]"),
           start: bool = typer.Option(False, "--start", help="Start it now (it stops with this command)")) -> None:
    """Print (or, with --start, run) the command that starts the local Label Studio server."""
    from timbre.labeling.server import serve, server_command

    command = server_command(data, port, document_root)
    if not start:
        typer.echo(command.shell())
        return
    login = f"login {command.env['LABEL_STUDIO_USERNAME']} / {command.env['LABEL_STUDIO_PASSWORD']}"
    where = (f"data {command.env['LABEL_STUDIO_BASE_DATA_DIR']}, "
             f"document root {command.env['LOCAL_FILES_DOCUMENT_ROOT']}")

    def ready(running, config_path: str) -> None:
        typer.echo(f"Label Studio is up at {running.url} ({login}; {where}); connection saved to {config_path}. "
                   "It stops with this command: Ctrl-C or closing the terminal", err=True)

    def reuse(cmd, config_path: str, pid) -> None:
        owner = f"pid {pid}" if pid else "started earlier"
        typer.echo(f"Label Studio is already running at {cmd.url} ({owner}; {login}; {where}); using it, "
                   f"connection saved to {config_path}", err=True)

    def starting(cmd) -> None:
        typer.echo(f"starting Label Studio on {cmd.url} ({where}; about a minute on first start)...", err=True)

    reason = serve(command, on_start=starting, on_ready=ready, on_reuse=reuse)
    if reason != "already running":
        typer.echo(f"Label Studio stopped ({reason})", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``label`` command group to ``app``."""
    app.add_typer(label_app, name="label")
