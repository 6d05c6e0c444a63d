"""A client generated from the served document (openapi-python-client, as other teams do) runs a
DPO job's calls against the in-process API: the document is the contract, this proves it."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.api.conftest import Client, Keys, auth
from tests.support.data import dpo_rows, jsonl

PACKAGE = "ftjobs_client"
# The generator knows no JSONL media type; a generated client sends the raw upload as bytes.
CONFIG = f"""\
package_name_override: {PACKAGE}
content_type_overrides:
  application/jsonl: application/octet-stream
"""
MODEL = "gpt-4.1-mini-2025-04-14"


def generate(document: dict[str, Any], where: Path) -> str:
    """Generates the client package under `where`; returns what the generator printed."""
    (where / "openapi.json").write_text(json.dumps(document))
    (where / "config.yaml").write_text(CONFIG)
    bin_dir = Path(sys.executable).parent  # the generator's post-hooks run this venv's ruff
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            *("--path", str(where / "openapi.json")),
            *("--config", str(where / "config.yaml")),
            *("--meta", "none"),
            *("--output-path", str(where / PACKAGE)),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture
def generated(client: Client, tmp_path: Path) -> Iterator[tuple[ModuleType, str]]:
    document = client.get("/schema/openapi.json").json()
    output = generate(document, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE), output
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generator_drops_nothing(generated: tuple[ModuleType, str]) -> None:
    _, output = generated
    # "Warning(s) encountered ... some pieces may be missing": an endpoint or a schema skipped.
    assert "Warning" not in output and "WARNING" not in output, output


def test_a_dpo_job_through_the_generated_client(
    client: Client, keys: Keys, generated: tuple[ModuleType, str]
) -> None:
    package, _ = generated
    api = package.AuthenticatedClient(base_url=str(client.base_url), token=keys.team_a)
    # The TestClient is an httpx.Client on the in-process app: the generated calls go to it.
    client.headers.update(auth(keys.team_a))
    api.set_httpx_client(client)
    models, types = module("models"), module("types")

    upload = module("api.datasets.v1_datasets_upload").sync_detailed(
        client=api,
        body=models.V1DatasetsUploadFilesBody(
            file=types.File(
                payload=io.BytesIO(jsonl(dpo_rows())),
                file_name="train.jsonl",
                mime_type="application/jsonl",
            ),
            kind=models.V1DatasetsUploadFilesBodyKind.DPO,
        ),
    )
    assert upload.status_code == 201, upload.content
    dataset = upload.parsed
    assert isinstance(dataset, models.UploadOut) and dataset.kind == "dpo"
    assert dataset.already_stored is False

    jobs = "api.jobs."
    created = module(jobs + "v1_jobs_create_job").sync_detailed(
        client=api, body=models.JobCreate(training_dataset_id=dataset.id, model=MODEL)
    )
    assert created.status_code == 202, created.content
    job = created.parsed
    assert isinstance(job, models.JobOut) and job.status == "pending"

    read = module(jobs + "v1_jobs_job_id_get_job").sync(job.id, client=api)
    assert isinstance(read, models.JobOut) and read.id == job.id

    listed = module(jobs + "v1_jobs_list_jobs").sync(client=api, limit=10)
    assert isinstance(listed, models.Page)
    assert job.id in [item["id"] for item in listed.data]

    events = module(jobs + "v1_jobs_job_id_events_list_events").sync(job.id, client=api)
    assert isinstance(events, models.Page) and events.data

    refused = module(jobs + "v1_jobs_create_job").sync_detailed(
        client=api, body=models.JobCreate(training_dataset_id=dataset.id, model="no-such-model")
    )
    assert refused.status_code == 422
    problem = refused.parsed
    assert isinstance(problem, models.Problem) and problem.status == 422
    assert problem.errors and problem.errors[0].code
