"""The physical line where each element of a JSON document starts.

ijson, which parses a whole-file JSON array as a stream, says nothing of where a value came
from. A report that names "element 12" sends the user counting elements in their editor; the
line is what they can go to. `ElementLines` is fed the very bytes the parser reads, in order,
and notes the line of every value that starts at the container's depth (1: the elements of a
top-level array; 0: each of several concatenated top-level values). It is always ahead of the
parser, which cannot yield an element before reading it, so the n-th element the parser yields
starts at the n-th line noted here.

It skips strings (where brackets and commas mean nothing) with `bytes.find` for their closing
quote and counts newlines with `bytes.count`, so its cost is per value, not per byte.
"""

from __future__ import annotations

import re
from collections import deque

# Outside strings: a bracket, the start of a string, or a scalar (number, true, false, null).
_TOKEN = re.compile(rb'[\[\]{}"]|[^\s,:\[\]{}"]+')
_SCALAR = re.compile(rb'[^\s,:\[\]{}"]+')


class ElementLines:
    def __init__(self, depth: int) -> None:
        self._top = depth  # the depth at which a value is one element
        self._depth = 0
        self._in_string = False
        self._escaped = False  # the previous chunk ended inside a string, on a backslash
        self._in_scalar = False  # the previous chunk ended inside a number or a literal
        self._line = 1  # the line the bytes fed so far end on
        self._starts: deque[int] = deque()

    def feed(self, data: bytes) -> None:
        # Once per token of the document: locals, and strings skipped inline.
        if not data:
            return
        pos, end, counted = 0, len(data), 0
        if self._in_scalar:  # its rest is no new value
            rest = _SCALAR.match(data)
            pos = rest.end() if rest is not None else 0
            self._in_scalar = pos == end
        if self._in_string:
            pos = self._skip_string(data, pos)
        depth, top, line = self._depth, self._top, self._line
        search, find, starts = _TOKEN.search, data.find, self._starts
        while pos < end:
            token = search(data, pos)
            if token is None:
                break
            start = token.start()
            first = data[start]
            if depth == top and first != 0x5D and first != 0x7D:  # not "]" or "}"
                line += data.count(b"\n", counted, start)
                counted = start
                starts.append(line)
            if first == 0x22:  # '"': on to the closing quote, skipping escaped ones
                quote = find(b'"', start + 1)
                while quote > 0 and data[quote - 1] == 0x5C and _odd(data, quote, start + 1):
                    quote = find(b'"', quote + 1)
                if quote < 0:
                    self._in_string = True
                    self._escaped = _odd(data, end, start + 1)
                    break
                pos = quote + 1
                continue
            pos = token.end()
            if first == 0x5B or first == 0x7B:  # "[" or "{"
                depth += 1
            elif first == 0x5D or first == 0x7D:
                depth -= 1
            else:
                self._in_scalar = pos == end
        self._depth = depth
        self._line = line + data.count(b"\n", counted, end)

    def _skip_string(self, data: bytes, pos: int) -> int:
        """Past the string's closing quote, or to the chunk's end if it goes on."""
        if self._escaped:  # the escaped character is this chunk's first byte
            self._escaped = False
            pos += 1
        while True:
            quote = data.find(b'"', pos)  # memchr: strings are most of the bytes
            if quote < 0:
                self._escaped = _odd(data, len(data), pos)
                return len(data)
            if not _odd(data, quote, pos):
                self._in_string = False
                return quote + 1
            pos = quote + 1

    def next_start(self) -> int | None:
        """The line of the next element the parser yields (None if the scanner and the parser
        disagree, which only invalid JSON can make them do)."""
        return self._starts.popleft() if self._starts else None

    @property
    def line(self) -> int:
        """The line the scanner has read up to: where a parse error was found, at the latest."""
        return self._line


def _odd(data: bytes, end: int, start: int) -> bool:
    """Whether the run of backslashes just before `end` (not before `start`) is odd: then the
    byte at `end` is escaped."""
    n = 0
    while end - n > start and data[end - n - 1] == 0x5C:
        n += 1
    return n % 2 == 1
