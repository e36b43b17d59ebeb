"""Reading the Prometheus `/metrics` of a running process (gunicorn metrics port, consumer health port)."""

from __future__ import annotations

from collections.abc import Iterable

import requests
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def acked(ports: Iterable[int], queue: str) -> float:
    """Messages of `queue` the consumers on these ports have finished (written, then acked)."""
    return sum(total(scrape(port), "tally_messages_total", queue=queue, outcome="acked") for port in ports)
