"""Development templates: the surroundings rules were tuned on. (The held-out ones live in templates_heldout.py.)

Each template writes one document around its secrets. `ASSIGN` templates take any kind (every kind has a variable
name), `BARE` ones only kinds whose format identifies them, `PASSWORD`, `HEADER` and `PEM` ones their own kinds.
"""

from __future__ import annotations

import base64
import random

from bench.secrets_corpus.build import Doc, Secret

EN, DE = "en", "de"


def env_file(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("Why does my app crash on start? Here is my .env:\n\n", "NODE_ENV=production\nPORT=8080\n")
    for s in ss:
        q = g.choice(["", '"', "'"])
        d.add(f"{s.name}={q}").secret(s.value, s.kind).add(f"{q}\n")
    d.add("LOG_LEVEL=debug\n\nThe error is `TypeError: Cannot read properties of undefined (reading 'split')`.")
    return EN


def yaml_config(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("Kannst du mir sagen, warum die Config nicht geladen wird?\n\n```yaml\nservice:\n  name: billing\n"
          "  replicas: 3\ncredentials:\n")
    for s in ss:
        d.add(f"  {s.name.lower()}: ").secret(s.value, s.kind).add("\n")
    d.add("```\nFehler: `yaml.scanner.ScannerError: mapping values are not allowed here`")
    return DE


def json_config(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add('My appsettings.json:\n{\n  "Logging": {"LogLevel": {"Default": "Warning"}},\n')
    for s in ss:
        d.add(f'  "{s.name}": "').secret(s.value, s.kind).add('",\n')
    d.add('  "AllowedHosts": "*"\n}\nWhy is the value null at runtime?')
    return EN


def python_code(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("import os\nimport requests\n\n")
    for s in ss:
        d.add(f"{s.name.upper()} = \"").secret(s.value, s.kind).add('"  # TODO move to vault\n')
    d.add("\ndef fetch(url):\n    r = requests.get(url, timeout=10)\n    r.raise_for_status()\n    return r.json()\n\n"
          "this raises 401 Unauthorized, what is wrong?")
    return EN


def shell_export(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("$ cd ~/deploy && source venv/bin/activate\n")
    for s in ss:
        d.add(f"$ export {s.name.upper()}=").secret(s.value, s.kind).add("\n")
    d.add("$ ./deploy.sh --env staging\nError: permission denied (publickey)\nwas mache ich falsch?")
    return DE


def chat_bare(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add(g.choice(["hey, quick question: ", "Moin! ", "Hi, "]))
    for s in ss:
        d.add(g.choice(["I tried the key ", "ich habe den Schlüssel ", "using "])).secret(s.value, s.kind)
        d.add(g.choice([" and it says unauthorized. ", " aber es kommt 403. ", " - still failing. "]))
    d.add("Any idea?")
    return EN


def stack_trace(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("Traceback (most recent call last):\n  File \"/app/main.py\", line 42, in <module>\n    client.connect()\n")
    for s in ss:
        d.add("  File \"/app/client.py\", line 17, in connect\n    raise AuthError(f\"invalid credential {key}\")\n"
              "AuthError: invalid credential ").secret(s.value, s.kind).add("\n")
    d.add("\nHow do I fix this?")
    return EN


def ci_log(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("2026-11-03T10:14:22.118Z ##[group]Run ./scripts/publish.sh\n")
    for s in ss:
        d.add("2026-11-03T10:14:22.301Z + curl -sf -X POST https://api.internal.example/v2/publish -d token=")
        d.secret(s.value, s.kind).add("\n")
    d.add("2026-11-03T10:14:23.004Z curl: (22) The requested URL returned error: 401\n##[error]Process completed "
          "with exit code 22.\nWhy 401? The token is fresh.")
    return EN


def conn_strings(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("We have these connection strings in the old app:\n")
    for s in ss:
        pw = s.value
        style = g.randrange(4)
        if style == 0:
            d.add("Server=sql01.corp.local;Database=crm;User Id=crm_app;Password=").secret(pw, "ado-net-password")
            d.add(";TrustServerCertificate=True\n")
        elif style == 1:
            d.add("jdbc:mysql://db01:3306/shop?user=shop&password=").secret(pw, "jdbc-password")
            d.add("&useSSL=false\n")
        elif style == 2:
            scheme = g.choice(["postgresql", "mysql", "mongodb+srv", "amqp", "smtp"])
            d.add(f"{scheme}://svc_app:").secret(pw, "url-password").add("@db-primary.internal:5432/app\n")
        else:
            d.add("REDIS_URL=redis://:").secret(pw, "url-password").add("@redis-master:6379/0\n")
    d.add("Is it ok to migrate them to Key Vault?")
    return EN


def prose_password(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        phrase = g.choice([("Temp password set to ", EN), ("The new password is ", EN),
                           ("Temporäres Passwort gesetzt: ", DE), ("Das WLAN-Passwort ist ", DE),
                           ("Passwort ", DE), ("Kennwort lautet ", DE), ("password for the vpn: ", EN)])
        d.add(phrase[0]).secret(s.value, s.kind).add(g.choice([" - bitte ändern!\n", "\n", " (change it please)\n"]))
    d.add("Can you write a polite mail to the user with this info?")
    return DE if "Passwort" in "".join(d.parts) else EN


def cli_flags(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        style = g.randrange(5)
        if style == 0:
            d.add("$ mysql -h db01 -u root -p").secret(s.value, "cli-password").add(" shop\n")
        elif style == 1:
            d.add("$ psql --host=db01 --username=app --password=").secret(s.value, "cli-password").add("\n")
        elif style == 2:
            d.add("$ docker login registry.acme.io -u deploy -p ").secret(s.value, "cli-password").add("\n")
        elif style == 3:
            d.add('$pw = ConvertTo-SecureString "').secret(s.value, "powershell-password")
            d.add('" -AsPlainText -Force\n')
        else:
            d.add("$ sshpass -p '").secret(s.value, "cli-password").add("' ssh admin@10.0.4.12\n")
    d.add("bash: command not found?? what am I missing")
    return EN


def k8s_secret(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secrets\n  namespace: prod\ntype: Opaque\ndata:\n")
    for i, s in enumerate(ss):
        d.add(f"  key{i}: ").secret(base64.b64encode(s.value.encode()).decode(), "k8s-secret-data").add("\n")
    d.add("---\nthe pod says CreateContainerConfigError, why?")
    return EN


def netrc_pgpass(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        if g.random() < 0.5:
            d.add("~/.netrc:\nmachine git.acme.io login ci-bot password ").secret(s.value, "netrc-password")
            d.add("\n")
        else:
            d.add("~/.pgpass:\ndb01.internal:5432:billing:billing_rw:").secret(s.value, "pgpass-password").add("\n")
    d.add("Permissions are 0600. Still asked for a password, warum?")
    return EN


def headers(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        if s.kind == "basic-auth":
            d.add('curl -H "Authorization: Basic ').secret(s.value, s.kind).add('" https://jira.acme.io/rest/api/2\n')
        else:
            d.add('curl -s -H "Authorization: Bearer ').secret(s.value, s.kind)
            d.add('" https://api.acme.io/v1/orders | jq .\n')
    d.add("returns 401 since this morning, any idea?")
    return EN


def pem_paste(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("ssh complains 'invalid format' for this key, is it broken?\n\n")
    for s in ss:
        d.secret(s.value, s.kind).add("\n")
    return EN


def django_settings(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("# settings.py\nimport os\nBASE_DIR = Path(__file__).resolve().parent.parent\n")
    for s in ss:
        d.add("SECRET_KEY = '").secret(s.value, s.kind).add("'\n")
    d.add("DEBUG = False\nALLOWED_HOSTS = ['*']\n\nDjango says ImproperlyConfigured, warum?")
    return EN


def docker_auths(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add('~/.docker/config.json:\n{\n  "auths": {\n')
    for s in ss:
        auth = base64.b64encode(f"deploy:{s.value}".encode()).decode()
        d.add('    "registry.acme.io": {\n      "auth": "').secret(auth, "docker-auth").add('"\n    },\n')
    d.add('  }\n}\npull still fails with "unauthorized: authentication required"')
    return EN


def pin_prose(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        d.add(g.choice(["Die PIN ist ", "PIN: ", "my SIM PIN is "])).secret(s.value, s.kind).add(". ")
    d.add("Bitte nicht weitergeben.")
    return DE


ASSIGN = (env_file, yaml_config, json_config, python_code, shell_export)
BARE = (chat_bare, stack_trace, ci_log)
PASSWORD = (conn_strings, prose_password, cli_flags, k8s_secret, netrc_pgpass, docker_auths)
HEADER = (headers,)
PEM = (pem_paste,)
DJANGO = (django_settings,)
PIN = (pin_prose,)

