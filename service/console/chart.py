"""A line chart of training metrics per step, drawn as inline SVG by the server (pure).

Why SVG from Python rather than a JavaScript chart library: nothing to vendor, build or serve
beyond the page itself (locked-down networks), it renders with scripts off, screen readers get
its title, description and a data table, and a test can read the very numbers it plots. The
page only swaps in a freshly rendered chart while a job runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.console.formatting import metric

# The drawing: a viewBox the browser scales to the page's width.
WIDTH = 720
HEIGHT = 300
MARGIN_LEFT = 70
MARGIN_RIGHT = 20
MARGIN_TOP = 16
MARGIN_BOTTOM = 52
# More points than pixels only slows the page: long runs are thinned for drawing (the data
# table keeps every step).
MAX_DRAWN_POINTS = 600

# Known metric names read as words; others are shown by their own name. Training first, then
# validation, then the full validation pass at the end.
_PHASES = (("full_valid_", "Full validation"), ("valid_", "Validation"), ("train_", "Training"))
_ORDER = {"Training": 0, "Validation": 1, "Full validation": 2}


@dataclass(frozen=True)
class Series:
    name: str  # the metric as the provider reports it, e.g. "valid_loss"
    label: str  # as people read it, e.g. "Validation loss"
    points: tuple[tuple[int, float], ...]  # (step, value), by step


@dataclass(frozen=True)
class Tick:
    value: float
    label: str
    at: float  # pixels along the axis


@dataclass(frozen=True)
class Line:
    series: Series
    style: int  # 0, 1, 2…: colour and dash pattern (not colour alone)
    path: str  # the SVG path through the drawn points
    drawn: tuple[tuple[float, float], ...]  # the drawn points, in pixels


@dataclass(frozen=True)
class Chart:
    title: str
    y_label: str
    x_label: str
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    description: str
    as_percent: bool
    width: int = WIDTH
    height: int = HEIGHT
    left: int = MARGIN_LEFT
    top: int = MARGIN_TOP
    right: int = WIDTH - MARGIN_RIGHT
    bottom: int = HEIGHT - MARGIN_BOTTOM

    def table(self) -> list[tuple[int, tuple[str, ...]]]:
        """The data as rows: each step any series has, with each series' value there ("" where
        it has none), formatted as the axis is."""
        shown = _percent_label if self.as_percent else metric
        by_series = [dict(line.series.points) for line in self.lines]
        steps = sorted({step for values in by_series for step in values})
        return [
            (step, tuple(shown(v[step]) if step in v else "" for v in by_series)) for step in steps
        ]


def metric_label(name: str) -> str:
    """ "valid_mean_token_accuracy" -> "Validation mean token accuracy"."""
    for prefix, phase in _PHASES:
        if name.startswith(prefix):
            return f"{phase} {name[len(prefix) :].replace('_', ' ')}"
    return name.replace("_", " ").capitalize()


def series_of(steps: Iterable[tuple[int, Mapping[str, float]]], word: str) -> list[Series]:
    """Every metric whose name contains `word` ("loss", "accuracy"), as a series over the steps
    that report it (finite numbers only), training before validation."""
    collected: dict[str, list[tuple[int, float]]] = {}
    for step, values in sorted(steps, key=lambda pair: pair[0]):
        for name, number in values.items():
            if word in name and _finite(number):
                collected.setdefault(name, []).append((step, float(number)))
    found = [Series(name, metric_label(name), tuple(points)) for name, points in collected.items()]
    return sorted(found, key=lambda s: (_ORDER.get(s.label.split(" ")[0], 9), s.name))


def _finite(number: object) -> bool:
    return (
        isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number)
    )


def nice_step(span: float, target: int) -> float:
    """A tick spacing of 1, 2 or 5 times a power of ten giving about `target` intervals."""
    raw = span / max(1, target)
    if raw <= 0:
        return 1.0
    power: float = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if raw <= m * power)


def nice_range(low: float, high: float, target: int = 5) -> tuple[float, float, float]:
    """(start, end, spacing): round bounds that contain [low, high]; a flat series gets room."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    spacing = nice_step(high - low, target)
    start = math.floor(low / spacing) * spacing
    end = math.ceil(high / spacing) * spacing
    return start, end, spacing


