"""Local stand-ins for the fine-tuning providers' APIs, for `ftjobs dev` and tests.

One Litestar app (`app.create_app`) mounts each provider's emulator at that provider's own path
(OpenAI's under `/v1`, Azure OpenAI's under `/openai/v1`, Together AI's under `/together/v1`),
plus `/_emulator/state|faults|reset` for tests. The provider-neutral parts live here, once: the
config and the run-time knobs (`runtime`), fault injection, ids, the error envelope, body
reading, pagination, the job clock, the `Mount` a provider hands the app, the controls and the
app itself. The OpenAI-compatible files and fine-tuning API, which OpenAI and Azure both serve,
is `openai_compat/`, parametrized by a flavor; each provider's own parts are a sub-package
beside it (`openai/`, `azure/`), and none imports another (import-linter). Together AI's API is
not OpenAI-compatible: `together/` is a world of its own on the shared modules alone. State
lives in memory (or in a state directory, across restarts). This package imports nothing else
from `service` and reads no environment variables.
"""
