"""The in-memory records behind files, uploads and jobs (plain data; behaviour lives elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})

Hyperparameters = dict[str, str | int | float]


@dataclass
class FileRecord:
    id: str
    filename: str
    purpose: str
    content: bytes  # the one copy of the bytes the emulator keeps
    created_at: int
    expires_at: int | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class UploadRecord:
    id: str
    filename: str
    purpose: str
    mime_type: str
    expected_bytes: int
    created_at: int
    expires_at: int
    status: str = "pending"
    parts: dict[str, bytes] = field(default_factory=dict)
    file: FileRecord | None = None


@dataclass
class EventRecord:
    id: str
    created_at: int
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckpointRecord:
    id: str
    created_at: int
    step: int
    model: str
    metrics: dict[str, float]


@dataclass(frozen=True)
class Milestone:
    """A point of the running phase, as a fraction of it, where something becomes visible."""

    step: int
    fraction: float
    metrics: bool = False
    checkpoint: bool = False
    fail: bool = False
    complete: bool = False


@dataclass
class TrainingPlan:
    """Fixed when the job first starts running; survives pause/resume."""

    hyperparameters: Hyperparameters  # all "auto" values resolved
    total_steps: int
    milestones: list[Milestone]
    model_name: str  # what `fine_tuned_model` becomes on success
    next_index: int = 0
    rows: list[dict[str, float]] = field(default_factory=list)  # metrics so far, for the CSV


@dataclass(frozen=True)
class DatasetReport:
    examples: int
    words: int  # whitespace-split tokens over every string in every example


@dataclass
class JobRecord:
    id: str
    created_at: int
    model: str
    training_file: str
    validation_file: str | None
    method: str  # supervised | dpo | reinforcement
    hyperparameters: Hyperparameters  # as requested, missing keys filled with "auto"
    suffix: str | None
    seed: int
    metadata: dict[str, str] | None
    integrations: list[dict[str, Any]] | None
    extra: dict[str, Any] = field(default_factory=dict)  # the flavor's own fields, e.g. Azure's
    status: str = "validating_files"
    error: dict[str, Any] | None = None
    finished_at: int | None = None
    estimated_finish: int | None = None
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    result_files: list[str] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)  # oldest first
    checkpoints: list[CheckpointRecord] = field(default_factory=list)  # oldest first, last 3
    # the clock: what is due when, and how much of the running phase is done
    version: int = 0  # bumped whenever the job's next due time changes (stale heap entries)
    run_started: float | None = None
    run_done: float = 0.0  # running seconds before the current stint (pause keeps progress)
    run_seconds: float = 0.0
    training: DatasetReport | None = None
    plan: TrainingPlan | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL
