"""`ftjobs dev` serves /metrics: the operator's token, else one kept per data directory."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from service.cli.dev import _metrics_token
from service.config import Settings


def test_dev_keeps_one_metrics_token_per_data_directory(tmp_path: Path) -> None:
    unset = Settings(metrics_token=None)
    token = _metrics_token(unset, tmp_path)
    assert unset.model_copy(update={"metrics_token": SecretStr(token)}).metrics_scrape_token()
    # A restart (and a local Prometheus configured with it) keeps the same token.
    assert _metrics_token(unset, tmp_path) == token
    kept = tmp_path / "dev-metrics-token"
    assert kept.read_text().strip() == token
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_dev_uses_the_configured_metrics_token(tmp_path: Path) -> None:
    configured = Settings(metrics_token=SecretStr("operator-chosen-token-123"))
    assert _metrics_token(configured, tmp_path) == "operator-chosen-token-123"
    assert not (tmp_path / "dev-metrics-token").exists()
