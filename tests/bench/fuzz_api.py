"""Schemathesis over the whole served OpenAPI document, against a real API process.

    .venv/bin/python -m tests.bench.fuzz_api [--examples 50] [--workers 2] [--schemathesis PATH]
                                             [--report DIR] [-- EXTRA SCHEMATHESIS ARGS]

Builds a scratch database (`ftjobs_fuzz_…`) on the Postgres server of FTJOBS_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/postgres) and migrates it; Redis: the server of
FTJOBS_REDIS_URL (default redis://127.0.0.1:6379/4, which is flushed). Creates an API key,
starts `ftjobs api` as its own process (the rate limit off, an OpenAI key so that jobs can be
created; no worker, so nothing leaves for a provider), seeds one of each resource (a dataset, a
job, a pipeline, a webhook endpoint) so that lists and reads answer with bodies, and runs

    schemathesis run http://127.0.0.1:PORT/schema/openapi.json --checks all
        --max-examples 50 -H 'Authorization: Bearer <key>'

over every operation of the document (every phase: examples, coverage, fuzzing, stateful).
Schemathesis is not a project dependency: it is installed (`schemathesis==4.32.5`) into a
throwaway venv in the temp dir unless `--schemathesis` names an installed one. Prints
schemathesis's summary and, last, the operations, requests and failures it counted; exits with
schemathesis's code. The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import venv
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url

from service.cli.embedded import create_database, drop_database
from tests.bench.load_bench import free_port, running
from tests.datasets.helpers import good, jsonl

SCHEMATHESIS = "schemathesis==4.32.5"


def schemathesis_command(tmp: Path, given: str | None) -> str:
    if given:
        return given
    env_dir = tmp / "schemathesis-venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", SCHEMATHESIS]
    subprocess.run(pip, check=True)
    return str(env_dir / "bin" / "schemathesis")


def seed(base: str, key: str) -> None:
    """One of each resource, so that reads and lists have bodies to check against schemas."""
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        dataset = client.post(
            "/v1/datasets?name=seed",
            content=jsonl(good(12)),
            headers={"Content-Type": "application/jsonl"},
        )
        dataset.raise_for_status()
        dataset_id = dataset.json()["id"]
        created = [
            client.post(
                "/v1/jobs",
                json={
                    "training_dataset_id": dataset_id,
                    "model": "gpt-4.1-mini-2025-04-14",
                    "metadata": {"seed": "yes"},
                },
            ),
            client.post(
                "/v1/pipelines",
                json={"dataset_id": dataset_id, "model": "gpt-4.1-mini-2025-04-14"},
            ),
            client.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}),
        ]
        for response in created:
            if response.status_code >= 300:
                raise RuntimeError(f"seeding failed: {response.status_code} {response.text}")


def summary(report: Path) -> dict[str, Any]:
    """Operations, requests and failures from schemathesis's NDJSON event stream."""
    operations: set[str] = set()
    requests = 0
    failures: dict[str, set[str]] = {}
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for kind, body in event.items():
            if kind != "ScenarioFinished":
                continue
            label = body.get("recorder", {}).get("label", "")
            operations.add(label)
            recorder = body.get("recorder", {})
            requests += (
                sum(len(i) for i in recorder.get("interactions", {}).values())
                if isinstance(recorder.get("interactions"), dict)
                else 0
            )
            for check_list in recorder.get("checks", {}).values():
                for check in check_list:
                    if check.get("status") == "FAILURE":
                        failures.setdefault(check.get("name", "?"), set()).add(label)
    return {
        "operations": len(operations - {""}),
        "requests": requests,
        "failures": {name: sorted(ops) for name, ops in failures.items()},
    }


def run(args: argparse.Namespace, extra: list[str]) -> int:
    server = (
        os.environ.get("FTJOBS_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("FTJOBS_REDIS_URL") or "redis://127.0.0.1:6379/4"
    name = f"ftjobs_fuzz_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_database(server, name))
    database_url = make_url(server).set(database=name).render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="ftjobs-fuzz-"))
    report_dir = args.report or work / "report"
    try:
        from service.cli.keys import create_key
        from service.db.migrate import upgrade

        upgrade(database_url)
        _, key = asyncio.run(create_key(database_url, "fuzz", False, "schemathesis"))
        st = schemathesis_command(work, args.schemathesis)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FTJOBS_")} | {
            "FTJOBS_DATABASE_URL": database_url,
            "FTJOBS_REDIS_URL": redis_url,
            "FTJOBS_BLOB_DIR": str(work / "blobs"),
            "FTJOBS_LOG_LEVEL": "WARNING",
            "FTJOBS_RATE_LIMIT_PER_MINUTE": "0",
            "FTJOBS_OPENAI_API_KEY": "sk-fuzz",
            "FTJOBS_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",  # never called: no worker runs
            "FTJOBS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "FTJOBS_METRICS_TOKEN": "fuzz-metrics-token-0123456789",
        }
        api = [sys.executable, "-m", "service", "api", "--host", "127.0.0.1", "--port", str(port)]
        api_log = work / "api.log"
        with running(api, env, f"{base}/health/live", api_log):
            seed(base, key)
            command = [
                st, "run", f"{base}/schema/openapi.json",
                "--checks", "all",
                "--max-examples", str(args.examples),
                "--workers", str(args.workers),
                "--header", f"Authorization: Bearer {key}",
                "--report", "ndjson",
                "--report-dir", str(report_dir),
                "--seed", str(args.seed),
                *extra,
            ]  # fmt: skip
            done = subprocess.run(command, check=False)
        figures = (
            summary(report_dir / "events.ndjson") if (report_dir / "events.ndjson").exists() else {}
        )
        print(f"\nAPI log: {api_log} (kept)" if done.returncode else "")
        if done.returncode:
            shutil.copy(api_log, report_dir / "api.log")
        print(json.dumps(figures, indent=2))
        return done.returncode
    finally:
        asyncio.run(drop_database(server, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="test cases per operation")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--schemathesis", help="an installed schemathesis command to use")
    parser.add_argument("--report", type=Path, help="keep schemathesis's reports here")
    args, extra = parser.parse_known_args()
    sys.exit(run(args, [e for e in extra if e != "--"]))


if __name__ == "__main__":
    main()
