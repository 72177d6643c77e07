"""Secrets through `govproxy scan`, one test per kind family (issue 17): provider tokens, context secrets in every
assignment syntax, English and German prose, headers and tool syntaxes, whole JWTs and URL passwords, keyword-free
random tokens and the look-alikes that are not secrets, and URL precision. Values are invented; shapes are real."""

from __future__ import annotations

import base64
import json
import random
import zlib

from proxy.detection.secret_spans import SECRET_TYPES
from proxy.detection.secrets.validators import base62
from tests.harness import REPO, base_env, cli

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
rng = random.Random(17)


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def scan(text: str, language: str = "en") -> list[dict[str, object]]:
    out = cli("scan", "-", "--format", "json", "--language", language,
              env=base_env(GOVPROXY_POLICIES_DIR=str(REPO / "policies")), input=text).stdout
    [record] = json.loads(out)
    return record["findings"]


def secrets(text: str, language: str = "en") -> dict[str, str]:
    """Secret findings as {covered text: entity type}."""
    return {text[f["start"]:f["end"]]: f["entity_type"] for f in scan(text, language)
            if f["entity_type"] in SECRET_TYPES}


def test_provider_tokens_from_the_catalogue_with_their_types() -> None:
    body = rand(30)
    github = f"ghp_{body}{base62(zlib.crc32(body.encode()))}"
    tokens = {
        "sk-proj-" + rand(40) + "T3BlbkFJ" + rand(40): "OPENAI_API_KEY",
        "sk-ant-api03-" + rand(93, ALNUM + "_-") + "AA": "ANTHROPIC_API_KEY",
        github: "GITHUB_TOKEN",
        "xoxb-" + rand(12, "0123456789") + "-" + rand(13, "0123456789") + "-" + rand(24): "SLACK_TOKEN",
        "sk_live_" + rand(24): "STRIPE_KEY",
        "SK" + rand(32, "0123456789abcdef"): "API_TOKEN",  # Twilio API key
        "SG." + rand(22) + "." + rand(43): "API_TOKEN",  # SendGrid
        "hf_" + rand(34, ALNUM[:52]): "API_TOKEN",  # Hugging Face
        "npm_" + rand(36): "API_TOKEN",
        "dop_v1_" + rand(64, "0123456789abcdef"): "API_TOKEN",  # DigitalOcean
        "glpat-" + rand(20): "GITLAB_TOKEN",
    }
    text = "\n".join(f"token number {i}: {t}" for i, t in enumerate(tokens))
    findings = scan(text)
    assert {text[f["start"]:f["end"]]: f["entity_type"] for f in findings if f["entity_type"] in SECRET_TYPES} \
        == tokens
    assert any(f["recognizer"] == "SecretCatalogue:github-pat" and f["score"] == 1.0 for f in findings)  # CRC32


def test_twilio_key_and_its_secret_in_a_client_call() -> None:
    key, secret = "SK" + rand(32, "0123456789abcdef"), rand(32)
    assert set(secrets(f'client = Client("{key}", "{secret}")')) == {key, secret}


def test_context_secrets_in_every_assignment_syntax() -> None:
    pw = ["Xk7#pL9$qR2m" + str(i) for i in range(14)]
    text = (f"DB_PASSWORD={pw[0]}\n"  # .env
            f"[database]\npassword = {pw[1]}\n"  # INI
            f"smtp:\n  password: '{pw[2]}'\n"  # YAML
            f'{{"clientSecret": "{pw[3]}"}}\n'  # JSON
            f'api_token = "{pw[4]}"\n'  # TOML
            f"spring.datasource.password={pw[5]}\n"  # properties
            f'<add key="Smtp" password="{pw[6]}" />\n'  # XML attribute
            f"<password>{pw[7]}</password>\n"  # XML element
            f"export GITHUB_ACCESS_TOKEN={pw[8]}\n"  # shell
            f"./migrate --password {pw[9]} --token={pw[10]}\n"  # CLI flags
            f"Server=sql01;Database=crm;User Id=sa;Password={pw[11]};Encrypt=True\n"  # ADO.NET
            f"jdbc:mysql://db01:3306/shop?user=shop&password={pw[12]}&useSSL=false\n"  # JDBC
            f'conn.setPassword("{pw[13]}");\n')  # Java setter
    found = secrets(text)
    assert sorted(found) == sorted(pw), found


def test_urls_with_passwords_end_at_the_last_at_sign() -> None:
    text = ("postgresql://app:jMOH#fJQ@tx%iV?C5@db:5432/x\n"
            "REDIS_URL=redis://:p%2Bass@redis-master:6379\n"
            "mongodb+srv://svc:Q7m!x2Lp@cluster0.ab1cd.mongodb.net/app\n"
            "amqp://guest2:R4bb1t-Pw@mq.internal:5672/\nsmtp://mailer:M4il%40Pw@smtp.acme.io:587")
    assert secrets(text) == {p: "URL_PASSWORD" for p in
                             ("jMOH#fJQ@tx%iV?C5", "p%2Bass", "Q7m!x2Lp", "R4bb1t-Pw", "M4il%40Pw")}


def test_passwords_in_english_and_german_prose() -> None:
    en = "Temp password set to H4tApSFy3PS#&p_Y for the new account."
    assert "H4tApSFy3PS#&p_Y" in secrets(en)
    de = ("Temporäres Passwort gesetzt: Xq7!mP2#zL9w\ndas WLAN-Passwort ist Bayern#München1900\n"
          "Passwort XN@81T6-zId4/PhmB: bitte ändern. Die PIN ist 4711.\nZugangsdaten: admin / Geheim#2024x")
    found = secrets(de, "de")
    for value in ("Xq7!mP2#zL9w", "Bayern#München1900", "4711", "Geheim#2024x"):
        assert value in found, (value, found)
    assert any(v.startswith("XN@81T6-zId4/PhmB") for v in found)  # one finding, the colon after it may go with it


