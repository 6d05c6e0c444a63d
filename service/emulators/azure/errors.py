"""Azure's own error body: `{"error": {"code", "message"}}`, the code a string (often the status).

Azure's gateway answers auth and rate-limit errors itself, in this shorter envelope; errors of
the API behind it (bad parameters, unknown ids) keep OpenAI's envelope (`emulators.errors`).
"""

from __future__ import annotations

from typing import Any

from service.emulators.errors import APIError


class AzureError(APIError):
    """An error Azure's gateway answers; rendered by the app's `APIError` handler."""

    def __init__(
        self, status: int, message: str, *, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, message, code=code, headers=headers)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}
