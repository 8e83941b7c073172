"""`timbre index` (build / update) and `timbre info` (what an index holds)."""

from __future__ import annotations

from typing import Optional

import typer

from timbre.cli.common import (device_option, half_option, index_option, print_json, progress_bar, resolve_index,
                               resolve_placement, parse_view_textures, parse_views, textures_option)


def index_command(
    dirs: list[str] = typer.Argument(..., help="Folders of audio files (searched recursively)"),
    index: Optional[str] = index_option(),
    embedder: Optional[str] = typer.Option(None, "--embedder", "-e",
                                           help="Embedder for a new index [default: spectral]"),
    model: Optional[str] = typer.Option(None, "--model", help="Model id or local folder for clap/pann"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=0, help="Decode processes [default: cores]"),
    device: Optional[str] = device_option(),
    half: Optional[bool] = half_option(),
    views: Optional[str] = typer.Option(
        None, "--views", help="Pitch views of each preview, in semitones: e.g. -12,-7,-5,0,5,7,12,19,24, 'default' "
        "(that list) or 'none'. Search scores a preset by its view nearest the target "
        "[default: keep the index's; a new index gets 'default']"),
    view_textures: Optional[str] = textures_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
) -> None:
    """Index (or update) the presets under DIR...; unchanged files are not re-read."""
    from timbre.config import embedder_choice
    from timbre.index import build_index

    choice = embedder_choice(embedder, model)
    report = build_index(dirs, resolve_index(index), choice.name if choice else None,
                         choice.options if choice else None, workers=workers,
                         progress=None if as_json else progress_bar(), placement=resolve_placement(device, half),
                         views=parse_views(views), textures=parse_view_textures(view_textures))
    if as_json:
        print_json(report.to_dict())
        return
    typer.echo(f"{report.total} files indexed: {report.added} added, {report.updated} updated, "
               f"{report.removed} removed, {report.unchanged} unchanged, {len(report.skipped)} skipped"
               + (f" ({report.reused} stored vectors reused: same content)" if report.reused else "")
               + (f"; pitch views computed for {report.views}" if report.views else ""))
    for skipped in sorted(report.skipped, key=lambda s: s.path):
        typer.echo(f"  skipped {skipped.path}: {skipped.detail} [{skipped.reason}]")


def info_command(
    index: Optional[str] = index_option(),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON"),
) -> None:
    """Show the index's embedder, file counts per bank and the skipped files."""
    from timbre.index import describe_index

    info = describe_index(resolve_index(index))
    info["tags"] = _tags(info["path"])
    if as_json:
        print_json(info)
        return
    spec = info["embedder"]
    typer.echo(f"index     {info['path']} (format {info['format_version']}, created {info['created']})")
    typer.echo(f"embedder  {spec['name']} {spec['options'] or ''} dim {spec['dim']} @ {spec['sample_rate']} Hz")
    typer.echo(f"fingerprint {spec['fingerprint']}   state {info['state_id']}")
    typer.echo(f"files     {info['files']} in {len(info['banks'])} banks")
    for bank, count in info["banks"].items():
        typer.echo(f"  {count:>7}  {bank}")
    views = info["views"]
    typer.echo("views     none" if views is None else
               f"views     {views['per_preview']} a preview: {_shift_list(views['semitones'])} semitones "
               f"× {', '.join(views['textures'])}; {views['previews_with_views']} of {info['files']} previews have them")
    if views is not None and views["semitones"] != views["default_semitones"]:
        typer.echo(f"          today's default shifts are {_shift_list(views['default_semitones'])}: "
                   "`timbre index DIR --views default` moves this index to them")
    tags = info["tags"]
    typer.echo(f"tags      {tags['source']}" + ("" if tags["counts"] else ": none found"))
    for tag, count in tags["counts"].items():
        typer.echo(f"  {count:>7}  {tag}")
    typer.echo(f"skipped   {info['skipped_count']}")
    for skipped in info["skipped"]:
        typer.echo(f"  {skipped['path']}: {skipped['detail']} [{skipped['reason']}]")


def _tags(index_path: str) -> dict:
    """Tag counts for `timbre info`; a failure (e.g. missing weights) is shown, never fatal."""
    from timbre.errors import TimbreError
    from timbre.index import open_index
    from timbre.tags import describe_tags

    try:
        return describe_tags(open_index(index_path))
    except TimbreError as err:
        return {"counts": {}, "source": f"unavailable ({err})"}


def register(app: typer.Typer) -> None:
    """Add `index` and `info` to ``app``."""
    app.command("index")(index_command)
    app.command("info")(info_command)


def _shift_list(semitones: list[int]) -> str:
    """``[-12, 0, 12]`` → ``-12,0,12``: as ``--views`` takes them."""
    return ",".join(str(s) for s in semitones)
