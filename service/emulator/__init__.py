"""A local stand-in for OpenAI's files, uploads and fine-tuning API, for `ftjobs dev` and tests.

`app.create_app(config.EmulatorConfig(...))` gives a Litestar app serving `/v1/...` the way the
`openai` SDK expects, plus `/_emulator/state|faults|reset` for tests. State lives in memory; job
phases follow elapsed time (`phase_seconds` each). This package imports nothing else from `service`
and reads no environment variables.
"""
