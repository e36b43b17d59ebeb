"""The production layout under deploy/ is real: nginx accepts its configuration, the Kubernetes
manifests match the Kubernetes schema and Tally's own contract (probes, resources, non-root,
settings Tally knows), and the systemd units parse and start commands that exist."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from service import gunicorn_conf, wsgi
from service.cli.main import COMMANDS
from service.settings import FIELDS, Settings, SettingsError
from tests.support.stack import BIN, ROOT

DEPLOY = ROOT / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
KUBERNETES_VERSION = "1.31.0"  # the oldest minor the manifests promise to support
# Read from the environment by gunicorn_conf (not Settings fields), so allowed in shared settings.
GUNICORN_ENV = {"GUNICORN_WORKERS", "GUNICORN_THREADS", "TALLY_METRICS_ADDR"}
# Differ per process: set by each unit or Deployment, never in the shared settings.
PER_PROCESS_ENV = {"TALLY_INSTANCE", "GUNICORN_BIND", "TALLY_METRICS_PORT", "PROMETHEUS_MULTIPROC_DIR"}
STRONG_SECRET = "s" * 48


# --- nginx -----------------------------------------------------------------------------------

def _scripts_nginx(var: Path, command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "nginx"), command], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, TALLY_VAR=str(var), **env))


def test_rendered_nginx_configuration_passes_nginx_t(tmp_path: Path) -> None:
    run = _scripts_nginx(tmp_path, "check", TALLY_NGINX_PORT="18080", TALLY_INGEST_PORT="18001",
                         TALLY_API_PORT="18002")

    assert run.returncode == 0, run.stderr
    rendered = (tmp_path / "nginx" / "conf" / "tally.conf").read_text()
    assert "listen 127.0.0.1:18080;" in rendered
    assert "server 127.0.0.1:18001 " in rendered and "server 127.0.0.1:18002 " in rendered
    code = "\n".join(line for line in rendered.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"@[A-Z_]+@", code)


def test_nginx_check_fails_on_a_configuration_nginx_rejects(tmp_path: Path) -> None:
    run = _scripts_nginx(tmp_path, "check", TALLY_INGEST_PORT="not-a-port")

    assert run.returncode != 0
    assert "invalid port" in run.stderr


def _directive(conf: str, name: str) -> str:
    match = re.search(rf"^\s*{name}\s+([^;]+);", conf, re.MULTILINE)
    assert match, f"no {name} in tally.conf"
    return match.group(1).strip()


def _size(value: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].lower() in units else int(value)


def test_nginx_body_limit_is_a_little_above_the_apps() -> None:
    conf = (DEPLOY / "nginx" / "tally.conf").read_text()
    app_limit = int(FIELDS["max_body_bytes"].default)

    proxy_limit = _size(_directive(conf, "client_max_body_size"))

    # Above: bodies just over the app's limit get the app's JSON 413. Not far above: nginx
    # still stops clearly oversized bodies before they occupy a gunicorn thread.
    assert app_limit < proxy_limit <= app_limit * 1.25
    ingress = _resources()[("Ingress", "tally")]
    assert _size(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]) == proxy_limit


def test_nginx_waits_longer_for_webhooks_than_the_app_does() -> None:
    conf = (DEPLOY / "nginx" / "tally.conf").read_text()
    hook = conf[conf.index("location ^~ /hook/"):]
    read_timeout = int(_directive(hook, "proxy_read_timeout").rstrip("s"))
    settings = Settings.from_env({})

    # The app must be the one to answer 503 (its Retry-After and request id) when a confirm is late.
    assert read_timeout > settings.cassandra_request_timeout + settings.confirm_timeout


# --- Kubernetes ------------------------------------------------------------------------------

def _resources() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def _deployments() -> list[dict[str, Any]]:
    return [doc for (kind, _), doc in _resources().items() if kind == "Deployment"]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_the_kubernetes_schema(manifest: Path) -> None:
    run = subprocess.run([str(BIN / "kubernetes-validate"), "--kubernetes-version", KUBERNETES_VERSION,
                          "--strict", "--quiet", str(manifest)], capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stdout + run.stderr


def test_the_expected_workloads_exist() -> None:
    resources = _resources()

    replicas = {doc["metadata"]["name"]: doc["spec"]["replicas"] for doc in _deployments()}

    assert replicas == {"tally-ingest": 2, "tally-api": 2, "tally-consumer": 3, "tally-enrich": 1}
    assert {("Service", "tally-ingest"), ("Service", "tally-api"), ("Job", "tally-migrate"),
            ("Namespace", "tally"), ("ConfigMap", "tally-settings"), ("Secret", "tally-secrets")} <= set(resources)
    assert {doc["metadata"].get("namespace", "tally") for doc in resources.values()} == {"tally"}


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _command_is_real(command: list[str]) -> None:
    """gunicorn with the project's config and a service.wsgi factory, or a `tally` subcommand."""
    assert command[0] in ("gunicorn", "tally"), command
    assert (BIN / command[0]).exists(), f"{command[0]} is not installed by the package"
    if command[0] == "gunicorn":
        assert command[1:3] == ["-c", "python:service.gunicorn_conf"], command
        module, _, factory = command[3].partition(":")
        assert module == "service.wsgi" and factory.endswith("()")
        assert callable(getattr(wsgi, factory[:-2], None)), f"service.wsgi has no {factory}"
    else:
        assert command[1].replace("-", "_") in COMMANDS, f"tally has no command {command[1]}"


