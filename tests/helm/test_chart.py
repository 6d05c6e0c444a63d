"""The Helm chart, rendered and linted by Helm's own Go SDK, checked against Kubernetes schemas.

Two value sets: the chart's defaults, and `values-all-on.yaml`, which turns every option on.
No cluster is involved: rendering is offline and the Kubernetes JSON schemas ship with
kubernetes-validate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "helm" / "finetune-jobs"
HERE = Path(__file__).resolve().parent
ALL_ON_FILE = HERE / "values-all-on.yaml"
WRONG_FILE = HERE / "values-wrong.yaml"
RELEASE = "ftjobs"
NAMESPACE = "ml"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schema shipped.
KUBE_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())

Manifest = dict[str, Any]


def load_yaml(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


DEFAULTS = load_yaml(CHART_DIR / "values.yaml")
DEFAULTS_CHART_VERSION = load_yaml(CHART_DIR / "Chart.yaml")["version"]
ALL_ON = load_yaml(ALL_ON_FILE)
VALUE_SETS = {"defaults": {}, "all-on": ALL_ON}


@pytest.fixture(scope="module")
def chart() -> Iterator[helm.Chart]:
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


def render(chart: helm.Chart, values: dict[str, Any]) -> list[Manifest]:
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return [
        doc
        for path, text in sorted(rendered.items())
        if path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


@pytest.fixture(scope="module")
def manifests(chart: helm.Chart) -> dict[str, list[Manifest]]:
    return {name: render(chart, values) for name, values in VALUE_SETS.items()}


def effective(values: dict[str, Any], *path: str) -> Any:
    """A value as the chart sees it: the override when present, else the default."""
    for source in (values, DEFAULTS):
        node: Any = source
        for key in path:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            return node
    raise KeyError(path)


def component(docs: list[Manifest], kind: str, name: str) -> Manifest:
    found = [
        d
        for d in docs
        if d["kind"] == kind and d["metadata"]["labels"]["app.kubernetes.io/component"] == name
    ]
    assert len(found) == 1, f"expected one {kind} for {name}, found {len(found)}"
    return found[0]


def kinds(docs: list[Manifest]) -> list[str]:
    return sorted(d["kind"] for d in docs)


def pod_spec(doc: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def workloads(docs: list[Manifest]) -> list[Manifest]:
    return [d for d in docs if d["kind"] in ("Deployment", "Job")]


def container(doc: Manifest) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_spec(doc)["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(ctr: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in ctr.get("env", [])}


# --- lint and Kubernetes schemas ------------------------------------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_lint_strict_reports_no_warning_or_error(value_set: str) -> None:
    report = helm.lint(CHART_DIR, VALUE_SETS[value_set], strict=True, namespace=NAMESPACE)
    assert report["total_charts_linted"] == 1
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


EXPECTED_KINDS = {
    "defaults": [
        "Deployment",
        "Deployment",
        "Deployment",
        "Job",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    ],
    "all-on": [
        "ConfigMap",
        "Deployment",
        "Deployment",
        "Deployment",
        "HorizontalPodAutoscaler",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Job",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
        "ServiceMonitor",
    ],
}


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_renders_the_expected_resources(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    assert kinds(manifests[value_set]) == EXPECTED_KINDS[value_set]


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_manifest_is_valid_kubernetes(
    manifests: dict[str, list[Manifest]], value_set: str, kube_version: str
) -> None:
    """Strict schemas: an unknown or misplaced field fails, not only a wrong type."""
    for doc in manifests[value_set]:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: no schema in kubernetes-validate; checked by its own test
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")


def test_kubernetes_validation_catches_a_broken_manifest(
    manifests: dict[str, list[Manifest]],
) -> None:
    """Guard the guard: the validator really rejects a bad field, offline."""
    bad = json.loads(json.dumps(component(manifests["defaults"], "Deployment", "api")))
    bad["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSIONS[0], strict=True)


# --- the migration hook and the Secret ------------------------------------------------------


def hook_weight(doc: Manifest) -> int:
    return int(doc["metadata"]["annotations"]["helm.sh/hook-weight"])


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_migrations_run_as_pre_install_and_pre_upgrade_hook(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    job = component(manifests[value_set], "Job", "migrate")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert hook_weight(job) == 0
    # The finished Job stays (logs) until the next release replaces it.
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert container(job)["args"] == ["migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    # On install the release's ServiceAccount does not exist yet when hooks run.
    assert pod_spec(job)["serviceAccountName"] == "default"
    assert pod_spec(job)["automountServiceAccountToken"] is False


def test_chart_made_secret_is_a_hook_that_precedes_the_migration(
    manifests: dict[str, list[Manifest]],
) -> None:
    docs = manifests["all-on"]
    secret = component(docs, "Secret", "secret")
    job = component(docs, "Job", "migrate")
    annotations = secret["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert hook_weight(secret) < hook_weight(job)
    # Deleting it after the hooks would leave the Deployments without their settings.
    assert "hook-succeeded" not in annotations["helm.sh/hook-delete-policy"]
    assert secret["metadata"]["name"] == ALL_ON["secret"]["name"]
    assert set(secret["stringData"]) == set(ALL_ON["secret"]["keys"].values())
    assert (
        secret["stringData"][ALL_ON["secret"]["keys"]["databaseUrl"]]
        == (ALL_ON["secret"]["values"]["databaseUrl"])
    )


def test_default_install_expects_an_existing_secret(
    manifests: dict[str, list[Manifest]],
) -> None:
    assert "Secret" not in kinds(manifests["defaults"])


SECRET_ENV = {
    "FTJOBS_DATABASE_URL": "databaseUrl",
    "FTJOBS_REDIS_URL": "redisUrl",
    "FTJOBS_OPENAI_API_KEY": "openaiApiKey",
    "FTJOBS_OPENAI_WEBHOOK_SECRET": "openaiWebhookSecret",
}


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_processes_read_secrets_by_reference_from_the_configured_secret(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    values = VALUE_SETS[value_set]
    secret_name = effective(values, "secret", "name")
    for name in ("api", "worker", "scheduler"):
        env = env_of(container(component(manifests[value_set], "Deployment", name)))
        for var, key_field in SECRET_ENV.items():
            assert "value" not in env[var], f"{var} must not be inlined"
            ref = env[var]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret_name
            assert ref["key"] == effective(values, "secret", "keys", key_field)
            assert ref.get("optional", False) is (var == "FTJOBS_OPENAI_WEBHOOK_SECRET")


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_migration_gets_only_the_database_url_secret(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    values = VALUE_SETS[value_set]
    env = env_of(container(component(manifests[value_set], "Job", "migrate")))
    refs = {k: v["valueFrom"]["secretKeyRef"] for k, v in env.items() if "valueFrom" in v}
    assert refs == {
        "FTJOBS_DATABASE_URL": {
            "name": effective(values, "secret", "name"),
            "key": effective(values, "secret", "keys", "databaseUrl"),
        }
    }


def test_plain_settings_become_ftjobs_environment(manifests: dict[str, list[Manifest]]) -> None:
    env = env_of(container(component(manifests["all-on"], "Deployment", "worker")))
    assert env["FTJOBS_LOG_LEVEL"]["value"] == "DEBUG"
    assert env["FTJOBS_QUEUE_NAME"]["value"] == "ftjobs-prod"
    assert env["FTJOBS_OPENAI_BASE_URL"]["value"] == ALL_ON["config"]["openaiBaseUrl"]
    assert env["FTJOBS_MAX_UPLOAD_BYTES"]["value"] == "1073741824"
    assert env["FTJOBS_WEBHOOK_ALLOWED_NETWORKS"]["value"] == "10.20.0.0/16"
    assert env["FTJOBS_BLOB_DIR"]["value"] == ALL_ON["blobStorage"]["mountPath"]


# --- probes, ports, services -----------------------------------------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_api_probes_hit_the_health_endpoints_on_the_http_port(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    api = container(component(manifests[value_set], "Deployment", "api"))
    port = effective(VALUE_SETS[value_set], "api", "port")
    assert api["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert api["args"][:5] == ["api", "--host", "0.0.0.0", "--port", str(port)]
    expected = {
        "startupProbe": "/health/live",
        "livenessProbe": "/health/live",
        "readinessProbe": "/health/ready",
    }
    for probe, path in expected.items():
        assert api[probe]["httpGet"] == {"path": path, "port": "http"}


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_worker_and_scheduler_expose_no_http(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    for name in ("worker", "scheduler"):
        ctr = container(component(manifests[value_set], "Deployment", name))
        assert ctr["args"] == [name]
        assert "ports" not in ctr
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert "httpGet" not in ctr.get(probe, {})


def selects(selector: dict[str, str], doc: Manifest) -> bool:
    labels: dict[str, str] = doc["spec"]["template"]["metadata"]["labels"]
    return selector.items() <= labels.items()


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_service_routes_to_the_api_pods_only(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    docs = manifests[value_set]
    service = component(docs, "Service", "api")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["ports"][0]["port"] == effective(
        VALUE_SETS[value_set], "api", "service", "port"
    )
    chosen = [d for d in workloads(docs) if selects(service["spec"]["selector"], d)]
    assert chosen == [component(docs, "Deployment", "api")]


def test_ingress_and_servicemonitor_point_at_the_api_service(
    manifests: dict[str, list[Manifest]],
) -> None:
    docs = manifests["all-on"]
    service = component(docs, "Service", "api")
    ingress = component(docs, "Ingress", "api")
    backends = [
        p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]
    ]
    assert backends == [{"name": service["metadata"]["name"], "port": {"name": "http"}}] * 2
    assert ingress["spec"]["tls"][0]["secretName"] == "finetune-jobs-tls"

    monitor = component(docs, "ServiceMonitor", "api")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    token = {"name": ALL_ON["secret"]["name"], "key": ALL_ON["secret"]["keys"]["metricsToken"]}
    assert monitor["spec"]["endpoints"] == [
        {
            "port": "http",
            "path": "/metrics",
            "interval": "15s",
            "scrapeTimeout": "5s",
            "authorization": {"type": "Bearer", "credentials": token},
        }
    ]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= (
        service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}


# --- metrics: only the scraper, with the token -----------------------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_only_the_api_reads_the_metrics_token_by_reference(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    """The api serves /metrics on its one port to the token's bearer; without a ServiceMonitor
    the key is optional (absent: /metrics answers 404), with one a missing key stops the
    rollout instead of every scrape failing."""
    values, docs = VALUE_SETS[value_set], manifests[value_set]
    api = env_of(container(component(docs, "Deployment", "api")))
    assert "value" not in api["FTJOBS_METRICS_TOKEN"]
    ref = api["FTJOBS_METRICS_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"]) == (
        effective(values, "secret", "name"),
        effective(values, "secret", "keys", "metricsToken"),
    )
    monitored = effective(values, "metrics", "serviceMonitor", "enabled")
    assert ref.get("optional", False) is not monitored
    for doc in [component(docs, "Deployment", n) for n in ("worker", "scheduler")] + [
        component(docs, "Job", "migrate")
    ]:
        assert "FTJOBS_METRICS_TOKEN" not in env_of(container(doc))


def test_servicemonitor_sends_the_token_the_api_checks(
    manifests: dict[str, list[Manifest]],
) -> None:
    docs = manifests["all-on"]
    api = env_of(container(component(docs, "Deployment", "api")))
    ref = api["FTJOBS_METRICS_TOKEN"]["valueFrom"]["secretKeyRef"]
    (endpoint,) = component(docs, "ServiceMonitor", "api")["spec"]["endpoints"]
    assert endpoint["authorization"]["credentials"] == {"name": ref["name"], "key": ref["key"]}
    # ...on the port the Service exposes (the public API port: the token is what guards it).
    service = component(docs, "Service", "api")
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    secret = component(docs, "Secret", "secret")
    assert secret["stringData"][ref["key"]] == ALL_ON["secret"]["values"]["metricsToken"]


def test_a_chart_made_secret_holds_the_metrics_token_only_when_given(chart: helm.Chart) -> None:
    key = DEFAULTS["secret"]["keys"]["metricsToken"]
    urls = {"databaseUrl": "x", "redisUrl": "y", "openaiApiKey": "z"}
    without = render(chart, {"secret": {"create": True, "values": urls}})
    assert key not in component(without, "Secret", "secret")["stringData"]
    given = {"secret": {"create": True, "values": {**urls, "metricsToken": "t" * 32}}}
    assert component(render(chart, given), "Secret", "secret")["stringData"][key] == "t" * 32


# --- security -------------------------------------------------------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_pod_is_restricted_and_non_root(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    uid = effective(VALUE_SETS[value_set], "securityContext", "runAsUser")
    docs = workloads(manifests[value_set])
    assert len(docs) == 4
    for doc in docs:
        spec = pod_spec(doc)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == uid > 0
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        ctx = container(doc)["securityContext"]
        assert ctx["runAsNonRoot"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["capabilities"] == {"drop": ["ALL"]}
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
        mounts = {m["mountPath"]: m["name"] for m in container(doc)["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], "a read-only root needs a writable /tmp"


def test_chart_user_is_the_dockerfile_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    uid = re.search(r"^ARG UID=(\d+)$", dockerfile, re.MULTILINE)
    assert uid is not None
    assert re.search(r"^USER \$\{UID\}:\$\{GID\}$", dockerfile, re.MULTILINE)
    assert DEFAULTS["securityContext"]["runAsUser"] == int(uid.group(1))


def test_resources_have_requests_and_limits(manifests: dict[str, list[Manifest]]) -> None:
    for doc in workloads(manifests["defaults"]):
        resources = container(doc)["resources"]
        assert set(resources["requests"]) == {"cpu", "memory"}
        assert set(resources["limits"]) == {"cpu", "memory"}


# --- processes: worker shutdown, scheduler, autoscaling, disruption budgets ------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_worker_grace_period_outlasts_the_job_timeout(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    worker = component(manifests[value_set], "Deployment", "worker")
    timeout = int(env_of(container(worker))["FTJOBS_WORKER_JOB_TIMEOUT_SECONDS"]["value"])
    assert timeout == effective(VALUE_SETS[value_set], "config", "workerJobTimeoutSeconds")
    extra = effective(VALUE_SETS[value_set], "worker", "shutdownGraceExtraSeconds")
    assert pod_spec(worker)["terminationGracePeriodSeconds"] == timeout + extra > timeout


def test_grace_period_follows_a_changed_job_timeout(chart: helm.Chart) -> None:
    docs = render(chart, {"config": {"workerJobTimeoutSeconds": 3600}})
    assert pod_spec(component(docs, "Deployment", "worker"))["terminationGracePeriodSeconds"] == (
        3600 + DEFAULTS["worker"]["shutdownGraceExtraSeconds"]
    )


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_exactly_one_scheduler_replaced_with_recreate(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    docs = manifests[value_set]
    scheduler = component(docs, "Deployment", "scheduler")
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}
    targets = [
        d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"
    ]
    assert scheduler["metadata"]["name"] not in targets


def test_hpas_target_the_api_and_worker_deployments(manifests: dict[str, list[Manifest]]) -> None:
    docs = manifests["all-on"]
    for name in ("api", "worker"):
        deployment = component(docs, "Deployment", name)
        hpa = component(docs, "HorizontalPodAutoscaler", name)
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": deployment["metadata"]["name"],
        }
        assert hpa["spec"]["minReplicas"] == ALL_ON[name]["autoscaling"]["minReplicas"]
        assert hpa["spec"]["maxReplicas"] == ALL_ON[name]["autoscaling"]["maxReplicas"]
        cpu = hpa["spec"]["metrics"][0]["resource"]
        assert cpu["name"] == "cpu"
        assert (
            cpu["target"]["averageUtilization"]
            == (ALL_ON[name]["autoscaling"]["targetCPUUtilizationPercentage"])
        )
        # The HPA owns the replica count: a fixed one would fight it on every upgrade.
        assert "replicas" not in deployment["spec"]
    worker_metrics = component(docs, "HorizontalPodAutoscaler", "worker")["spec"]["metrics"]
    assert worker_metrics[-1]["external"]["metric"]["name"] == "ftjobs_queue_depth"


def test_without_autoscaling_the_deployments_set_replicas(
    manifests: dict[str, list[Manifest]],
) -> None:
    for name in ("api", "worker"):
        deployment = component(manifests["defaults"], "Deployment", name)
        assert deployment["spec"]["replicas"] == DEFAULTS[name]["replicas"]


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_pdbs_cover_api_and_worker_pods(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    docs = manifests[value_set]
    for name in ("api", "worker"):
        pdb = component(docs, "PodDisruptionBudget", name)
        chosen = [d for d in workloads(docs) if selects(pdb["spec"]["selector"]["matchLabels"], d)]
        assert chosen == [component(docs, "Deployment", name)]
        assert ("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"])
    assert component(docs, "PodDisruptionBudget", "api")["spec"].get("minAvailable") == (
        "50%" if value_set == "all-on" else None
    )


# --- storage --------------------------------------------------------------------------------


def blob_volume(doc: Manifest) -> dict[str, Any]:
    ctr = container(doc)
    mount = next(m for m in ctr["volumeMounts"] if m["name"] == "blobs")
    assert mount["mountPath"] == env_of(ctr)["FTJOBS_BLOB_DIR"]["value"]
    volume: dict[str, Any] = next(v for v in pod_spec(doc)["volumes"] if v["name"] == "blobs")
    return volume


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_api_and_worker_share_one_read_write_many_claim(
    manifests: dict[str, list[Manifest]], value_set: str
) -> None:
    docs = manifests[value_set]
    pvc = component(docs, "PersistentVolumeClaim", "blobs")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    for name in ("api", "worker"):
        volume = blob_volume(component(docs, "Deployment", name))
        assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    if value_set == "all-on":
        assert pvc["spec"]["storageClassName"] == "efs-sc"


def test_existing_claim_and_empty_dir_options(chart: helm.Chart) -> None:
    docs = render(chart, {"blobStorage": {"type": "existingClaim", "existingClaim": "datasets"}})
    assert "PersistentVolumeClaim" not in kinds(docs)
    for name in ("api", "worker"):
        volume = blob_volume(component(docs, "Deployment", name))
        assert volume["persistentVolumeClaim"] == {"claimName": "datasets"}

    docs = render(chart, {"blobStorage": {"type": "emptyDir"}})
    assert "PersistentVolumeClaim" not in kinds(docs)
    assert "emptyDir" in blob_volume(component(docs, "Deployment", "worker"))


# --- network policy and dashboard -----------------------------------------------------------


def test_worker_network_policy_fences_webhook_egress(
    manifests: dict[str, list[Manifest]],
) -> None:
    docs = manifests["all-on"]
    policy = component(docs, "NetworkPolicy", "worker")
    chosen = [
        d for d in workloads(docs) if selects(policy["spec"]["podSelector"]["matchLabels"], d)
    ]
    assert chosen == [component(docs, "Deployment", "worker")]
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in policy["spec"]
    dns, internet, datastores = policy["spec"]["egress"]
    assert {p["port"] for p in dns["ports"]} == {53}
    block = internet["to"][0]["ipBlock"]
    assert block["cidr"] == "0.0.0.0/0"
    assert {"169.254.0.0/16", "10.0.0.0/8", "127.0.0.0/8"} <= set(block["except"])
    assert [p["port"] for p in internet["ports"]] == [443, 8443]
    assert datastores == ALL_ON["networkPolicy"]["worker"]["extraEgress"][0]


DASHBOARD_METRICS = {
    "ftjobs_http_requests_total": "path",
    "ftjobs_http_request_duration_seconds_bucket": "path",
    "ftjobs_jobs": "status",
    "ftjobs_provider_requests_total": "provider",
    "ftjobs_webhook_deliveries_total": "outcome",
    "ftjobs_queue_depth": "queue",
}


def test_grafana_dashboard_configmap_is_discoverable_and_covers_the_metrics(
    manifests: dict[str, list[Manifest]],
) -> None:
    configmap = component(manifests["all-on"], "ConfigMap", "dashboard")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["namespace"] == "monitoring"
    assert configmap["metadata"]["annotations"] == {"grafana_folder": "Fine-tuning"}
    dashboard = json.loads(configmap["data"]["finetune-jobs.json"])
    assert dashboard["uid"] == "finetune-jobs"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for metric, label in DASHBOARD_METRICS.items():
        uses = [e for e in exprs if re.search(rf"\b{metric}\b", e)]
        assert uses, f"no panel queries {metric}"
        assert any(re.search(rf"by \([^)]*\b{label}\b", e) for e in uses), (metric, label)
    assert any("histogram_quantile" in e for e in exprs)


def test_packaged_chart_keeps_the_dashboard_and_the_schema(tmp_path: Path) -> None:
    archive = Path(helm.package(CHART_DIR, destination=tmp_path))
    assert archive.name == f"finetune-jobs-{DEFAULTS_CHART_VERSION}.tgz"
    with helm.Chart.load(archive) as packaged:
        assert packaged.schema is not None
        files = {f["name"] for f in packaged.files}
        assert "dashboards/finetune-jobs.json" in files
        docs = render(packaged, {"grafanaDashboard": {"enabled": True}})
        configmap = component(docs, "ConfigMap", "dashboard")
        assert json.loads(configmap["data"]["finetune-jobs.json"])["panels"]


def test_dashboard_file_is_valid_json_with_unique_panel_ids() -> None:
    dashboard = json.loads((CHART_DIR / "dashboards" / "finetune-jobs.json").read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["templating"]["list"][0]["type"] == "datasource"


# --- providers: Azure OpenAI, Together AI, the default and the end dates --------------------

PROCESSES = ("api", "worker", "scheduler")
AZURE_ENDPOINT = "https://ftjobs-test.openai.azure.com"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
WORKLOAD_IDENTITY_LABEL = "azure.workload.identity/use"
PROVIDER_ENV = (
    "FTJOBS_DEFAULT_PROVIDER",
    "FTJOBS_AZURE_OPENAI_ENDPOINT",
    "FTJOBS_AZURE_OPENAI_API_KEY",
    "FTJOBS_TOGETHER_API_KEY",
    "FTJOBS_TOGETHER_BASE_URL",
    "FTJOBS_PROVIDER_END_DATES",
)
PROVIDER_VALUE_SETS: dict[str, dict[str, Any]] = {
    # The Secret exists already (the default, secret.create false), under its own name and key.
    "azure-existing-secret": {
        "secret": {"name": "team-llm-keys", "keys": {"azureOpenaiApiKey": "aoai-key"}},
        "providers": {"azure": {"enabled": True, "endpoint": AZURE_ENDPOINT}},
    },
    # No key: an Entra ID token through AKS workload identity. A leftover key value in a
    # chart-made Secret must not be written or referenced.
    "azure-workload-identity": {
        "serviceAccount": {
            "name": "ftjobs-wi",
            "annotations": {CLIENT_ID_ANNOTATION: "00000000-0000-0000-0000-000000000001"},
        },
        "podLabels": {"example.com/cost-center": "ml"},
        "secret": {
            "create": True,
            "values": {
                "databaseUrl": "postgresql://ftjobs@db:5432/ftjobs",
                "redisUrl": "redis://redis:6379/0",
                "openaiApiKey": "sk-test-not-a-real-key",
                "azureOpenaiApiKey": "leftover-not-to-be-used",
            },
        },
        "providers": {
            "azure": {"enabled": True, "endpoint": AZURE_ENDPOINT, "auth": "workloadIdentity"}
        },
    },
    # After OpenAI's end date: Together alone, no OpenAI key anywhere (a leftover is not written).
    "together-only": {
        "secret": {
            "create": True,
            "values": {
                "databaseUrl": "postgresql://ftjobs@db:5432/ftjobs",
                "redisUrl": "redis://redis:6379/0",
                "openaiApiKey": "sk-leftover-not-to-be-used",
                "togetherApiKey": "together-test-key",
            },
        },
        "providers": {
            "defaultProvider": "together",
            "openai": {"enabled": False},
            "together": {"enabled": True},
        },
    },
}


@pytest.fixture(scope="module")
def provider_manifests(chart: helm.Chart) -> dict[str, list[Manifest]]:
    return {name: render(chart, values) for name, values in PROVIDER_VALUE_SETS.items()}


def process_envs(docs: list[Manifest]) -> dict[str, dict[str, dict[str, Any]]]:
    """The env of the api, worker and scheduler containers, by process."""
    return {name: env_of(container(component(docs, "Deployment", name))) for name in PROCESSES}


def secret_refs(env: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: v["valueFrom"]["secretKeyRef"] for k, v in env.items() if "valueFrom" in v}


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("value_set", PROVIDER_VALUE_SETS)
def test_provider_variants_are_valid_kubernetes(
    provider_manifests: dict[str, list[Manifest]], value_set: str, kube_version: str
) -> None:
    for doc in provider_manifests[value_set]:
        kubernetes_validate.validate(doc, kube_version, strict=True)


def test_by_default_only_openai_is_configured(manifests: dict[str, list[Manifest]]) -> None:
    for name, env in process_envs(manifests["defaults"]).items():
        assert [var for var in PROVIDER_ENV if var in env] == [], name
    for doc in workloads(manifests["defaults"]):
        assert WORKLOAD_IDENTITY_LABEL not in doc["spec"]["template"]["metadata"]["labels"]


def test_azure_endpoint_and_key_reach_every_process_the_key_by_reference(
    manifests: dict[str, list[Manifest]],
) -> None:
    docs = manifests["all-on"]
    keys = ALL_ON["secret"]["keys"]
    for name, env in process_envs(docs).items():
        assert env["FTJOBS_DEFAULT_PROVIDER"]["value"] == "azure", name
        assert env["FTJOBS_AZURE_OPENAI_ENDPOINT"]["value"] == AZURE_ENDPOINT, name
        together_url = ALL_ON["providers"]["together"]["baseUrl"]
        assert env["FTJOBS_TOGETHER_BASE_URL"]["value"] == together_url, name
        refs = secret_refs(env)
        for var, key_field in (
            ("FTJOBS_AZURE_OPENAI_API_KEY", "azureOpenaiApiKey"),
            ("FTJOBS_TOGETHER_API_KEY", "togetherApiKey"),
        ):
            assert "value" not in env[var], f"{name}: {var} must not be inlined"
            # Not optional: a missing key stops the pod instead of silently dropping the provider.
            assert refs[var] == {"name": ALL_ON["secret"]["name"], "key": keys[key_field]}
    # The chart-made Secret holds the keys, and no workload carries them in clear.
    secret = component(docs, "Secret", "secret")
    for key_field in ("azureOpenaiApiKey", "togetherApiKey"):
        value = ALL_ON["secret"]["values"][key_field]
        assert secret["stringData"][keys[key_field]] == value
        for doc in workloads(docs):
            assert value not in json.dumps(doc), f"{doc['metadata']['name']} inlines {key_field}"


def test_a_together_only_install_needs_and_gets_no_openai_key(
    provider_manifests: dict[str, list[Manifest]],
) -> None:
    docs = provider_manifests["together-only"]
    secret = component(docs, "Secret", "secret")
    assert "openai-api-key" not in secret["stringData"]
    assert secret["stringData"]["together-api-key"] == "together-test-key"
    for name, env in process_envs(docs).items():
        assert "FTJOBS_OPENAI_API_KEY" not in env, name
        assert env["FTJOBS_DEFAULT_PROVIDER"]["value"] == "together", name
        assert "FTJOBS_TOGETHER_API_KEY" in secret_refs(env), name
    for doc in docs:
        assert "sk-leftover-not-to-be-used" not in json.dumps(doc)


def test_azure_key_from_an_existing_secret(
    provider_manifests: dict[str, list[Manifest]],
) -> None:
    docs = provider_manifests["azure-existing-secret"]
    assert "Secret" not in kinds(docs)
    for name, env in process_envs(docs).items():
        assert env["FTJOBS_AZURE_OPENAI_ENDPOINT"]["value"] == AZURE_ENDPOINT, name
        assert "value" not in env["FTJOBS_AZURE_OPENAI_API_KEY"]
        refs = secret_refs(env)
        assert refs["FTJOBS_AZURE_OPENAI_API_KEY"] == {"name": "team-llm-keys", "key": "aoai-key"}
        # The other settings come from the same Secret.
        assert {ref["name"] for ref in refs.values()} == {"team-llm-keys"}
        # Together stays off, and with no default set the service picks one itself.
        assert "FTJOBS_TOGETHER_API_KEY" not in env
        assert "FTJOBS_DEFAULT_PROVIDER" not in env
    # Key auth: the pods are not opted into workload identity.
    for doc in workloads(docs):
        assert WORKLOAD_IDENTITY_LABEL not in doc["spec"]["template"]["metadata"]["labels"]


def test_azure_workload_identity_uses_no_key(
    provider_manifests: dict[str, list[Manifest]],
) -> None:
    docs = provider_manifests["azure-workload-identity"]
    account = component(docs, "ServiceAccount", "serviceaccount")
    assert account["metadata"]["name"] == "ftjobs-wi"
    assert account["metadata"]["annotations"][CLIENT_ID_ANNOTATION] == (
        "00000000-0000-0000-0000-000000000001"
    )
    azure_key = DEFAULTS["secret"]["keys"]["azureOpenaiApiKey"]
    for name, env in process_envs(docs).items():
        assert env["FTJOBS_AZURE_OPENAI_ENDPOINT"]["value"] == AZURE_ENDPOINT, name
        assert "FTJOBS_AZURE_OPENAI_API_KEY" not in env, name
        assert azure_key not in {ref["key"] for ref in secret_refs(env).values()}
        deployment = component(docs, "Deployment", name)
        # The webhook injects the token into pods that carry the label and use the annotated
        # ServiceAccount.
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels[WORKLOAD_IDENTITY_LABEL] == "true", name
        assert labels["example.com/cost-center"] == "ml", "podLabels still apply"
        assert pod_spec(deployment)["serviceAccountName"] == "ftjobs-wi"
    # The migration needs no Azure identity: it keeps the default ServiceAccount and no label.
    job = component(docs, "Job", "migrate")
    assert WORKLOAD_IDENTITY_LABEL not in job["spec"]["template"]["metadata"]["labels"]
    assert azure_key not in component(docs, "Secret", "secret")["stringData"]


def test_provider_end_dates_are_json_in_every_process(
    manifests: dict[str, list[Manifest]],
) -> None:
    expected = ALL_ON["providers"]["endDates"]
    assert expected["azure"]["no_new_jobs_from"] is None, "the null case must be exercised"
    for name, env in process_envs(manifests["all-on"]).items():
        assert json.loads(env["FTJOBS_PROVIDER_END_DATES"]["value"]) == expected, name


# --- values.schema.json ---------------------------------------------------------------------


WRONG_VALUES = [
    pytest.param({"api": {"replicas": "two"}}, "/api/replicas", id="replicas-string"),
    pytest.param({"bogus": True}, "'bogus' not allowed", id="unknown-top-level-key"),
    pytest.param({"worker": {"replica": 3}}, "'replica' not allowed", id="unknown-nested-key"),
    pytest.param({"scheduler": {"replicas": 2}}, "'replicas' not allowed", id="scheduler-scaled"),
    pytest.param({"config": {"logLevel": "LOUD"}}, "/config/logLevel", id="log-level-enum"),
    pytest.param(
        {"config": {"workerJobTimeoutSeconds": 0}}, "/config/workerJobTimeoutSeconds", id="timeout"
    ),
    pytest.param({"blobStorage": {"type": "hostPath"}}, "/blobStorage/type", id="storage-enum"),
    pytest.param({"extraEnv": {"PATH": "/tmp"}}, "propertyName 'PATH'", id="extra-env-prefix"),
    pytest.param({"image": {"digest": "latest"}}, "/image/digest", id="digest-format"),
    pytest.param({"securityContext": {"runAsUser": 0}}, "/securityContext/runAsUser", id="root"),
    pytest.param(
        {"secret": {"create": True}}, "/secret/values/databaseUrl", id="created-secret-empty"
    ),
    pytest.param(
        {"blobStorage": {"type": "existingClaim"}}, "/blobStorage/existingClaim", id="claim-unset"
    ),
    pytest.param(
        {"api": {"autoscaling": {"targetCPUUtilizationPercentage": 150}}},
        "/api/autoscaling/targetCPUUtilizationPercentage",
        id="hpa-target-over-100",
    ),
    pytest.param(
        {"providers": {"defaultProvider": "anthropic"}},
        "/providers/defaultProvider",
        id="default-provider-enum",
    ),
    pytest.param(
        {"providers": {"defaultProvider": "together"}},
        "/providers/together/enabled",
        id="default-provider-together-not-enabled",
    ),
    pytest.param(
        {"providers": {"defaultProvider": "azure"}},
        "/providers/azure/enabled",
        id="default-provider-not-enabled",
    ),
    pytest.param(
        {"providers": {"defaultProvider": "openai", "openai": {"enabled": False}}},
        "/providers/openai/enabled",
        id="default-provider-openai-not-enabled",
    ),
    pytest.param(
        {"providers": {"openai": {"enabled": False}}},
        "at '/providers': 'anyOf' failed",
        id="no-provider-enabled",
    ),
    pytest.param(
        {"providers": {"azure": {"enabled": True}}},
        "/providers/azure/endpoint",
        id="azure-endpoint-unset",
    ),
    pytest.param(
        {"providers": {"azure": {"enabled": True, "endpoint": "http://r.openai.azure.com"}}},
        "/providers/azure/endpoint",
        id="azure-endpoint-not-https",
    ),
    pytest.param(
        {"providers": {"azure": {"enabled": True, "endpoint": AZURE_ENDPOINT + "/openai/v1/"}}},
        "/providers/azure/endpoint",
        id="azure-endpoint-with-the-path-the-service-appends",
    ),
    pytest.param(
        {"providers": {"azure": {"enabled": True, "endpoint": AZURE_ENDPOINT, "auth": "entra"}}},
        "/providers/azure/auth",
        id="azure-auth-enum",
    ),
    pytest.param(
        {
            "providers": {
                "azure": {"enabled": True, "endpoint": AZURE_ENDPOINT, "auth": "workloadIdentity"}
            }
        },
        "/serviceAccount/annotations': missing property 'azure.workload.identity/client-id'",
        id="workload-identity-without-client-id",
    ),
    pytest.param(
        {
            "secret": {
                "create": True,
                "values": {"databaseUrl": "x", "redisUrl": "y", "openaiApiKey": "z"},
            },
            "providers": {"azure": {"enabled": True, "endpoint": AZURE_ENDPOINT}},
        },
        "/secret/values/azureOpenaiApiKey",
        id="created-secret-without-azure-key",
    ),
    pytest.param(
        {
            "secret": {
                "create": True,
                "values": {"databaseUrl": "x", "redisUrl": "y", "openaiApiKey": "z"},
            },
            "providers": {"together": {"enabled": True}},
        },
        "/secret/values/togetherApiKey",
        id="created-secret-without-together-key",
    ),
    pytest.param(
        {
            "secret": {
                "create": True,
                "values": {"databaseUrl": "x", "redisUrl": "y", "openaiApiKey": "z"},
            },
            "metrics": {"serviceMonitor": {"enabled": True}},
        },
        "/secret/values/metricsToken",
        id="created-secret-without-the-token-the-servicemonitor-sends",
    ),
    pytest.param(
        {"secret": {"values": {"metricsToken": "short"}}},
        "/secret/values/metricsToken",
        id="guessable-metrics-token",
    ),
    pytest.param(
        {"secret": {"values": {"metricsToken": "a-long-enough-metrics-token\n"}}},
        "/secret/values/metricsToken",
        id="metrics-token-with-a-trailing-newline",
    ),
    pytest.param(
        {"providers": {"together": {"enabled": True, "baseUrl": "api.together.xyz/v1"}}},
        "/providers/together/baseUrl",
        id="together-base-url-format",
    ),
    pytest.param(
        {"providers": {"endDates": {"opneai": {"no_new_jobs_from": "2027-03-01"}}}},
        "invalid propertyName 'opneai'",
        id="end-dates-unknown-provider",
    ),
    pytest.param(
        {"providers": {"endDates": {"openai": {"no_new_jobs_from": "2027-02-30"}}}},
        "/providers/endDates/openai/no_new_jobs_from",
        id="end-dates-impossible-date",
    ),
    pytest.param(
        {"providers": {"endDates": {"openai": {"noNewJobsFrom": "2027-03-01"}}}},
        "'noNewJobsFrom' not allowed",
        id="end-dates-unknown-field",
    ),
    pytest.param(
        {"providers": {"endDates": {"azure": {"model_retirements": {"gpt-4o": "soon"}}}}},
        "/providers/endDates/azure/model_retirements/gpt-4o",
        id="end-dates-retirement-not-a-date",
    ),
]


@pytest.mark.parametrize(("values", "where"), WRONG_VALUES)
def test_schema_rejects_wrong_values(chart: helm.Chart, values: dict[str, Any], where: str) -> None:
    with pytest.raises(helm.HelmValuesError) as excinfo:
        chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert where in str(excinfo.value)


def test_schema_rejects_the_wrong_values_file(chart: helm.Chart) -> None:
    values = load_yaml(WRONG_FILE)
    with pytest.raises(helm.HelmValuesError) as excinfo:
        chart.render(values, name=RELEASE, namespace=NAMESPACE)
    message = str(excinfo.value)
    assert "/api/replicas" in message
    assert "'replicaCount' not allowed" in message
    report = helm.lint(CHART_DIR, values)
    assert report["errors"], "helm lint must fail on the same file"
