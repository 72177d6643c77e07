"""Real servers for end-to-end tests: fake upstreams in a thread, govproxy as a `govproxy serve` subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

REPO = Path(__file__).resolve().parent.parent
GOVPROXY = str(Path(sys.executable).parent / "govproxy")
OFFLINE_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true", "LITELLM_TELEMETRY": "False"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadedServer:
    """uvicorn serving an ASGI app on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPROXY_")}
    env.update(OFFLINE_ENV)
    env.update(extra)
    return env


def write_policies(dest: Path, models: list[dict[str, Any]], *, rules_from: Path | None = None) -> Path:
    """A policies directory for a test: the repo's policy files (or `rules_from`) with a test catalogue."""
    src = rules_from or (REPO / "policies")
    shutil.copytree(src, dest, dirs_exist_ok=True)
    (dest / "models.yaml").write_text(yaml.safe_dump({"apiVersion": "govproxy/v1", "models": models}))
    return dest


def cli(*args: str, env: dict[str, str], input: str | None = None, check: bool = True,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([GOVPROXY, *args], env=env, input=input, capture_output=True, text=True,
                          timeout=timeout, cwd=env.get("GOVPROXY_TEST_CWD", str(REPO)))
    if check and proc.returncode != 0:
        raise AssertionError(f"govproxy {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def create_key(env: dict[str, str], team: str, user: str, role: str = "caller", *labels: str) -> str:
    args = ["keys", "create", "--team", team, "--user", user, "--role", role]
    for label in labels:
        args += ["--label", label]
    return cli(*args, env=env).stdout.strip()


class ProxyProcess:
    """`govproxy serve` on a free port, logs captured to a file (so tests can grep them)."""

    def __init__(self, workdir: Path, env: dict[str, str], *, workers: int = 1) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.env = {**env, "GOVPROXY_PORT": str(self.port), "GOVPROXY_HOST": "127.0.0.1",
                    "GOVPROXY_WORKERS": str(workers)}
        self.log_path = workdir / f"govproxy-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> ProxyProcess:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([GOVPROXY, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=str(self.workdir))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"govproxy exited {self.proc.returncode}: {self.logs()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"govproxy did not become healthy: {self.logs()[-3000:]}")

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)
