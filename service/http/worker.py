"""The gunicorn worker of both instances: gthread, with gunicorn's own error answers in the
app's JSON error shape instead of HTML pages.

gunicorn answers some requests before the app sees them: a request line or headers too long
(414, 431), a malformed request (400), an unsupported transfer coding (501), and a 500 when the
app failed so badly that nothing was sent. gunicorn still decides the status and logs as it
always does; only the page it writes is replaced: `handle_error` lets it write into a stand-in
socket, keeps the status line, and sends `{"error", "message", "request_id"}` instead.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from service.http.errors import Error, error_code

log = logging.getLogger("tally.http")
_MESSAGE_CHARS = 200  # gunicorn's messages quote the offending input; keep the answer small


class JsonErrorWorker(ThreadWorker):
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        page = _PageCatcher()
        super().handle_error(req, page, addr, exc)
        status, reason = page.status()
        request_id = uuid.uuid4().hex
        message = f"{reason}: {exc}"[:_MESSAGE_CHARS] if status < 500 else \
            "an unexpected error occurred; it has been logged"
        log.warning("refused by the server", extra={"request_id": request_id, "status": status,
                                                    "error": str(exc)[:_MESSAGE_CHARS]})
        try:
            util.write_nonblock(client, json_error_page(status, reason, message, request_id))
        except Exception:  # noqa: BLE001 - the client may be gone; gunicorn closes the connection next
            self.log.debug("Failed to send error message.")


def json_error_page(status: int, reason: str, message: str, request_id: str) -> bytes:
    """A whole HTTP/1.1 error response: the app's error shape, and the connection closes (the
    request could not be read to its end, so the next one cannot be found)."""
    body = msgspec.json.encode(Error(error=error_code(status, reason), message=message, request_id=request_id))
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Request-Id: {request_id}\r\nX-Content-Type-Options: nosniff\r\n"
            "Cache-Control: no-store\r\n\r\n")
    return head.encode("latin-1") + body


class _PageCatcher:
    """Stands in for the client socket while gunicorn writes its HTML page."""

    def __init__(self) -> None:
        self.written = bytearray()

    def gettimeout(self) -> float:
        return 0.0  # "non-blocking already": gunicorn then writes without toggling it

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.written += data

    def status(self) -> tuple[int, str]:
        """The status line gunicorn wrote ("HTTP/1.1 414 URI Too Long"), or a 500."""
        parts = bytes(self.written).split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            return int(parts[1]), parts[2]
        return 500, "Internal Server Error"
