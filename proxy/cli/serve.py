"""`govproxy serve`: run the proxy under uvicorn."""

from __future__ import annotations

import signal
from pathlib import Path

import typer

from proxy.settings import Settings


def serve(
    host: str = typer.Option(None, help="Bind address (GOVPROXY_HOST, default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (GOVPROXY_PORT, default 8080)."),
    workers: int = typer.Option(None, help="Worker processes (GOVPROXY_WORKERS, default 1)."),
    policies: Path = typer.Option(None, help="Policies directory (GOVPROXY_POLICIES_DIR, default ./policies)."),
    database_url: str = typer.Option(None, help="Audit/key database URL (GOVPROXY_DATABASE_URL)."),
) -> None:
    """Start the proxy. Flags override GOVPROXY_* environment variables."""
    import os

    import uvicorn

    overrides = {"host": host, "port": port, "workers": workers, "policies_dir": policies,
                 "database_url": database_url}
    # Workers are separate processes that build their own settings from the environment: pass flags through it.
    env_names = {"policies_dir": "GOVPROXY_POLICIES_DIR", "database_url": "GOVPROXY_DATABASE_URL",
                 "host": "GOVPROXY_HOST", "port": "GOVPROXY_PORT", "workers": "GOVPROXY_WORKERS"}
    for name, value in overrides.items():
        if value is not None:
            os.environ[env_names[name]] = str(value)
    settings = Settings()
    if settings.is_sqlite and settings.auto_migrate:
        # Upgrade once here, not racing in every worker.
        from proxy.migrate import upgrade

        upgrade(settings.database_url)
    from proxy.metrics import cleanup_multiprocess_dir, prepare_multiprocess_dir

    # uvicorn finishes in-flight requests on SIGTERM, then re-raises the signal once it is done; a handler of our
    # own turns that into a clean exit 0 (what Kubernetes and systemd expect after a graceful stop).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    owned = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    metrics_dir = prepare_multiprocess_dir()
    try:
        _run(uvicorn, settings)
    finally:
        if owned:
            cleanup_multiprocess_dir(metrics_dir)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _run(uvicorn, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    if settings.workers > 1:
        _run_prefork(settings)
        return
    uvicorn.run("proxy.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_config=None, access_log=False, timeout_graceful_shutdown=30,
                lifespan="on")


def _run_prefork(settings: Settings) -> None:
    """Several workers forked from one process that loaded the models once (proxy/prefork.py)."""
    from proxy.app import create_app
    from proxy.logging import configure_logging
    from proxy.metrics import Metrics
    from proxy.prefork import Supervisor, preload

    configure_logging(settings.log_level, settings.log_json)
    preloaded = preload(settings)
    supervisor = Supervisor(settings, lambda: create_app(settings, preloaded), graceful_s=30,
                            on_exit=Metrics.process_exited)
    code = supervisor.run()
    if code:
        raise SystemExit(code)


def register(app: typer.Typer) -> None:
    app.command()(serve)
