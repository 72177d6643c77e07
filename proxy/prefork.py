"""Several workers that share one copy of the models: load once in a parent, then fork.

`govproxy serve --workers N` (N > 1) runs here instead of under uvicorn's own supervisor, which spawns every worker
as a fresh interpreter that loads spaCy, Presidio and litellm again (~520 MiB each). The parent loads them once
(`preload`), moves everything it allocated out of the garbage collector's reach (`gc.freeze()`: a collection in a
worker would otherwise write to every object's header and copy its page), gives the C heap's free pages back
(`release_free_heap`), binds one listening socket per worker
(SO_REUSEPORT, so the kernel spreads connections evenly) and forks the workers. The pages of the models stay shared
copy-on-write; each worker adds only what it writes.

What must not cross a fork is built in each worker, after it: the event loop, the database engine and the audit
writer, Redis clients, the policy and budget watchers, metrics (prometheus multiprocess files are per pid), the
detector's thread (a `ThreadPoolExecutor` starts its thread on first use). The parent runs no event loop and no
Python thread of its own; it only watches its workers: one that dies is forked again (from the loaded parent, so in
about a second), SIGTERM or SIGINT is passed on as SIGTERM (each worker finishes its requests and streams, then
exits), and a worker that cannot start (exit 3, e.g. a database it cannot reach) stops the whole server.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from proxy.redaction.keys import RedactionKeys
from proxy.settings import Settings

if TYPE_CHECKING:
    from proxy.detection.detector import Detector

log = structlog.get_logger()

STARTUP_FAILURE = 3  # uvicorn's exit code when the lifespan fails to start
_POLL_S = 0.2
_GRACE_MARGIN_S = 10.0  # on top of the workers' own graceful-shutdown timeout
_MIN_LIFE_S = 1.0


@dataclass
class Preloaded:
    """What the parent loaded for its workers to share. `detector` is None when detection runs in its own
    processes (GOVPROXY_DETECTION_PROCESSES > 0: a process pool must not be forked; each worker starts its own)."""

    detector: Detector | None
    # The redaction keys, drawn here when GOVPROXY_REDACTION_KEY is not set, so that every worker hashes, encrypts
    # and tags (thinking signatures) with the same key: a random key per worker would make a value hash differently
    # depending on which worker took the request.
    redaction_keys: RedactionKeys | None = None


def preload(settings: Settings) -> Preloaded:
    """Load the models, the recognizers and litellm in this process (seconds), for forked workers to share."""
    from proxy.detection.detector import Detector
    from proxy.policy.loader import PolicyHolder
    from proxy.routing.upstream import Upstream

    Upstream(timeout_s=settings.upstream_timeout_s)  # imports litellm (~200 MB) once, here
    detector = None
    if settings.detection_processes == 0:
        snapshot = PolicyHolder(settings.policies_dir).snapshot  # raises if the policies do not load
        detector = Detector.from_settings(settings, processes=0, custom=snapshot.recognizers,
                                          recognizers_version=snapshot.recognizers_version)
        _warm_detector(detector)
    _import_worker_libraries(settings)
    _warm_litellm()
    return Preloaded(detector=detector, redaction_keys=RedactionKeys.from_settings(settings))


# Texts that take every part of detection once (both NER pipelines, language choice, pattern recognizers with their
# validators): what is built or compiled on first use is then built in the parent, once, instead of in each worker.
_WARM_TEXTS = (
    "Please call Jane Miller at +1 415 555 0100 or write to jane.miller@example.com about invoice 2024-0042; "
    "card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, from 10.0.0.1 on 12 March 2024.",
    "Sehr geehrte Frau Annika Vogelsang, bitte überweisen Sie den Betrag bis zum 3. Mai an die Musterstraße 12 "
    "in 10115 Berlin; Ihre Steuer-ID lautet 12 345 678 901.",
)


def _warm_detector(detector: Detector) -> None:
    for text in _WARM_TEXTS:
        detector.analyze(text)


def _import_worker_libraries(settings: Settings) -> None:
    """Import here the libraries a worker's services import when it builds them: the database dialect (an engine
    made and dropped, no connection), prometheus_client (metrics) and httpcore with h11/h2 (the Anthropic client's
    transport). Imported after the fork, each worker held a copy of their modules of its own. A forked child's
    private memory while it builds its services, before -> after: the engine 10.1 -> 2.0 MiB, the metrics
    3.6 -> 0.5, the Anthropic client 5.9 -> 2.5. Nothing is built here that a worker uses (metrics and clients are
    each worker's own, made after the fork); a database URL that does not parse is left for the worker to report."""
    import httpcore  # noqa: F401  (httpx loads it when the first client is made)
    import prometheus_client  # noqa: F401  (imported by Metrics, which each worker builds)

    from proxy.db import async_engine

    try:
        async_engine(settings.database_url).sync_engine.dispose()
    except Exception:  # noqa: BLE001  (the worker's own engine raises it where it is reported: exit 3)
        pass


def _warm_litellm() -> None:
    """One completion that litellm answers itself (`mock_response`: nothing is sent anywhere), so the modules it
    imports on first use are imported here, once. Runs its own short event loop, closed before any fork."""
    import asyncio
    import threading

    from proxy.routing.upstream import warm_up

    asyncio.run(warm_up())
    if threading.active_count() > 1:  # a thread here would be missing (and its locks held) in every worker
        raise RuntimeError("a thread was left running before fork: " +
                           ", ".join(t.name for t in threading.enumerate()))


def release_free_heap() -> bool:
    """Give the free pages of the C heap back to the system (glibc's `malloc_trim(0)`), before forking: what the
    loading freed (temporary arrays, parsed files) stays mapped in the heap otherwise. A worker that then allocates
    there (every analysis makes and frees arrays) copies the parent's page, and the parent keeps its copy of memory
    that nobody uses. Measured here with two forked children running the same 350 analyses: parent + children 430
    and 433 MiB PSS without, 413 and 415 with; the parent's RSS 371 -> 351 MiB. False where the C library has no
    `malloc_trim` (musl)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return False
    trim(0)
    return True


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    """Forks `workers` processes that each serve `build_app()` on the shared socket, and keeps them running."""

    def __init__(self, settings: Settings, build_app: Callable[[], object], *, graceful_s: float = 30.0,
                 on_exit: Callable[[int], None] | None = None) -> None:
        self.settings = settings
        self.build_app = build_app
        self.graceful_s = graceful_s
        self.on_exit = on_exit  # called with the pid of every worker that ended (metrics files)
        self.workers: dict[int, int] = {}  # pid -> its slot (the index of its listening socket)
        self._forked_at: dict[int, float] = {}  # slot -> when its current worker was forked
        self._stopping = False
        self._failed = False

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; returns the exit code for the parent (0, or 3 if a worker could not start)."""
        # One listening socket per worker on the same port (SO_REUSEPORT): the kernel spreads new connections over
        # them evenly. On one shared socket the worker that wakes first accepts nearly all of them (30 of 32
        # keep-alive clients measured), and the other worker idles. The parent keeps every socket open, so the
        # connections that arrive for a worker while it is being replaced wait in its backlog for the new one.
        sockets = [bind(self.settings.host, self.settings.port, reuse_port=True)
                   for _ in range(self.settings.workers)]
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._request_stop)
        # Everything loaded so far lives as long as the workers do: out of the collector's reach, so no worker's
        # collection touches (and copies) the pages it lives in.
        gc.collect()
        gc.freeze()
        released = release_free_heap()
        log.info("prefork_started", workers=self.settings.workers, host=self.settings.host, port=self.settings.port,
                 heap_released=released)
        try:
            for slot in range(self.settings.workers):
                self._fork(sockets, slot)
            while not self._stopping:
                self._reap(sockets)
                time.sleep(_POLL_S)
            self._stop_workers()
        finally:
            for sock in sockets:
                sock.close()
        return STARTUP_FAILURE if self._failed else 0

    def _request_stop(self, signum: int, frame: object) -> None:
        self._stopping = True

    def _fork(self, sockets: list[socket.socket], slot: int) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 1
            try:
                _stop_with_parent(parent)
                for i, other in enumerate(sockets):
                    if i != slot:
                        other.close()
                code = _serve(self.settings, self.build_app, sockets[slot], self.graceful_s)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
            except BaseException:  # logged, then the worker exits non-zero
                log.exception("worker_crashed")
            finally:
                os._exit(code)
        self.workers[pid] = slot
        self._forked_at[slot] = time.monotonic()
        log.info("worker_forked", pid=pid, slot=slot)

    def _reap(self, sockets: list[socket.socket]) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            slot = self._ended(pid, status)
            if self._stopping or slot is None:
                return
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == STARTUP_FAILURE:
                log.error("worker_startup_failed", pid=pid)
                self._failed = self._stopping = True
                return
            if time.monotonic() - self._forked_at[slot] < _MIN_LIFE_S:
                time.sleep(_MIN_LIFE_S)  # a worker that dies at once would otherwise be forked in a tight loop
            self._fork(sockets, slot)

    def _ended(self, pid: int, status: int) -> int | None:
        slot = self.workers.pop(pid, None)
        if slot is None:
            return None
        code = os.waitstatus_to_exitcode(status)
        (log.info if self._stopping and code == 0 else log.warning)("worker_exited", pid=pid, code=code)
        if self.on_exit is not None:
            self.on_exit(pid)
        return slot

    def _stop_workers(self) -> None:
        for pid in list(self.workers):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.graceful_s + _GRACE_MARGIN_S
        while self.workers and time.monotonic() < deadline:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self._ended(pid, status)
            else:
                time.sleep(0.05)
        for pid in list(self.workers):
            log.error("worker_killed", pid=pid, reason="graceful shutdown timed out")
            _signal(pid, signal.SIGKILL)
            try:
                self._ended(*os.waitpid(pid, 0))
            except ChildProcessError:
                self.workers.pop(pid, None)


def _stop_with_parent(parent: int) -> None:
    """SIGTERM to this worker when the parent dies (killed with SIGKILL, it cannot pass a stop on): no worker is
    left serving without a supervisor. Linux only; elsewhere nothing changes."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call above
        raise SystemExit(0)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _serve(settings: Settings, build_app: Callable[[], object], sock: socket.socket, graceful_s: float) -> int:
    """A worker's life: its own app, event loop and services, serving the inherited socket."""
    import uvicorn

    for sig in (signal.SIGTERM, signal.SIGINT):
        # uvicorn installs its own handlers while it serves and raises the signal again once it has stopped
        # gracefully: that raise lands here and ends the worker with 0.
        signal.signal(sig, _exit_cleanly)
    config = uvicorn.Config(build_app(), host=settings.host, port=settings.port, log_config=None,  # type: ignore[arg-type]
                            access_log=False, timeout_graceful_shutdown=int(graceful_s), lifespan="on")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except SystemExit:
        pass  # uvicorn re-raises the stop signal after a graceful shutdown: that is the normal end
    return 0 if server.started else STARTUP_FAILURE
