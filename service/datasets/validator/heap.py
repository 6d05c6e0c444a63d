"""Give freed C heap back to the OS.

glibc keeps freed memory for reuse, so a process's resident size stays at its high-water mark:
after the tokenizer is dropped (some 600,000 small allocations) or a table doubles (the old
arrays leave holes in the heap). malloc_trim releases every whole free page. Elsewhere than
glibc there is no such call and nothing to do.
"""

from __future__ import annotations

import ctypes


def trim() -> None:
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    malloc_trim(0)
