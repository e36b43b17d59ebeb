"""The RabbitMQ topology of `tally migrate` and the confirming publisher, on the real broker."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
from kombu import Queue

from service.broker import topology
from service.broker.connection import broker_connection, ensure_connected
from service.broker.management import Management
from service.broker.publisher import PublisherPool, Unroutable
from service.broker.setup import setup_broker
from service.settings import Settings, with_vhost
from tests.support.queues import drain
from tests.support.stack import free_port, wait_until


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
    # the type and the initial membership, read only when the queue is created; the rest is policy
    assert info["arguments"] == {"x-queue-type": "quorum", "x-quorum-initial-group-size": 3}
    definition = info["effective_policy_definition"]
    assert definition["queue-leader-locator"] == "balanced"
    assert definition["delivery-limit"] == test_settings.delivery_limit
    assert definition["dead-letter-routing-key"] == topology.DEAD
    assert definition["dead-letter-strategy"] == "at-least-once"
    assert definition["overflow"] == "reject-publish"


def test_migrate_creates_missing_queues_and_never_redeclares_an_existing_one(test_settings: Settings) -> None:
    """An existing queue's arguments cannot change (RabbitMQ refuses a redeclaration that
    differs): `tally migrate` on a broker whose queues were declared by an earlier release,
    without the initial group size, leaves them as they are."""
    vhost = f"{test_settings.vhost}_old"
    settings = test_settings.replace(amqp_url=with_vhost(test_settings.amqp_url, vhost))
    management = Management(settings)
    management.ensure_vhost()
    try:
        with broker_connection(settings.amqp_url) as connection:
            channel = ensure_connected(connection).channel()
            Queue(topology.INGEST, topology.EXCHANGE, routing_key=topology.INGEST, durable=True,
                  queue_arguments={"x-queue-type": "quorum"})(channel).declare()  # as releases before did
        setup_broker(settings, say=lambda _: None)
        setup_broker(settings, say=lambda _: None)  # twice: idempotent

        queues = {q["name"]: q for q in management.queues()}
        assert set(queues) == set(topology.ALL_QUEUES)
        assert queues[topology.INGEST]["arguments"] == {"x-queue-type": "quorum"}
        assert queues[topology.DEAD]["arguments"] == topology.ARGUMENTS
    finally:
        management.delete_vhost()


def test_confirmed_publish_is_consumed_and_acked(test_settings: Settings) -> None:
    pool = PublisherPool(test_settings, size=2)
    marker = uuid.uuid4().hex
    try:
        pool.publish(f'{{"marker": "{marker}"}}'.encode(), topology.BACKFILL, message_id=marker,
                     headers={"kind": "test"})
    finally:
        pool.close()

    with broker_connection(test_settings.amqp_url) as connection:
        queue = topology.queue(topology.BACKFILL)(ensure_connected(connection).default_channel)
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
    with broker_connection(test_settings.amqp_url) as connection:
        message = topology.queue(topology.DEAD)(ensure_connected(connection).default_channel).get(no_ack=False)
        assert message is not None
        message.ack()


def test_a_node_that_does_not_answer_is_skipped_by_publishers_and_the_management_client(
        test_settings: Settings) -> None:
    dead_amqp = with_vhost(f"amqp://guest:guest@127.0.0.1:{free_port()}/", test_settings.vhost)
    settings = test_settings.replace(
        amqp_url=f"{dead_amqp};{test_settings.amqp_url}",
        rabbitmq_management_url=f"http://127.0.0.1:{free_port()};{test_settings.rabbitmq_management_url}")
    marker = uuid.uuid4().hex

    for i in range(6):  # each publisher starts at a random node: the dead one first about half the time
        pool = PublisherPool(settings, size=1)
        try:
            pool.publish(b"{}", topology.BACKFILL, message_id=f"{marker}-{i}", headers={})
        finally:
            pool.close()

    assert Management(settings).queue(topology.BACKFILL)["name"] == topology.BACKFILL
    taken = [m.properties["message_id"] for m in drain(settings, topology.BACKFILL)]
    assert sorted(taken) == [f"{marker}-{i}" for i in range(6)]
