"""The Together AI emulator: Together's files and fine-tuning wire API under `/together/v1/...`,
as the `together` SDK reaches it with `base_url=f"{emulator}/together"` (the SDK's paths start
with `/v1`); `mount.mount` hands it to the app.

Together is not OpenAI-compatible for fine-tuning, so this world is its own (it imports neither
`openai_compat` nor a sibling provider): the upload flow through a presigned URL (`files`), jobs
with Together's statuses, events, checkpoints and metrics (`fine_tunes`, `lifecycle`,
`training`), the model catalogue and its limits (`models`), price estimates against the
account's credit limit (`pricing`), the dataset rules Together checks when a job starts
(`dataset_rules`), its key check, fault wording and ids, its part of `/_emulator/*`
(`control`), and state kept across restarts (`persist`).
"""
