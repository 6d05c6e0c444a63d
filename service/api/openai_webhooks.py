"""POST /v1/openai/webhooks: OpenAI says a job finished; refresh it now (polling stays the
backstop). Authenticated by OpenAI's signature, not by an API key."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.datastructures import State

from service.api.deps import Session, Then, resources
from service.errors import ServiceError
from service.jobs import service as jobs
from service.providers.base import InvalidWebhookError
from service.providers.openai import verify_webhook

MAX_WEBHOOK_BYTES = 1024 * 1024


@post(
    "/v1/openai/webhooks", status_code=200, tags=["openai"], request_max_body_size=MAX_WEBHOOK_BYTES
)
async def openai_webhook(
    request: Request[Any, Any, State], session: Session, after_commit: Then
) -> dict[str, Any]:
    """Verified with the SDK against FTJOBS_OPENAI_WEBHOOK_SECRET (400 when the signature or
    timestamp is wrong), deduplicated on `webhook-id`."""
    res = resources(request.app.state)
    secret = res.settings.openai_webhook_secret
    if secret is None:
        raise ServiceError("OpenAI webhooks are not configured: set FTJOBS_OPENAI_WEBHOOK_SECRET")
    try:
        notice = verify_webhook(
            secret.get_secret_value(), await request.body(), dict(request.headers)
        )
    except InvalidWebhookError as error:
        raise ServiceError(f"invalid OpenAI webhook: {error}") from error
    job_id = await jobs.note_webhook(session, notice)
    if job_id is not None:
        after_commit.then(res.wakeups.advance_job, job_id)
    return {"received": True, "job_id": job_id}
