"""Headers of every answer of both instances, errors included (after_request runs for the
answers of error handlers too; gunicorn's own error pages carry them in service.http.worker).

- `X-Content-Type-Options: nosniff`: a browser never guesses a type other than the one sent.
- `Cache-Control: no-store` on what is about one user: `/me…`, `/auth/…` (tokens) and `/users`
  (a sign-up's id and email), so no shared or browser cache keeps a copy.
- A 204 has no body, so no Content-Type either (werkzeug adds text/html to every response).
"""

from __future__ import annotations

import re

from flask import Flask, Response, request

_PRIVATE = re.compile(r"^/(me|auth|users)(/|$)")


def register(app: Flask) -> None:
    @app.after_request
    def hygiene(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if _PRIVATE.match(request.path):
            response.headers["Cache-Control"] = "no-store"
        if response.status_code == 204:
            response.headers.pop("Content-Type", None)
        return response
