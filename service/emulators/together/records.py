"""The in-memory records of a Together account: files, jobs, their events, checkpoints and
metrics (plain data; behaviour lives elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.emulators.together.pricing import Estimate

# statuses after which nothing happens to a job any more (the SDK's COMPLETED_STATUSES)
ENDED = frozenset({"completed", "cancelled", "error", "user_error"})
# statuses the emulator's clock moves on by itself; anything else (a raw status set through the
# controls) stands still until the controls change it back
MOVING = frozenset({"pending", "queued", "running", "compressing", "uploading", "cancel_requested"})


@dataclass
class FileRecord:
    """A file from the moment `POST /files` hands out its upload URL; usable once its bytes
    arrived (`content`), `processed` once `preprocess` has run."""

    id: str
    filename: str
    purpose: str
    file_type: str
    checksum: str | None  # as declared by the client (sha256 hex, the SDK's choice)
    created_at: int
    content: bytes | None = None  # None until the presigned PUT arrives
    processed: bool = False

    @property
    def uploaded(self) -> bool:
        return self.content is not None

    @property
    def size(self) -> int:
        return 0 if self.content is None else len(self.content)


@dataclass
class EventRecord:
    created_at: float
    type: str
    message: str
    level: str = "info"
    step: int | None = None
    checkpoint_path: str | None = None
    model_path: str | None = None
    hash: str | None = None
    token_count: int | None = None
    total_steps: int | None = None
    param_count: int | None = None


@dataclass
class CheckpointRecord:
    step: int
    created_at: float
    path: str
    checkpoint_type: str  # "Intermediate", "Final"
    checkpoint: str  # "adapter" (LoRA) or "model" (Full)


@dataclass(frozen=True)
class Milestone:
    """A point of the running phase, as a fraction of it, where something becomes visible."""

    step: int
    fraction: float
    epoch_complete: int | None = None  # the epoch that ends at this step
    checkpoint: bool = False
    evaluation: bool = False
    last: bool = False


@dataclass
class TrainingPlan:
    """Fixed when a job starts running."""

    steps_per_epoch: int
    total_steps: int
    milestones: list[Milestone]
    next_index: int = 0


@dataclass
class JobRecord:
    id: str
    created_at: float
    model: str
    training_file: str
    validation_file: str | None
    method: str  # "sft" | "dpo"
    training_method: dict[str, Any]  # as the API answers it
    training_type: dict[str, Any]  # {"type": "Lora", ...} or {"type": "Full"}
    n_epochs: int
    n_checkpoints: int
    n_evals: int
    batch_size: int  # "max" resolved at creation
    learning_rate: float
    suffix: str | None
    random_seed: int | None
    output_name: str
    quote: Estimate  # tokens and price, as the estimate gave them at creation
    settings: dict[str, Any] = field(default_factory=dict)  # everything else, echoed back
    from_checkpoint: str | None = None
    status: str = "pending"
    updated_at: float = 0.0
    started_at: float | None = None
    events: list[EventRecord] = field(default_factory=list)  # oldest first
    checkpoints: list[CheckpointRecord] = field(default_factory=list)  # oldest first
    metrics: list[dict[str, float]] = field(default_factory=list)  # one per logged step
    metrics_logged_at: list[float] = field(default_factory=list)  # beside `metrics`
    steps_completed: int = 0
    epochs_completed: int = 0
    evals_completed: int = 0
    # known once the job's data is tokenized (when it starts running), as at Together
    token_count: int | None = None
    total_price: int | None = None  # in cents
    model_output_path: str | None = None
    plan: TrainingPlan | None = None
    examples: int = 0  # training examples, counted when the job's files are checked
    frozen_from: str | None = None  # the status before the controls set a raw one
    frozen_at: float | None = None
    # the clock: what is due when (`version` tells stale schedule entries)
    version: int = 0
    due_at: float | None = None
    run_started: float | None = None
    run_seconds: float = 0.0

    @property
    def ended(self) -> bool:
        return self.status in ENDED