@pytest.mark.parametrize("name", ["tally-ingest", "tally-api", "tally-consumer", "tally-enrich"])
def test_deployment_has_probes_resources_and_runs_unprivileged(name: str) -> None:
    deployment = _resources()[("Deployment", name)]
    pod = deployment["spec"]["template"]["spec"]
    container = _container(deployment)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}

    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] in ports
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    _command_is_real(container["command"])


@pytest.mark.parametrize("name", ["tally-ingest", "tally-api"])
def test_gunicorn_pods_outlive_their_graceful_shutdown(name: str) -> None:
    deployment = _resources()[("Deployment", name)]
    container = _container(deployment)
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]

    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]

    assert grace > pre_stop + gunicorn_conf.graceful_timeout
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["GUNICORN_BIND"].startswith("0.0.0.0:")  # the kubelet probes the pod's address
    assert int(env["GUNICORN_BIND"].rsplit(":", 1)[1]) == {p["name"]: p["containerPort"]
                                                           for p in container["ports"]}["http"]


@pytest.mark.parametrize("name", ["tally-ingest", "tally-api", "tally-consumer", "tally-enrich"])
def test_prometheus_annotations_name_the_port_the_process_serves_metrics_on(name: str) -> None:
    deployment = _resources()[("Deployment", name)]
    container = _container(deployment)
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    env = {item["name"]: item.get("value") for item in container.get("env", [])}
    command = container["command"]

    served = env.get("TALLY_METRICS_PORT") or command[command.index("--metrics-port") + 1]

    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == served
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"] == int(served)


def test_services_select_their_deployments_pods() -> None:
    resources = _resources()
    for name in ("tally-ingest", "tally-api"):
        service = resources[("Service", name)]
        pod_labels = resources[("Deployment", name)]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["type"] == "ClusterIP"
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]


def _cluster_settings() -> dict[str, str]:
    resources = _resources()
    config = resources[("ConfigMap", "tally-settings")]["data"]
    secret = resources[("Secret", "tally-secrets")]["stringData"]
    assert not set(config) & set(secret), "a setting in both the ConfigMap and the Secret"
    return {**config, **secret}


def _known(names: set[str]) -> None:
    fields = {field.env for field in FIELDS.values()}
    assert names <= fields | GUNICORN_ENV, f"unknown settings: {sorted(names - fields - GUNICORN_ENV)}"
    assert not names & PER_PROCESS_ENV, f"per-process settings shared: {sorted(names & PER_PROCESS_ENV)}"


