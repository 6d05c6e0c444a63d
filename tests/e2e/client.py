"""An HTTP client for the running API, as another team's service would use it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.data import dpo_rows, jsonl
from tests.support.processes import Stack, wait_until

TERMINAL = {"succeeded", "failed", "cancelled"}


class ApiClient:
    def __init__(self, stack: Stack, key: str) -> None:
        self.stack = stack
        self.http = httpx.Client(
            base_url=stack.api_url, timeout=30, headers={"Authorization": f"Bearer {key}"}
        )

    def upload(self, body: bytes | None = None) -> str:
        response = self.http.post(
            "/v1/datasets",
            content=body or jsonl(dpo_rows(12)),
            headers={"Content-Type": "application/jsonl"},
        )
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    def create_job(self, **fields: Any) -> dict[str, Any]:
        body = {"model": "gpt-4.1-mini-2025-04-14", **fields}
        body.setdefault("training_dataset_id", self.upload())
        response = self.http.post("/v1/jobs", json=body)
        assert response.status_code == 202, response.text
        return dict(response.json())

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.http.get(f"/v1/jobs/{job_id}").json())

    def events(self, job_id: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            page = self.http.get(f"/v1/jobs/{job_id}/events", params=params).json()
            events += page["data"]
            cursor = page["next_cursor"]
            if cursor is None:
                return events

    def wait_for(self, job_id: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            job = self.job(job_id)
            return job if job["status"] in statuses else None

        try:
            found: dict[str, Any] = wait_until(
                reached, timeout=timeout, what=f"{job_id} to reach {statuses}"
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.stack.log_tail()}") from None
        return found

    def emulator_state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.stack.emulator_url}/_emulator/state").json())