def test_headers_and_tool_syntaxes() -> None:
    bearer, basic, tok = rand(40, ALNUM + "_-"), base64.b64encode(b"svc-sync:H4tApSFy3PS#").decode(), rand(32)
    ya29 = "ya29." + rand(100, ALNUM + "_-")
    docker_auth = base64.b64encode(b"deploy:Zq8#mL2pXw").decode()
    k8s_value = base64.b64encode(b"Sup3r-S3cret!").decode()
    text = (f'curl -H "Authorization: Bearer {bearer}" https://api.acme.io/v1/things\n'
            f'curl -H "Authorization: Basic {basic}" https://jira.acme.io\n'
            f"Authorization: Token {tok}\ncurl -H 'Authorization: Bearer {ya29}' https://www.googleapis.com\n"
            '$pw = ConvertTo-SecureString "JD%9F6lCN9##Cimb?Nq" -AsPlainText -Force\n'
            f'{{"auths": {{"registry.acme.io": {{"auth": "{docker_auth}"}}}}}}\n'
            "machine git.acme.io login ci password N3tRc!pw77\n"
            "db01.internal:5432:billing:billing_rw:Pg#Pass2024\n"
            "mysql -h db01 -u root -pMy5ql!Root shop\n"
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  password: {k8s_value}\n")
    found = secrets(text)
    for value in (bearer, basic, tok, ya29, "JD%9F6lCN9##Cimb?Nq", docker_auth, "N3tRc!pw77", "Pg#Pass2024",
                  "My5ql!Root", k8s_value):
        assert value in found, (value, found)
    assert "ConvertTo-SecureString" not in found


def test_a_jwt_is_one_finding_from_header_to_signature_whatever_is_inside() -> None:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    header = part({"alg": "RS256", "typ": "JWT", "kid": "k1"})
    payload = part({"iss": "https://login.acme-intern.de/realms/prod", "sub": "943 476 5919",
                    "name": "Margaret Thornton", "email": "m.thornton@example.org"})
    token = f"{header}.{payload}.{rand(86, ALNUM + '_-')}"
    findings = scan(f"Authorization: Bearer {token}\nwhy 401?")
    text = f"Authorization: Bearer {token}\nwhy 401?"
    inside = [f for f in findings if f["start"] < text.index(token) + len(token) and f["end"] > text.index(token)]
    assert [(text[f["start"]:f["end"]], f["entity_type"]) for f in inside] == [(token, "JWT")]
    truncated = f"{header}.eyJzdWIiOiJhZG1pbiIsIm5hbWUiOiJK.{rand(43, ALNUM + '_-')}"  # payload cut short
    assert secrets(f"token {truncated} fails") == {truncated: "JWT"}


def test_django_secret_key_with_brackets_and_percent_signs() -> None:
    key = "0y%+opu3)(x=4k!b#v@z1w7&q^s$m2n(e8-r_t)y9"
    assert secrets(f"SECRET_KEY = '{key}'\nDEBUG = False") == {key: "GENERIC_SECRET"}


def test_random_strings_without_a_name_are_secrets_and_look_alikes_are_not() -> None:
    token = "Kq2" + rand(37, ALNUM + "/+")
    assert secrets(f"use {token} for the upload") == {token: "HIGH_ENTROPY_TOKEN"}
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(60))).decode()
    look_alikes = (
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 on request 550e8400-e29b-41d4-a716-446655440000\n"
        f'"integrity": "sha512-{rand(86, ALNUM + "+/")}=="\n'
        f"--hash=sha256:{rand(64, '0123456789abcdef')}\n"
        f'background: url("data:image/png;base64,{png}"); color: #1a2b3c;\n'
        "version 3.12.4-rc.1+build.77\n"
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "OPENAI_API_KEY=sk-...\napi_key: <your-key>\ntoken: xxxxxxxxxxxxxxxx\nDB_PASSWORD=changeme\n"
        'SECRET_NAME = "prod/billing/db"\npw = getpass.getpass("Password: ")\nkey = os.environ["API_KEY"]\n'
        f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rand(43, ALNUM + '+/')} jana@laptop\n")
    assert secrets(look_alikes) == {}


def test_urls_are_reported_only_when_they_carry_credentials_or_are_a_home_page() -> None:
    text = ("Run ./deploy.sh, push to ghcr.io/acme/api and registry.gitlab.com/acme/web, docs at "
            "https://docs.python.org/3/library/secrets.html, staging https://api.staging.acme.io:8443/v1/health.\n"
            "Signed: https://acme.blob.core.windows.net/c/f.pdf?sv=2022-11-02&sig=Qx7Lq9fK2mZw4%3D and "
            "my site https://www.jana-krueger.de/")
    findings = scan(text)
    urls = [text[f["start"]:f["end"]] for f in findings if f["entity_type"] == "URL"]
    # The signature is a secret of its own; the URL keeps the rest of itself.
    assert urls == ["https://acme.blob.core.windows.net/c/f.pdf?sv=2022-11-02&sig=", "https://www.jana-krueger.de/"]
    assert [text[f["start"]:f["end"]] for f in findings if f["entity_type"] in SECRET_TYPES] == ["Qx7Lq9fK2mZw4%3D"]


def test_scan_output_never_holds_the_values() -> None:
    pw = "Xk7#pL9$qR2m"
    out = cli("scan", "-", env=base_env(GOVPROXY_POLICIES_DIR=str(REPO / "policies")),
              input=f"DB_PASSWORD={pw}\n").stdout
    assert "GENERIC_SECRET" in out and pw not in out
