"""Settings: the only place that reads the environment.

Every setting is an `FTJOBS_*` variable (OpenAI's key also falls back to `OPENAI_API_KEY`).
URLs are plain (`postgresql://user@host:port/db`, `redis://host:port/n`); the service picks
its own drivers.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_METRICS_TOKEN_LENGTH = 16
# `ftjobs dev`'s emulator keeps a job running this long, so a person can pause and resume it;
# validation and the queue stay at EMULATOR_PHASE_SECONDS.
DEV_EMULATOR_RUN_SECONDS = 45.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FTJOBS_", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None, description="postgresql://user@host:port/db; unset in `ftjobs dev` = embedded"
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/n; unset in `ftjobs dev` = embedded"
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("FTJOBS_OPENAI_API_KEY", "OPENAI_API_KEY"),
    )
    openai_base_url: str | None = Field(default=None, description="e.g. the emulator's /v1 URL")
    openai_webhook_secret: SecretStr | None = None
    openai_timeout_seconds: float = 60.0

    default_provider: Literal["openai", "azure", "together"] | None = Field(
        default=None,
        description="the provider of a job that names none; unset: openai until its end date "
        "(2027-01-06), then the first configured provider still open",
    )
    azure_openai_endpoint: str | None = Field(
        default=None,
        description="https://<resource>.openai.azure.com (the service adds /openai/v1/)",
    )
    azure_openai_api_key: SecretStr | None = Field(
        default=None,
        description="the `api-key`; unset: a Microsoft Entra ID token (azure-identity)",
    )
    together_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("FTJOBS_TOGETHER_API_KEY", "TOGETHER_API_KEY"),
        description="Together AI's API key; set, Together takes jobs",
    )
    together_base_url: str | None = Field(
        default=None,
        description="Together's API root without /v1 (the SDK adds it); unset: the SDK's, "
        "https://api.together.ai",
    )
    together_timeout_seconds: float = Field(default=60.0, gt=0)
    provider_models_refresh_seconds: float = Field(
        default=900.0,
        gt=0,
        description="how often the workers read the models a provider lists as tunable "
        "(Together) and their limits",
    )
    provider_end_dates: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='JSON, e.g. {"openai": {"no_new_jobs_from": "2027-03-01"}}: an operator\'s '
        "end dates over the built-in ones (null removes one)",
    )

    data_dir: Path = Field(
        default=Path(".ftjobs"), description="`ftjobs dev` keeps its servers here"
    )
    blob_dir: Path | None = Field(default=None, description="dataset bytes; default DATA_DIR/blobs")
    max_upload_bytes: int = 512 * 1024 * 1024
    validation_workers: int | None = Field(
        default=None,
        ge=1,
        description="validator processes an API process shares among its uploads; unset: one "
        "per CPU it may use",
    )
    validation_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="uploads an API process validates at once; unset: VALIDATION_WORKERS",
    )
    validation_queue: int = Field(
        default=16,
        ge=0,
        description="uploads an API process takes beyond those validating (receiving their "
        "body or waiting their turn); past that, 503 with Retry-After",
    )

    queue_name: str = "ftjobs"
    poll_interval_seconds: float = Field(default=15.0, gt=0, description="base poll interval")
    scheduler_interval_seconds: float = Field(default=2.0, gt=0)
    lease_seconds: float = Field(
        default=120.0, gt=0, description="how long an enqueued step may take before it is re-driven"
    )
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    worker_job_timeout_seconds: int = Field(
        default=900, gt=0, description="RQ job timeout; Helm's grace period must exceed it"
    )

    emulator_phase_seconds: float = Field(default=3.0, ge=0)
    emulator_run_seconds: float | None = Field(
        default=None,
        ge=0,
        description="how long the emulator's jobs stay running; unset: EMULATOR_PHASE_SECONDS "
        f"(`ftjobs dev`: {DEV_EMULATOR_RUN_SECONDS:g}, long enough to try pause)",
    )
    emulator_org: str = "ftjobs-emulator"
    emulator_state_dir: Path | None = Field(
        default=None,
        description="the emulator keeps its files and jobs here across restarts (`ftjobs dev`: "
        "DATA_DIR/emulator); unset: in memory only",
    )
    emulator_fault_rate: float = Field(default=0.0, ge=0, le=1)
    emulator_faults: str = Field(default="429,500,503,slow,drop", description="comma-separated")
    emulator_training_not_available: bool = False
    emulator_webhook_urls: str = Field(default="", description="comma-separated URLs")
    emulator_webhook_secret: SecretStr | None = None
    emulator_azure_api_key: SecretStr = Field(
        default=SecretStr("azure-emulator-key"),
        description="the api-key the emulator's Azure OpenAI routes (/openai/v1) accept",
    )
    emulator_together_api_key: SecretStr = Field(
        default=SecretStr("together-emulator-key"),
        description="the bearer key the emulator's Together AI routes (/together/v1) accept",
    )

    # webhooks to consumers
    webhook_allowed_networks: str = Field(
        default="",
        description="comma-separated CIDRs (e.g. 10.0.0.0/8) that webhook URLs may resolve into; "
        "loopback and private ranges are refused otherwise, link-local and metadata always",
    )
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, description="whole attempt")
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    webhook_retry_horizon_seconds: float = Field(
        default=3 * 86400.0, gt=0, description="a delivery is given up this long after its event"
    )
    webhook_disable_after_seconds: float = Field(
        default=5 * 86400.0, gt=0, description="an endpoint failing this long is disabled"
    )
    webhook_rotation_overlap_seconds: float = Field(
        default=86400.0, ge=0, description="the old secret keeps signing this long after rotation"
    )

    # ops
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one object per line; text: for a terminal"
    )
    idempotency_ttl_seconds: float = Field(
        default=86400.0, gt=0, description="how long an Idempotency-Key is remembered"
    )
    idempotency_lock_seconds: float = Field(
        default=900.0,
        gt=0,
        description="a key still in flight this long is taken as abandoned (its process died)",
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=0, description="requests per minute per API key; 0 turns the limit off"
    )
    rate_limit_burst: int = Field(default=100, ge=1, description="token bucket size per key")
    auth_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        description="keep authenticated keys in each API process at most this long; a "
        "revocation still takes effect at once (Postgres NOTIFY), and nothing is cached while "
        "that notice cannot arrive; 0 turns the cache off",
    )

    metrics_token: SecretStr | None = Field(
        default=None,
        description="the bearer token a Prometheus scrape of GET /metrics must present; unset "
        "or empty: /metrics answers 404 (job counts of every team are not for anyone)",
    )

    # the web console (/console)
    console_secure_cookie: bool = Field(
        default=True,
        description="the console's cookies carry `Secure` (sent over HTTPS only); `ftjobs dev` "
        "turns it off for plain http",
    )
    console_session_seconds: int = Field(
        default=8 * 3600,
        gt=0,
        description="a console sign-in lasts this long (seconds), then the key is asked again",
    )
    forwarded_allow_ips: str | None = Field(
        default=None,
        description="the proxies whose X-Forwarded-For `ftjobs api` trusts (comma-separated "
        "addresses or CIDRs, `*` for any); unset: uvicorn's default, 127.0.0.1. Behind an "
        "ingress, its controller's addresses: the console's sign-in limit then counts each "
        "client, not the ingress",
    )
    console_signins_per_minute: int = Field(
        default=10,
        ge=0,
        description="console sign-in attempts per minute from one client address (bursts of "
        "half as many), across every API process; 0 turns the limit off",
    )

    log_level: str = "INFO"

    @property
    def blob_root(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    def openai_key(self) -> str | None:
        return self.openai_api_key.get_secret_value() if self.openai_api_key else None

    def together_key(self) -> str | None:
        return self.together_api_key.get_secret_value() if self.together_api_key else None

    def azure_key(self) -> str | None:
        return self.azure_openai_api_key.get_secret_value() if self.azure_openai_api_key else None

    def metrics_scrape_token(self) -> str | None:
        """None when unset or blank: an empty Secret key must not mean "the empty token"."""
        token = self.metrics_token.get_secret_value().strip() if self.metrics_token else ""
        return token or None

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_is_not_guessable(cls, value: SecretStr | None) -> SecretStr | None:
        # A short token would reopen, to guessing, what the token closes.
        token = value.get_secret_value().strip() if value else ""
        if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_METRICS_TOKEN_LENGTH} characters")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
