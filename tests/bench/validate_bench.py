"""Validator throughput and memory, beside a floor and Together's checker.

    .venv/bin/python -m tests.bench.validate_bench [--mb 200] [--keep DIR] [--no-together]

Generates a realistic OpenAI DPO file (system + user turns, multi-turn chats, some tool rows,
mixed-script text, outputs of 100 B - 6 KB) in a temp dir, then measures, each in a fresh
child process:

- floor: read the file in 1 MiB blocks, split lines, msgspec-decode each line; no rules;
- ftjobs without tokens: `ingest_file(count_tokens=False)`, and peak RSS;
- ftjobs with tokens: `ingest_file()` on every core, and peak RSS;
- tiktoken single core: o200k_base on every text of the file, one core (the with-tokens target
  is 0.8 x this x cores);
- Together: `together==2.14.0`'s `check_file`, installed into a throwaway venv in the temp dir.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

_VOCABULARY = """
the model answer question data train preference output input assistant user system because
therefore however example reason step first second finally result value función respuesta
données réponse Antwort schnell 数据 模型 回答 テスト データ value=42 x+y {json} `code` —
“quoted” 🙂
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


def _row(rng: random.Random) -> dict[str, object]:
    messages: list[dict[str, object]] = [{"role": "system", "content": _text(rng, 5, 40)}]
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        messages.append({"role": "user", "content": _text(rng, 5, 80)})
        messages.append({"role": "assistant", "content": _text(rng, 10, 200)})
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
        row["preferred_output"] = [{"role": "assistant", "content": _text(rng, 20, 900)}]
    row["non_preferred_output"] = [{"role": "assistant", "content": _text(rng, 20, 900)}]
    return row


def generate(path: Path, megabytes: int) -> None:
    rng = random.Random(1234)
    target = megabytes << 20
    with path.open("w", encoding="utf-8") as f:
        # A pool of rows re-emitted with a counter keeps generation fast, rows distinct.
        pool = [_row(rng) for _ in range(2000)]
        written, i = 0, 0
        while written < target:
            row = pool[i % len(pool)]
            msgs = row["input"]["messages"]  # type: ignore[index]
            msgs[0]["content"] = f"[{i}] " + msgs[0]["content"].split("] ", 1)[-1]
            line = json.dumps(row, ensure_ascii=rng.random() < 0.3) + "\n"
            f.write(line)
            written += len(line.encode())
            i += 1


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
import sys, time, resource
from pathlib import Path
from service.datasets.ingest import ingest_file
tokens = sys.argv[2] == "1"
t = time.perf_counter()
r = ingest_file(Path(sys.argv[1]), None, count_tokens=tokens)
dt = time.perf_counter() - t
assert r.report.valid, r.report.counts_by_code
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(dt, me, kids, r.report.stats.total_tokens)
"""

TIKTOKEN = """
import sys, time, msgspec
from service.datasets.formats import DPO_DECODER
from service.datasets.tokens import TokenCounter
counter = TokenCounter()
rows = []
size = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        rows.append(DPO_DECODER.decode(line)); size += len(line)
        if size > int(sys.argv[2]):
            break
t = time.perf_counter()
for row in rows:
    counter.row(row)
print(time.perf_counter() - t, size)
"""

TOGETHER = """
import sys, time
from together.lib.utils.files import check_file
t = time.perf_counter()
report = check_file(sys.argv[1])
print(time.perf_counter() - t, report.get("is_check_passed"), report.get("num_samples"))
"""


def _child(python: str, code: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        [python, "-c", code, *args], check=True, capture_output=True, text=True, env=env
    )
    return out.stdout.split()


def _together_python(tmp: Path) -> str | None:
    env_dir = tmp / "together-venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "together==2.14.0"]
    done = subprocess.run(pip, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"together==2.14.0 did not install: {done.stderr[-500:]}")
        return None
    return python


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--keep", type=Path, help="reuse / keep the generated file in this dir")
    ap.add_argument("--no-together", action="store_true")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="ftjobs-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"dpo_{args.mb}mb.jsonl"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.mb)
        print(f"generated {path} in {time.perf_counter() - t:.1f}s")
    size_mb = path.stat().st_size / 1e6
    py = sys.executable
    cores = len(os.sched_getaffinity(0))
    _child(py, FLOOR, str(path))  # warm the page cache
    floor = size_mb / float(_child(py, FLOOR, str(path))[0])
    nt = _child(py, FTJOBS, str(path), "0")
    wt = _child(py, FTJOBS, str(path), "1")
    tk_dt, tk_size = _child(py, TIKTOKEN, str(path), str(40 << 20))
    single = int(tk_size) / 1e6 / float(tk_dt)
    together = None
    if not args.no_together:
        tpy = _together_python(tmp)
        if tpy is not None:
            res = _child(tpy, TOGETHER, str(path))
            together = size_mb / float(res[0])
            print(f"together check_file: passed={res[1]} samples={res[2]}")
    no_tok = size_mb / float(nt[0])
    with_tok = size_mb / float(wt[0])
    print(f"file: {size_mb:,.0f} MB, {cores} core(s)")
    print(f"floor (msgspec decode, no rules): {floor:8.1f} MB/s")
    print(
        f"ftjobs, no tokens:                {no_tok:8.1f} MB/s  = {no_tok / floor:.2f} x floor"
        f"   peak RSS {int(nt[1]) / 1024:.0f} MB (workers {int(nt[2]) / 1024:.0f} MB)"
    )
    if together is not None:
        print(
            f"together 2.14.0 check_file:       {together:8.1f} MB/s; ftjobs = "
            f"{no_tok / together:.1f} x together"
        )
    print(f"tiktoken single core:             {single:8.1f} MB/s")
    print(
        f"ftjobs, with tokens:              {with_tok:8.1f} MB/s  = "
        f"{with_tok / (single * cores):.2f} x (single core x {cores})"
        f"   peak RSS {int(wt[1]) / 1024:.0f} MB (workers {int(wt[2]) / 1024:.0f} MB)"
        f"   {wt[3]} tokens"
    )
    print(
        f"bench's own peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
