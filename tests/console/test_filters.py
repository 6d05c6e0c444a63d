from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from service.console.filters import job_query, metadata_pairs
from service.errors import ServiceError


def test_metadata_pairs_by_comma_or_line() -> None:
    assert metadata_pairs("team=search, run = 7\nstage=b") == {
        "team": "search",
        "run": "7",
        "stage": "b",
    }
    assert metadata_pairs("  ") == {}


def test_a_metadata_filter_without_equals_is_a_400_naming_the_field() -> None:
    with pytest.raises(ServiceError) as raised:
        metadata_pairs("team=search, oops")
    assert raised.value.status == 400
    [error] = raised.value.errors
    assert error.path == "/metadata" and "'oops'" in error.message


def test_blank_fields_mean_any_and_the_query_survives_into_the_next_page_link() -> None:
    query = job_query(["running", "queued"], " ", "gpt-x", "", "team=a")
    assert query.provider is None and query.dataset_id is None
    assert query.any
    pairs = parse_qsl(query.query_string("job_01ABC"))
    assert pairs == [
        ("status", "running"),
        ("status", "queued"),
        ("model", "gpt-x"),
        ("metadata", "team=a"),
        ("cursor", "job_01ABC"),
    ]
    assert not job_query([], None, None, None, None).any
