"""Poll rounds on the real database with a scripted provider: few OpenAI calls, errors survived."""

from __future__ import annotations

from pathlib import Path

from service.jobs import lifecycle, polling
from service.jobs.runtime import Runtime
from service.providers.base import ProviderError
from tests.jobs.fakes import FakeProvider
from tests.jobs.world import new_job, reload, run
from tests.support.services import Backing


def test_a_poll_round_reads_the_list_not_each_job(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        ids = [(await new_job(rt)).id for _ in range(5)]
        for job_id in ids:
            await lifecycle.advance(rt, job_id)  # submitted: validating_files at OpenAI
        remote_ids = [(await reload(rt, job_id)).provider_job_id or "" for job_id in ids]
        for remote_id in remote_ids[:3]:
            provider.finish(remote_id, "running")
        provider.calls.clear()
        calls = await polling.poll_batch(rt, ids, round_number=0)
        assert provider.calls.count("get_job") == 0
        assert provider.calls.count("list_jobs") == 1
        # Events only for moved jobs, half of them a round; never a retrieve per job.
        assert provider.calls.count("list_new_events") <= 3
        assert calls == len(provider.calls) < len(ids)
        statuses = [(await reload(rt, job_id)).status for job_id in ids]
        assert statuses == ["running"] * 3 + ["validating_files"] * 2

    run(clean, tmp_path, provider, scenario)


def test_a_poll_round_survives_openai_errors(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()
    busy = ProviderError("slow down", code="rate_limit_exceeded", status=429, retryable=True)

    async def scenario(rt: Runtime) -> None:
        ids = [(await new_job(rt)).id for _ in range(2)]
        for job_id in ids:
            await lifecycle.advance(rt, job_id)
        provider.list_error = busy
        assert await polling.poll_batch(rt, ids, round_number=0) == 1  # raised nothing
        assert [(await reload(rt, i)).status for i in ids] == ["validating_files"] * 2
        provider.list_error = None
        gone = ProviderError("no such job", code="http_404", status=404, retryable=False)
        provider.jobs.pop((await reload(rt, ids[0])).provider_job_id or "")
        provider.get_error = gone  # the job vanished at OpenAI: only that one ends
        await polling.poll_batch(rt, ids, round_number=1)
        first, second = [await reload(rt, i) for i in ids]
        assert (first.status, first.error_code) == ("failed", "http_404")
        assert second.status == "validating_files"

    run(clean, tmp_path, provider, scenario)