def _assert_production_ready_only_once_filled(environ: dict[str, str]) -> None:
    """As shipped (CHANGE_ME placeholders) production refuses to start; filled in, it starts."""
    with pytest.raises(SettingsError, match="TALLY_CURSOR_SECRET"):
        Settings.from_env(environ)
    filled = {k: v.replace("CHANGE_ME", STRONG_SECRET) for k, v in environ.items()}
    settings = Settings.from_env(filled)
    assert settings.production
    assert settings.keyspace_replication == {"class": "NetworkTopologyStrategy",
                                             settings.cassandra_local_dc: 3}


def test_cluster_settings_are_settings_tally_knows_and_production_grade() -> None:
    settings = _cluster_settings()

    _known(set(settings))

    assert settings["TALLY_LOG_DIR"] == ""  # logs to stderr: the root filesystem is read-only
    assert settings["TALLY_TRUSTED_PROXY_HOPS"] == "1"
    _assert_production_ready_only_once_filled(settings)
    for deployment in [*_deployments(), _resources()[("Job", "tally-migrate")]]:
        refs = {(ref.get("configMapRef") or ref.get("secretRef"))["name"]
                for ref in _container(deployment)["envFrom"]}
        assert refs == {"tally-settings", "tally-secrets"}


def _statefulset_env(name: str) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in _container(_resources()[("StatefulSet", name)])["env"]}


