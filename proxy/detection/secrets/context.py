"""Secrets named by what stands next to them, in English and German, in every syntax people paste.

- assignments whose name holds a secret word: `.env`, INI, YAML, JSON, TOML, properties, XML attributes and
  elements, shell `export`, code (`=`, `:=`, `=>`, `setPassword("…")`), CLI flags (`--password …`, `--token=…`),
  connection strings (`Password=…;`, `?user=a&password=b`);
- prose: "the password is …", "Temp password set to …", "Passwort lautet …", "WLAN-Passwort ist …", "PIN ist …";
- `Authorization: Bearer|Basic|Token …` and a bare `Bearer …`, PowerShell `ConvertTo-SecureString "…"`,
  short flags of tools that take a password (`mysql -p…`, `sshpass -p`, `redis-cli -a`, `ldapsearch -w`,
  `curl -u user:…`), Kubernetes `Secret` manifests (`data:`/`stringData:` values), `.pgpass` lines.

Each finder returns (start, end, rule) spans of the secret alone, never the name.
"""

from __future__ import annotations

import itertools

import regex

from proxy.detection.secrets.values import plausible, read_value

# Words in a name that make its value a secret outright, and weaker ones that need a random-looking value.
_STRONG = frozenset({"password", "passwd", "passwort", "passphrase", "passcode", "pwd", "pw", "pass", "secret",
                     "secrets", "token", "tokens", "apikey", "kennwort", "credential", "credentials", "privatekey",
                     "clientsecret", "secretkey", "accesskey", "authtoken", "accesstoken", "refreshtoken",
                     "zugangsdaten", "geheimnis", "sig", "signature", "sas", "pin", "pincode", "psk", "salt",
                     "masterkey", "signingkey", "encryptionkey", "webhooksecret", "sessionkey", "bearer"})
# Run-together names (SHAREDACCESSKEY, dbpassword) hold these inside one word.
_STRONG_INSIDE = tuple(w for w in _STRONG if len(w) >= 6)
_WEAK = frozenset({"key", "auth", "schluessel", "schlüssel", "cookie", "session", "hmac", "dsn"})
# A name that ends in one of these describes a secret without holding it: SECRET_NAME, token_url, password_hash.
_META = frozenset({"name", "names", "id", "ids", "arn", "path", "file", "filename", "dir", "url", "uri", "endpoint",
                   "length", "len", "size", "type", "field", "env", "var", "header", "prompt", "label", "hint",
                   "policy", "rotation", "manager", "store", "provider", "version", "expiry", "expires",
                   "expiration", "ttl", "count", "min", "max", "regex", "pattern", "format", "enabled", "required",
                   "mode", "scope", "scopes", "method", "algorithm", "alg", "question", "reset", "forgot", "hash",
                   "hashed", "digest", "validation", "validator", "strength", "input", "column", "placeholder",
                   "description", "title", "prefix", "suffix", "location", "source", "ref", "template", "usage",
                   "limit", "timeout", "lifetime", "kind", "class", "option", "flag", "schema", "secretref",
                   "keyref", "generator", "service", "backend", "mount", "engine", "vault", "index", "list",
                   "expired", "stdin", "changed", "level", "sent", "error", "errors", "message"})
_KEYWORD = regex.compile(r"pass|pwd|pw\b|secret|token|key|auth|credential|kennwort|zugangsdaten|geheim|schl[üu]ssel"
                         r"|sig|sas|pin|psk|salt|bearer|cookie|session|hmac|dsn", regex.IGNORECASE)
_NAME_CHARS = regex.compile(r"[A-Za-z0-9_.\-$@\[\]]")
_HUMPS = regex.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_OP = regex.compile(r"[\"'\]]?[ \t]{0,3}(?P<op>=>|:=|\?=|=|:(?!//|:)|\((?=[ \t]*[\"'])|,(?=[ \t]*[\"']))[ \t]{0,3}")
_FLAG_OP = regex.compile(r"(?:=|[ \t]+)(?!-)")
_XML_ELEMENT = regex.compile(r">(?P<v>[^<\s]{4,200})</")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _HUMPS.findall(name)]


def _name_strength(name: str) -> str | None:
    """'strong', 'weak' or None for an identifier such as DB_PASSWORD, clientSecret, x-api-key, SECRET_NAME."""
    words = _words(name)
    if not words or words[-1] in _META:
        return None
    joined = "".join(words)
    pairs = {a + b for a, b in itertools.pairwise(words)}
    if any(w in _STRONG for w in words) or pairs & _STRONG or any(s in joined for s in _STRONG_INSIDE):
        return "strong"
    if any(w in _WEAK for w in words) or "key" in joined:
        return "weak"
    return None


