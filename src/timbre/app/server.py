"""The web shell of ``timbre app``: HTTP routes over a ``timbre.workspace.Workspace``.

Each route parses its request, calls one ``Workspace`` method and returns its answer as JSON (or
a file). Nothing here searches, judges or trains by itself. Every ``/api`` call needs the session
token (``timbre.app.auth``); files are only ever addressed by index row or target hash, never by
path, so nothing outside the library and the kept targets can be served.
"""

from __future__ import annotations

import mimetypes
import os
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from timbre.app.auth import TOKEN_COOKIE, TokenGuard
from timbre.errors import TimbreError
from timbre.workspace.targets import MAX_TARGET_BYTES

STATIC = resources.files("timbre.app") / "static"
AUDIO_TYPES = {".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
               ".wave": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg", ".aif": "audio/aiff",
               ".aiff": "audio/aiff"}


class TooLarge(TimbreError):
    """An upload over the cap (answered 413)."""


def create_app(workspace, token: str, *, max_upload: int = MAX_TARGET_BYTES) -> FastAPI:
    """The FastAPI application serving ``workspace`` to holders of ``token``."""
    app = FastAPI(title="timbre", docs_url=None, redoc_url=None, openapi_url=None)
    guard = TokenGuard(token)
    app.middleware("http")(guard.middleware)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _errors(app)
    _page_routes(app, guard)
    _search_routes(app, workspace, max_upload)
    _file_routes(app, workspace)
    _teach_routes(app, workspace)
    return app


def _errors(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, err: RequestValidationError):
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid')} — check the request"},
                            status_code=400)

    @app.exception_handler(TimbreError)
    async def timbre_error(_request: Request, err: TimbreError):
        status = 413 if isinstance(err, TooLarge) else 409 if "already running" in str(err) else 400
        return JSONResponse({"error": str(err)}, status_code=status)


def _page_routes(app: FastAPI, guard: TokenGuard) -> None:
    @app.get("/", response_class=HTMLResponse)
    def page(request: Request):
        if not guard.allows(request):
            return HTMLResponse(_NO_TOKEN_PAGE, status_code=403)
        response = HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))
        response.set_cookie(TOKEN_COOKIE, guard.token, httponly=True, samesite="strict")
        return response


def _search_routes(app: FastAPI, ws, max_upload: int) -> None:
    @app.get("/api/status")
    def status():
        return ws.status()

    @app.post("/api/targets")
    async def upload_target(request: Request, name: str = "target.wav"):
        declared = int(request.headers.get("content-length") or 0)
        if declared > max_upload:
            raise TooLarge(f"{name}: {declared / 2**20:.0f} MB is over the {max_upload // 2**20} MB upload limit "
                           "— cut the loop shorter")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > max_upload:
                raise TooLarge(f"{name}: over the {max_upload // 2**20} MB upload limit — cut the loop shorter")
        target = await run_in_threadpool(ws.add_target_bytes, bytes(data), os.path.basename(name))
        return {"target": target.to_dict()}

    @app.post("/api/targets/path")
    def target_from_path(body: dict):
        return {"target": ws.add_target_path(str(body.get("path") or "")).to_dict()}

    @app.get("/api/targets")
    def targets():
        return {"targets": [t.to_dict() for t in ws.targets.recent()]}

    @app.post("/api/search")
    def search(body: dict):
        return ws.search(**_search_args(body))

    @app.post("/api/export")
    def export(body: dict):
        csv = ws.export_csv(**_search_args(body))
        return Response(csv, media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="timbre-results.csv"'})

    @app.get("/api/map")
    def library_map(head: str | None = None):
        return ws.library_map(head)


def _file_routes(app: FastAPI, ws) -> None:
    @app.get("/api/audio/preset/{row}")
    def preset_audio(row: int):
        return _audio_file(ws.preset_file(row))

    @app.get("/api/audio/target/{target_id}")
    def target_audio(target_id: str):
        target = ws.targets.get(target_id)
        return _audio_file(target.path, target.name)

    @app.get("/api/waveform/{kind}/{key}")
    def waveform(kind: str, key: str):
        if kind not in ("preset", "target"):
            raise TimbreError(f"no waveform kind {kind!r} — use preset or target")
        if kind == "preset" and not key.isdigit():
            raise TimbreError(f"{key!r} is not a preset row")
        return ws.waveform(kind, key)

    @app.get("/api/presets/{row}")
    def preset(row: int):
        record = ws.preset(row)
        return {"row": row, "name": record["name"], "bank": record["bank"], "path": record["path"],
                "seconds": record.get("duration")}


def _teach_routes(app: FastAPI, ws) -> None:
    @app.post("/api/judgments")
    def judge(body: dict):
        target = str(body.get("target") or "")
        if body.get("kind") == "triplet":
            record = ws.judge_triplet(target, _row(body, "positive"), _row(body, "negative"))
        else:
            record = ws.judge_pair(target, _row(body, "preset"), str(body.get("label")))
        return {"judgment": record, "judgments": ws.judgments.count()}

    @app.delete("/api/judgments/{record_id}")
    def undo(record_id: str):
        return {"removed": ws.judgments.remove(record_id), "judgments": ws.judgments.count()}

    @app.get("/api/judgments")
    def judgments(target: str):
        return {"judgments": ws.judgments.for_target(target)}

    @app.post("/api/train", status_code=202)
    def train(body: dict | None = None):
        epochs = (body or {}).get("max_epochs")
        return {"training": ws.start_training(int(epochs) if epochs else None)}

    @app.get("/api/train")
    def training():
        return {"training": ws.training.snapshot()}

    @app.post("/api/head")
    def set_head(body: dict):
        return {"active_head": ws.set_active_head(body.get("head"))}


def _search_args(body: dict) -> dict:
    args = {k: body[k] for k in ("target", "text", "head") if body.get(k) is not None}
    if body.get("preset") is not None:
        args["preset"] = _row(body, "preset")
    if body.get("top") is not None:
        args["top"] = int(body["top"])
    if body.get("banks"):
        args["banks"] = [str(b) for b in body["banks"]]
    if body.get("tags"):
        args["tags"] = [str(t) for t in body["tags"]]
    if body.get("thorough"):
        args["thorough"] = True
    return args


def _row(body: dict, key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TimbreError(f"{key} must be a preset row number, got {value!r}")
    return value


def _audio_file(path: str, name: str | None = None) -> FileResponse:
    ext = os.path.splitext(path)[1].lower()
    media = AUDIO_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=name or os.path.basename(path),
                        content_disposition_type="inline")


_NO_TOKEN_PAGE = """<!doctype html><meta charset="utf-8"><title>timbre</title>
<body style="font:16px system-ui;background:#15171a;color:#ddd;padding:3em">
<h1>timbre</h1><p>This page needs the link with its token.
Open the URL that <code>timbre app</code> printed in your terminal.</p></body>"""
