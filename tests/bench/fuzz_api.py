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
The seeded ids are given to schemathesis as the values of the path parameters
(`dataset_id`, `job_id`, ...), so that operations on one resource reach their own logic rather
than a 404. Schemathesis is not a project dependency: it is installed (`schemathesis==4.32.5`)
into a throwaway venv in the temp dir unless `--schemathesis` names an installed one. Prints
schemathesis's report and, last, the operations, test cases and failures it counted; exits with
schemathesis's code. The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
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


def seed(base: str, key: str) -> dict[str, str]:
    """One of each resource, so that reads and lists have bodies to check against schemas;
    their ids, for the path parameters of the operations that read them."""
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:

        def create(path: str, **request: Any) -> dict[str, Any]:
            response = client.post(path, **request)
            if response.status_code >= 300:
                raise RuntimeError(f"seeding {path}: {response.status_code} {response.text}")
            body: dict[str, Any] = response.json()
            return body

        dataset = create(
            "/v1/datasets?name=seed",
            content=jsonl(good(12)),
            headers={"Content-Type": "application/jsonl"},
        )["id"]
        model = "gpt-4.1-mini-2025-04-14"
        job = create("/v1/jobs", json={"training_dataset_id": dataset, "model": model})["id"]
        pipeline = create("/v1/pipelines", json={"dataset_id": dataset, "model": model})["id"]
        endpoint = create("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"})["id"]
        delivery = create(f"/v1/webhook-endpoints/{endpoint}/test")["id"]
    return {
        "dataset_id": dataset,
        "job_id": job,
        "pipeline_id": pipeline,
        "endpoint_id": endpoint,
        "delivery_id": delivery,
    }


def config(ids: dict[str, str], path: Path) -> Path:
    """Schemathesis's config: the seeded ids as the path parameters' values, so that the
    operations on one resource get past 404 to their own logic."""
    lines = ["[parameters]"] + [f'"path.{name}" = "{value}"' for name, value in ids.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


SUMMARY = {
    "operations": r"Operations:\s+(\d+) selected",
    "test cases": r"(\d+) generated",
    "failures": r"(\d+) found",
}


def summary(output: str) -> dict[str, Any]:
    """Operations, test cases (requests) and failures, from schemathesis's closing summary."""
    figures: dict[str, Any] = {
        name: int(found[1]) if (found := re.search(pattern, output)) else None
        for name, pattern in SUMMARY.items()
    }
    by_check = re.findall(r"❌ (ST\d+ [^:\n]+): (\d+)", output)
    figures["by check"] = {name: int(count) for name, count in by_check}
    return figures


def run(args: argparse.Namespace, extra: list[str]) -> int:
    server = (
        os.environ.get("FTJOBS_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("FTJOBS_REDIS_URL") or "redis://127.0.0.1:6379/4"
    name = f"ftjobs_fuzz_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_database(server, name))
    database_url = make_url(server).set(database=name).render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="ftjobs-fuzz-"))
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
            ids = seed(base, key)
            command = [
                st, "--config-file", str(config(ids, work / "schemathesis.toml")),
                "run", f"{base}/schema/openapi.json",
                "--checks", "all",
                "--max-examples", str(args.examples),
                "--workers", str(args.workers),
                "--header", f"Authorization: Bearer {key}",
                "--seed", str(args.seed),
                *extra,
            ]  # fmt: skip
            # Its own directory: schemathesis leaves a cache where it runs.
            done = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
        print(done.stdout, done.stderr, sep="\n")
        if args.report is not None:
            args.report.mkdir(parents=True, exist_ok=True)
            (args.report / "schemathesis.txt").write_text(done.stdout)
            shutil.copy(api_log, args.report / "api.log")
        print(json.dumps(summary(done.stdout), indent=2))
        return done.returncode
    finally:
        asyncio.run(drop_database(server, name))
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="test cases per operation")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--schemathesis", help="an installed schemathesis command to use")
    parser.add_argument(
        "--report", type=Path, help="keep schemathesis's output and the API's log here"
    )
    args, extra = parser.parse_known_args()
    sys.exit(run(args, [e for e in extra if e != "--"]))


if __name__ == "__main__":
    main()
