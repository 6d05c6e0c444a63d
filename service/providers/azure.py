"""Azure OpenAI: the same SDK and the same DPO method as OpenAI, on Azure's v1 API.

The plain `openai` client at `{endpoint}/openai/v1/` (not `AzureOpenAI`, whose legacy path
drops `method`), authenticated with the `api-key` header, or with a Microsoft Entra ID token
(`azure-identity`, an optional extra) when no key is set. Everything else is OpenAIProvider's:
uploads, reads with retries, writes without, error classification with Retry-After.

Two things differ:
- Azure's training tier is the `training_type` hyperparameter, sent as `trainingType`.
- Finding our own job again. Azure does not document job `metadata`, so nothing is sent there
  and nothing is looked up by it. Every Azure job carries a seed instead (the caller's, or one
  derived from our job id: `fingerprint_seed`), and `find_jobs` looks for the job with our
  training file, model and seed among the newest jobs. Two jobs of ours can only share all
  three when a caller gave both the same seed on the same dataset and model: the submit step
  then skips the remote jobs already claimed by another of our jobs.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import openai

from service.providers.base import JobSpec, RemoteJob
from service.providers.openai import READ_RETRIES, OpenAIProvider

TokenProvider = Callable[[], Awaitable[str]]
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
FIND_PAGE = 100  # jobs read (newest first) when looking for one of ours


class _ApiKeyClient(openai.AsyncOpenAI):
    """The SDK's client, sending the key as Azure's `api-key` header instead of a bearer token,
    as the SDK's own `AzureOpenAI` does: requests take their headers from `_auth_headers` (the
    public `auth_headers` property is not used for them), and `_validate_headers` would refuse
    a request without an Authorization header."""

    def _auth_headers(self, security: Any) -> dict[str, str]:
        return {"api-key": self.api_key}

    def _validate_headers(self, headers: Any, custom_headers: Any) -> None:
        if not headers.get("api-key"):
            raise TypeError("Azure OpenAI needs an api-key")


def fingerprint_seed(our_job_id: str) -> int:
    """A seed that names our job: what `find_job` looks for when the caller gave no seed."""
    return zlib.crc32(our_job_id.encode()) & 0x7FFFFFFF


class AzureOpenAIProvider(OpenAIProvider):
    name = "azure"

    def __init__(
        self,
        *,
        endpoint: str,
        api_key: str | None,
        token_provider: TokenProvider | None,
        timeout: float,
    ) -> None:
        base_url = f"{endpoint.rstrip('/')}/openai/v1/"
        client: openai.AsyncOpenAI
        if api_key:
            client = _ApiKeyClient(
                api_key=api_key, base_url=base_url, timeout=timeout, max_retries=READ_RETRIES
            )
        elif token_provider is not None:
            client = openai.AsyncOpenAI(
                api_key=token_provider, base_url=base_url, timeout=timeout, max_retries=READ_RETRIES
            )
        else:
            raise RuntimeError("Azure OpenAI needs an api-key or a Microsoft Entra token provider")
        super().__init__(api_key="", base_url=base_url, timeout=timeout, client=client)

    def _create_arguments(self, spec: JobSpec) -> dict[str, Any]:
        hyperparameters = dict(spec.hyperparameters)
        training_type = hyperparameters.pop("training_type", None)
        arguments = super()._create_arguments(replace(spec, hyperparameters=hyperparameters))
        del arguments["metadata"]
        arguments["seed"] = seed_of(spec)
        if training_type is not None:
            arguments["extra_body"] = {"trainingType": training_type}
        return arguments

    async def find_jobs(self, spec: JobSpec) -> list[RemoteJob]:
        """The newest jobs with our training file, model and seed, oldest first."""
        page, _ = await self.list_jobs(None, FIND_PAGE)
        seed = seed_of(spec)
        matches = [
            job
            for job in page
            if job.training_file == spec.training_file
            and job.seed == seed
            and _same_model(job.model, spec.model)
        ]
        return sorted(matches, key=_created)


def seed_of(spec: JobSpec) -> int:
    return spec.seed if spec.seed is not None else fingerprint_seed(spec.our_id)


def _same_model(remote: str, ours: str) -> bool:
    # Azure may answer a dated model by its deployment-style name; both name the same base.
    return remote == ours or remote.replace(".", "") == ours.replace(".", "")


def _created(job: RemoteJob) -> float:
    return job.created_at.timestamp() if job.created_at else 0.0


def entra_token_provider() -> TokenProvider:
    """A bearer-token provider from `azure-identity` (the `azure` extra), refreshed as needed."""
    try:
        from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider
    except ImportError as missing:  # pragma: no cover - depends on the optional extra
        raise RuntimeError(
            "no FTJOBS_AZURE_OPENAI_API_KEY and azure-identity is not installed: "
            "install finetune-jobs[azure] or set the key"
        ) from missing
    provider: TokenProvider = get_bearer_token_provider(DefaultAzureCredential(), ENTRA_SCOPE)
    return provider
