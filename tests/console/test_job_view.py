from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.api.job_results import CheckpointOut
from service.api.schemas import JobError, JobOut, JobProgress, PriceEstimateOut
from service.console.job_view import checkpoint_row, job_view, progress

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def job(**changes: Any) -> JobOut:
    fields: dict[str, Any] = {
        "id": "job_1",
        "status": "running",
        "method": "dpo",
        "model": "m",
        "training_dataset_id": "ds_1",
        "validation_dataset_id": None,
        "hyperparameters": {"beta": 0.1},
        "suffix": None,
        "seed": None,
        "metadata": {},
        "provider": "together",
        "provider_status": "running",
        "provider_job_id": "ft-1",
        "provider_file_id": "file-1",
        "openai_job_id": None,
        "openai_file_id": None,
        "fine_tuned_model": None,
        "trained_tokens": None,
        "estimated_finish": None,
        "error": None,
        "created_at": NOW,
        "updated_at": NOW,
        "finished_at": None,
        "pipeline_id": "pl_1",
        "team": "a",
        "requested_action": None,
        "progress": JobProgress(12, 48),
    }
    return JobOut(**(fields | changes))


def test_progress_by_step_and_in_words() -> None:
    assert progress(job()) == (25.0, "step 12 of 48 (25 %)")
    assert progress(job(progress=JobProgress(7, None))) == (None, "step 7")
    assert progress(job(progress=None))[0] is None
    assert progress(job(status="succeeded")) == (100.0, "finished")


def test_the_view_of_a_failed_job_names_its_provider_and_links_its_pipeline() -> None:
    failed = job(status="failed", error=JobError("invalid_file", "line 3: bad", False))
    steps = [(1, {"train_loss": 0.7}), (2, {"train_loss": 0.5})]
    view = job_view(failed, [], [], steps)
    assert view.finished
    facts = {fact.label: fact for fact in view.facts}
    assert facts["Provider"].text == "together"  # whatever the provider, from the data
    assert facts["Pipeline"].href == "/console/pipelines/pl_1"
    assert facts["Training dataset"].href == "/console/datasets/ds_1"
    assert view.hyperparameters == (("beta", "0.1"),)
    assert view.loss is not None and view.accuracy is None


def test_a_price_estimate_is_shown_as_the_provider_gave_it() -> None:
    estimate = PriceEstimateOut(12.5, "USD", 1000, None, 500, True)
    facts = {
        fact.label: fact.text for fact in job_view(job(price_estimate=estimate), [], [], []).facts
    }
    assert facts["Price estimate"] == "12.50 USD (limit 500.00 USD)"
    refused = PriceEstimateOut(812.0, "USD", 9e6, None, 500, False)
    facts = {
        fact.label: fact.text for fact in job_view(job(price_estimate=refused), [], [], []).facts
    }
    assert facts["Price estimate"] == "812.00 USD (limit 500.00 USD): over the limit, not created"
    assert "Price estimate" not in {f.label for f in job_view(job(), [], [], []).facts}


def test_a_checkpoint_lists_its_numeric_metrics_by_name() -> None:
    row = checkpoint_row(
        CheckpointOut(
            "cp", 24, "ft:m:ckpt-24", {"step": 24, "train_loss": 0.1234567, "x": "s"}, NOW
        )
    )
    assert row.metrics == (("Training loss", "0.1235"),)
