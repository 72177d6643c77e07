"""What every fault test checks afterwards, and the traffic that lets it check.

Each request a fault test sends carries a nonce (`ref` and five ordinary lower-case nouns: hex or digit codes are
taken for names, places or phone numbers by the detector often enough to be redacted away) and canary values.
The client remembers nonce -> request id (from `x-request-id`) and every error body or error event it got back.
Afterwards `assert_clean` proves:

- nothing was forwarded without an audit record: every request a fake upstream received carries a nonce whose
  request id has a record holding its decision (`action`);
- no canary reached a sink it must not: what external upstreams received, the proxy's logs, the audit store
  (the SQLite file with its WAL, or a pg_dump), error bodies and error events.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.audit_db import execute, pg_dump
from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy
from tests.fakes.openai_upstream import Recorder

WORDS = ("table window garden pencil bottle carpet ladder basket candle button mirror pillow bucket hammer kettle "
         "tunnel wallet helmet blanket drawer").split()
# The NER model now and then reads two nonce words as a name and the policy replaces them with a placeholder
# (`ref ladder <PERSON_1> bottle carpet:`): such a nonce still names its call, with the placeholder as a wildcard.
_PLACEHOLDER = r"<[A-Z_]+_\d+>"
_LOOSE_NONCE = re.compile(r"ref((?: (?:" + "|".join(WORDS) + "|" + _PLACEHOLDER + r")){1,5}):")
_COUNTER = itertools.count(random.randrange(len(WORDS) ** 5 // 2))


def new_nonce() -> str:
    """A nonce unique in this process: a counter written in base 20 with WORDS as the digits."""
    n, words = next(_COUNTER), []
    for _ in range(5):
        n, digit = divmod(n, len(WORDS))
        words.append(WORDS[digit])
    return "ref " + " ".join(words) + ":"
# Personal data: placeholders before an external model, unredacted on-prem. No secret (that would be blocked).
PERSONAL = (f"please write to {CANARIES['PERSON']} at {CANARIES['EMAIL_ADDRESS']} about the card "
            f"{CANARIES['CREDIT_CARD']}")
ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01"}


@dataclass
class Call:
    nonce: str
    request_id: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""              # the whole answer (plain body or the stream's raw events)
    errors: list[str] = field(default_factory=list)  # error bodies and error events, for the canary check
    broken: str | None = None   # transport error class when the connection broke

    def error_code(self) -> str | None:
        """The `code` (OpenAI) or `type` (Anthropic) of the first error body or event."""
        for raw in self.errors:
            err = json.loads(raw).get("error") or {}
            return err.get("code") or err.get("type")
        return None


def _error_events(raw: str) -> list[str]:
    out = []
    for line in raw.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            data = json.loads(line[6:])
            if "error" in data:
                out.append(line[6:])
    return out


class Client:
    """Sends requests with a nonce and canaries to one proxy through raw HTTP (the providers' wire formats)."""

    def __init__(self, proxy: Proxy, key: str | None = None) -> None:
        self.proxy = proxy
        self.key = key or proxy.key
        self.calls: list[Call] = []

    def _request(self, kind: str, model: str, text: str, nonce: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        content = f"{nonce} {text}"
        bearer = {"authorization": f"Bearer {self.key}"}
        if kind == "embeddings":
            return "/v1/embeddings", bearer, {"model": model, "input": content}
        if kind.startswith("messages"):
            return "/v1/messages", {"x-api-key": self.key, **ANTHROPIC_HEADERS}, {
                "model": model, "max_tokens": 100, "stream": kind == "messages_stream",
                "messages": [{"role": "user", "content": content}]}
        return "/v1/chat/completions", bearer, {"model": model, "stream": kind == "stream",
                                                "messages": [{"role": "user", "content": content}]}

    def send(self, kind: str, model: str, text: str = PERSONAL, *, timeout: float = 30,
             on_open: Any = None) -> Call:
        """kind: chat | stream | messages | messages_stream | embeddings. `on_open(response)` runs once the
        response headers are in (e.g. to kill the process serving a stream)."""
        call = Call(new_nonce())
        self.calls.append(call)
        path, headers, body = self._request(kind, model, text, call.nonce)
        chunks: list[str] = []
        with httpx.Client(timeout=timeout) as client:
            try:
                with client.stream("POST", self.proxy.url + path, json=body, headers=headers) as resp:
                    call.request_id, call.status = resp.headers.get("x-request-id"), resp.status_code
                    call.headers = dict(resp.headers)
                    if on_open is not None:
                        on_open(resp)
                    for chunk in resp.iter_text():
                        chunks.append(chunk)
            except httpx.TransportError as exc:
                call.broken = type(exc).__name__
                call.text = "".join(chunks)
                return call
        call.text = "".join(chunks)
        if call.status != 200:
            call.errors.append(call.text)
        elif "text/event-stream" in resp.headers.get("content-type", ""):
            call.errors += _error_events(call.text)
        return call


def audit_rows(db_url: str) -> dict[str, dict[str, Any]]:
    """Request records by request id: the decision part and (None if not written) the outcome."""
    rows = execute(db_url, "SELECT r.request_id, r.action, r.rule, o.outcome, o.error_status, o.upstream_status, "
                           "o.target FROM audit_records r LEFT JOIN audit_outcomes o ON o.record_id = r.id "
                           "WHERE r.kind = 'request'")
    return {r[0]: {"action": r[1], "rule": r[2], "outcome": r[3], "error_status": r[4], "upstream_status": r[5],
                   "target": r[6]} for r in rows}


def wait_for_outcomes(db_url: str, calls: list[Call], timeout: float = 20) -> dict[str, dict[str, Any]]:
    """The audit rows once every call's record has its outcome (a stream's is written just after it ends)."""
    deadline = time.time() + timeout
    while True:
        rows = audit_rows(db_url)
        if all(c.request_id in rows and rows[c.request_id]["outcome"] for c in calls) or time.time() > deadline:
            return rows
        time.sleep(0.2)


def audit_store_text(db_url: str) -> str:
    """Everything the audit store holds on disk, as text: the SQLite file and its WAL, or a pg_dump."""
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        return "".join(p.read_bytes().decode("utf-8", errors="replace")
                       for p in (path, Path(f"{path}-wal")) if p.exists())
    return pg_dump(db_url).decode("utf-8", errors="replace")


def calls_with_nonce(seen: str, calls: list[Call]) -> list[Call]:
    """The calls whose nonce `seen` can be: itself, or with each placeholder standing for one or more words."""
    pattern = "".join(r"\S+(?: \S+)*" if re.fullmatch(_PLACEHOLDER, part) else re.escape(part)
                      for part in re.split(f"({_PLACEHOLDER})", seen))
    return [c for c in calls if re.fullmatch(pattern, c.nonce)]


def assert_clean(proxy: Proxy, calls: list[Call], *, onprem: list[Recorder], external: list[Recorder],
                 logs: str | None = None) -> None:
    """No upstream request without a decision record; no canary in any sink it must not reach."""
    db_url = proxy.env["GOVPROXY_DATABASE_URL"]
    rows = audit_rows(db_url)
    for recorder in [*onprem, *external]:
        for item in recorder.all():
            found = _LOOSE_NONCE.search(json.dumps(item["body"]))
            assert found, f"an upstream request without a nonce reached {item['path']}: {item['body']}"
            candidates = calls_with_nonce(found.group(0), calls)
            assert candidates, f"an upstream request whose nonce no call sent: {found.group(0)}"
            assert any(c.request_id in rows and rows[c.request_id]["action"] for c in candidates), \
                f"forwarded without an audit record holding a decision: {candidates}"
    for recorder in external:
        assert leaked(recorder.dump()) == [], "a canary reached an external upstream"
    assert leaked(logs if logs is not None else proxy.process.logs()) == [], "a canary is in the proxy's logs"
    assert leaked(audit_store_text(db_url)) == [], "a canary is in the audit store"
    errors = [e for c in calls for e in c.errors]
    assert leaked("\n".join(errors)) == [], "a canary is in an error body or event"


def serves(proxy: Proxy, client: Client, model: str = "external-chat") -> bool:
    """The proxy answers a plain and a streamed chat in full (with the canaries restored in the answer)."""
    plain, stream = client.send("chat", model), client.send("stream", model)
    restored = json.loads(plain.text)["choices"][0]["message"]["content"] if plain.status == 200 else ""
    return (plain.status == 200 and CANARIES["PERSON"] in restored and stream.status == 200
            and not stream.errors and stream.text.rstrip().endswith("data: [DONE]"))


# -- processes (Linux /proc) --------------------------------------------------------------------------------------

def worker_pids(parent: int) -> set[int]:
    """The worker processes of a `govproxy serve --workers N` parent (its forked children; not the resource
    tracker multiprocessing may start). A zombie (a worker killed but not yet reaped) is not a worker."""
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == parent and state != "Z" and b"resource_tracker" not in cmdline:
            out.add(int(entry.name))
    return out


def connection_owner(response: httpx.Response, server_port: int, candidates: set[int]) -> int:
    """The pid (among `candidates`) holding the server side of this response's TCP connection."""
    client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(a.rsplit(":", 1)[1], 16) for a in fields[1:3])
        if local == server_port and remote == client_port:
            inode = fields[9]
    assert inode is not None, "the server side of the connection was not found"
    for pid in candidates:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError("no candidate process holds the connection")
