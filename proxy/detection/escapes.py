"""Markup escapes a reader (or a model) undoes without thinking: HTML character references (`&#64;`, `&#x40;`,
`&commat;`, `&amp;`) and URL percent-encoding (`%40`). `anna&#64;firma.de` and `anna%40firma.de` are e-mail
addresses to anyone who reads them, so detection reads them decoded.

`decode_escapes` returns the decoded text and, per decoded character, the original range it came from (the whole
escape for a decoded character, itself for any other), so a finding maps back to the escaped original and
redaction replaces what was sent. The caller (normalise.py) wraps it as a `NormalisedText`.

What is decoded, and why no more:
- numeric references with or without the closing `;` (browsers decode `&#64firma` too), through the standard
  library's `html.unescape`, so invalid code points become U+FFFD as in a browser;
- named references only with their `;` (`&amp;`, `&commat;`): without it, HTML's legacy rules would turn ordinary
  text such as `&not` or `&copy` inside words into symbols;
- runs of `%XX` as UTF-8 (a byte that is no part of a UTF-8 character stays escaped), unless they spell a
  control character: `%02d` in a format string is no encoded value; `+` stays `+` (it means a space only in
  form bodies, and `a+b` is ordinary text).
Double encoding (`&amp;#64;`, `%2540`) is undone by decoding again, at most `MAX_ROUNDS` times.
"""

from __future__ import annotations

import html
import re
from html.entities import html5

MAX_ROUNDS = 3
_ESCAPE = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)|(?:%[0-9A-Fa-f]{2})+")


def _decode_reference(ref: str) -> str | None:
    """What one `&...` reference stands for, or None when it is no known reference (left as written)."""
    if ref[1] == "#":
        return html.unescape(ref if ref.endswith(";") else ref + ";")
    return html5.get(ref[1:])


def _decode_percent(run: str) -> str:
    """A run of `%XX` as UTF-8; a byte that is no part of a UTF-8 character stays escaped as it was."""
    raw = bytes(int(run[i + 1:i + 3], 16) for i in range(0, len(run), 3))
    decoded = raw.decode("utf-8", errors="surrogateescape")
    if decoded.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in decoded):
        return decoded
    return "".join(f"%{ord(ch) - 0xDC00:02X}" if "\udc80" <= ch <= "\udcff" else ch for ch in decoded)


def _has_control(value: str) -> bool:
    return any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in value)


def _decode_once(text: str) -> tuple[str, list[int], list[int]] | None:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    changed = False
    for m in _ESCAPE.finditer(text):
        escape = m.group()
        value = _decode_percent(escape) if escape[0] == "%" else _decode_reference(escape)
        if value is None or value == escape or (escape[0] == "%" and _has_control(value)):
            continue
        changed = True
        out.append(text[pos:m.start()])
        starts.extend(range(pos, m.start()))
        ends.extend(range(pos + 1, m.start() + 1))
        out.append(value)
        starts.extend([m.start()] * len(value))
        ends.extend([m.end()] * len(value))
        pos = m.end()
    if not changed:
        return None
    out.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return "".join(out), starts, ends


def decode_escapes(text: str) -> tuple[str, list[int], list[int]] | None:
    """(decoded text, starts, ends) with `starts[i]:ends[i]` the original range of decoded character i; None when
    `text` holds nothing to decode (the common case, checked with two substring tests)."""
    if "&" not in text and "%" not in text:
        return None
    result: tuple[str, list[int], list[int]] | None = None
    current = text
    for _ in range(MAX_ROUNDS):
        step = _decode_once(current)
        if step is None:
            break
        decoded, starts, ends = step
        if result is not None:  # map this round's ranges through the earlier rounds to the original text
            _, first_starts, first_ends = result
            starts = [first_starts[s] for s in starts]
            ends = [first_ends[e - 1] for e in ends]
        result, current = (decoded, starts, ends), decoded
        if "&" not in current and "%" not in current:
            break
    return result
