"""Development negatives: technical text full of look-alikes and no secret (hashes, ids, placeholders, example
keys, URLs, public keys). Tuned on; the held-out ones live in negatives_heldout.py."""

from __future__ import annotations

import base64
import random

from bench.secrets_corpus.build import Doc
from bench.secrets_corpus.tokens import ALNUM, B64, HEX, r, uuid


def git_log(d: Doc, g: random.Random) -> None:
    for _ in range(3):
        d.add(f"commit {r(g, 40, HEX)}\nAuthor: CI Bot <ci@acme.io>\nDate:   Tue Nov 3 10:14:22 2026 +0100\n\n"
              f"    Merge pull request #{g.randint(100, 999)} from acme/fix-{r(g, 7, HEX)}\n\n")
    d.add(f"why does `git rebase {r(g, 7, HEX)}` say 'invalid upstream'?")


def package_lock(d: Doc, g: random.Random) -> None:
    d.add('"node_modules/lodash": {\n')
    for pkg in ("lodash", "axios", "react-dom"):
        d.add(f'  "version": "{g.randint(1, 18)}.{g.randint(0, 20)}.{g.randint(0, 9)}",\n  "resolved": '
              f'"https://registry.npmjs.org/{pkg}/-/{pkg}-4.17.21.tgz",\n  "integrity": "sha512-'
              f'{r(g, 86, B64)}==",\n')
    d.add("},\nnpm ci fails with EINTEGRITY, what now?")


def requirements_hashes(d: Doc, g: random.Random) -> None:
    for pkg in ("requests==2.32.3", "urllib3==2.2.3", "idna==3.10"):
        d.add(f"{pkg} \\\n    --hash=sha256:{r(g, 64, HEX)} \\\n    --hash=sha256:{r(g, 64, HEX)}\n")
    d.add("pip says THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. Warum?")


def docker_pull(d: Doc, g: random.Random) -> None:
    d.add("$ docker pull ghcr.io/acme/api:1.4.2\n")
    for _ in range(3):
        d.add(f"{r(g, 12, HEX)}: Pull complete\n")
    d.add(f"Digest: sha256:{r(g, 64, HEX)}\nStatus: Downloaded newer image for ghcr.io/acme/api:1.4.2\n"
          f"$ docker run -d {r(g, 12, HEX)}\n{r(g, 64, HEX)}\ncontainer exits with code 137, memory?")


def configmap(d: Doc, g: random.Random) -> None:
    d.add(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-config\n  uid: {uuid(g)}\ndata:\n"
          f"  LOG_LEVEL: info\n  FEATURE_FLAGS: checkout_v2,search_beta\n  SECRET_NAME: prod/billing/db\n"
          f"  TOKEN_URL: https://login.acme.io/oauth2/token\n  image: registry.acme.io/api@sha256:{r(g, 64, HEX)}\n"
          "Why isn't the env var visible in the pod?")


def css_and_images(d: Doc, g: random.Random) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(g.randrange(256) for _ in range(60))).decode()
    d.add(f".btn {{ color: #{r(g, 6, HEX)}; background: #{r(g, 3, HEX)}; border-color: #{r(g, 8, HEX)}; }}\n"
          f'.logo {{ background-image: url("data:image/png;base64,{png}"); }}\n'
          "The logo doesn't render in Safari, any idea?")


def docs_placeholders(d: Doc, g: random.Random) -> None:
    d.add("From the README:\n\n```\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
          "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
          "export OPENAI_API_KEY=sk-...\nexport GITHUB_TOKEN=<your-token>\nSTRIPE_KEY=${STRIPE_KEY}\n"
          "DB_PASSWORD=changeme\napi_key: xxxxxxxxxxxxxxxxxxxx\n```\n"
          'In code: `key = os.environ["OPENAI_API_KEY"]` and `pw = getpass.getpass("Password: ")`.\n'
          "Where do I put my real key?")


def code_without_secrets(d: Doc, g: random.Random) -> None:
    d.add('SECRET_NAME = "prod/billing/db"\nPASSWORD_MIN_LENGTH = 12\ntoken_url = "https://login.acme.io/token"\n'
          "def rotate(secret_id: str, password_field: str = \"password\") -> None:\n"
          "    client = boto3.client(\"secretsmanager\")\n    value = client.get_secret_value(SecretId=secret_id)\n"
          "    password = value[\"SecretString\"]\n    token = request.headers.get(\"Authorization\")\n"
          "    apiKey = config.apiKey\n    return getUserProfileByIdentifierAsync(password)\n"
          "is this thread-safe?")


def trace_with_ids(d: Doc, g: random.Random) -> None:
    d.add(f"ERROR [req={uuid(g)}] [trace={r(g, 32, HEX)}] [span={r(g, 16, HEX)}]\n"
          f"Segmentation fault at 0x{r(g, 12, HEX)}\nrequest_id={uuid(g)} "
          f"version=v2.14.3-rc.1+build.{g.randint(1, 999)}"
          f"\nsentry event {r(g, 32, HEX)} opened. Was bedeutet das?")


def ssh_public(d: Doc, g: random.Random) -> None:
    d.add(f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{r(g, 43, B64)} jana@laptop\n"
          f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ{r(g, 120, B64)} deploy@ci\n"
          "-----BEGIN CERTIFICATE-----\n" + "\n".join(r(g, 64, B64) for _ in range(4)) +
          "\n-----END CERTIFICATE-----\nWhich of these goes into authorized_keys?")


