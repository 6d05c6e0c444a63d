"""Whether a stored dataset may go to a provider: the verdict its validation report holds.

Pure: the report (as stored) in, the errors that refuse a job out. A dataset stored before the
validator judged per provider has no verdict; it is let through, and the provider judges the
file itself (a refusal there fails the job with the provider's own message). Recomputing the
verdict would mean reading the whole file again inside a job request, up to 512 MB.
"""

from __future__ import annotations

from typing import Any

from service.errors import FieldError

SHOWN = 5  # the first refused rows named in the 422; the report has the rest
CODE = "dataset_refused_by_provider"


def refusal(dataset_id: str, report: dict[str, Any], provider: str, path: str) -> list[FieldError]:
    """One error per refused row (the first `SHOWN`), each naming `path` (the request's field)
    and the line; empty when `provider` accepts the dataset or its verdict is unknown."""
    verdict = (report.get("providers") or {}).get(provider)
    if not isinstance(verdict, dict) or verdict.get("accepted", True):
        return []
    problems = verdict.get("problems") or []
    errors = [_error(dataset_id, provider, problem, path) for problem in problems[:SHOWN]]
    if not errors:  # a verdict without details (cannot happen today): still say no
        errors = [FieldError(CODE, f"{provider} refuses dataset {dataset_id}", path=path)]
    return errors


def summary(dataset_id: str, report: dict[str, Any], provider: str) -> str:
    total = report["providers"][provider].get("problems_total", 0)
    return (
        f"{provider} would refuse dataset {dataset_id}: {total} problem(s); the first are in "
        "`errors`, all in the dataset's report (`providers`)"
    )


def _error(dataset_id: str, provider: str, problem: dict[str, Any], path: str) -> FieldError:
    line, where = problem.get("line"), problem.get("path")
    place = f"line {line}" if line is not None else "the file"
    if where:
        place += f" at {where}"
    message = f"{provider} refuses {place} of dataset {dataset_id}: {problem.get('message')}"
    return FieldError(CODE, message, line=line, path=path)
