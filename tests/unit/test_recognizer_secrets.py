"""Secret recognizers on their own: true positives and realistic near-misses (no engine, no context words)."""

from __future__ import annotations

import random
import string
import zlib

import pytest

from proxy.detection.recognizers import (
    aws_secret_key,
    generic_secret,
    jwt,
    private_key,
    provider_tokens,
    url_password,
)
from proxy.detection.recognizers.base import RecognizerSpec
from proxy.detection.secrets import validators

# The provider token catalogue is one recognizer (one declaration per provider in catalogue.yaml).
TOKENS = provider_tokens.spec()

THRESHOLD = 0.4
rng = random.Random(7)


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def reported(spec: RecognizerSpec, text: str) -> list[str]:
    """Values the recognizer reports at or above the engine's threshold without any context word."""
    return [text[m.start:m.end] for m in spec.matches(text) if m.score >= THRESHOLD]


def github_classic(prefix: str = "ghp") -> str:
    body = rand(30)
    return f"{prefix}_{body}{validators.base62(zlib.crc32(body.encode()))}"


OPENAI = "sk-proj-" + rand(48) + "T3BlbkFJ" + rand(48)
ANTHROPIC = "sk-ant-api03-" + rand(93, string.ascii_letters + string.digits + "_-") + "AA"
AWS_SECRET = "q3Zt8WvK2mXnB7yL/9Pd4sGh6JcF1aTe5RuN0oVi"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIy"
       "fQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
       "aFDrBz9vFqU4yB1ZsNsY3bD3oRB0nV0m4PN1DQ7w2Y0rX5R8kP1L0u2Z8V9a6YdC\n-----END RSA PRIVATE KEY-----")

