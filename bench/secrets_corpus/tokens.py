"""Invented credentials in the public formats providers document (values random, shapes real).

`MAKERS[kind](rng)` returns one value of that kind. Checksummed formats (GitHub, npm, age) carry a valid checksum.
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib
from collections.abc import Callable

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = string.ascii_letters + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE62 = DIGITS + UPPER + LOWER
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def r(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(number: int, width: int = 6) -> str:
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = BASE62[rem] + out
    return out.rjust(width, "0")


def crc_token(prefix: str, rng: random.Random) -> str:
    body = r(rng, 30)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode()))}"


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def age_key(rng: random.Random) -> str:
    hrp = "age-secret-key-"
    data = [rng.randrange(32) for _ in range(52)]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = _bech32_polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return ("AGE-SECRET-KEY-1" + "".join(BECH32[d] for d in data + checksum)).upper()


def b64url_json(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt(rng: random.Random) -> str:
    header = b64url_json({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    payload = b64url_json({"sub": r(rng, 8, DIGITS), "name": rng.choice(["svc-billing", "Jana Krüger", "ops"]),
                           "iat": rng.randrange(1_600_000_000, 1_800_000_000),
                           "iss": rng.choice(["https://auth.acme-intern.de/", "https://login.example-corp.com"])})
    return f"{header}.{payload}.{r(rng, rng.choice([43, 86]), B64URL)}"


def uuid(rng: random.Random) -> str:
    h = r(rng, 32, HEX)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}"


def password(rng: random.Random) -> str:
    """A generated password with symbols, as password managers and admins make them."""
    n = rng.randint(12, 20)
    symbols = "!#$%&*+-=?@^_~.:/(),;"
    chars = [rng.choice(UPPER), rng.choice(LOWER), rng.choice(DIGITS), rng.choice(symbols)]
    chars += [rng.choice(ALNUM + symbols) for _ in range(n - 4)]
    rng.shuffle(chars)
    return "".join(chars)


def human_password(rng: random.Random) -> str:
    """A memorable password people choose: words, digits, a symbol."""
    words = ["Bayern", "Sommer", "Winter", "Falcon", "Orange", "Tiger", "München", "Hamburg", "Purple", "Kaffee",
             "Rocket", "Zebra", "Blumen", "Sonne", "Berlin", "Dragon"]
    return rng.choice(words) + rng.choice("#!$%&@*") + rng.choice(words) + str(rng.randint(10, 9999))


def pem(rng: random.Random) -> str:
    label = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    lines = [r(rng, 64, B64) for _ in range(rng.randint(3, 6))] + [r(rng, 20, B64) + "=="]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def basic_auth(rng: random.Random) -> str:
    user = rng.choice(["svc-sync", "admin", "deploy", "jenkins", "api-user"])
    return base64.b64encode(f"{user}:{password(rng)}".encode()).decode()


MAKERS: dict[str, Callable[[random.Random], str]] = {
    # --- provider formats (prefix or structure makes them recognisable) ---
    "openai-project-key": lambda g: "sk-proj-" + r(g, 74, ALNUM + "_-") + "T3BlbkFJ" + r(g, 74, ALNUM + "_-"),
    "openai-legacy-key": lambda g: "sk-" + r(g, 20) + "T3BlbkFJ" + r(g, 20),
    "anthropic-api-key": lambda g: "sk-ant-api03-" + r(g, 93, ALNUM + "_-") + "AA",
    "aws-access-key-id": lambda g: g.choice(["AKIA", "ASIA"]) + r(g, 16, UPPER + "234567"),
    "github-pat": lambda g: crc_token("ghp", g),
    "github-oauth": lambda g: crc_token("gho", g),
    "github-app-token": lambda g: crc_token(g.choice(["ghu", "ghs"]), g),
    "github-fine-grained-pat": lambda g: "github_pat_" + r(g, 22) + "_" + r(g, 59),
    "gitlab-pat": lambda g: "glpat-" + r(g, 20, ALNUM + "_-"),
    "gitlab-runner-token": lambda g: "glrt-" + r(g, 20, ALNUM + "_-"),
    "slack-bot-token": lambda g: f"xoxb-{r(g, 12, DIGITS)}-{r(g, 13, DIGITS)}-{r(g, 24)}",
    "slack-user-token": lambda g: f"xoxp-{r(g, 12, DIGITS)}-{r(g, 12, DIGITS)}-{r(g, 13, DIGITS)}-{r(g, 32, HEX)}",
    "slack-webhook": lambda g: (f"https://hooks.slack.com/services/T{r(g, 8, UPPER + DIGITS)}/"
                                f"B{r(g, 10, UPPER + DIGITS)}/{r(g, 24)}"),
    "stripe-secret-key": lambda g: g.choice(["sk_live_", "rk_live_", "sk_test_"]) + r(g, g.choice([24, 99])),
    "stripe-webhook-secret": lambda g: "whsec_" + r(g, 32),
    "google-api-key": lambda g: "AIza" + r(g, 35, ALNUM + "_-"),
    "google-oauth-token": lambda g: "ya29." + r(g, 120, ALNUM + "_-"),
    "google-oauth-client-secret": lambda g: "GOCSPX-" + r(g, 28, ALNUM + "_-"),
    "huggingface-token": lambda g: "hf_" + r(g, 34, string.ascii_letters),
    "twilio-api-key": lambda g: "SK" + r(g, 32, HEX),
    "sendgrid-api-key": lambda g: "SG." + r(g, 22, ALNUM + "_-") + "." + r(g, 43, ALNUM + "_-"),
    "mailgun-api-key": lambda g: "key-" + r(g, 32, HEX),
    "mailchimp-api-key": lambda g: r(g, 32, HEX) + "-us" + str(g.randint(1, 21)),
    "npm-token": lambda g: crc_token("npm", g),
    "pypi-token": lambda g: "pypi-AgEIcHlwaS5vcmc" + r(g, 150, ALNUM + "_-"),
    "digitalocean-token": lambda g: g.choice(["dop_v1_", "doo_v1_"]) + r(g, 64, HEX),
    "shopify-token": lambda g: g.choice(["shpat_", "shpss_", "shpca_"]) + r(g, 32, HEX),
    "atlassian-api-token": lambda g: "ATATT3xFfGF0" + r(g, 171, ALNUM + "_-") + "=" + r(g, 8, UPPER + DIGITS),
    "databricks-token": lambda g: "dapi" + r(g, 32, HEX),
    "doppler-token": lambda g: "dp.pt." + r(g, 43),
    "dynatrace-token": lambda g: "dt0c01." + r(g, 24, UPPER + DIGITS) + "." + r(g, 64, UPPER + DIGITS),
    "grafana-cloud-token": lambda g: "glc_" + base64.b64encode(json.dumps(
        {"o": r(g, 6, DIGITS), "n": "stack-" + r(g, 6, DIGITS), "k": r(g, 24), "m": {"r": "eu"}}).encode()).decode(),
    "grafana-service-account-token": lambda g: "glsa_" + r(g, 32) + "_" + r(g, 8, HEX),
    "vault-token": lambda g: "hvs." + r(g, 95, ALNUM + "_-"),
    "terraform-cloud-token": lambda g: r(g, 14, LOWER + DIGITS) + ".atlasv1." + r(g, 67, LOWER + DIGITS + "-_"),
    "linear-api-key": lambda g: "lin_api_" + r(g, 40),
    "newrelic-user-key": lambda g: "NRAK-" + r(g, 27, UPPER + DIGITS),
    "notion-token": lambda g: "ntn_" + r(g, 11, DIGITS) + r(g, 35),
    "postman-api-key": lambda g: "PMAK-" + r(g, 24, HEX) + "-" + r(g, 34, HEX),
    "pulumi-token": lambda g: "pul-" + r(g, 40, HEX),
    "rubygems-token": lambda g: "rubygems_" + r(g, 48, HEX),
    "sentry-user-token": lambda g: "sntryu_" + r(g, 64, HEX),
    "square-access-token": lambda g: "EAAA" + r(g, 60, ALNUM + "_-"),
    "telegram-bot-token": lambda g: str(g.randint(100000000, 9999999999)) + ":AA" + r(g, 33, ALNUM + "_-"),
    "discord-webhook": lambda g: f"https://discord.com/api/webhooks/{r(g, 18, DIGITS)}/{r(g, 68, ALNUM + '_-')}",
    "age-secret-key": age_key,
    "alibaba-access-key": lambda g: "LTAI" + r(g, 20),
    "contentful-token": lambda g: "CFPAT-" + r(g, 43, ALNUM + "_-"),
    "docker-hub-pat": lambda g: "dckr_pat_" + r(g, 27, ALNUM + "_-"),
    "figma-token": lambda g: "figd_" + r(g, 40, ALNUM + "_-"),
    "groq-api-key": lambda g: "gsk_" + r(g, 52),
    "replicate-token": lambda g: "r8_" + r(g, 37),
    "perplexity-api-key": lambda g: "pplx-" + r(g, 48),
    "xai-api-key": lambda g: "xai-" + r(g, 80),
    "langsmith-key": lambda g: "lsv2_" + g.choice(["pt", "sk"]) + "_" + r(g, 32, HEX) + "_" + r(g, 10, HEX),
    "openrouter-key": lambda g: "sk-or-v1-" + r(g, 64, HEX),
    "nvidia-api-key": lambda g: "nvapi-" + r(g, 64, ALNUM + "_-"),
    "supabase-token": lambda g: "sbp_" + r(g, 40, HEX),
    "tailscale-key": lambda g: "tskey-" + g.choice(["auth", "api", "client"]) + "-k" + r(g, 10) + "CNTRL-" + r(g, 33),
    "planetscale-token": lambda g: "pscale_tkn_" + r(g, 43, ALNUM + "_"),
    "sonarqube-token": lambda g: g.choice(["squ_", "sqp_", "sqa_"]) + r(g, 40, HEX),
    "circleci-token": lambda g: "CCIPAT_" + r(g, 22) + "_" + r(g, 40, HEX),
    "buildkite-token": lambda g: "bkua_" + r(g, 40, HEX),
    "hubspot-token": lambda g: "pat-" + g.choice(["na1", "eu1"]) + "-" + uuid(g),
    "twitter-bearer-token": lambda g: "AAAAAAAAAAAAAAAAAAAAA" + r(g, 28) + "%3D" + r(g, 50),
    "resend-api-key": lambda g: "re_" + r(g, 8) + "_" + r(g, 24),
    "azure-storage-key": lambda g: r(g, 86, B64) + "==",
    "easypost-key": lambda g: "EZAK" + r(g, 54),
    "flutterwave-key": lambda g: "FLWSECK_TEST-" + r(g, 32, HEX) + "-X",
    "frameio-token": lambda g: "fio-u-" + r(g, 64, ALNUM + "_-"),
    "sourcegraph-token": lambda g: "sgp_" + r(g, 16, HEX) + "_" + r(g, 40, HEX),
    "prefect-key": lambda g: "pnu_" + r(g, 36),
    "readme-key": lambda g: "rdme_" + r(g, 70, LOWER + DIGITS),
    "brevo-key": lambda g: "xkeysib-" + r(g, 64, HEX) + "-" + r(g, 16),
    "airtable-pat": lambda g: "pat" + r(g, 14) + "." + r(g, 64, HEX),
    "jfrog-api-key": lambda g: "AKCp" + r(g, 69),
    "octopus-key": lambda g: "API-" + r(g, 26, UPPER + DIGITS),
    "scalingo-token": lambda g: "tk-us-" + r(g, 48, ALNUM + "_-"),
    "duffel-token": lambda g: "duffel_" + g.choice(["test", "live"]) + "_" + r(g, 43, ALNUM + "_-"),
    "infracost-key": lambda g: "ico-" + r(g, 32),
    "razorpay-key": lambda g: "rzp_live_" + r(g, 14),
    "plaid-token": lambda g: "access-production-" + uuid(g),
    "neon-key": lambda g: "napi_" + r(g, 64, LOWER + DIGITS),
    "render-key": lambda g: "rnd_" + r(g, 32),
    "netlify-token": lambda g: "nfp_" + r(g, 36),
    "tencent-secret-id": lambda g: "AKID" + r(g, 32),
    "scaleway-key": lambda g: "SCW" + r(g, 17, UPPER + DIGITS),
    "cerebras-key": lambda g: "csk-" + r(g, 48, LOWER + DIGITS),
    "fireworks-key": lambda g: "fw_" + r(g, 24),
    "tavily-key": lambda g: "tvly-" + r(g, 32),
    "pinecone-key": lambda g: "pcsk_" + r(g, 6) + "_" + r(g, 63),
    "clickup-token": lambda g: "pk_" + r(g, 8, DIGITS) + "_" + r(g, 32, UPPER + DIGITS),
    "elevenlabs-key": lambda g: "sk_" + r(g, 48, HEX),
    "deepl-key": lambda g: uuid(g) + ":fx",
    "mapbox-secret-token": lambda g: "sk.eyJ1Ijoi" + r(g, 60, ALNUM) + "." + r(g, 22, ALNUM + "_-"),
    "yandex-api-key": lambda g: "AQVN" + r(g, 36, ALNUM + "_-"),
    "salesforce-token": lambda g: "00D" + r(g, 12) + "!" + r(g, 96, ALNUM + "._"),
    "onepassword-secret-key": lambda g: "A3-" + "-".join(r(g, n, UPPER + DIGITS) for n in (6, 6, 5, 5, 5, 5)),
    "launchdarkly-key": lambda g: "api-" + uuid(g),
    "discord-bot-token": lambda g: (g.choice("MN") + r(g, 25) + "." + r(g, 6, ALNUM + "_-") + "."
                                    + r(g, 38, ALNUM + "_-")),
    "firebase-fcm-key": lambda g: "AAAA" + r(g, 7, ALNUM + "_-") + ":APA91b" + r(g, 134, ALNUM + "_-"),
    "msteams-webhook": lambda g: (f"https://acme.webhook.office.com/webhookb2/{uuid(g)}@{uuid(g)}/IncomingWebhook/"
                                  f"{r(g, 32, HEX)}/{uuid(g)}"),
    "braintree-token": lambda g: "access_token$production$" + r(g, 16, LOWER + DIGITS) + "$" + r(g, 32, HEX),
    "bedrock-api-key": lambda g: "ABSK" + r(g, 120, B64),
    "fly-token": lambda g: "fm2_" + r(g, 100, ALNUM + "_-"),
    "anthropic-key": lambda g: "sk-ant-" + r(g, 40, ALNUM + "_-"),
    "slack-app-token": lambda g: f"xapp-1-A{r(g, 10, UPPER + DIGITS)}-{r(g, 13, DIGITS)}-{r(g, 64, HEX)}",
    "testpypi-token": lambda g: "pypi-AgENdGVzdC5weXBpLm9yZw" + r(g, 120, ALNUM + "_-"),
    "bitbucket-app-password": lambda g: "ATBB" + r(g, 32) + r(g, 8, UPPER + DIGITS),
    "grafana-api-key": lambda g: "eyJrIjoi" + r(g, 90),
    "newrelic-browser-key": lambda g: "NRJS-" + r(g, 19, HEX),
    "square-oauth-secret": lambda g: "sq0csp-" + r(g, 43, ALNUM + "_-"),
    "azure-shared-access-key": lambda g: r(g, 43, B64) + "=",
    "azure-ad-client-secret": lambda g: r(g, 3, ALNUM) + str(g.randint(0, 9)) + "Q~" + r(g, 34, ALNUM + "_~.-"),
    "onepassword-service-token": lambda g: "ops_eyJ" + r(g, 300, B64),
    "adobe-client-secret": lambda g: "p8e-" + r(g, 32),
    "clojars-token": lambda g: "CLOJARS_" + r(g, 60, LOWER + DIGITS),
    "defined-networking-key": lambda g: "dnkey-" + r(g, 26, LOWER + DIGITS) + "-" + r(g, 52, LOWER + DIGITS),
    "harness-pat": lambda g: ("pat." + r(g, 22, ALNUM + "_-") + "." + r(g, 24, LOWER + DIGITS) + "."
                              + r(g, 20, LOWER + DIGITS)),
    "intra42-secret": lambda g: "s-s4t2ud-" + r(g, 64, HEX),
    "openshift-token": lambda g: "sha256~" + r(g, 43, ALNUM + "_-"),
    "typeform-token": lambda g: "tfp_" + r(g, 59, LOWER + DIGITS),
    "beamer-key": lambda g: "b_" + r(g, 44, LOWER + DIGITS),
    "settlemint-token": lambda g: "sm_pat_" + r(g, 16),
    "zoho-token": lambda g: "1000." + r(g, 32, HEX) + "." + r(g, 32, HEX),
    "voyage-key": lambda g: "pa-" + r(g, 43, ALNUM + "_-"),
    "deno-token": lambda g: "ddp_" + r(g, 36),
    "nuget-key": lambda g: "oy2" + r(g, 43, LOWER + DIGITS),
    "dropbox-token": lambda g: "sl.u." + r(g, 140, ALNUM + "_-"),
    "heroku-api-key": lambda g: "HRKU-AA" + r(g, 58, ALNUM + "_-"),
    "cloudflare-origin-ca-key": lambda g: "v1.0-" + r(g, 24, HEX) + "-" + r(g, 146, HEX),
    "azure-devops-pat": lambda g: r(g, 52) + "AZDO" + r(g, 4),
    "datadog-api-key": lambda g: r(g, 32, HEX),
    "heroku-legacy-key": uuid,
    "cloudflare-api-token": lambda g: r(g, 40, ALNUM + "_-"),
    "okta-api-token": lambda g: "00" + r(g, 40, ALNUM + "_-"),
    "snyk-token": uuid,
    "algolia-api-key": lambda g: r(g, 32, HEX),
    "azure-openai-key": lambda g: r(g, 32, HEX),
    "mistral-api-key": lambda g: r(g, 32),
    "cohere-api-key": lambda g: r(g, 40),
    "vercel-token": lambda g: r(g, 24),
    "wandb-api-key": lambda g: r(g, 40, HEX),
    "hetzner-token": lambda g: r(g, 64),
    "linode-token": lambda g: r(g, 64, HEX),
    "pagerduty-key": lambda g: "u+" + r(g, 18, ALNUM + "_-"),
    "sentry-dsn": lambda g: r(g, 32, HEX),
    "asana-pat": lambda g: f"2/{r(g, 16, DIGITS)}/{r(g, 16, DIGITS)}:{r(g, 32, HEX)}",
    # --- shapes without a provider prefix ---
    "jwt": jwt,
    "private-key": pem,
    "basic-auth": basic_auth,
    "bearer-opaque": lambda g: r(g, 40, ALNUM + "_-"),
    "aws-secret-key": lambda g: r(g, 40, ALNUM + "/+"),
    "password-generated": password,
    "password-human": human_password,
    "django-secret-key": lambda g: r(g, 50, LOWER + DIGITS + "!@#$%^&*(-_=+)"),
    "hex-secret-32": lambda g: r(g, 32, HEX),
    "hex-secret-64": lambda g: r(g, 64, HEX),
    "twilio-auth-token": lambda g: r(g, 32, HEX),
    "base64-secret": lambda g: base64.b64encode(bytes(g.randrange(256) for _ in range(32))).decode(),
    "pin": lambda g: str(g.randint(1000, 999999)),
}

# Kinds whose value only a neighbouring name identifies: the name people give the variable holding it.
NAMES: dict[str, tuple[str, ...]] = {
    "twilio-auth-token": ("TWILIO_AUTH_TOKEN", "twilio_auth_token"),
    "datadog-api-key": ("DD_API_KEY", "DATADOG_API_KEY"),
    "heroku-legacy-key": ("HEROKU_API_KEY",),
    "cloudflare-api-token": ("CLOUDFLARE_API_TOKEN", "CF_API_TOKEN"),
    "okta-api-token": ("OKTA_API_TOKEN", "okta_token"),
    "snyk-token": ("SNYK_TOKEN",),
    "algolia-api-key": ("ALGOLIA_ADMIN_KEY", "algolia_api_key"),
    "azure-openai-key": ("AZURE_OPENAI_API_KEY",),
    "mistral-api-key": ("MISTRAL_API_KEY",),
    "cohere-api-key": ("COHERE_API_KEY", "CO_API_KEY"),
    "vercel-token": ("VERCEL_TOKEN",),
    "wandb-api-key": ("WANDB_API_KEY",),
    "hetzner-token": ("HCLOUD_TOKEN",),
    "linode-token": ("LINODE_TOKEN", "LINODE_CLI_TOKEN"),
    "pagerduty-key": ("PAGERDUTY_TOKEN",),
    "aws-secret-key": ("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
}
