"""The OpenAI emulator: files, uploads and fine-tuning jobs under `/v1/...`, as the `openai` SDK
expects them; `mount.mount` hands it to the app. State lives in memory; job phases follow elapsed
time (`phase_seconds` each). It builds on the shared modules one level up and on no sibling.
"""