TRUE_POSITIVES = [
    (TOKENS, f"OPENAI_API_KEY={OPENAI}", OPENAI),
    (TOKENS, "key sk-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z7AbCdEf", None),
    (TOKENS, f"x-api-key: {ANTHROPIC}", ANTHROPIC),
    (TOKENS, "aws_access_key_id = AKIAZ3MHQV5XKRT2WN7Q", "AKIAZ3MHQV5XKRT2WN7Q"),
    (TOKENS, "temporary ASIAY34FZKBOKMUTVV7A here", "ASIAY34FZKBOKMUTVV7A"),
    (aws_secret_key.SPEC, f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    (aws_secret_key.SPEC, f'"SecretAccessKey": "{AWS_SECRET}"', AWS_SECRET),
    (TOKENS, "token ghp_" + rand(36), None),
    (TOKENS, "github_pat_" + rand(22) + "_" + rand(59), None),
    (TOKENS, "GITLAB_TOKEN=glpat-" + rand(20, string.ascii_letters + string.digits + "_-"), None),
    (TOKENS, "SLACK_BOT_TOKEN=xoxb-123456789012-1234567890123-" + rand(24), None),
    (TOKENS, "https://hooks.slack.com/services/T00000000/B00000000/" + rand(24), None),
    (TOKENS, "stripe.api_key = 'sk_live_" + rand(24) + "'", None),
    (TOKENS, "whsec_" + rand(32), None),
    (TOKENS, "key=AIza" + rand(35, string.ascii_letters + string.digits + "_-"), None),
    (private_key.SPEC, f"here is my key:\n{PEM}\nthanks", PEM),
    (private_key.SPEC, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAB",
     None),
    (jwt.SPEC, f"Authorization: Bearer {JWT}", JWT),
    (url_password.SPEC, "DATABASE_URL=postgres://app:s3cr3t-P4ss@db.internal:5432/app", "s3cr3t-P4ss"),
    (generic_secret.SPEC, "Server=db;Database=crm;User Id=sa;Password=Tr0ub4dor&3;", "Tr0ub4dor&3"),
    (generic_secret.SPEC, 'client_secret: "9f8Kq2LmZx7Vb3NpR5tW"', "9f8Kq2LmZx7Vb3NpR5tW"),
    (generic_secret.SPEC, "DB_PASSWORD=Xk7#pL9$qR2m", "Xk7#pL9$qR2m"),
    # Punctuation after a value in prose is covered too: it may be the password's last character.
    (generic_secret.SPEC, "Das Passwort lautet Hq8vT3zLm2Kp.", "Hq8vT3zLm2Kp."),
    (generic_secret.SPEC, '{"api_key": "a8f5f167f44f4964e6c998dee827110c"}', "a8f5f167f44f4964e6c998dee827110c"),
]


@pytest.mark.parametrize(("spec", "text", "value"), TRUE_POSITIVES, ids=[f"{t[0].name}-{i}" for i, t in
                                                                             enumerate(TRUE_POSITIVES)])
def test_true_positive(spec: RecognizerSpec, text: str, value: str | None) -> None:
    found = reported(spec, text)
    assert found, f"{spec.name} missed its own format"
    if value is not None:
        assert value in found


FALSE_POSITIVES = [
    (TOKENS, "see the docs: sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    (TOKENS, "the risk-assessment-framework-document-version-two"),
    (TOKENS, "placeholder sk-ant-xxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    (TOKENS, "akiaiosfodnn7example in lower case is not a key id"),
    (TOKENS, "AKIAAAAAAAAAAAAAAAAA"),
    (TOKENS, "the AWS docs use aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),  # documented example key
    (aws_secret_key.SPEC, "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it"),
    (aws_secret_key.SPEC, "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),  # AWS docs' example
    (aws_secret_key.SPEC, "ThisIsJustAVeryLongCamelCaseIdentifierOk"),
    (TOKENS, "ghp_short123"),
    (TOKENS, "glpat-xxxxxxxxxxxxxxxxxxxx"),
    (TOKENS, "publishable pk_live_" + "a" * 24),
    (TOKENS, "AIza is how the key starts"),
    (private_key.SPEC,
     "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----"),
    (jwt.SPEC, "eyJub3QiOiJhIGp3dCJ9.eyJhbHNvIjoibm90In0.c2lnbmF0dXJl"),  # header has no "alg"
    (jwt.SPEC, "eyJzomething.eyJelse.random"),
    (url_password.SPEC, "postgres://user:password@localhost/db"),
    (url_password.SPEC, "see https://example.com/a:b@c"),
    (generic_secret.SPEC, "token: undefined"),
    (generic_secret.SPEC, "the key is simple: be kind"),
    (generic_secret.SPEC, "request_id = 550e8400-e29b-41d4-a716-446655440000"),
    (generic_secret.SPEC, "password: ********"),
    (generic_secret.SPEC, "Please reset the password for the accountingteam"),
    (generic_secret.SPEC, "commit 9fceb02d0ae598e95dc970b74767f19372d61af8"),
]


@pytest.mark.parametrize(("spec", "text"), FALSE_POSITIVES, ids=[f"{t[0].name}-{i}" for i, t in
                                                                enumerate(FALSE_POSITIVES)])
def test_near_miss_not_reported(spec: RecognizerSpec, text: str) -> None:
    assert reported(spec, text) == []


def test_github_checksum_confirms_real_tokens_only() -> None:
    token = github_classic()
    assert validators.crc32_suffix(token).value == "confirmed"
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert validators.crc32_suffix(tampered).value == "unknown"  # still reported at the entry's score
    assert max(m.score for m in TOKENS.matches(token)) == 1.0
    assert max(m.score for m in TOKENS.matches(tampered)) == 0.9


def test_aws_secret_bare_needs_context() -> None:
    # A random 40-character base64 string alone is no AWS key (high_entropy reports it as a random token): AWS words
    # shortly before it make it one.
    assert aws_secret_key.SPEC.matches(f"value {AWS_SECRET} end") == []
    assert [m.score for m in aws_secret_key.SPEC.matches(f"our aws secret is {AWS_SECRET} here")] == [0.6]


def test_url_password_reports_only_the_password() -> None:
    text = "redis://default:hunter2xyz@cache:6379/0"
    [m] = url_password.SPEC.matches(text)
    assert text[m.start:m.end] == "hunter2xyz"
