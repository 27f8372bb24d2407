"""The Kubernetes manifests under deploy/k8s/ are valid resources, and describe the topology the
cluster soak proves on one machine.

Validated offline against the JSON schemas that `kubernetes-validate` ships (strict: an unknown
or misspelt field fails), for the oldest Kubernetes still maintained and the newest it knows.
"""

from pathlib import Path

import pytest
import yaml

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="a dev dependency: pip install -e '.[dev]'"
)

K8S = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version() + ".0"]


def resources() -> list[dict]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def by_kind_and_name() -> dict[tuple[str, str], dict]:
    return {(r["kind"], r["metadata"]["name"]): r for r in resources()}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "resource", resources(), ids=lambda r: f"{r['kind']}/{r['metadata']['name']}"
)
def test_every_resource_is_valid(resource, version):
    kubernetes_validate.validate(resource, version, strict=True)


def test_a_misspelt_field_is_caught():
    deployment = dict(by_kind_and_name()[("Deployment", "web")])
    deployment["spec"] = {**deployment["spec"], "replica": 2}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)


def _container(resource: dict) -> dict:
    return resource["spec"]["template"]["spec"]["containers"][0]


def test_the_topology_is_the_one_the_cluster_soak_proves():
    found = by_kind_and_name()
    web, worker, beat = (found[("Deployment", n)] for n in ("web", "worker", "beat"))
    assert web["spec"]["replicas"] >= 2
    assert worker["spec"]["replicas"] >= 2
    # Never two beats: every periodic task would be sent twice.
    assert (beat["spec"]["replicas"], beat["spec"]["strategy"]["type"]) == (1, "Recreate")
    assert "--worker-class=gthread" in _container(web)["command"]
    # A Redis outage must not take the web pods out of the service.
    assert _container(web)["readinessProbe"]["httpGet"]["path"] == "/health/?checks=database"
    config = found[("ConfigMap", "pos-config")]["data"]
    assert config["DATABASE_TRANSACTION_POOLING"] == "true"
    pgbouncer_ini = found[("ConfigMap", "pgbouncer-config")]["data"]["pgbouncer.ini"]
    assert "pool_mode = transaction" in pgbouncer_ini
    migrate = _container(found[("Job", "migrate")])
    direct = {e["name"]: e for e in migrate["env"]}
    assert direct["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "DATABASE_DIRECT_URL"
    redis = _container(found[("StatefulSet", "redis")])
    assert redis["args"][:2] == ["--appendonly", "yes"]
    images = {_container(r)["image"] for r in (web, worker, beat)}
    assert len(images) == 1  # one release runs everywhere


def _http_probes() -> list[tuple[str, dict]]:
    found = []
    for resource in resources():
        template = resource.get("spec", {}).get("template", {}).get("spec", {})
        for container in template.get("containers", []):
            for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                if "httpGet" in container.get(kind, {}):
                    found.append((f"{resource['metadata']['name']}/{kind}", container[kind]))
    return found


def test_every_http_probe_asks_for_a_host_django_serves():
    """The kubelet sends the pod's IP as Host unless told otherwise, and Django answers a Host
    outside ALLOWED_HOSTS with 400: the pods would never be ready."""
    from django.http.request import validate_host

    allowed = by_kind_and_name()[("ConfigMap", "pos-config")]["data"]["ALLOWED_HOSTS"]
    allowed_hosts = [host.strip() for host in allowed.split(",") if host.strip()]
    probes = _http_probes()
    assert probes  # the web pods' probes, at least
    for name, probe in probes:
        headers = {h["name"].lower(): h["value"] for h in probe["httpGet"].get("httpHeaders", [])}
        assert validate_host(headers.get("host", ""), allowed_hosts), (name, allowed_hosts)


def test_workers_and_beat_are_restarted_when_their_own_check_fails():
    """The same checks as docker-compose.yml: Celery's ping of this pod's worker, and beat's
    heartbeat through `python -m config.healthcheck beat` (a check that exists)."""
    from config.healthcheck import CHECKS

    found = by_kind_and_name()
    worker = _container(found[("Deployment", "worker")])["livenessProbe"]["exec"]["command"]
    assert "inspect ping" in worker[-1]
    assert '--destination "celery@$HOSTNAME"' in worker[-1]
    beat = _container(found[("Deployment", "beat")])["livenessProbe"]["exec"]["command"]
    assert beat[:3] == ["python", "-m", "config.healthcheck"]
    assert beat[3] in CHECKS
