"""Which URLs are worth reporting: those that carry credentials or tokens, and a site's home page.

Technical text is full of URLs and host names (docs links, registries, `deploy.sh`, `api.internal:8443/v1`) that
are neither personal nor secret; reporting them made the URL type right about one time in a hundred there. A URL
is reported when it has user info (`user:pass@`), a query parameter that names a credential (`token=`, `sig=`,
`key=`, `X-Amz-Signature=` …), or when it is a bare home page (`https://www.jana-krueger.de/`: a registered
domain, no other sub-domain, no path), which in prose points at a person or a company. The credential inside is
reported on its own too, as a secret.
"""

from __future__ import annotations

import regex
import tldextract

_CREDENTIAL_PARAM = regex.compile(
    r"[?&;#](?:[\w.-]*[_-])?(?:token|access_token|id_token|refresh_token|auth|authorization|sig|signature|key"
    r"|apikey|api_key|api-key|secret|client_secret|password|passwd|pwd|pass|credential|x-amz-signature"
    r"|x-amz-credential|x-amz-security-token|x-goog-signature|sas|sv|se|code|session|sid|jwt)=[^&\s#]{6,}",
    regex.IGNORECASE)
_USERINFO = regex.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#\s@]+@")
_HOME_PAGE = regex.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:www\d?\.)?(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
                           r"/?$")
_SCHEME_OR_WWW = regex.compile(r"^(?:https?://|www\d?\.)", regex.IGNORECASE)
_NOT_A_SITE = regex.compile(r"^(?:localhost|[\d.]+|[\w-]+\.(?:local|internal|lan|svc|cluster\.local|corp|test"
                            r"|example|invalid))$", regex.IGNORECASE)


_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def carries_credentials(url: str) -> bool:
    return bool(_USERINFO.match(url) or _CREDENTIAL_PARAM.search(url))


def worth_reporting(url: str) -> bool:
    """A URL with credentials or tokens in it, or a site's home page written with a scheme or `www.`."""
    if carries_credentials(url):
        return True
    home = _HOME_PAGE.match(url)
    if not home or not _SCHEME_OR_WWW.match(url) or _NOT_A_SITE.match(home.group("host")):
        return False
    parts = _TLD(home.group("host"))
    return bool(parts.suffix and parts.domain) and parts.subdomain.lower() in ("", "www")
