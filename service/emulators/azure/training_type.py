"""`trainingType`: where an Azure job trains (Standard: the resource's region, GlobalStandard:
any region, Developer: spare capacity, cheaper, may be preempted).

The service sends it in the job-create body; Azure writes the values in PascalCase and accepts
any letter case. The job keeps and returns it in lower case.
"""

from __future__ import annotations

from typing import Any

from service.emulators.openai_compat.params import invalid_value

FIELD = "trainingType"
TRAINING_TYPES = ("standard", "globalstandard", "developer")
DEFAULT = "globalstandard"


def parse_training_type(value: Any) -> str:
    """The value in lower case; absent is `globalstandard`, anything else a 400 naming it."""
    if value is None:
        return DEFAULT
    if not isinstance(value, str) or value.lower() not in TRAINING_TYPES:
        raise invalid_value(FIELD, f"must be one of {', '.join(TRAINING_TYPES)}")
    return value.lower()