def assignments(text: str) -> list[tuple[int, int, str]]:
    """Values after names that hold a secret word, in any assignment or flag syntax."""
    out: list[tuple[int, int, str]] = []
    done_names: set[int] = set()
    for m in _KEYWORD.finditer(text):
        start = m.start()
        while start > 0 and _NAME_CHARS.match(text[start - 1]):
            start -= 1
        if start in done_names:
            continue
        end = m.end()
        while end < len(text) and _NAME_CHARS.match(text[end]) and text[end] not in "[]":
            end += 1
        done_names.add(start)
        name = text[start:end].strip(".-$@")
        strength = _name_strength(name)
        if strength is None:
            continue
        found = _value_after_name(text, start, end, name, strength)
        if found:
            out.append(found)
    return out


def _value_after_name(text: str, start: int, end: int, name: str, strength: str) -> tuple[int, int, str] | None:
    strong = strength == "strong"
    digits_ok = "pin" in _words(name)
    if start > 0 and text[start - 1] == "<":  # <password>…</password>
        m = _XML_ELEMENT.match(text, end)
        if m and plausible(m.group("v"), quoted=True, strong=strong, digits_ok=digits_ok):
            return (*m.span("v"), "xml element")
        return None
    if text.startswith("-", start) or (start > 0 and text[start - 1] == "-"):
        op = _FLAG_OP.match(text, end)
        rule = "cli flag"
    else:
        op = _OP.match(text, end)
        rule = "assignment"
    if not op:
        return None
    span = read_value(text, op.end())
    if span is None:
        return None
    vs, ve, quoted = span
    if op.group().rstrip().endswith(("(", ",")) and not quoted:
        return None
    value = text[vs:ve]
    if not plausible(value, quoted=quoted, strong=strong, digits_ok=digits_ok):
        return None
    return vs, ve, rule


_FILLER = (r"is|was|ist|war|lautet|lauten|set|gesetzt|to|auf|now|jetzt|nun|changed|geändert|reset|zurückgesetzt|for"
           r"|für|the|der|die|das|des|account|accounts|kontos?|user|benutzer|new|neue|neues|neuer|temporary|temp"
           r"|temporär|temporäres|temporäre|initial|initiales|would|be|sollte|sein|wird|heißt|heisst|as|als|of|von"
           r"|my|mein|meine|our|unser|unsere|admin|root|wifi|wlan|here|hier|below|unten|just|nur|still|noch|again"
           r"|wieder|used|verwendet|use|nutze|nimm|try|probier|with|mit|und|and|it's|its|login|vpn|db|database"
           r"|datenbank|server|prod|staging|test|dev|e-mail|mail|sftp|ftp|ssh|router|office|portal|every|jeden")
_PROSE = regex.compile(
    rf"(?i:(?<![\w/.-])(?:[^\W\d_]+-)?(?:\w*passwor[td]|\w*kennwort|passphrase|passcode|pin|pincode|token|secret"
    rf"|api[ -]key|access[ -]key|zugangsdaten|credentials|pw)\b)(?:(?:[ \t]+|[ \t]*\n[ \t]*)(?i:{_FILLER})\b)*"
    # The value is set off by a separator or white space, never glued to the word ("R4bb1t-Pw@host" is no prose).
    rf"(?:[ \t]*(?:[:=]|->|→|—|–|-(?=[ \t]))[ \t]*(?:\n[ \t]*)?|[ \t]+|[ \t]*\n[ \t]*)")
_PROSE_HINT = regex.compile(r"passw|kennw|passphrase|passcode|pin|token|secret|api[ -]key|access[ -]key|zugangsdaten"
                            r"|credentials|pw", regex.IGNORECASE)
_CREDENTIAL_PAIR = regex.compile(r"[ \t]*(?:/|:|,)[ \t]*")


def prose(text: str) -> list[tuple[int, int, str]]:
    """Values after secret words in sentences: "the password is …", "Passwort gesetzt: …", "PIN ist 4711"."""
    out: list[tuple[int, int, str]] = []
    if not _PROSE_HINT.search(text):  # the cheap pre-filter: most texts name no secret at all
        return out
    for m in _PROSE.finditer(text):
        span = read_value(text, m.end())
        if span is None:
            continue
        vs, ve, quoted = span
        value = text[vs:ve].rstrip(".:!?,;)")  # judged without sentence punctuation, reported with it
        if value.isdigit():
            ve = vs + len(value)  # a PIN: digits only, the full stop is the sentence's
        digits_ok = "pin" in m.group().lower()
        if plausible(value, quoted=quoted, strong=True, digits_ok=digits_ok, prose=True):
            out.append((vs, ve, "prose"))
            continue
        # "Zugangsdaten: admin / Geheim123!" — a user name, then the secret.
        pair = _CREDENTIAL_PAIR.match(text, ve)
        if pair and len(value) <= 40:
            span2 = read_value(text, pair.end())
            if span2 and plausible(text[span2[0]:span2[1]].rstrip(".,;"), quoted=span2[2], strong=True,
                                          prose=True):
                out.append((span2[0], span2[1], "prose"))
    return out
