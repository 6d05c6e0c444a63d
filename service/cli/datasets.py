"""`ftjobs validate` and `ftjobs convert`: the upload validator and converters, offline.

Exit codes: 0 valid, 1 invalid (or rows dropped by a conversion), 2 usage error (click's own).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import click
import msgspec

from service.datasets.validator import (
    FORMATS_BY_KIND,
    PROVIDERS,
    SOURCE_FORMATS,
    ConversionReport,
    DatasetKind,
    IngestResult,
    Issue,
    SourceFormat,
    ValidationReport,
    ingest_file,
)

PROGRESS_MIN_BYTES = 16 << 20


@contextmanager
def _progress(path: Path, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for large files on a terminal; otherwise nothing."""
    size = path.stat().st_size
    if not enabled or size < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=size, label=path.name, file=sys.stderr) as bar:
        done = 0

        def update(seen: int) -> None:
            nonlocal done
            bar.update(seen - done)
            done = seen

        yield update


def _issue_line(i: Issue) -> str:
    where = f"line {i.line}" if i.line is not None else "file"
    path = f" {i.path}" if i.path else ""
    return f"  {where}{path}: [{i.code}] {i.message}"


def _print_report(report: ValidationReport) -> None:
    s = report.stats
    verdict = click.style("valid", fg="green") if report.valid else click.style("INVALID", fg="red")
    click.echo(
        f"{verdict}: {s.examples:,} examples ({report.kind}, format {report.detected_format})"
    )
    click.echo(f"{report.errors_total:,} error(s), {report.warnings_total:,} warning(s)")
    for title, items in (("errors", report.errors), ("warnings", report.warnings)):
        if items:
            click.echo(f"{title} (first {report.cap_per_code} of each code):")
            for item in items:
                click.echo(_issue_line(item))
    if report.counts_by_code:
        counts = ", ".join(f"{c}={n:,}" for c, n in report.counts_by_code.items())
        click.echo(f"by code: {counts}")
    if s.tokens_counted:
        click.echo(
            f"tokens ({s.tokenizer}): {s.total_tokens:,} total, max {s.max_example_tokens:,} "
            f"per example (line {s.max_example_line}); ~{s.estimated_trained_tokens:,} "
            f"trained over {s.n_epochs} epoch(s)"
        )
        click.echo(
            f"longest training sequence: {s.max_sequence_tokens:,} tokens "
            f"(line {s.max_sequence_line})"
        )
    if s.preferred_longer_share is not None:
        click.echo(f"preferred output is the longer one in {s.preferred_longer_share:.1%} of pairs")
    _print_providers(report)


def _print_providers(report: ValidationReport) -> None:
    """Each provider's verdict (offline, every provider the validator knows)."""
    for name, verdict in report.providers.items():
        if verdict.accepted:
            click.echo(f"{name}: {click.style('accepted', fg='green')}")
            continue
        refused = click.style("REFUSED", fg="red")
        click.echo(f"{name}: {refused} ({verdict.problems_total:,} problem(s), first ones:)")
        for problem in verdict.problems:
            where = f"line {problem.line}" if problem.line is not None else "file"
            at = f" {problem.path}" if problem.path else ""
            click.echo(f"  {where}{at}: {problem.message}")


def _print_conversion(conv: ConversionReport) -> None:
    click.echo(
        f"converted {conv.rows_out:,} of {conv.rows_in:,} rows from {conv.source_format} "
        f"({conv.container}); dropped {conv.dropped_total:,}"
    )
    for d in conv.dropped:
        where = f"line {d.line}" if d.line is not None else f"element {d.row}"
        click.echo(f"  row {d.row} ({where}): [{d.code}] {d.message}")


def _run(
    src: Path, dst: Path | None, kind: str, fmt: str, tokens: bool, progress: bool
) -> IngestResult:
    formats = FORMATS_BY_KIND[kind]
    if fmt not in formats:  # the converters produce DPO rows: nothing converts into SFT
        raise click.UsageError(f"for --kind {kind} the format must be one of {', '.join(formats)}")
    with _progress(src, progress) as update:
        if dst is None:
            return _ingest(src, None, kind, fmt, tokens, update)
        tmp = dst.with_name(dst.name + ".part")
        with tmp.open("wb") as out:
            result = _ingest(src, out, kind, fmt, tokens, update)
        os.replace(tmp, dst)
        return result


def _ingest(
    src: Path, dst: Any, kind: str, fmt: str, tokens: bool, update: Callable[[int], None] | None
) -> IngestResult:
    return ingest_file(
        src,
        dst,
        kind=cast(DatasetKind, kind),
        fmt=cast(SourceFormat, fmt),
        count_tokens=tokens,
        progress=update,
    )


_file = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
_kind = click.option("--kind", type=click.Choice(["dpo", "sft"]), default="dpo", show_default=True)
_json = click.option(
    "--json", "as_json", is_flag=True, help="print the report as JSON (as the API)"
)
_tokens = click.option("--no-tokens", "no_tokens", is_flag=True, help="skip token counting")


@click.command("validate")
@click.argument("file", type=_file)
@_kind
@click.option(
    "--format", "fmt", type=click.Choice(SOURCE_FORMATS), default="openai", show_default=True
)
@_json
@_tokens
@click.option(
    "--provider",
    "providers",
    type=click.Choice(PROVIDERS),
    multiple=True,
    help="exit 1 also when this provider would refuse the file (repeatable)",
)
def validate_command(
    file: Path, kind: str, fmt: str, as_json: bool, no_tokens: bool, providers: tuple[str, ...]
) -> None:
    """Validate a fine-tuning dataset (JSONL) the way the upload API does, and say whether
    each provider would accept it."""
    result = _run(file, None, kind, fmt, not no_tokens, progress=not as_json)
    if as_json:
        click.echo(msgspec.json.encode(result.as_dict()).decode())
    else:
        if result.conversion is not None:
            _print_conversion(result.conversion)
        _print_report(result.report)
    refused = [p for p in providers if not result.report.providers[p].accepted]
    sys.exit(0 if result.report.valid and not refused else 1)


@click.command("convert")
@click.argument("src", type=_file)
@click.argument("dst", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--from", "fmt", type=click.Choice(SOURCE_FORMATS[1:]), required=True)
@_kind
@_json
@_tokens
def convert_command(
    src: Path, dst: Path, fmt: str, kind: str, as_json: bool, no_tokens: bool
) -> None:
    """Convert a preference dataset into OpenAI DPO JSONL, and validate the result."""
    result = _run(src, dst, kind, fmt, not no_tokens, progress=not as_json)
    conv = result.conversion
    if as_json:
        body = {
            "conversion": conv,
            "report": result.report,
            "detected_format": result.detected_format,
        }
        click.echo(msgspec.json.encode(body).decode())
    else:
        if conv is not None:
            _print_conversion(conv)
        else:
            click.echo(f"the rows are already in OpenAI's format; copied to {dst}")
        _print_report(result.report)
    dropped = conv.dropped_total if conv is not None else 0
    sys.exit(0 if result.report.valid and not dropped else 1)
