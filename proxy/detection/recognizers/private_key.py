"""PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP blocks), whole block from BEGIN to END.

A key pasted without its END line (truncated prompts) is still reported: the header and the base64 lines after it.
"""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

_LABEL = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?"

SPEC = RecognizerSpec(
    name="PrivateKeyRecognizer",
    entity_type="PRIVATE_KEY",
    patterns=(
        PatternSpec("pem private key block", rf"-----BEGIN {_LABEL}-----.*?-----END {_LABEL}-----", 1.0),
        # Truncated: the header, optional header lines (Proc-Type, DEK-Info) and the base64 body that follows.
        PatternSpec("pem private key without end",
                    rf"-----BEGIN {_LABEL}-----(?:[ \t]*\r?\n[A-Za-z-]+:[^\r\n]*)*(?:\s*[A-Za-z0-9+/=]{{16,}})+",
                    0.95),
    ),
    context=("private", "key", "pem", "ssh"),
    case_sensitive=True,
)
