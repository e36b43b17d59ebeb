"""The RabbitMQ topology of `tally migrate` and the confirming publisher, on the real broker."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
from kombu import Connection

from service.broker import topology
from service.broker.publisher import PublisherPool, Unroutable
from service.settings import Settings
from tests.support.stack import wait_until


def test_five_quorum_queues_with_their_policies(test_settings: Settings, management) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("rabbitmqctl"):
        out = subprocess.run(["rabbitmqctl", "-q", "--no-table-headers", "list_queues", "-p", test_settings.vhost,
                              "name", "type", "policy"], capture_output=True, text=True, check=True).stdout
        rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    else:  # an external broker: the same facts from the management API
        rows = {q["name"]: [q["type"], q.get("policy", "")] for q in management.queues()}
    assert set(rows) == set(topology.ALL_QUEUES)
    for name in topology.WORK_QUEUES:
        assert rows[name] == ["quorum", "tally-work"], name
    assert rows[topology.DEAD] == ["quorum", "tally-dead"]

    # the management database fills in queue details on its next statistics tick
    info = wait_until(lambda: (q := management.queue(topology.INGEST)).get("effective_policy_definition") and q,
                      timeout=15, message="queue statistics")
    assert info["arguments"] == {"x-queue-type": "quorum"}  # everything else is policy
    definition = info["effective_policy_definition"]
    assert definition["delivery-limit"] == test_settings.delivery_limit
    assert definition["dead-letter-routing-key"] == topology.DEAD
    assert definition["dead-letter-strategy"] == "at-least-once"
    assert definition["overflow"] == "reject-publish"


def test_confirmed_publish_is_consumed_and_acked(test_settings: Settings) -> None:
    pool = PublisherPool(test_settings, size=2)
    marker = uuid.uuid4().hex
    try:
        pool.publish(f'{{"marker": "{marker}"}}'.encode(), topology.BACKFILL, message_id=marker,
                     headers={"kind": "test"})
    finally:
        pool.close()

    with Connection(test_settings.amqp_url) as connection:
        queue = topology.queue(topology.BACKFILL)(connection.default_channel)
        message = queue.get(no_ack=False)
        assert message is not None
        assert message.properties["message_id"] == marker
        body = message.body if isinstance(message.body, bytes) else message.body.encode()  # py-amqp decodes utf-8
        assert body == f'{{"marker": "{marker}"}}'.encode()
        assert message.headers["kind"] == "test"
        assert message.delivery_info["routing_key"] == topology.BACKFILL
        message.ack()
        _, remaining, _ = queue.queue_declare(passive=True)
    assert remaining == 0


def test_unroutable_mandatory_publish_is_an_error_not_a_confirm(test_settings: Settings) -> None:
    pool = PublisherPool(test_settings, size=1)
    try:
        with pytest.raises(Unroutable):
            pool.publish(b"{}", "no.such.queue", message_id=uuid.uuid4().hex, headers={})
        # the same pooled publisher still works afterwards
        pool.publish(b"{}", topology.DEAD, message_id=uuid.uuid4().hex, headers={})
    finally:
        pool.close()
    with Connection(test_settings.amqp_url) as connection:
        message = topology.queue(topology.DEAD)(connection.default_channel).get(no_ack=False)
        assert message is not None
        message.ack()
