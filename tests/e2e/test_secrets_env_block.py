"""A chat prompt with a `.env` file, sent through the OpenAI SDK to an external alias, is blocked by the shipped
policy (`block-secrets`), and no value of the file reaches any upstream, the error body or the logs (issue 17)."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import Proxy, Upstreams

VALUES = {
    "DB_PASSWORD": "jMOH#fJQtxiVC5",
    "DATABASE_URL": "postgresql://app:Zr8#qLm2@Wx@db-primary:5432/app",
    "REDIS_URL": "redis://:p%2BaSs9x@redis-master:6379/0",
    "TWILIO_API_KEY": "SK2c0f5b0e8d6a4c3b9f1e7d2a6c8b4e1f",
    "TWILIO_API_SECRET": "x7Kq2LmZ9vB3nP5rT8wY1cD4fG6hJ0kQ",
    "HF_TOKEN": "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",
    "SESSION_JWT": ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtYmlsbGluZyIsImlzcyI6Imh0dHBzOi8vYXV0aC5hY21l"
                    "LWludGVybi5kZS8ifQ.Q2hhbmdlTWVCdXRJdElzTm90QVJlYWxTaWduYXR1cmUxMjM0"),
    "SECRET_KEY": "0y%+opu3)(x=4k!b#v@z1w7&q^s$m2n(e8-r_t)y9",
}
# What must not travel: the secrets themselves (for URLs, the password part).
NEEDLES = ["jMOH#fJQtxiVC5", "Zr8#qLm2@Wx", "p%2BaSs9x", VALUES["TWILIO_API_KEY"], VALUES["TWILIO_API_SECRET"],
           VALUES["HF_TOKEN"], VALUES["SESSION_JWT"], VALUES["SECRET_KEY"]]
PROMPT = ("Why does my app fail to start? Here is the .env:\n\n```\nNODE_ENV=production\n"
          + "".join(f"{k}={v}\n" for k, v in VALUES.items())
          + "```\nThe log says `Error: connect ECONNREFUSED 127.0.0.1:5432`.")


def test_a_dotenv_prompt_is_blocked_and_no_value_reaches_any_upstream(proxy: Proxy, upstreams: Upstreams) -> None:
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as blocked:
        client.chat.completions.create(model="external-chat", messages=[{"role": "user", "content": PROMPT}])
    error = blocked.value.response.json()["error"]
    assert error["code"] == "policy_blocked" and "block-secrets" in error["message"]
    assert upstreams.external.recorder.all() == [] and upstreams.onprem.recorder.all() == []
    sinks = upstreams.external.recorder.dump() + upstreams.onprem.recorder.dump() + blocked.value.response.text \
        + proxy.process.logs()
    assert [n for n in NEEDLES if n in sinks] == []


def test_the_same_prompt_streamed_is_blocked_too(proxy: Proxy, upstreams: Upstreams) -> None:
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="external-chat", stream=True,
                                       messages=[{"role": "system", "content": "You help with deployments."},
                                                 {"role": "user", "content": PROMPT}])
    assert upstreams.external.recorder.all() == []
