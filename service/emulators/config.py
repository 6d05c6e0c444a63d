"""Emulator configuration: a frozen start-up config and the mutable knobs tests flip at run time.

One config for the app and every provider it mounts: the fault, clock and seed fields apply to
all of them; `api_key` is OpenAI's, `azure_api_key` Azure's and `together_*` Together's; the
webhook fields and `training_not_available` are OpenAI's alone; the rest apply to both
OpenAI-compatible worlds (Together's reads the clock, seed and `max_metrics_events` too).

The emulator never reads the environment; `service.config` (or `__main__`) builds the config.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

KNOWN_FAULTS = frozenset({"429", "429_daily", "500", "503", "slow", "drop"})
KNOWN_WEBHOOK_MODES = frozenset({"bad_signature", "stale_timestamp", "duplicate"})
MIB = 1024 * 1024


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything the emulator can be told at start-up; every field has a default."""

    phase_seconds: float = 3.0  # validating, queued, and the whole running phase each take this
    run_seconds: float | None = None  # the running phase alone, if not phase_seconds
    org: str = "ftjobs-emulator"  # the org segment of `ft:` model names
    max_file_bytes: int = 512 * MIB
    max_part_bytes: int = 64 * MIB
    max_upload_bytes: int = 8 * 1024 * MIB
    upload_expiry_seconds: float = 3600.0
    max_running_per_model: int = 3
    fault_rate: float = 0.0  # probability that a provider API request gets one of `faults`
    faults: tuple[str, ...] = ("429", "500", "503", "slow", "drop")
    slow_seconds: float = 2.0
    retry_after_seconds: float = 1.0  # sent with injected 429s
    training_not_available: bool = False  # every job create answers 403 training_not_available
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str | None = None  # `whsec_...`; without it webhooks go out unsigned
    webhook_modes: tuple[str, ...] = ()  # subset of KNOWN_WEBHOOK_MODES, for receiver tests
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 0.25  # 72 h of OpenAI backoff compressed to seconds
    webhook_timeout_seconds: float = 5.0
    api_key: str | None = None  # None: any bearer token is accepted (a missing one is still 401)
    azure_api_key: str = "azure-emulator-key"  # the only `api-key` Azure's routes accept
    together_api_key: str = "together-emulator-key"  # the only bearer key Together's routes accept
    # Together: the account's credit limit in dollars; estimate-price refuses jobs priced above it
    together_user_limit: float = 500.0
    seed: int | None = None  # makes ids, faults and metrics reproducible
    max_metrics_events: int = 50  # metrics events (and result-file rows) per job, at most
    result_file_base64: bool = False  # some real result files arrive base64-encoded
    # Where each world is kept across restarts (`ftjobs dev`); None: in memory only, as in tests.
    state_dir: str | None = None

    def __post_init__(self) -> None:
        check_faults(self.faults)
        check_webhook_modes(self.webhook_modes)
        check_rate(self.fault_rate)
        if min(self.phase_seconds, self.slow_seconds, self.run_seconds or 0.0) < 0:
            raise ValueError("phase_seconds and slow_seconds must be >= 0")
        if self.max_running_per_model < 1:
            raise ValueError("max_running_per_model must be >= 1")
        if not self.azure_api_key:
            raise ValueError("azure_api_key must not be empty")
        if not self.together_api_key:
            raise ValueError("together_api_key must not be empty")
        if self.webhook_secret is not None and not self.webhook_secret.startswith("whsec_"):
            raise ValueError("webhook_secret must start with 'whsec_'")


def check_faults(faults: tuple[str, ...]) -> None:
    unknown = set(faults) - KNOWN_FAULTS
    if unknown:
        raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(KNOWN_FAULTS)}")


def check_webhook_modes(modes: tuple[str, ...]) -> None:
    unknown = set(modes) - KNOWN_WEBHOOK_MODES
    if unknown:
        raise ValueError(
            f"unknown webhook modes {sorted(unknown)}; known: {sorted(KNOWN_WEBHOOK_MODES)}"
        )


def check_rate(rate: float) -> None:
    if not 0.0 <= rate <= 1.0:
        raise ValueError("fault_rate must be between 0 and 1")


@dataclass
class RuntimeSettings:
    """The knobs `POST /_emulator/faults` may change while the server runs."""

    fault_rate: float
    faults: tuple[str, ...]
    slow_seconds: float
    retry_after_seconds: float
    training_not_available: bool
    phase_seconds: float
    webhook_modes: tuple[str, ...] = field(default=())
    # How long a job runs; None: phase_seconds. Benchmarks keep many jobs running with it.
    run_seconds: float | None = None

    @classmethod
    def from_config(cls, config: EmulatorConfig) -> RuntimeSettings:
        return cls(
            fault_rate=config.fault_rate,
            faults=config.faults,
            slow_seconds=config.slow_seconds,
            retry_after_seconds=config.retry_after_seconds,
            training_not_available=config.training_not_available,
            phase_seconds=config.phase_seconds,
            webhook_modes=config.webhook_modes,
            run_seconds=config.run_seconds,
        )

    def updated(self, patch: dict[str, Any]) -> RuntimeSettings:
        """Return a copy with `patch` applied; ValueError names the first bad key."""
        unknown = set(patch) - set(asdict(self))
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}")
        values = {key: _coerce(key, value) for key, value in patch.items()}
        new = replace(self, **values)
        check_rate(new.fault_rate)
        check_faults(new.faults)
        check_webhook_modes(new.webhook_modes)
        if min(new.phase_seconds, new.slow_seconds, new.retry_after_seconds) < 0:
            raise ValueError("durations must be >= 0")
        return new

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["faults"] = list(self.faults)
        data["webhook_modes"] = list(self.webhook_modes)
        return data


def _coerce(key: str, value: Any) -> Any:
    if key in ("faults", "webhook_modes"):
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise ValueError(f"{key} must be a list of strings or a comma-separated string")
    if key == "run_seconds" and value is None:
        return None
    if key == "training_not_available":
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be a boolean")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    return float(value)
