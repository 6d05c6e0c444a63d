"""Validator throughput and memory, beside a floor and Together's checker.

    .venv/bin/python -m tests.bench.validate_bench [--mb 200] [--keep DIR] [--no-together]

Generates a realistic OpenAI DPO file (system + user turns, multi-turn chats, some tool rows,
mixed-script text, outputs of 100 B - 6 KB) in a temp dir, then measures, each in a fresh
child process:

- floor: read the file in 1 MiB blocks, split lines, msgspec-decode each line; no rules;
- ftjobs without tokens: `ingest_file(count_tokens=False)`, and peak RSS;
- ftjobs with tokens: `ingest_file()` on every core, and peak RSS;
- tiktoken single core: o200k_base on every text of the file, one core (the with-tokens target
  is 0.8 x this x cores), run before and after each with-tokens run and compared with it;
- Together: `together==2.14.0`'s `check_file`, installed into a throwaway venv in the temp dir;
- memory on many rows: peak RSS on a file of 2,200,000 short rows (~420 MB), with and without
  tokens, where the duplicate tables reach their bound (`--rows` changes the count).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

# Mostly English prose (as most preference data is), some code, numbers and other scripts.
_VOCABULARY = """
the of and to in is that it for as with was on be by this are from at or an have not which
but they their has more one all were we can been will would there also its when other about
into than only some could these may them then time over such most first after new where used
because between through system model answer question data training preference response user
assistant example reason step however therefore result value function return string number
list should make each people year work well way even good very through still take know need
following important different information provide explain describe consider approach method
performance problem solution understand analysis process support include simple complex
def class import print self None True False lambda 42 3.14 2024 100 x+y {"key": "value"}
Antwort réponse función 数据 回答 データ — “quoted” 🙂
"""
WORDS = _VOCABULARY.split()
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_stock_price",
            "description": "Price of a stock",
            "parameters": {
                "type": "object",
                "properties": {"symbol": {"type": "string"}, "period": {"type": "string"}},
                "required": ["symbol"],
            },
        },
    }
]


def _text(rng: random.Random, lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    words = rng.choices(WORDS, k=n)
    for i in range(0, n, rng.randint(8, 20)):
        words[i] += rng.choice([".", ",", ".\n", "?", ":\n\n"])
    return " ".join(words)


# Row shapes seen in public sets: (share, prior turns, output words), e.g. HH-RLHF's short
# multi-turn chats, orca-style single questions, UltraFeedback's long answers.
SHAPES = [(0.4, (1, 3), (5, 120)), (0.4, (0, 0), (20, 300)), (0.2, (0, 1), (100, 900))]


def _row(rng: random.Random, systems: list[str]) -> dict[str, object]:
    # Like real sets: a few shared system prompts; every user turn and output unique.
    _, turns, words = rng.choices(SHAPES, weights=[s[0] for s in SHAPES])[0]
    messages: list[dict[str, object]] = []
    if rng.random() < 0.7:
        messages.append({"role": "system", "content": rng.choice(systems)})
    for _ in range(rng.randint(*turns)):
        messages.append({"role": "user", "content": _text(rng, 3, 40)})
        messages.append({"role": "assistant", "content": _text(rng, 5, 80)})
    messages.append({"role": "user", "content": _text(rng, 5, 120)})
    row: dict[str, object] = {"input": {"messages": messages}}
    if rng.random() < 0.05:
        row["input"] = {"messages": messages, "tools": TOOLS}
        call = {
            "id": "call_1",
            "type": "function",
            "function": {
                "name": "get_stock_price",
                "arguments": json.dumps({"symbol": "GS", "period": "1d"}),
            },
        }
        row["preferred_output"] = [{"role": "assistant", "tool_calls": [call]}]
    else:
        row["preferred_output"] = [{"role": "assistant", "content": _text(rng, *words)}]
    row["non_preferred_output"] = [{"role": "assistant", "content": _text(rng, *words)}]
    return row


def generate(path: Path, megabytes: int) -> None:
    rng = random.Random(1234)
    target = megabytes << 20
    systems = [_text(rng, 5, 40) for _ in range(8)]
    with path.open("w", encoding="utf-8") as f:
        written = 0
        while written < target:
            line = json.dumps(_row(rng, systems), ensure_ascii=rng.random() < 0.3) + "\n"
            f.write(line)
            written += len(line.encode())


def generate_many_rows(path: Path, rows: int) -> None:
    """Short distinct rows: the most keys per byte, so the duplicate tables fill up."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            row = {
                "input": {"messages": [{"role": "user", "content": f"Question {i}?"}]},
                "preferred_output": [{"role": "assistant", "content": f"Answer {i}."}],
                "non_preferred_output": [{"role": "assistant", "content": f"No idea ({i})."}],
            }
            f.write(json.dumps(row) + "\n")


