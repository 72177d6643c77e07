"""structlog set-up. The request id and caller are bound through contextvars by the pipeline runner.

Rule: events carry ids, names, counts and timings; never prompt text, response text or detected values.
"""

from __future__ import annotations

import logging
import sys

import structlog


def _exception_class_only(_logger: object, _name: str, event: dict) -> dict:
    """Replace exc_info with the exception's class and location.

    Tracebacks carry exception messages and (with some renderers) local variables, either of which can hold
    prompt text or detected values (pydantic puts the input value into its messages), so they never reach logs.
    """
    exc_info = event.pop("exc_info", None)
    if exc_info:
        exc = sys.exc_info()[1] if exc_info is True else (exc_info[1] if isinstance(exc_info, tuple) else exc_info)
        if isinstance(exc, BaseException):
            event["error_class"] = type(exc).__name__
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                event["error_at"] = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
    return event


def configure_logging(level: str = "info", json: bool = True) -> None:
    lvl = logging.getLevelName(level.upper())
    if not isinstance(lvl, int):
        lvl = logging.INFO
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _exception_class_only,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Quieten libraries that would otherwise log request details at INFO.
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx", "presidio-analyzer"):
        logging.getLogger(name).setLevel(logging.WARNING)
