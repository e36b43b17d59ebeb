"""Settings: parsing, validation, production refusals, and the README's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import DEMO_PARTNER_SECRET, FIELDS, Settings, SettingsError, markdown_table, with_vhost

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_valid_local_settings() -> None:
    settings = Settings.from_env({})
    assert settings.env == "development"
    assert settings.vhost == "tally"
    assert settings.keyspace_replication == {"class": "SimpleStrategy", "replication_factor": 1}


def test_values_are_parsed_and_named_in_errors() -> None:
    assert Settings.from_env({"TALLY_CONFIRM_TIMEOUT": "2.5"}).confirm_timeout == 2.5
    with pytest.raises(SettingsError, match="TALLY_CONSUMER_BATCH_SIZE: expected int"):
        Settings.from_env({"TALLY_CONSUMER_BATCH_SIZE": "many"})
    with pytest.raises(SettingsError, match="TALLY_CONSUMER_PREFETCH"):
        Settings.from_env({"TALLY_CONSUMER_PREFETCH": "4", "TALLY_CONSUMER_BATCH_SIZE": "8"})
    with pytest.raises(SettingsError, match="AMQP_URL"):
        Settings.from_env({"AMQP_URL": "http://broker"})


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(SettingsError, match="TALLY_CURSOR_SECRET"):
        Settings.from_env({"TALLY_ENV": "production"})
    with pytest.raises(SettingsError, match="TALLY_DEVICE_SECRET"):
        Settings.from_env({"TALLY_ENV": "production", "TALLY_CURSOR_SECRET": "x" * 40})
    with pytest.raises(SettingsError, match="TALLY_DEVICE_SECRET"):
        Settings.from_env({"TALLY_ENV": "production", "TALLY_CURSOR_SECRET": "x" * 40, "TALLY_DEVICE_SECRET": "short"})
    strong = {"TALLY_ENV": "production", "TALLY_CURSOR_SECRET": "x" * 40, "TALLY_DEVICE_SECRET": "y" * 40}
    with pytest.raises(SettingsError, match="TALLY_DEMO_PARTNER_SECRET"):
        Settings.from_env(strong)
    production = Settings.from_env({**strong, "TALLY_DEMO_PARTNER_SECRET": "whsec_b3RoZXI="})
    assert production.keyspace_replication == {"class": "NetworkTopologyStrategy", "datacenter1": 1}
    assert production.demo_partner_secret != DEMO_PARTNER_SECRET


def test_vhost_and_credentials_come_from_the_url() -> None:
    settings = Settings.from_env({"AMQP_URL": "amqp://u%40x:p%2Fw@host:5672/a%2Fb"})
    assert settings.vhost == "a/b"
    assert settings.amqp_credentials == ("u@x", "p/w")


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme
    assert all(f"`{field.env}`" in readme for field in FIELDS.values())


def test_an_installed_wheel_logs_to_stdout_never_into_site_packages() -> None:
    """Run from a checkout, logs default to <repo>/var/log; from an installed wheel (the `wheel`
    layer runs these tests there), to stdout."""
    from service import settings as module

    default = FIELDS["log_dir"].default
    assert default == (str(module.REPO_ROOT / "var" / "log") if module.CHECKOUT else "")
    assert "site-packages" not in default
    assert FIELDS["schema_dir"].default == ""  # the shipped schema (service.storage.migrations)


def test_secrets_are_masked_wherever_settings_are_shown() -> None:
    settings = Settings.from_env(cursor_secret="x" * 40, cassandra_password="hunter2", merchant_api_key="k-123")
    shown = repr(settings)
    assert "hunter2" not in shown and "x" * 40 not in shown and "k-123" not in shown
    assert "cassandra_password='***'" in shown and "keyspace='tally'" in shown
    assert {name for name, field in FIELDS.items() if field.secret} == {
        "cassandra_password", "cursor_secret", "device_secret", "demo_partner_secret", "merchant_api_key"}


def test_every_setting_is_declared_once_with_its_variable_and_type() -> None:
    import dataclasses

    declared = dataclasses.fields(Settings)
    assert [f.name for f in declared] == list(FIELDS)
    assert len({field.env for field in FIELDS.values()}) == len(FIELDS)  # one variable each
    assert all(isinstance(field.default, field.kind) for field in FIELDS.values())


def test_a_broker_cluster_is_one_url_per_node() -> None:
    nodes = "amqp://u:p@mq-1:5672/tally; amqp://u:p@mq-2:5672/tally;amqp://u:p@mq-3:5672/tally;"
    settings = Settings.from_env({"AMQP_URL": nodes, "RABBITMQ_MANAGEMENT_URL": "http://mq-1:15672;http://mq-2:15672"})

    assert settings.amqp_urls == [f"amqp://u:p@mq-{i}:5672/tally" for i in (1, 2, 3)]
    assert settings.vhost == "tally" and settings.amqp_credentials == ("u", "p")
    assert settings.management_urls == ["http://mq-1:15672", "http://mq-2:15672"]
    with pytest.raises(SettingsError, match="AMQP_URL: the URLs of one broker cluster name the same vhost"):
        Settings.from_env({"AMQP_URL": "amqp://u:p@mq-1/a;amqp://u:p@mq-2/b"})
    with pytest.raises(SettingsError, match="AMQP_URL: .*same vhost and credentials"):
        Settings.from_env({"AMQP_URL": "amqp://u:p@mq-1/a;amqp://u:other@mq-2/a"})
    with pytest.raises(SettingsError, match="AMQP_URL: must be an amqp"):
        Settings.from_env({"AMQP_URL": "amqp://u:p@mq-1/a;http://mq-2/a"})
    with pytest.raises(SettingsError, match="RABBITMQ_MANAGEMENT_URL"):
        Settings.from_env({"RABBITMQ_MANAGEMENT_URL": "mq-1:15672"})


def test_a_tool_points_every_node_at_its_own_vhost() -> None:
    assert with_vhost("amqp://u:p@mq-1:5672/tally;amqp://u:p@mq-2:5672/", "t/1") == \
        "amqp://u:p@mq-1:5672/t%2F1;amqp://u:p@mq-2:5672/t%2F1"
    assert Settings.from_env({"AMQP_URL": with_vhost("amqp://h/x;amqp://g/x", "t/1")}).vhost == "t/1"