# --- measurements, each run in a child process ----------------------------------------------

FLOOR = """
import sys, time, msgspec
dec = msgspec.json.Decoder()
t = time.perf_counter(); n = 0; rest = b""
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(1 << 20):
        data = rest + chunk
        cut = data.rfind(b"\\n") + 1
        rest = data[cut:]
        for line in data[:cut].split(b"\\n")[:-1]:
            dec.decode(line); n += 1
    if rest:
        dec.decode(rest)
print(time.perf_counter() - t)
"""

FTJOBS = """
import resource, sys, time
from pathlib import Path
from service.datasets.validator import ingest_file

# As `ftjobs validate` runs it: one thread, so pool workers are forked children of this
# process and RUSAGE_CHILDREN reports the largest of them once the pool has shut down.
if __name__ == "__main__":
    t = time.perf_counter()
    r = ingest_file(Path(sys.argv[1]), None, count_tokens=sys.argv[2] == "1")
    dt = time.perf_counter() - t
    assert r.report.valid, r.report.counts_by_code
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(dt, me, worker, r.report.stats.total_tokens)
"""

TIKTOKEN = """
import sys, time
from service.datasets.validator.row.typed import DPO_DECODER, text_of
from service.datasets.validator.tokens import encoding
enc = encoding()
texts, size = [], 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        row = DPO_DECODER.decode(line)
        size += len(line)
        for m in [*row.input.messages, *row.preferred_output, *row.non_preferred_output]:
            texts.append(text_of(m.content))
            texts.extend(c.function.arguments for c in m.tool_calls or [])
        if size > int(sys.argv[2]):
            break
t = time.process_time()
for text in texts:
    enc.encode_ordinary(text)  # tiktoken's public API, one core
print(time.process_time() - t, size)
"""

TOGETHER = """
import sys, time
from together.lib.utils.files import check_file
t = time.perf_counter()
report = check_file(sys.argv[1])
print(time.perf_counter() - t, report.get("is_check_passed"), report.get("num_samples"))
"""


def _child(python: str, code: str, *args: str) -> list[str]:
    # A script file, not -c: the pool's forkserver re-imports __main__ from its path.
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(code)
    try:
        out = subprocess.run(
            [python, script.name, *args], check=True, capture_output=True, text=True
        )
    finally:
        os.unlink(script.name)
    return out.stdout.split()


def _together_python(tmp: Path) -> str | None:
    env_dir = tmp / "together-venv"
    python = str(env_dir / "bin" / "python")
    if not env_dir.exists():
        venv.create(env_dir, with_pip=True)
    pip = [python, "-m", "pip", "install", "-q", "together==2.14.0"]
    done = subprocess.run(pip, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"together==2.14.0 did not install: {done.stderr[-500:]}")
        return None
    return python


def _mb(n: str) -> str:
    return f"{int(n) / 2**20:.0f} MB"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--keep", type=Path, help="reuse / keep the generated file in this dir")
    ap.add_argument("--no-together", action="store_true")
    ap.add_argument("--runs", type=int, default=2, help="best of N for every timing")
    ap.add_argument("--rows", type=int, default=2_200_000, help="rows of the many-rows file")
    args = ap.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="ftjobs-bench-") as tmp:
        run(args, Path(tmp))


