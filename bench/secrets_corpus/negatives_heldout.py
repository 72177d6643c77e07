"""Held-out negatives: look-alikes in surroundings written once and never tuned on."""

from __future__ import annotations

import base64
import random

from bench.secrets_corpus.build import Doc
from bench.secrets_corpus.tokens import ALNUM, B64, B64URL, HEX, r, uuid

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def cargo_lock(d: Doc, g: random.Random) -> None:
    for name in ("serde", "tokio", "anyhow"):
        d.add(f"[[package]]\nname = \"{name}\"\nversion = \"1.{g.randint(0, 40)}.{g.randint(0, 9)}\"\n"
              f"source = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{r(g, 64, HEX)}\"\n\n")
    d.add("cargo build says the checksum changed - ist das ein Angriff?")


def yarn_nix(d: Doc, g: random.Random) -> None:
    d.add(f"\"@babel/core@^7.24.0\":\n  version \"7.24.4\"\n  resolved \"https://registry.yarnpkg.com/@babel/core/-/"
          f"core-7.24.4.tgz#{r(g, 40, HEX)}\"\n  integrity sha512-{r(g, 86, B64)}==\n\n"
          f"fetchFromGitHub {{ owner = \"acme\"; repo = \"tool\"; rev = \"{r(g, 40, HEX)}\"; "
          f"hash = \"sha256-{r(g, 43, B64)}=\"; }}\nnix-build complains about a hash mismatch")


def azure_resources(d: Doc, g: random.Random) -> None:
    d.add(f"/subscriptions/{uuid(g)}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/acme-api\n"
          f"tenantId: {uuid(g)}\nclientId: {uuid(g)}\nobjectId: {uuid(g)}\n"
          f"mongo _id: ObjectId(\"{r(g, 24, HEX)}\")\nWhich of these ids do I need for the role assignment?")


def jupyter_output(d: Doc, g: random.Random) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(g.randrange(256) for _ in range(90))).decode()
    d.add('{"output_type": "display_data", "data": {"image/png": "' + png + '", "text/plain": '
          '["<Figure size 640x480 with 1 Axes>"]}, "metadata": {}}\nhow do I strip outputs before committing?')


def crypto_and_content_ids(d: Doc, g: random.Random) -> None:
    d.add(f"Payment address: bc1q{r(g, 38, '023456789acdefghjklmnpqrstuvwxyz')}\nLegacy: 1{r(g, 33, BASE58)}\n"
          f"IPFS: ipfs://Qm{r(g, 44, BASE58)}\nWhich address format has the lowest fees?")


def web_build(d: Doc, g: random.Random) -> None:
    d.add(f"dist/assets/index-{r(g, 8, ALNUM)}.js   142.31 kB │ gzip: 45.90 kB\n"
          f"dist/assets/vendor.{r(g, 8, HEX)}.css  12.02 kB\n//# sourceMappingURL=main.{r(g, 20, HEX)}.js.map\n"
          f"<script src=\"/static/js/main.{r(g, 8, HEX)}.chunk.js\" integrity=\"sha384-{r(g, 64, B64)}\" "
          "crossorigin=\"anonymous\"></script>\nwhy is my bundle so big?")


def doc_links(d: Doc, g: random.Random) -> None:
    d.add(f"Spec: https://docs.google.com/document/d/{r(g, 44, B64URL)}/edit\n"
          f"Video: https://www.youtube.com/watch?v={r(g, 11, B64URL)}\n"
          f"Ticket: https://acme.atlassian.net/browse/PLAT-{g.randint(100, 9999)}\n"
          "Thread: https://acme.slack.com/archives/C04TQ2XJ5/p1699012345678919\n"
          "Kannst du die Links in eine Tabelle packen?")


def placeholders_de(d: Doc, g: random.Random) -> None:
    d.add("Anleitung: Tragt euren Schlüssel in die .env ein:\nOPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx\n"
          "ANTHROPIC_API_KEY=<dein-key>\nDB_PASSWORD=\nSMTP_PASSWORD=${SMTP_PASSWORD}\n"
          "password: \"{{ vault_db_password }}\"\napi_key = os.getenv(\"API_KEY\")\n"
          "Das Passwort muss mindestens 12 Zeichen haben. Der Token wird automatisch erneuert.")


def log_lines(d: Doc, g: random.Random) -> None:
    d.add(f"10.0.4.{g.randint(2, 250)} - - [03/Nov/2026:10:14:22 +0100] \"GET /api/orders/{uuid(g)} HTTP/1.1\" "
          f"200 512 \"-\" \"Mozilla/5.0\" rt=0.012 uct=0.001 req_id={r(g, 32, HEX)}\n"
          f"kubelet: Started container api, containerID containerd://{r(g, 64, HEX)}\n"
          f"etag: \"{r(g, 32, HEX)}\"\ncf-ray: {r(g, 16, HEX)}-FRA\nWas bedeutet cf-ray?")


def android_and_builds(d: Doc, g: random.Random) -> None:
    d.add(f"Build fingerprint: 'google/panther/panther:14/AP1A.240405.002/{g.randint(10**7, 10**8)}:user/"
          f"release-keys'\nSHA-256 cert fingerprint: {':'.join(r(g, 2, HEX).upper() for _ in range(32))}\n"
          f"versionName \"5.2.0-beta.3\" versionCode {g.randint(100, 999)}\nwhere do I register the fingerprint?")


def terraform_state(d: Doc, g: random.Random) -> None:
    d.add(f"aws_instance.web: id=i-0{r(g, 16, HEX)}\naws_security_group.web: id=sg-0{r(g, 16, HEX)}\n"
          f"arn = \"arn:aws:iam::{g.randint(10**11, 10**12 - 1)}:role/deploy\"\n"
          f"kms_key_id = \"arn:aws:kms:eu-central-1:123456789012:key/{uuid(g)}\"\n"
          "password_length = 24\nrotation_days = 30\nIs it safe to commit this plan output?")


NEGATIVES = (cargo_lock, yarn_nix, azure_resources, jupyter_output, crypto_and_content_ids, web_build, doc_links,
             placeholders_de, log_lines, android_and_builds, terraform_state)
