"""The container image, built and run here without a daemon (slow: excluded from the default run).

scripts/build-image.sh debootstraps Debian bookworm into a base image and builds the Dockerfile with buildah (vfs
storage, chroot isolation). The test then runs `govproxy serve` from the image as uid 10001 on a read-only root
filesystem (the image's root bind-mounted read-only in a private mount namespace, a tmpfs on /tmp, a writable
/data, the test's policies read-only: what `docker run --read-only --tmpfs /tmp -v data:/data` gives), with the
host's network, and sends a request through it to the fake upstream with the OpenAI SDK.

    pytest -m slow tests/e2e/test_container_image.py      (root, `apt-get install buildah debootstrap`)

The build takes long (about 20 min on a busy 2-core machine, no layer cache): GOVPROXY_TEST_IMAGE=<tag> runs an
image that scripts/build-image.sh already built instead of building one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import Upstreams, catalogue_for
from tests.harness import REPO, free_port, write_policies

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (shutil.which("buildah") and shutil.which("debootstrap") and os.geteuid() == 0),
                                 reason="needs root, buildah and debootstrap")]

TAG = os.environ.get("GOVPROXY_TEST_IMAGE", "localhost/govproxy:test")
ROOT = os.environ.get("BUILDAH_ROOT", "/var/lib/govproxy-buildah")
BUILDAH = ["buildah", "--root", f"{ROOT}/storage", "--runroot", f"{ROOT}/run", "--storage-driver", "vfs"]


def _buildah(*args: str) -> str:
    return subprocess.run([*BUILDAH, *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def rootfs() -> Iterator[Path]:
    """The built image, mounted: its root filesystem as a directory."""
    if "GOVPROXY_TEST_IMAGE" not in os.environ:
        t0 = time.monotonic()
        build = subprocess.run([str(REPO / "scripts" / "build-image.sh"), TAG], capture_output=True, text=True,
                               timeout=3600)
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        print(f"image built in {time.monotonic() - t0:.0f} s;", build.stdout.strip().splitlines()[-1])
    ctr = _buildah("from", TAG)
    try:
        # `buildah run` itself (chroot isolation) runs the image's commands as its USER; it has no read-only root
        # option, hence the mount namespace below for serving.
        assert _buildah("run", "--isolation", "chroot", ctr, "--", "id", "-u") == "10001"
        assert "serve" in _buildah("run", "--isolation", "chroot", ctr, "--", "govproxy", "--help")
        yield Path(_buildah("mount", ctr))
    finally:
        _buildah("umount", ctr)
        _buildah("rm", ctr)


def _run_readonly(root: Path, data: Path, policies: Path, env: dict[str, str], *cmd: str,
                  background: bool = False) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    """`cmd` in the image as uid 10001: root read-only, /tmp a tmpfs, /data and the policies bind-mounted."""
    script = (f'set -e; r={root}; mount --bind "$r" "$r"; mount -o remount,bind,ro "$r"; '
              f'mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"; mount --bind {data} "$r/data"; '
              f'mkdir -p "$r/tmp/policies"; mount --bind {policies} "$r/tmp/policies"; '
              f'mount -o remount,bind,ro "$r/tmp/policies"; mount -t proc proc "$r/proc"; '
              f'exec chroot --userspec=10001:10001 "$r" /usr/bin/env -i '
              + " ".join(f"{k}={v}" for k, v in env.items()) + " " + " ".join(cmd))
    argv = ["unshare", "--mount", "--propagation", "private", "--fork", "--kill-child=SIGTERM", "sh", "-c", script]
    if background:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(argv, capture_output=True, text=True, timeout=300)


def _image_env(root: Path, port: int) -> dict[str, str]:
    """The image's own environment (its config's Env), then what this run sets."""
    import json

    config = json.loads(_buildah("inspect", "--type", "image", TAG))
    env = dict(e.split("=", 1) for e in config["OCIv1"]["config"].get("Env", []))
    env.update(GOVPROXY_HOST="127.0.0.1", GOVPROXY_PORT=str(port), GOVPROXY_POLICIES_DIR="/tmp/policies",
               GOVPROXY_DATABASE_URL="sqlite:////data/govproxy.db", PROMETHEUS_MULTIPROC_DIR="/tmp/metrics")
    return env


def test_image_serves_a_request_as_non_root_on_a_read_only_root(rootfs: Path, upstreams: Upstreams,
                                                                tmp_path: Path) -> None:
    config = _buildah("inspect", "--type", "image", "--format", "{{.OCIv1.Config.User}}", TAG)
    assert config == "10001:10001"
    size = _buildah("images", "--format", "{{.Size}}", TAG)
    print(f"image size {size}")
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 10001, 10001)
    policies = write_policies(tmp_path / "policies", catalogue_for(upstreams))
    port = free_port()
    env = _image_env(rootfs, port)

    probe = _run_readonly(rootfs, data, policies, env, "sh", "-c",
                          "'id -u; touch /app/x 2>&1 || true; touch /opt/x 2>&1 || true; touch /tmp/ok && echo tmp-ok'")
    assert isinstance(probe, subprocess.CompletedProcess)
    assert probe.stdout.splitlines()[0] == "10001" and "Read-only file system" in probe.stdout, probe.stdout
    assert "tmp-ok" in probe.stdout

    created = _run_readonly(rootfs, data, policies, env, "govproxy", "keys", "create", "--team", "eng", "--user",
                            "img")
    assert isinstance(created, subprocess.CompletedProcess) and created.returncode == 0, created.stderr[-2000:]
    key = created.stdout.strip().splitlines()[-1]

    server = _run_readonly(rootfs, data, policies, env, "govproxy", "serve", background=True)
    assert isinstance(server, subprocess.Popen)
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        upstreams.onprem.recorder.clear()
        answer = client.chat.completions.create(model="onprem-chat",
                                                messages=[{"role": "user", "content": "hello from the image"}])
        assert answer.choices[0].message.content == "echo: hello from the image"
        assert len(upstreams.onprem.recorder.all()) == 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
