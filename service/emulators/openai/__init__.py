"""The OpenAI emulator: the OpenAI-compatible world (`openai_compat`) in OpenAI's flavor under
`/v1/...`, as the `openai` SDK expects it; `mount.mount` hands it to the app. What is OpenAI's own
lives here: the bearer-key check, the fault wording, the id shapes, the models and `ft:` names,
the `training_not_available` switch and the webhooks. It imports no sibling provider.
"""