@pytest.mark.parametrize("name", ["cassandra", "rabbitmq"])
def test_data_stores_are_three_nodes_that_lose_one_at_a_time_and_run_unprivileged(name: str) -> None:
    resources = _resources()
    stateful = resources[("StatefulSet", name)]
    pod = stateful["spec"]["template"]["spec"]
    container = _container(stateful)
    service = resources[("Service", stateful["spec"]["serviceName"])]

    assert stateful["spec"]["replicas"] == 3
    assert resources[("PodDisruptionBudget", name)]["spec"]["maxUnavailable"] == 1
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"] is True
    assert service["spec"]["selector"].items() <= pod_labels(stateful).items()
    anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert anti["topologyKey"] == "kubernetes.io/hostname"  # two replicas never share a machine
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    for each in [container, *pod.get("initContainers", [])]:
        assert each["securityContext"]["allowPrivilegeEscalation"] is False
        assert each["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert set(each["resources"]["limits"]) == {"cpu", "memory"}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert probe in container
    assert stateful["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return dict(workload["spec"]["template"]["metadata"]["labels"])


def _pod_names(name: str) -> list[str]:
    """The DNS name of every pod of StatefulSet `name` (through its headless Service)."""
    stateful = _resources()[("StatefulSet", name)]
    service = stateful["spec"]["serviceName"]
    return [f"{name}-{i}.{service}.tally.svc.cluster.local" for i in range(stateful["spec"]["replicas"])]


def test_tally_is_wired_to_every_node_of_the_data_stores() -> None:
    filled = {k: v.replace("CHANGE_ME", STRONG_SECRET) for k, v in _cluster_settings().items()}
    settings = Settings.from_env(filled)
    cassandra = _statefulset_env("cassandra")
    rabbit_conf = _resources()[("ConfigMap", "rabbitmq-config")]["data"]["rabbitmq.conf"]

    assert settings.contact_points == _pod_names("cassandra")
    assert cassandra["CASSANDRA_SEEDS"] == _pod_names("cassandra")[0]
    assert settings.cassandra_local_dc == cassandra["CASSANDRA_DC"]
    assert settings.replication_factor <= _resources()[("StatefulSet", "cassandra")]["spec"]["replicas"]
    assert [urlsplit(u).hostname for u in settings.amqp_urls] == _pod_names("rabbitmq")
    assert [urlsplit(u).hostname for u in settings.management_urls] == _pod_names("rabbitmq")
    assert settings.amqp_credentials[0] == _resources()[("Secret", "rabbitmq-secrets")]["stringData"]["username"]
    nodes = re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@(\S+)$", rabbit_conf, re.MULTILINE)
    assert nodes == _pod_names("rabbitmq")
    assert _statefulset_env("rabbitmq")["RABBITMQ_NODENAME"] == \
        "rabbit@$(POD_NAME).rabbitmq-nodes.tally.svc.cluster.local"


def test_only_tallys_pods_and_the_stores_own_nodes_reach_the_data_stores() -> None:
    resources = _resources()
    tally_pods = {name for (kind, name) in resources if kind in ("Deployment", "Job")}
    for store, client_ports in (("cassandra", {9042}), ("rabbitmq", {5672, 15672})):
        policy = resources[("NetworkPolicy", store)]["spec"]
        assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": store}
        clients, peers = policy["ingress"]
        assert set(clients["from"][0]["podSelector"]["matchExpressions"][0]["values"]) == tally_pods
        assert {p["port"] for p in clients["ports"]} == client_ports
        assert peers["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": store}


# --- systemd ---------------------------------------------------------------------------------

def _unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections → (key, value) pairs in order; systemd repeats keys (Environment=), so no dict."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"{path.name}: cannot parse {raw!r}"
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def _values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [value for k, value in section if k == key]


def _one(section: list[tuple[str, str]], key: str) -> str:
    values = _values(section, key)
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def _console_scripts() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return {line.split("=")[0].strip() for line in lines}


def test_systemd_units_cover_every_process() -> None:
    assert {p.name for p in UNITS} == {"tally-ingest.service", "tally-api.service", "tally-consumer@.service",
                                       "tally-enrich.service", "tally-migrate.service"}


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_unit_runs_a_real_command_as_the_tally_user(path: Path) -> None:
    unit = _unit(path)
    service = unit["Service"]

    argv = shlex.split(_one(service, "ExecStart").replace("%i", "9111"))

    assert _one(unit["Unit"], "Description")
    assert argv[0].startswith("/opt/tally/.venv/bin/")
    argv[0] = Path(argv[0]).name
    assert argv[0] == "gunicorn" or argv[0] in _console_scripts()
    _command_is_real(argv)
    assert (_one(service, "User"), _one(service, "Group")) == ("tally", "tally")
    assert _one(service, "EnvironmentFile") == "/etc/tally/tally.env"
    if _one(service, "Type") != "oneshot":
        assert _one(service, "Restart") == "on-failure"
        assert _one(unit["Install"], "WantedBy") == "tally.target"


@pytest.mark.parametrize("instance", ["ingest", "api"])
def test_gunicorn_units_stop_gracefully_and_keep_metrics_in_their_runtime_dir(instance: str) -> None:
    service = _unit(DEPLOY / "systemd" / f"tally-{instance}.service")["Service"]
    env = dict(item.split("=", 1) for item in _values(service, "Environment"))

    assert int(_one(service, "TimeoutStopSec")) > gunicorn_conf.graceful_timeout
    assert env["TALLY_INSTANCE"] == instance
    runtime = _one(service, "RuntimeDirectory")
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith(f"/run/{runtime}/")


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is missing: scripts/test installs it (Debian package systemd)"
    # verify checks that ExecStart exists: point the units at this checkout instead of /opt/tally.
    names = []
    for path in [*UNITS, DEPLOY / "systemd" / "tally.target"]:
        text = path.read_text().replace("/opt/tally/.venv", str(ROOT / ".venv"))
        text = text.replace("WorkingDirectory=/opt/tally", f"WorkingDirectory={ROOT}")
        name = path.name.replace("@.service", "@9111.service")
        (tmp_path / name).write_text(text)
        names.append(name)

    run = subprocess.run([analyze, "verify", "--man=no", *names], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)

    # verify exits 0 on unknown keys and bad values, which it only prints: any output is a failure.
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr


def test_env_example_lists_known_settings_and_refuses_to_run_unfilled() -> None:
    environ: dict[str, str] = {}
    for line in (DEPLOY / "systemd" / "tally.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            assert key not in environ, f"{key} twice"
            environ[key] = value

    _known(set(environ))

    assert environ["TALLY_TRUSTED_PROXY_HOPS"] == "1"
    _assert_production_ready_only_once_filled(environ)
