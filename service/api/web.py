"""The web app: three static files the api instance serves itself at /app/ (docs/api.md, "The
web app"). No CDN and no build step: plain HTML, CSS and one JavaScript module in
service/web/. Only the files named in FILES are served (never a path from the request), with a
Content-Security-Policy that admits this origin's own files only: no inline script or style,
no plugin, no framing."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from flask.typing import ResponseReturnValue

from service.http.errors import ApiError

blueprint = Blueprint("web", __name__)
WEB = Path(__file__).resolve().parent.parent / "web"
FILES = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")


@blueprint.get("/app/", strict_slashes=False)
def index() -> ResponseReturnValue:
    return _file("index.html")


@blueprint.get("/app/<name>")
def asset(name: str) -> ResponseReturnValue:
    if name not in FILES:
        raise ApiError(404, "no such file in the web app")
    return _file(name)


def _file(name: str) -> Response:
    response = send_from_directory(WEB, name, mimetype=FILES[name], max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"  # small files: revalidated (ETag), so a deploy shows at once
    return response
