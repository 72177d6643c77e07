"""Held-out templates: surroundings written once and never used to tune rules (see README of bench/secrets_quality).

Same families as templates_dev.py (ASSIGN, BARE, PASSWORD, HEADER, PEM, DJANGO, PIN), different file types,
languages and phrasings.
"""

from __future__ import annotations

import base64
import random

from bench.secrets_corpus.build import Doc, Secret

EN, DE = "en", "de"


def toml_config(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("# config.toml\n[server]\nhost = \"0.0.0.0\"\nport = 9000\n\n[integrations]\n")
    for s in ss:
        d.add(f"{s.name.lower()} = \"").secret(s.value, s.kind).add("\"\n")
    d.add("\ntoml.decoder.TomlDecodeError: Invalid value (line 9 column 1). Was ist falsch?")
    return DE


def java_properties(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("# application.properties\nspring.datasource.url=jdbc:postgresql://db:5432/orders\n")
    for s in ss:
        d.add(f"app.{s.name.lower().replace('_', '.')}=").secret(s.value, s.kind).add("\n")
    d.add("spring.jpa.hibernate.ddl-auto=validate\n\nSpring Boot fails with 'Could not resolve placeholder'.")
    return EN


def github_actions(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("name: release\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n")
    for s in ss:
        d.add(f"      {s.name.upper()}: ").secret(s.value, s.kind).add("\n")
    d.add("    steps:\n      - uses: actions/checkout@v4\n      - run: make release\n"
          "I know I should use secrets.*, just need this to work today. Why does the job not see the value?")
    return EN


def csharp_code(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("public static class Config\n{\n")
    for s in ss:
        field = "".join(p.title() for p in s.name.lower().split("_"))
        d.add(f"    public const string {field} = \"").secret(s.value, s.kind).add("\";\n")
    d.add("}\n// HttpRequestException: Response status code does not indicate success: 403 (Forbidden).")
    return EN


def docker_compose(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("services:\n  worker:\n    image: acme/worker:2.3\n    environment:\n")
    for s in ss:
        d.add(f"      - {s.name.upper()}=").secret(s.value, s.kind).add("\n")
    d.add("    depends_on: [redis]\n\nder Container startet, aber die Jobs schlagen fehl. Hast du eine Idee?")
    return DE


def slack_chat(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        d.add(g.choice(["[10:02] jana: kannst du mal schauen, der Key ", "[10:02] tom: prod key is ",
                        "[10:03] ops-bot: rotated credential -> "])).secret(s.value, s.kind)
        d.add(g.choice([" geht nicht mehr\n", "\n", " (expires in 90d)\n"]))
    d.add("[10:05] alex: pls don't paste keys in here 🙈")
    return DE


def http_dump(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        d.add("> POST /v1/messages HTTP/1.1\n> Host: api.vendor.com\n> X-Api-Key: ").secret(s.value, s.kind)
        d.add("\n> Content-Type: application/json\n>\n< HTTP/1.1 429 Too Many Requests\n")
    d.add("how do I add retries with backoff?")
    return EN


def misc_credentials(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        style = g.randrange(6)
        if style == 0:
            d.add("git remote set-url origin https://ci-bot:").secret(s.value, "url-password")
            d.add("@github.com/acme/platform.git\n")
        elif style == 1:
            d.add("[global]\nindex-url = https://pypi-user:").secret(s.value, "url-password")
            d.add("@nexus.acme.io/repository/pypi/simple\n")
        elif style == 2:
            d.add("ldapsearch -x -H ldaps://ldap.acme.io -D \"cn=admin,dc=acme,dc=io\" -w ")
            d.add("'").secret(s.value, "cli-password").add("' \"(uid=jdoe)\"\n")
        elif style == 3:
            d.add("redis-cli -h cache.internal -a '").secret(s.value, "cli-password").add("' ping\n")
        elif style == 4:
            d.add("[Service]\nEnvironment=\"DB_PASSWORD=").secret(s.value, "systemd-password").add("\"\n")
        else:
            d.add("<add name=\"Main\" connectionString=\"Data Source=sql02;Initial Catalog=erp;User ID=erp;"
                  "Password=").secret(s.value, "ado-net-password").add(";\" />\n")
    d.add("Which of these should move to a secret store first?")
    return EN


def prose_password(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    lang = EN
    for s in ss:
        phrase, lang = g.choice([("the router login is admin / ", EN), ("use ", EN), ("Neues Kennwort: ", DE),
                                 ("Passwort für das Admin-Konto lautet: ", DE), ("pwd is ", EN),
                                 ("Ihr Initialpasswort: ", DE)])
        d.add(phrase).secret(s.value, s.kind)
        d.add(" as password.\n" if phrase == "use " else g.choice(["\n", " - bitte beim ersten Login ändern.\n"]))
    d.add("Formulier das bitte freundlicher für die Mail an den Kunden.")
    return lang


def k8s_string_data(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("kubectl apply -f - <<EOF\napiVersion: v1\nkind: Secret\nmetadata:\n  name: smtp\nstringData:\n")
    for i, s in enumerate(ss):
        d.add(f"  password{i}: \"").secret(s.value, "k8s-secret-data").add("\"\n")
    d.add("EOF\nerror: error validating data, was ist da kaputt?")
    return DE


def docker_json_auths(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("[default]\nregion = eu-central-1\n")
    for s in ss:
        auth = base64.b64encode(f"robot$ci:{s.value}".encode()).decode()
        d.add('{"auths":{"harbor.acme.io":{"auth":"').secret(auth, "docker-auth").add('"}}}\n')
    d.add("docker says 'no basic auth credentials'.")
    return EN


def raw_headers(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        if s.kind == "basic-auth":
            d.add("requests.get(url, headers={\"Authorization\": \"Basic ").secret(s.value, s.kind).add("\"})\n")
        else:
            d.add("GET /api/v2/me HTTP/1.1\nHost: graph.acme.io\nAuthorization: Bearer ").secret(s.value, s.kind)
            d.add("\nAccept: */*\n\n")
    d.add("Bekomme immer 401 zurück. Liegt es am Header?")
    return DE


def pem_in_yaml(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("tls:\n  enabled: true\n  key: |\n")
    for s in ss:
        d.secret(s.value, s.kind).add("\n")
    d.add("  cert: /etc/tls/tls.crt\nnginx: [emerg] PEM_read_bio_PrivateKey() failed")
    return EN


def flask_config(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("class ProdConfig(Config):\n")
    for s in ss:
        d.add("    SECRET_KEY = \"").secret(s.value, s.kind).add("\"\n")
    d.add("    SESSION_COOKIE_SECURE = True\n\nsessions are lost after every deploy, why?")
    return EN


def pin_chat(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        d.add(g.choice(["Kartensperre aufgehoben, neue PIN ", "the door code / PIN is ", "PIN lautet "]))
        d.secret(s.value, s.kind).add("\n")
    d.add("Danke!")
    return DE


ASSIGN = (toml_config, java_properties, github_actions, csharp_code, docker_compose)
BARE = (slack_chat, http_dump)
PASSWORD = (misc_credentials, prose_password, k8s_string_data, docker_json_auths)
HEADER = (raw_headers,)
PEM = (pem_in_yaml,)
DJANGO = (flask_config,)
PIN = (pin_chat,)
