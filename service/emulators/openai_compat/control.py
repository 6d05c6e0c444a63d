"""One world's part of `/_emulator/*`: its counts and listings in `state` (the provider decides
under which key), and what `reset` forgets."""

from __future__ import annotations

from collections import Counter
from typing import Any

from service.emulators.openai_compat.records import FileRecord, JobRecord
from service.emulators.openai_compat.state import Emulator


def state(emu: Emulator) -> dict[str, Any]:
    """Counts and listings, so tests can assert e.g. one file per dataset and one job per job."""
    files = emu.live_files()
    jobs = list(emu.jobs.values())
    return {
        "files": len(files),
        "jobs": len(jobs),
        "uploads": len(emu.uploads),
        "files_by_purpose": dict(Counter(record.purpose for record in files)),
        "jobs_by_status": dict(Counter(job.status for job in jobs)),
        "file_list": [_file_summary(record) for record in files],
        "job_list": [_job_summary(job) for job in jobs],
    }


def _file_summary(record: FileRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "filename": record.filename,
        "purpose": record.purpose,
        "bytes": record.size,
        "created_at": record.created_at,
    }


def _job_summary(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "model": job.model,
        "method": job.method,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "suffix": job.suffix,
        "metadata": job.metadata,
        "seed": job.seed,
        "fine_tuned_model": job.fine_tuned_model,
        "created_at": job.created_at,
        **job.extra,
    }
