"""Fresh held-out templates (the third split, `fresh`): written after the first held-out split had been run and its
false positives counted by type, so that one split stays unread while rules change. Same families, new
surroundings."""

from __future__ import annotations

import base64
import random

from bench.secrets_corpus.build import Doc, Secret

EN, DE = "en", "de"


def ansible_vars(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("# group_vars/prod.yml\nansible_user: deploy\nnginx_worker_processes: auto\n")
    for s in ss:
        d.add(f"vault_{s.name.lower()}: \"").secret(s.value, s.kind).add("\"\n")
    d.add("\nansible-playbook says 'undefined variable', obwohl sie da steht. Warum?")
    return DE


def ruby_code(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("require 'net/http'\n\nclass Client\n")
    for s in ss:
        d.add(f"  {s.name.upper()} = '").secret(s.value, s.kind).add("'.freeze\n")
    d.add("end\n# => Net::HTTPUnauthorized, what's wrong with the header?")
    return EN


def terraform_vars(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("# terraform.tfvars\nregion = \"eu-central-1\"\ninstance_type = \"t3.medium\"\n")
    for s in ss:
        d.add(f"{s.name.lower()} = \"").secret(s.value, s.kind).add("\"\n")
    d.add("\nterraform plan shows the values in clear text, how do I mark them sensitive?")
    return EN


def go_code(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("package main\n\nfunc main() {\n")
    for s in ss:
        var = "".join(p.title() for p in s.name.lower().split("_"))
        d.add(f"\t{var[0].lower() + var[1:]} := \"").secret(s.value, s.kind).add("\"\n")
    d.add("\tlog.Fatal(run())\n}\n// panic: 401 from upstream")
    return EN


def npmrc_and_env(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("Meine .npmrc und .env.local:\n")
    for s in ss:
        d.add(f"{s.name.upper()}=").secret(s.value, s.kind).add("\n")
    d.add("npm ERR! code E401 - Unable to authenticate. Woran liegt's?")
    return DE


def email_thread(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("From: it-support@acme.de\nSubject: Re: Zugang API\n\nHallo Frau Berg,\n\n")
    for s in ss:
        d.add("anbei der neue Schlüssel: ").secret(s.value, s.kind).add("\n")
    d.add("\nViele Grüße\nIT-Support\n\nKannst du die Mail kürzer formulieren?")
    return DE


def pytest_failure(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("E   AssertionError: expected 200, got 401\nE   request headers:\n")
    for s in ss:
        d.add("E     x-auth: ").secret(s.value, s.kind).add("\n")
    d.add("FAILED tests/test_api.py::test_list_orders - AssertionError\nwhy does only CI fail?")
    return EN


def ops_passwords(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        style = g.randrange(5)
        if style == 0:
            d.add("Das root-Passwort für den NAS lautet ").secret(s.value, "password-prose").add(", bitte notieren.\n")
        elif style == 1:
            d.add("mysqldump -u backup --password='").secret(s.value, "cli-password").add("' erp > erp.sql\n")
        elif style == 2:
            d.add("ftp://backup:").secret(s.value, "url-password").add("@nas.local/share\n")
        elif style == 3:
            d.add("appsettings: \"ConnectionStrings\": {\"Db\": \"Host=pg;Username=app;Password=")
            d.secret(s.value, "ado-net-password").add(";Database=shop\"}\n")
        else:
            d.add("New credentials for the staging DB - user: stg_app, password: ").secret(s.value, "password-prose")
            d.add("\n")
    d.add("Where should this go in our wiki?")
    return DE if "Passwort" in "".join(d.parts) else EN


def helm_secret(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("helm upgrade api ./chart --set image.tag=1.9.2 \\\n")
    for s in ss:
        d.add("  --set-string db.password=").secret(s.value, "cli-password").add(" \\\n")
    d.add("  --namespace prod\nError: UPGRADE FAILED: timed out waiting for the condition")
    return EN


def k8s_json_secret(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add('kubectl get secret api -o json\n{\n  "apiVersion": "v1",\n  "data": {\n')
    for i, s in enumerate(ss):
        d.add(f'    "token{i}": "').secret(base64.b64encode(s.value.encode()).decode(), "k8s-secret-data")
        d.add('",\n')
    d.add('  },\n  "kind": "Secret",\n  "type": "Opaque"\n}\nhow do I decode these?')
    return EN


def fetch_call(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        scheme = "Basic" if s.kind == "basic-auth" else "Bearer"
        d.add(f"const res = await fetch(url, {{ headers: {{ Authorization: '{scheme} ").secret(s.value, s.kind)
        d.add("' } });\n")
    d.add("// TypeError: Failed to fetch (CORS?)")
    return EN


def key_file(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    d.add("cat ~/.ssh/id_deploy\n")
    for s in ss:
        d.secret(s.value, s.kind).add("\n")
    d.add("Permissions 0644 for '/home/ci/.ssh/id_deploy' are too open.")
    return EN


def rails_secret(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        d.add("production:\n  secret_key_base: ").secret(s.value, s.kind).add("\n")
    d.add("Rails says ArgumentError: Missing secret_key_base for 'production' environment")
    return EN


def pin_mail(d: Doc, g: random.Random, ss: list[Secret]) -> str:
    for s in ss:
        d.add(g.choice(["Ihre neue PIN: ", "Alarmanlage PIN ", "PIN für das Diensthandy: "])).secret(s.value, s.kind)
        d.add("\n")
    d.add("Schreib das bitte als Notiz um.")
    return DE


ASSIGN = (ansible_vars, ruby_code, terraform_vars, go_code, npmrc_and_env)
BARE = (email_thread, pytest_failure)
PASSWORD = (ops_passwords, helm_secret, k8s_json_secret)
HEADER = (fetch_call,)
PEM = (key_file,)
DJANGO = (rails_secret,)
PIN = (pin_mail,)