def run(args: argparse.Namespace, tmp: Path) -> None:
    path = tmp / f"dpo_{args.mb}mb.jsonl"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.mb)
        print(f"generated {path} in {time.perf_counter() - t:.1f}s")
    size = path.stat().st_size / 1e6
    py, cores, file = sys.executable, len(os.sched_getaffinity(0)), str(path)

    def best(code: str, *extra: str, python: str = py) -> list[str]:
        runs = [_child(python, code, file, *extra) for _ in range(args.runs)]
        return min(runs, key=lambda r: float(r[0]))

    _child(py, FLOOR, file)  # warm the page cache
    floor = size / float(best(FLOOR)[0])
    nt = best(FTJOBS, "0")
    no_tok = size / float(nt[0])

    def tiktoken_single() -> float:
        dt, n = _child(py, TIKTOKEN, file, str(40 << 20))
        return int(n) / 1e6 / float(dt)

    # This machine's speed drifts within a minute, so each with-tokens run is compared with
    # the single-core tiktoken runs just before and just after it, not with one taken minutes
    # away: the ratio is the median of those pairs.
    singles, runs = [tiktoken_single()], []
    for _ in range(args.runs):
        runs.append(_child(py, FTJOBS, file, "1"))
        singles.append(tiktoken_single())
    ratios = sorted(
        size / float(r[0]) / ((before + after) / 2 * cores)
        for r, before, after in zip(runs, singles[:-1], singles[1:], strict=True)
    )
    ratio = ratios[len(ratios) // 2]
    wt = min(runs, key=lambda r: float(r[0]))
    with_tok = size / float(wt[0])
    print(f"file {path.name}: {size:,.0f} MB, {cores} core(s), best of {args.runs}")
    print(f"floor (msgspec decode, no rules)  {floor:7.1f} MB/s")
    print(
        f"ftjobs validate, no tokens        {no_tok:7.1f} MB/s = {no_tok / floor:.2f} x floor "
        f"[target 0.5: {_verdict(no_tok >= floor / 2)}]; peak RSS {_mb(nt[1])}, "
        f"workers {_mb(nt[2])}"
    )
    if not args.no_together:
        tpy = _together_python(tmp)
        if tpy is not None:
            res = best(TOGETHER, python=tpy)
            together = size / float(res[0])
            print(
                f"together 2.14.0 check_file        {together:7.1f} MB/s (passed={res[1]}, "
                f"{res[2]} samples); ftjobs = {no_tok / together:.1f} x "
                f"[target 3: {_verdict(no_tok >= 3 * together)}]"
            )
    print(
        f"tiktoken encode_ordinary, 1 core  {min(singles):7.1f} - {max(singles):.1f} MB/s "
        f"({len(singles)} runs, around the with-tokens runs)"
    )
    print(
        f"ftjobs validate, with tokens      {with_tok:7.1f} MB/s (best); = "
        f"{ratio:.2f} x (1 core x {cores}) as the median of paired runs "
        f"{[round(r, 2) for r in ratios]} [target 0.8: {_verdict(ratio >= 0.8)}]; "
        f"{int(wt[3]):,} tokens"
    )
    print(
        f"  peak RSS: parent {_mb(wt[1])}, each worker <= {_mb(wt[2])} "
        f"[target < 100 MB: {_verdict(max(int(wt[1]), int(wt[2])) < 100 * 2**20)}]"
    )

    many_rows(args, tmp)


def many_rows(args: argparse.Namespace, tmp: Path) -> None:
    path = tmp / f"short_rows_{args.rows}.jsonl"
    if not path.exists():
        generate_many_rows(path, args.rows)
    size = path.stat().st_size / 1e6
    peaks = []
    for tokens in ("0", "1"):
        _, parent, worker, _ = _child(sys.executable, FTJOBS, str(path), tokens)
        peaks.append((int(parent), int(worker)))
    worst = max(max(p) for p in peaks)
    print(
        f"many rows ({args.rows:,} rows, {size:,.0f} MB): peak RSS without tokens parent "
        f"{_mb(str(peaks[0][0]))}, workers {_mb(str(peaks[0][1]))}; with tokens parent "
        f"{_mb(str(peaks[1][0]))}, workers {_mb(str(peaks[1][1]))} "
        f"[target < 100 MB: {_verdict(worst < 100 * 2**20)}]"
    )


if __name__ == "__main__":
    main()
