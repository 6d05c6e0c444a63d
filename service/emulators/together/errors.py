"""Together's errors: the `{"error": {"message", "type", "param", "code"}}` envelope (its spec's
`ErrorData`, the same shape as the shared `APIError`), with Together's types and wording."""

from __future__ import annotations

from typing import Any

from service.emulators.errors import APIError


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> APIError:
    """A 400: the request names something Together refuses."""
    return APIError(400, message, type_="invalid_request_error", param=param, code=code)


def not_found(message: str, *, param: str | None = "id") -> APIError:
    return APIError(404, message, type_="invalid_request_error", param=param, code="not_found")


def insufficient_balance(price: float, limit: float) -> APIError:
    """A 402, as Together answers when a job would go past the account's credit limit."""
    return APIError(
        402,
        f"The estimated price of this job (${price:.2f}) exceeds your available credit limit "
        f"(${limit:.2f}). Please add credits through Settings -> Billing on api.together.ai.",
        type_="insufficient_balance",
        code="insufficient_balance",
    )


class DuplicateFileError(APIError):
    """A 409 on `POST /files` for bytes already uploaded: the SDK's UploadManager reads the
    existing file's id from `file_id` at the top level of the body and returns that file."""

    def __init__(self, file_id: str) -> None:
        super().__init__(
            409,
            f"A file with the same checksum already exists: {file_id}",
            type_="invalid_request_error",
            param="checksum",
            code="file_already_exists",
        )
        self.file_id = file_id

    def body(self) -> dict[str, Any]:
        return {**super().body(), "file_id": self.file_id}
