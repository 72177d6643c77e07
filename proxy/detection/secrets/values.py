"""Reading the value after a secret's name, as each syntax writes it, and deciding whether it can be a secret.

`read_value` takes the text and the position where a value starts (after `=`, `:`, `=>`, `(`, a flag) and
returns its span: a quoted value runs to its closing quote, whatever it holds (`'0y%+opu3)(…'`); an unquoted one
to white space, or to `;` / `&` when a connection string or query goes on after it (trailing
punctuation stays: it may be part of the password).
`plausible` says whether a value can be a credential: no placeholder, variable reference, path, URL or code.
"""

from __future__ import annotations

import math

import regex

from proxy.detection.checks import char_classes, shannon_entropy
from proxy.detection.secrets.guards import is_placeholder

_QUOTES = {'"': '"', "'": "'", "`": "`", "„": "“", "“": "”", "«": "»"}
_NEXT_PAIR = regex.compile(r"[ \t]*[A-Za-z][A-Za-z0-9 _.-]{0,40}=")
_CODE_REF = regex.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)*(?:\(.*|\[.*)?")
_PATH = regex.compile(r"(?:/|\./|\.\./|~/|[A-Za-z]:\\)[\w./\\-]*|[\w./-]+\.(?:json|pem|key|txt|ya?ml|env|p12|pfx|jks"
                      r"|crt|cer|conf|cfg|ini|properties|toml|xml|gpg|asc|kdbx|sh|py|js|ts)")
_CALL = regex.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)*(?:\([\w\s\"'.,=:/-]*\)?|\[[\w\"'.-]*\]?)+"
                      r"[;,]?")
_SEPARATORS = regex.compile(r"[./_:-]")
_COMMAND = regex.compile(r"[A-Za-z]+(?:[-_.][A-Za-z]+)+")


def read_value(text: str, pos: int, stop_at: str = "") -> tuple[int, int, bool] | None:
    """(start, end, quoted) of the value that starts at `pos`, or None when there is none on this line."""
    n = len(text)
    if pos >= n:
        return None
    ch = text[pos]
    if ch in _QUOTES:
        close = _QUOTES[ch]
        i = pos + 1
        while i < n and text[i] != close and text[i] != "\n":
            i += 2 if text[i] == "\\" and ch != "'" else 1
        if i < n and text[i] == close and i > pos + 1:
            return pos + 1, i, True
        if i >= n or text[i] == "\n":  # no closing quote: up to white space
            pos += 1
        else:
            return None
    end = pos
    while end < n and not text[end].isspace():
        c = text[end]
        if c in stop_at:
            break
        if c == ";" and (_NEXT_PAIR.match(text, end + 1) or end + 1 == n or text[end + 1] in " \t\r\n\"'"):
            break  # Server=db;Password=…;Database=…  /  …;Password=…;" />
        if c == "&" and _NEXT_PAIR.match(text, end + 1):  # ?user=a&password=b&ssl=true
            break
        end += 1
    # A closing quote or backtick with no opening one belongs to the surroundings (`--password=x'`). Brackets and
    # punctuation stay: `x)` may be the password's last character, and covering one more character costs nothing.
    while end > pos and text[end - 1] in "\"'`" and text[end - 1] not in text[pos:end - 1]:
        end -= 1
    return (pos, end, False) if end > pos else None


def plausible(value: str, *, quoted: bool, strong: bool, digits_ok: bool = False, prose: bool = False) -> bool:
    """Whether `value`, written after a secret's name, can be the secret.

    `strong`: the name says password/secret/token outright; a weak one (`key`, `auth`) needs a random value.
    `digits_ok`: a PIN, where four to eight digits are the secret. `prose`: in a sentence a lone word is a word."""
    value = value.rstrip(".,;:!?")  # judged without the punctuation after it ("token: undefined,")
    if digits_ok and value.isdigit() and 4 <= len(value) <= 8:
        return True
    if len(value) < 6 or len(value) > 400 or any(c.isspace() for c in value):
        return False
    if is_placeholder(value) or "{" in value or "}" in value or "://" in value:
        return False
    if value.startswith(("$", "%", "@", "!", "&", "*")) and _CODE_REF.fullmatch(value[1:]):
        return False  # $VAR, %VAR%, @param, !Ref, &anchor, *alias
    if _PATH.fullmatch(value):
        return False
    classes = char_classes(value)
    if not quoted and _CODE_REF.fullmatch(value) and not (classes >= 3 or (classes == 2 and value.isalnum()
                                                                           and any(c.isdigit() for c in value))):
        return False  # settings.SECRET_KEY, getpass.getpass(, os.environ["X"], request.form
    if not quoted and _CALL.fullmatch(value):
        return False  # getpass.getpass(, os.environ["X"], input()
    if not quoted and _COMMAND.fullmatch(value):
        return False  # ConvertTo-SecureString, Get-Credential, read-only: words, not a secret
    if not strong:
        if all(p.isalpha() for p in _SEPARATORS.split(value) if p):
            return False  # app.kubernetes.io/name, read-write-access: words, not a key
        return len(value) >= 16 and classes >= 2 and shannon_entropy(value) >= min(3.5, 0.8 * math.log2(len(value)))
    if classes >= 2:
        return True
    if prose:
        return False
    # One character class: a long random run (hex, lower-case) or digits; not a word.
    return (len(value) >= 12 and shannon_entropy(value) >= 3.0) or (value.isdigit() and len(value) >= 6)
