"""Which URLs are worth reporting: those that carry credentials or tokens, and a site's home page.

Technical text is full of URLs and host names (docs links, registries, `deploy.sh`, `api.internal:8443/v1`) that
are neither personal nor secret; reporting them made the URL type right about one time in a hundred there. A URL
is reported when it has user info (`user:pass@`), a query parameter that names a credential (`token=`, `sig=`,
`key=`, `X-Amz-Signature=` …), or when it is a bare home page (`https://www.jana-krueger.de/`: a registered
domain, no other sub-domain, no path; without a scheme not a file name such as `deploy.sh` and not a host of public
developer infrastructure such as `ghcr.io`), which in prose points at a person or a company. The credential inside is
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
# Written without a scheme, `name.sh` or `setup.py` is a file (those suffixes are also country domains), and the
# hosts of public developer infrastructure are no one's home page.
_FILE_SUFFIXES = frozenset({"sh", "py", "md", "rs", "pl", "ps", "so", "ml", "cc", "zip", "mov", "ts", "js", "json",
                            "yml", "yaml", "toml", "cfg", "ini", "txt", "lock", "sum", "mod"})
_DEVELOPER_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "docker.io", "docker.com", "ghcr.io",
                              "quay.io", "gcr.io", "pypi.org", "npmjs.com", "npmjs.org", "crates.io", "go.dev",
                              "golang.org", "python.org", "nodejs.org", "amazonaws.com", "googleapis.com",
                              "azurecr.io", "githubusercontent.com", "readthedocs.io", "stackoverflow.com",
                              "kubernetes.io", "helm.sh", "maven.org", "nuget.org", "rubygems.org"})


# The bundled public suffix list (nothing is fetched); built on first use, shared with resolve.py.
TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def carries_credentials(url: str) -> bool:
    return bool(_USERINFO.match(url) or _CREDENTIAL_PARAM.search(url))


def worth_reporting(url: str) -> bool:
    """A URL with credentials or tokens in it, or a site's home page (`https://jana-krueger.de/`, `stern.de`)."""
    if carries_credentials(url):
        return True
    home = _HOME_PAGE.match(url)
    if not home or _NOT_A_SITE.match(home.group("host")):
        return False
    parts = TLD(home.group("host"))
    if not (parts.suffix and parts.domain) or parts.subdomain.lower() not in ("", "www"):
        return False
    if _SCHEME_OR_WWW.match(url):
        return True
    return parts.suffix.lower() not in _FILE_SUFFIXES and f"{parts.domain}.{parts.suffix}".lower() not in \
        _DEVELOPER_HOSTS
