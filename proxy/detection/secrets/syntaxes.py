"""Secrets that a syntax gives away without a secret word in a name: authorization headers, PowerShell secure
strings, short flags of tools that take a password, Kubernetes `Secret` manifests and `.pgpass` lines."""

from __future__ import annotations

import regex

from proxy.detection.secrets.values import plausible, read_value

_AUTH_HEADER = regex.compile(
    r"(?i:authorization|proxy-authorization)[\"']?[ \t]*[:=,][ \t]*[\"']?[ \t]*"
    r"(?i:bearer|basic|token|bot|apikey|api-key|digest|ssws|genieKey|splunk|negotiate|key)?[ \t]+")
_BEARER = regex.compile(r"(?i:\bbearer|\btoken)[ \t]+(?=[A-Za-z0-9._~+/=-]{16,})")
_SECURE_STRING = regex.compile(r"(?i:ConvertTo-SecureString)[ \t]+(?:-String[ \t]+)?(?=[\"'])")
_SHORT_FLAGS = regex.compile(
    r"(?i:\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]*?[ \t]-p(?=\S)"
    r"|\bsshpass\b[^\n]*?[ \t]-p[ \t]+|\bredis-cli\b[^\n]*?[ \t]-a[ \t]+"
    r"|\bldap(?:search|add|modify|delete|passwd|whoami)\b[^\n]*?[ \t]-w[ \t]+"
    r"|\b(?:docker|podman|helm|oras)[ \t]+(?:registry[ \t]+)?login\b[^\n]*?[ \t]-p[ \t]+"
    r"|\bcurl\b[^\n]*?[ \t](?:-u|--user)[ \t]+[\"']?[^:\s\"']+:"
    r"|\bhtpasswd\b[^\n]*?[ \t]-b[A-Za-z]*[ \t]+\S+[ \t]+\S+[ \t]+"
    r"|\bsmbclient\b[^\n]*?%)")
_SECRET_KIND = regex.compile(r"^[ \t]*kind:[ \t]*[\"']?Secret\b", regex.MULTILINE)
_DATA_BLOCK = regex.compile(r"^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*\n", regex.MULTILINE)
_DATA_LINE = regex.compile(r"(?P<indent>[ \t]+)[\"']?[\w.-]+[\"']?:[ \t]*(?=\S)")
_PGPASS = regex.compile(r"^[ \t]*[^\s:#]+:(?:\d{2,5}|\*):[^\s:]+:[^\s:]+:(?P<v>\S+)[ \t]*$", regex.MULTILINE)


def headers(text: str) -> list[tuple[int, int, str]]:
    """`Authorization: <scheme> <credentials>` of any shape, and a bare `Bearer <token>` elsewhere."""
    out = []
    # After an explicit header anything is the credential; after a bare "Bearer"/"token" an identifier is code.
    for pattern, rule, explicit in ((_AUTH_HEADER, "authorization header", True), (_BEARER, "bearer token", False)):
        for m in pattern.finditer(text):
            span = read_value(text, m.end(), stop_at="\"'`")
            if span and plausible(text[span[0]:span[1]], quoted=explicit, strong=True):
                out.append((span[0], span[1], rule))
    return out


def tool_syntax(text: str) -> list[tuple[int, int, str]]:
    """PowerShell secure strings, short password flags, Kubernetes Secret data, .pgpass lines."""
    out = []
    for m in _SECURE_STRING.finditer(text):
        span = read_value(text, m.end())
        if span and span[2]:
            out.append((span[0], span[1], "powershell securestring"))
    for m in _SHORT_FLAGS.finditer(text):
        span = read_value(text, m.end())
        if span and plausible(text[span[0]:span[1]], quoted=span[2], strong=True):
            out.append((span[0], span[1], "password flag"))
    for m in _PGPASS.finditer(text):
        if plausible(m.group("v"), quoted=False, strong=True):
            out.append((*m.span("v"), "pgpass"))
    if _SECRET_KIND.search(text):
        out.extend(_secret_manifest_values(text))
    return out


def _secret_manifest_values(text: str) -> list[tuple[int, int, str]]:
    """Every value under `data:` / `stringData:` in a text that holds a Kubernetes Secret (base64 or plain)."""
    out = []
    for block in _DATA_BLOCK.finditer(text):
        outer = len(block.group("indent").expandtabs())
        pos = block.end()
        while pos < len(text):
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
            m = _DATA_LINE.match(text, pos, line_end)
            if not m or len(m.group("indent").expandtabs()) <= outer:
                break
            span = read_value(text, m.end())
            if span and len(text[span[0]:span[1]]) >= 4 and text[span[0]:span[1]] not in ("|", ">", "|-", ">-"):
                out.append((span[0], span[1], "kubernetes secret"))
            pos = line_end + 1
    return out
