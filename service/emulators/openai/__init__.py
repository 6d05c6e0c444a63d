"""The OpenAI emulator: files, uploads and fine-tuning jobs under `/v1/...`, as the `openai` SDK
expects them. State lives in memory; job phases follow elapsed time (`phase_seconds` each).
"""
