"""Evasion end to end: canary values disguised the ways people (and prompt-injection kits) hide them, sent with
the official OpenAI SDK to an external model through the shipped policy. Personal data must reach the external
upstream only as placeholders, secrets must be blocked (`block-secrets`), national IDs stay on-prem.

Values split across two messages or two content parts are out of reach of span detection (each text is
analysed on its own, and either half alone is no identifier): those cases are strict xfails, so the day they
start passing somebody looks.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest

from tests.conftest import Proxy, Upstreams

ZW = "\u200b"  # zero-width space
ZWJ = "\u200d"  # zero-width joiner
EMAIL = "m.thornton.canary@example.org"
IBAN = "DE89 3704 0044 0532 0130 00"
CARD = "5425 2334 3010 9903"
PHONE = "+49 30 9076 5432"
TAX_ID = "86095742719"
# An OpenAI project key (high entropy, so the recognizer's look-alike check passes).
KEY = "sk-proj-Q7vL2mX9pR4tK8wN3zB6yH1cF5dJ0sGa"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) - 0x30 + 0xFF10) if c.isdigit() else c for c in text)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def tool_call(arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """A conversation whose assistant turn called a tool with `arguments`, then asks for the next step."""
    return [
        {"role": "user", "content": "sync the contact record"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "sync", "arguments": json.dumps(arguments)}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "done"},
        {"role": "user", "content": "what next?"},
    ]


def tool_result(content: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "read the config"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "read_config", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": content},
        {"role": "user", "content": "summarise it"},
    ]


@dataclass(frozen=True)
class Case:
    id: str
    messages: list[dict[str, Any]]
    # Strings that must not appear in anything the external upstream received: the value as sent (disguised)
    # and distinctive pieces of it.
    needles: tuple[str, ...]
    # What the shipped policy should do: "redact" (placeholders, forwarded), "block" (403, nothing forwarded) or
    # "onprem" (routed to the on-prem model, nothing external).
    expect: str
    marks: tuple[Any, ...] = field(default=())


SPLIT = pytest.mark.xfail(strict=True, reason="out of scope: each text field is analysed on its own and neither "
                          "half is an identifier; joining fields would shift every offset and invent values")

CASES = [
    # Zero-width characters inside the value.
    Case("zero-width-email", user(f"write to m.thornton{ZW}.canary@exa{ZWJ}mple.org today"),
         (f"m.thornton{ZW}.canary", "canary@exa", "thornton"), "redact"),
    Case("zero-width-iban", user(f"IBAN DE89{ZW}3704{ZW}0044{ZW}0532{ZW}0130{ZW}00 please"),
         ("0532", "3704"), "redact"),
    Case("zero-width-api-key", user(f"my key is sk-proj-Q7vL2mX9{ZW}pR4tK8wN3zB6yH1cF5dJ0sGa ok"),
         ("Q7vL2mX9", "pR4tK8wN3z"), "block"),
    # Cyrillic and Greek look-alike letters.
    Case("cyrillic-o-in-api-key", user("my key is sk-pr\u043ej-Q7vL2mX9pR4tK8wN3zB6yH1cF5dJ0sGa ok"),
         ("Q7vL2mX9", "pR4tK8wN3z"), "block"),
    Case("cyrillic-in-email", user("write to m.th\u043ernt\u043en.canary@ex\u0430mple.org today"),
         ("canary", "mple.org"), "redact"),
    Case("greek-in-email", user("write to m.th\u03bfrnt\u03bfn.canary@example.\u03bfrg today"),
         ("canary", "example."), "redact"),
    # Full-width digits.
    Case("full-width-card", user(f"card {full_width(CARD)} please"), (full_width(CARD)[:9],), "redact"),
    Case("full-width-iban", user(f"IBAN {full_width(IBAN)} please"), (full_width(IBAN)[5:14],), "redact"),
    # Spaced and dashed digits.
    Case("dashed-card", user("card 5425-2334-3010-9903 please"), ("5425-2334", "3010-9903"), "redact"),
    Case("dashed-phone", user("call me on +49-30-9076-5432 tomorrow"), ("9076-5432",), "redact"),
    Case("spaced-phone", user(f"call me on {PHONE} tomorrow"), ("9076 5432",), "redact"),
    Case("dashed-iban", user("IBAN DE89-3704-0044-0532-0130-00 please"), ("3704-0044", "0532-0130"), "redact"),
    Case("digit-spaced-card", user(f"card {' '.join(CARD.replace(' ', ''))} please"),
         ("5 4 2 5 2 3 3 4",), "redact"),
    Case("digit-spaced-tax-id", user(f"Meine Steuer-ID ist {' '.join(TAX_ID)}."), ("8 6 0 9 5 7",), "onprem"),
    # Obfuscated e-mail addresses.
    Case("email-[at]-[dot]", user("mail m.thornton.canary [at] example [dot] org please"),
         ("thornton.canary",), "redact"),
    Case("email-(at)-(dot)", user("mail m.thornton.canary(at)example(dot)org please"),
         ("thornton.canary",), "redact"),
    Case("email-at-dot-words", user("mail m.thornton.canary at example dot org please"),
         ("thornton.canary",), "redact"),
    Case("email-[at]-real-dot", user("mail m.thornton.canary[at]example.org please"),
         ("thornton.canary",), "redact"),
    # HTML character references and percent-encoding (a reader, and a model, decode them without thinking).
    Case("html-decimal-email", user("mail m.thornton.canary&#64;example.org please"),
         ("thornton.canary", "&#64;example"), "redact"),
    Case("html-hex-email", user("mail m.thornton.canary&#x40;example&#x2E;org please"),
         ("thornton.canary", "&#x40;example"), "redact"),
    Case("html-named-email", user("mail m.thornton.canary&commat;example&period;org please"),
         ("thornton.canary", "&commat;example"), "redact"),
    Case("html-double-encoded-email", user("mail m.thornton.canary&amp;#64;example.org please"),
         ("thornton.canary", "#64;example"), "redact"),
    Case("percent-email", user("mail m.thornton.canary%40example.org please"),
         ("thornton.canary", "%40example"), "redact"),
    Case("percent-email-in-url", user("see https://crm.example.com/find?who=m.thornton.canary%40example.org ok"),
         ("thornton.canary", "%40example"), "redact"),
    Case("percent-encoded-card", user("card 5425%202334%203010%209903 please"), ("5425%202334", "3010%209903"),
         "redact"),
    Case("html-encoded-iban", user("IBAN DE89&#32;3704&#32;0044&#32;0532&#32;0130&#32;00 please"),
         ("3704&#32;0044", "0532&#32;0130"), "redact"),
    Case("percent-encoded-api-key", user("my key is sk%2Dproj%2DQ7vL2mX9pR4tK8wN3zB6yH1cF5dJ0sGa ok"),
         ("Q7vL2mX9", "pR4tK8wN3z"), "block"),
    # Base64 in tool traffic.
    Case("base64-key-in-tool-arguments", tool_call({"config": b64(f"OPENAI_API_KEY={KEY}")}),
         (b64(f"OPENAI_API_KEY={KEY}")[:24], "Q7vL2mX9"), "block"),
    Case("base64-email-in-tool-arguments", tool_call({"contact": b64(f"contact: {EMAIL}")}),
         (b64(f"contact: {EMAIL}")[:24], "thornton"), "redact"),
    Case("base64-key-in-tool-result", tool_result(f"api_key: {b64(KEY)}"), (b64(KEY)[:24], "Q7vL2mX9"), "block"),
    # Split across content parts or messages: documented gaps.
    Case("email-split-across-parts", [{"role": "user", "content": [
        {"type": "text", "text": "write to m.thornton.canary"},
        {"type": "text", "text": "@example.org today"}]}], ("thornton.canary",), "redact", (SPLIT,)),
    # Blocked since issue 17, though not as a split key: its second half alone is a long random string.
    Case("key-split-across-messages", [
        {"role": "user", "content": "my key starts sk-proj-Q7vL2mX9pR"},
        {"role": "user", "content": "and ends 4tK8wN3zB6yH1cF5dJ0sGa"}], ("Q7vL2mX9pR",), "block"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_disguised_value_never_reaches_the_external_model(case: Case, proxy: Proxy, upstreams: Upstreams) -> None:
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    try:
        raw = client.chat.completions.with_raw_response.create(model="external-chat", messages=case.messages)
        status, headers = raw.status_code, raw.headers
    except openai.APIStatusError as exc:
        status, headers = exc.status_code, exc.response.headers
        error = exc.response.json()["error"]
    sent = upstreams.external.recorder.dump()
    assert [n for n in case.needles if n in sent] == []
    if case.expect == "block":
        assert status == 403 and error["code"] == "policy_blocked" and "block-secrets" in error["message"]
        assert upstreams.external.recorder.all() == upstreams.onprem.recorder.all() == []
    elif case.expect == "redact":
        assert status == 200 and headers["x-govproxy-decision"] == "redact"
        assert headers["x-govproxy-route"].startswith("external-chat")
    else:
        assert status == 200 and headers["x-govproxy-route"].startswith("onprem-chat")
        assert upstreams.external.recorder.all() == []
