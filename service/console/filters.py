"""The job list's filter form: what a person typed, checked, as the API's filters (pure).

The form speaks the API's words (`status` repeatable, `provider`, `model`, `dataset_id`) plus
`metadata`, one `key=value` per line or comma, for the API's `metadata[key]=value`. Bad input is
a 400 naming the field, as in the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from service.errors import FieldError, ServiceError


@dataclass(frozen=True)
class JobQuery:
    statuses: tuple[str, ...] = ()
    provider: str | None = None
    model: str | None = None
    dataset_id: str | None = None
    metadata_text: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(
            self.statuses or self.provider or self.model or self.dataset_id or self.metadata
        )

    def query_string(self, cursor: str | None = None) -> str:
        """This query (and a page's cursor) as a URL's query string, for links."""
        pairs: list[tuple[str, str]] = [("status", status) for status in self.statuses]
        for name in ("provider", "model", "dataset_id"):
            given = getattr(self, name)
            if given:
                pairs.append((name, given))
        if self.metadata_text.strip():
            pairs.append(("metadata", self.metadata_text))
        if cursor:
            pairs.append(("cursor", cursor))
        return urlencode(pairs)


def job_query(
    statuses: Sequence[str],
    provider: str | None,
    model: str | None,
    dataset_id: str | None,
    metadata: str | None,
) -> JobQuery:
    """Blank fields mean "any" (a form sends every field, filled or not)."""
    return JobQuery(
        statuses=tuple(s for s in statuses if s.strip()),
        provider=_given(provider),
        model=_given(model),
        dataset_id=_given(dataset_id),
        metadata_text=metadata or "",
        metadata=metadata_pairs(metadata or ""),
    )


def _given(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None


def metadata_pairs(text: str) -> dict[str, str]:
    """ "team=search, run=7" (commas or lines) -> {"team": "search", "run": "7"}."""
    pairs: dict[str, str] = {}
    for item in text.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            message = f"metadata filter {item!r} is not key=value (e.g. experiment=baseline)"
            raise ServiceError(
                message, errors=[FieldError("invalid_query_parameter", message, path="/metadata")]
            )
        pairs[key.strip()] = value.strip()
    return pairs