def thin(
    points: Sequence[tuple[int, float]], limit: int = MAX_DRAWN_POINTS
) -> list[tuple[int, float]]:
    """At most about `limit` points, evenly strided, always keeping the first and the last."""
    if len(points) <= limit:
        return list(points)
    stride = math.ceil(len(points) / limit)
    kept = list(points[::stride])
    if kept[-1] != points[-1]:
        kept.append(points[-1])
    return kept


def plot(
    series: Sequence[Series], *, title: str, y_label: str, as_percent: bool = False
) -> Chart | None:
    """The chart of `series` on shared axes; None when there is nothing to draw."""
    series = [s for s in series if s.points]
    if not series:
        return None
    steps = [step for s in series for step, _ in s.points]
    values = [value for s in series for _, value in s.points]
    x_start, x_end, x_spacing = nice_range(min(steps), max(steps), target=8)
    if x_spacing < 1:  # steps are whole numbers: no tick at step 1.5
        x_start, x_end, x_spacing = float(min(steps)), float(max(steps)), 1.0
        x_end += x_end == x_start
    x_start = max(0.0, x_start)  # there is no step before 0
    y_start, y_end, y_spacing = nice_range(min(values), max(values), target=5)
    if as_percent:
        y_start, y_end = max(0.0, y_start), min(1.0, y_end) if max(values) <= 1 else y_end
    frame = Chart(
        title=title,
        y_label=y_label,
        x_label="Training step",
        lines=(),
        x_ticks=(),
        y_ticks=(),
        description="",
        as_percent=as_percent,
    )

    def x_at(step: float) -> float:
        return frame.left + (step - x_start) / (x_end - x_start) * (frame.right - frame.left)

    def y_at(value: float) -> float:
        return frame.bottom - (value - y_start) / (y_end - y_start) * (frame.bottom - frame.top)

    lines = []
    for style, one in enumerate(series):
        drawn = tuple(
            (round(x_at(step), 2), round(y_at(value), 2)) for step, value in thin(one.points)
        )
        path = "M" + " L".join(f"{x:g},{y:g}" for x, y in drawn)
        lines.append(Line(one, style, path, drawn))
    label = _percent_label if as_percent else metric
    return Chart(
        title=title,
        y_label=y_label,
        x_label=frame.x_label,
        lines=tuple(lines),
        x_ticks=tuple(
            Tick(v, f"{v:g}", round(x_at(v), 2)) for v in _ticks(x_start, x_end, x_spacing)
        ),
        y_ticks=tuple(
            Tick(v, label(v), round(y_at(v), 2)) for v in _ticks(y_start, y_end, y_spacing)
        ),
        description=describe(series, as_percent=as_percent),
        as_percent=as_percent,
    )


def _ticks(start: float, end: float, spacing: float) -> list[float]:
    count = round((end - start) / spacing)
    # Rounded to the spacing's precision: 0.1 * 3 is 0.30000000000000004 otherwise.
    digits = max(0, -math.floor(math.log10(spacing))) + 1
    return [round(start + i * spacing, digits) for i in range(count + 1)]


def _percent_label(value: float) -> str:
    return f"{value * 100:g} %"


def describe(series: Sequence[Series], *, as_percent: bool = False) -> str:
    """One sentence per series for screen readers: where it starts and where it ends."""
    shown = _percent_label if as_percent else metric
    sentences = []
    for one in series:
        (first_step, first), (last_step, last) = one.points[0], one.points[-1]
        sentences.append(
            f"{one.label}: {shown(first)} at step {first_step}, "
            f"{shown(last)} at step {last_step} ({len(one.points)} steps)."
        )
    return " ".join(sentences)
