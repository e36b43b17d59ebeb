"""A small client of the RabbitMQ management HTTP API: what AMQP cannot do (vhosts,
policies) and what it does not tell (unacked counts, queue leaders and members).

On a cluster every node serves the whole API: RABBITMQ_MANAGEMENT_URL may name several
(`;`), and a call that cannot reach one node is tried on the next; the node that answered is
asked first next time."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from service.settings import Settings


class ManagementError(RuntimeError):
    pass


class Management:
    def __init__(self, settings: Settings, timeout: float = 10.0) -> None:
        self.bases = [url.rstrip("/") + "/api" for url in settings.management_urls]
        self.vhost = settings.vhost
        self.user = settings.amqp_credentials[0]
        self.http = requests.Session()
        self.http.auth = settings.amqp_credentials
        self.timeout = timeout

    def _call(self, method: str, path: str, json: Any = None, ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        response = self._request(method, path, json)
        url = response.request.url
        if response.status_code not in ok:
            raise ManagementError(f"{method} {url}: {response.status_code} {response.text[:200]}")
        return response.json() if response.content and response.status_code == 200 else None

    def _request(self, method: str, path: str, json: Any) -> requests.Response:
        """The first node that answers (a 5xx of a node going down counts as no answer while
        another node is left); ManagementError when none does."""
        errors = []
        bases = list(self.bases)
        for base in bases:
            try:
                response = self.http.request(method, f"{base}/{path}", json=json, timeout=self.timeout)
            except requests.RequestException as exc:
                errors.append(f"{base}: {exc}")
                continue
            if response.status_code >= 500 and base != bases[-1]:
                errors.append(f"{base}: {response.status_code}")
                continue
            if base != self.bases[0]:
                self.bases.remove(base)
                self.bases.insert(0, base)
            return response
        raise ManagementError(f"RabbitMQ management API not answering: {'; '.join(errors)}")

    @property
    def _v(self) -> str:
        return quote(self.vhost, safe="")

    def ensure_vhost(self) -> bool:
        """Creates the vhost (and grants the AMQP user full permissions) when missing."""
        if self._call("GET", f"vhosts/{self._v}", ok=(200, 404)) is not None:
            return False
        self._call("PUT", f"vhosts/{self._v}", json={"description": "tally"})
        self._call("PUT", f"permissions/{self._v}/{quote(self.user, safe='')}",
                   json={"configure": ".*", "write": ".*", "read": ".*"})
        return True

    def delete_vhost(self) -> None:
        self._call("DELETE", f"vhosts/{self._v}", ok=(204, 404))

    def put_policy(self, name: str, policy: dict[str, Any]) -> None:
        self._call("PUT", f"policies/{self._v}/{quote(name, safe='')}", json=policy)

    def queue(self, name: str) -> dict[str, Any]:
        """Counters of one queue: messages, messages_ready, messages_unacknowledged, policy…"""
        return self._call("GET", f"queues/{self._v}/{quote(name, safe='')}")

    def queues(self) -> list[dict[str, Any]]:
        return self._call("GET", f"queues/{self._v}") or []

    def leader(self, name: str) -> str | None:
        """The node leading quorum queue `name` (e.g. rabbit@mq-1); None while it has none."""
        leader = self.queue(name).get("leader")
        return str(leader) if leader else None

    def nodes(self) -> list[dict[str, Any]]:
        """The broker's nodes: name, os_pid, memory…"""
        return self._call("GET", "nodes") or []
