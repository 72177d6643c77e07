"""The README's install command brings everything the proxy imports: `pip install -e .`, without the test extras.

The suite runs in a virtualenv with the test extras, which pull in more packages (Playwright brings greenlet, say).
A run-time import that only those extras satisfy passes every other test here and fails on a fresh machine: with
SQLAlchemy 2.1, which installs greenlet only with its `asyncio` extra, `govproxy serve` stopped at start-up with
"the SQLAlchemy asyncio module requires … greenlet". So every module of the package and both database drivers are
imported in a fresh interpreter, what got imported is mapped to its distributions, and each of those must be in what
pip resolves from scratch for the README's command (a dry run: nothing is installed).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.harness import REPO

_IMPORT_EVERYTHING = """
import importlib, importlib.metadata, json, pkgutil, sys
import proxy
for m in pkgutil.walk_packages(proxy.__path__, "proxy."):
    importlib.import_module(m.name)
import aiosqlite, psycopg  # the database drivers, picked by the database URL at run time
# What the package imports inside functions (the upstream client, the server, metrics, migrations) and what uvicorn
# loads when it serves (its event loop and HTTP parser).
import litellm, openai, aiohttp, uvicorn, uvloop, httptools, prometheus_client.multiprocess, alembic.runtime.migration
dists = importlib.metadata.packages_distributions()
print(json.dumps(sorted({d for name in list(sys.modules) for d in dists.get(name.split(".")[0], [])})))
"""


# Imported only because they are installed (the test extras bring them: the agent and LangChain clients), inside a
# `try: import … except ImportError` of a library the proxy uses: httpx decodes zstd responses with zstandard if it
# is there, Starlette parses forms with python-multipart if it is there, structlog's console renderer colours with
# colorama if it is there (LlamaIndex's tooling brings it). None is needed to run the proxy.
OPTIONAL_WHEN_PRESENT = frozenset({"zstandard", "python-multipart", "colorama"})


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_install_command_brings_every_distribution_the_proxy_imports(tmp_path: Path) -> None:
    imported = subprocess.run([sys.executable, "-c", _IMPORT_EVERYTHING], cwd=REPO, capture_output=True, text=True,
                              timeout=120, check=True)
    used = {_normalise(d) for d in json.loads(imported.stdout.splitlines()[-1])}
    assert {"sqlalchemy", "greenlet", "presidio-analyzer", "litellm", "starlette"} <= used

    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
                    "--report", str(report), "-e", str(REPO)], capture_output=True, text=True, timeout=280,
                   check=True)
    resolved = {_normalise(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]}
    assert "govproxy" in resolved
    assert sorted(used - resolved - OPTIONAL_WHEN_PRESENT) == []