def german_chat(d: Doc, g: random.Random) -> None:
    d.add("Ich habe das Passwort für den Kunden zurückgesetzt, der Link kommt per Mail. Das Token läuft nach "
          "24 Stunden ab. Der API-Key liegt im Vault unter secret/prod/crm. Kennst du eine gute Passwort-Richtlinie?"
          " Die PIN-Eingabe soll maskiert sein.")


def urls_everywhere(d: Doc, g: random.Random) -> None:
    d.add("See https://docs.python.org/3/library/secrets.html and https://github.com/acme/infra/blob/main/deploy.sh"
          " - we push to ghcr.io/acme/api and registry.gitlab.com/acme/web. Run ./deploy.sh or make deploy. The "
          "staging API is at https://api.staging.acme.io:8443/v1/health, Grafana at http://10.0.3.7:3000/d/"
          f"{r(g, 9)}/overview. Docs for requests: https://pypi.org/project/requests/")


def go_sum(d: Doc, g: random.Random) -> None:
    for mod in ("github.com/stretchr/testify v1.9.0", "golang.org/x/net v0.30.0"):
        d.add(f"{mod} h1:{r(g, 43, B64)}=\n{mod}/go.mod h1:{r(g, 43, B64)}=\n")
    d.add("go: verifying module: checksum mismatch. Hilfe?")


def identifiers(d: Doc, g: random.Random) -> None:
    d.add("class AbstractSingletonProxyFactoryBean2Builder:\n    handleUserAuthenticationTokenRefreshV2Async = None\n"
          f"encoded = \"{base64.b64encode(b'Hello world, this is just text').decode()}\"\n"
          "VERSION = \"3.12.4\"  # semver ^3.12.0 || ~2.9.1\nMAC = \"3c:22:fb:8a:10:7e\"\n"
          "why does mypy complain about the class name?")


def wallet_chat(d: Doc, g: random.Random) -> None:
    b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    d.add(f"Send the refund to 3{r(g, 33, b58)} please (or 1{r(g, 33, b58)}). The NFT metadata is pinned at "
          f"Qm{r(g, 44, b58)}. Wie lange dauert die Bestätigung?")


def http_response(d: Doc, g: random.Random) -> None:
    md5 = base64.b64encode(bytes(g.randrange(256) for _ in range(16))).decode()
    sha = base64.b64encode(bytes(g.randrange(256) for _ in range(32))).decode()
    d.add(f"HTTP/2 200\ncontent-type: application/json\ncontent-md5: {md5}\ndigest: sha-256={sha}\n"
          f"x-request-id: {uuid(g)}\netag: W/\"{r(g, 27, B64)}\"\n\nwhy is the CDN not caching this response?")


def cloud_ids(d: Doc, g: random.Random) -> None:
    d.add(f"vpc-{r(g, 17, HEX)} subnet-{r(g, 17, HEX)} ami-{r(g, 17, HEX)}\n"
          f"X-Amzn-Trace-Id: Root=1-{r(g, 8, HEX)}-{r(g, 24, HEX)};Parent={r(g, 16, HEX)};Sampled=1\n"
          f"x-served-by: cache-{r(g, 12, HEX)}-FRA\nwarum ist die Latenz so hoch?")


def stripe_response(d: Doc, g: random.Random) -> None:
    d.add(f'{{"id": "pi_3{r(g, 23, ALNUM)}", "object": "payment_intent", "customer": "cus_{r(g, 14, ALNUM)}", '
          f'"payment_method": "pm_1{r(g, 23, ALNUM)}", "latest_charge": "ch_3{r(g, 23, ALNUM)}", '
          f'"invoice": "in_1{r(g, 23, ALNUM)}", "status": "requires_action"}}\nwhy is it stuck in requires_action?')


def deployment_secret_refs(d: Doc, g: random.Random) -> None:
    d.add("env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db-credentials\n"
          "        key: password\n  - name: API_TOKEN\n    valueFrom: {secretKeyRef: {name: api, key: token}}\n"
          "  - name: OPENAI_API_KEY\n    value: $(OPENAI_API_KEY)\nsecurityContext:\n  runAsNonRoot: true\n"
          "Das Secret existiert, aber der Pod findet es nicht.")


def openapi_spec(d: Doc, g: random.Random) -> None:
    d.add("components:\n  securitySchemes:\n    bearerAuth:\n      type: http\n      scheme: bearer\n"
          "      bearerFormat: JWT\n    apiKey:\n      type: apiKey\n      in: header\n      name: X-API-Key\n"
          "paths:\n  /v1/tokens/{tokenId}:\n    delete:\n      operationId: revokeAccessTokenById\n"
          "Wie dokumentiere ich beide Verfahren?")


def actions_workflow(d: Doc, g: random.Random) -> None:
    d.add("- name: Publish\n  env:\n    NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n    TWINE_PASSWORD: ${{ secrets.PYPI }}\n"
          f"  uses: pypa/gh-action-pypi-publish@{r(g, 40, HEX)}\n  with:\n    password: ${{{{ secrets.PYPI_TOKEN }}}}\n"
          "the step is skipped on forks, is that expected?")


NEGATIVES = (git_log, package_lock, requirements_hashes, docker_pull, configmap, css_and_images, docs_placeholders,
             code_without_secrets, trace_with_ids, ssh_public, german_chat, urls_everywhere, go_sum, identifiers,
             wallet_chat, http_response, cloud_ids, stripe_response, deployment_secret_refs, openapi_spec,
             actions_workflow)
