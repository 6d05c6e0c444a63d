from __future__ import annotations

import math

import pytest

from service.console.chart import (
    Chart,
    metric_label,
    nice_range,
    nice_step,
    plot,
    series_of,
    thin,
)

STEPS = [
    (1, {"step": 1.0, "train_loss": 0.7, "train_mean_token_accuracy": 0.5}),
    (2, {"step": 2.0, "train_loss": 0.5, "valid_loss": 0.6}),
    (3, {"step": 3.0, "train_loss": 0.3, "valid_loss": float("nan")}),
    (4, {"step": 4.0, "train_loss": 0.1, "valid_loss": 0.2, "full_valid_loss": 0.25}),
]


def test_metric_names_read_as_words() -> None:
    assert metric_label("train_loss") == "Training loss"
    assert metric_label("valid_mean_token_accuracy") == "Validation mean token accuracy"
    assert metric_label("full_valid_loss") == "Full validation loss"
    assert metric_label("reward_margin") == "Reward margin"


def test_series_take_every_metric_of_a_kind_training_first_and_skip_non_finite_values() -> None:
    losses = series_of(STEPS, "loss")
    assert [s.name for s in losses] == ["train_loss", "valid_loss", "full_valid_loss"]
    assert losses[0].points == ((1, 0.7), (2, 0.5), (3, 0.3), (4, 0.1))
    assert losses[1].points == ((2, 0.6), (4, 0.2))  # step 3's NaN is not a point
    assert [s.name for s in series_of(STEPS, "accuracy")] == ["train_mean_token_accuracy"]


@pytest.mark.parametrize(
    ("span", "target", "expected"),
    [(10, 5, 2), (1, 5, 0.2), (0.37, 5, 0.1), (36, 8, 5), (1000, 4, 500), (0, 5, 1.0)],
)
def test_tick_spacing_is_one_two_or_five_times_a_power_of_ten(
    span: float, target: int, expected: float
) -> None:
    assert math.isclose(nice_step(span, target), expected)


def test_a_nice_range_contains_the_data_and_a_flat_series_gets_room() -> None:
    assert nice_range(0.083, 0.693) == pytest.approx((0.0, 0.8, 0.2))
    low, high, _ = nice_range(0.5, 0.5)
    assert low < 0.5 < high


def test_thinning_keeps_the_first_and_the_last_point() -> None:
    points = [(i, float(i)) for i in range(1, 1001)]
    kept = thin(points, 100)
    assert kept[0] == (1, 1.0) and kept[-1] == (1000, 1000.0)
    assert len(kept) <= 101
    assert thin(points[:5], 100) == points[:5]


def drawn_chart() -> Chart:
    chart = plot(series_of(STEPS, "loss"), title="Loss", y_label="Loss (nats)")
    assert chart is not None
    return chart


def test_points_are_scaled_into_the_plot_area_lower_loss_drawn_lower() -> None:
    chart = drawn_chart()
    train = chart.lines[0]
    xs = [x for x, _ in train.drawn]
    ys = [y for _, y in train.drawn]
    assert all(chart.left <= x <= chart.right for x in xs)
    assert all(chart.top <= y <= chart.bottom for y in ys)
    assert xs == sorted(xs)  # later steps to the right
    assert ys == sorted(ys)  # falling loss: larger y, nearer the bottom of the SVG
    # The y axis runs from 0 to 0.8: a loss of 0.1 sits an eighth of the way up.
    bottom_to_top = chart.bottom - chart.top
    assert ys[-1] == pytest.approx(chart.bottom - bottom_to_top / 8, abs=0.01)
    assert train.path.startswith(f"M{xs[0]:g},{ys[0]:g} L")
    assert train.path.count("L") == len(train.drawn) - 1


def test_ticks_are_labelled_and_the_axes_named() -> None:
    chart = drawn_chart()
    assert [t.label for t in chart.y_ticks] == ["0", "0.2", "0.4", "0.6", "0.8"]
    assert chart.y_ticks[0].at == chart.bottom and chart.y_ticks[-1].at == chart.top
    assert [t.label for t in chart.x_ticks] == ["1", "2", "3", "4"]  # whole steps only
    assert chart.x_ticks[0].at == chart.left and chart.x_ticks[-1].at == chart.right
    assert chart.x_label == "Training step" and chart.y_label == "Loss (nats)"
    assert "Training loss: 0.7 at step 1, 0.1 at step 4 (4 steps)." in chart.description


def test_the_data_table_has_a_row_per_step_and_blanks_where_a_series_has_no_value() -> None:
    rows = drawn_chart().table()
    assert [step for step, _ in rows] == [1, 2, 3, 4]
    assert rows[0] == (1, ("0.7", "", ""))
    assert rows[3] == (4, ("0.1", "0.2", "0.25"))


def test_accuracy_is_shown_in_percent_within_zero_and_one_hundred() -> None:
    chart = plot(series_of(STEPS, "accuracy"), title="Acc", y_label="%", as_percent=True)
    assert chart is not None
    assert all(0 <= t.value <= 1 for t in chart.y_ticks)
    assert chart.y_ticks[-1].label.endswith(" %")


def test_nothing_to_draw_is_no_chart() -> None:
    assert plot([], title="Loss", y_label="Loss") is None
    assert plot(series_of([(1, {"step": 1.0})], "loss"), title="Loss", y_label="Loss") is None
