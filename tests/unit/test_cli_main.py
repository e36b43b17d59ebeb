"""`tally` itself: a server that does not answer is one line on stderr and exit status 3."""

from __future__ import annotations

import argparse

import pytest
from cassandra.cluster import NoHostAvailable
from kombu.exceptions import OperationalError

from service.cli import main as cli


def _failing(exc: BaseException) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally")
    sub = parser.add_subparsers(dest="command", required=True)

    def handler(_: argparse.Namespace) -> int:
        raise exc

    sub.add_parser("probe").set_defaults(handler=handler)
    return parser


@pytest.mark.parametrize(("exc", "names"), [
    (NoHostAvailable("Unable to connect to any servers", {"127.0.0.1:9042": ConnectionRefusedError(111)}),
     ("Cassandra", "scripts/cassandra start", "CASSANDRA_HOSTS")),
    (OperationalError("[Errno 111] Connection refused"), ("RabbitMQ", "scripts/rabbitmq start", "AMQP_URL")),
])
def test_an_unreachable_server_is_one_line_naming_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exc: BaseException,
        names: tuple[str, ...]) -> None:
    monkeypatch.setattr(cli, "build_parser", lambda: _failing(exc))

    assert cli.main(["probe"]) == 3

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tally probe: cannot reach ")
    assert all(name in err for name in names)


def test_other_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "build_parser", lambda: _failing(ValueError("a bug")))
    with pytest.raises(ValueError, match="a bug"):
        cli.main(["probe"])
