"""Imported by the validation fork server (multiprocessing preloads modules by name), and by
nothing else: every worker forked from the server starts with the validator imported and the
tokenizer loaded, shared copy-on-write with the server and the other workers, instead of
loading its own (0.3 s and some 70 MB apiece)."""

from __future__ import annotations

from service.datasets.validator import blocks  # noqa: F401  (what the workers run)
from service.datasets.validator.tokens import shared_counter

shared_counter()
