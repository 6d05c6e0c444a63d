"""`ftjobs worker` and `ftjobs scheduler`: the queue edge's processes.

The `ftjobs` group (`service/cli/`) finds these through the `ftjobs.commands` entry points in
pyproject.toml, so that `service` never imports `workers`. This module stays light: `ftjobs`
loads it on every start, and what the commands run (RQ, the OpenAI SDK, the service) is
imported inside them.
"""

from __future__ import annotations

import click

from service.config import get_settings


@click.command()
@click.option("--burst", is_flag=True, help="exit when the queue is empty")
@click.option("--name", default=None, help="worker name (default: RQ's)")
def worker(burst: bool, name: str | None) -> None:
    """Run an RQ worker: talks to OpenAI, follows jobs."""
    from workers.worker import run_worker

    run_worker(get_settings(), burst=burst, name=name)


@click.command()
@click.option("--once", is_flag=True, help="one reconcile pass, then exit")
def scheduler(once: bool) -> None:
    """Re-drive every job whose row says it should be moving (exactly one replica)."""
    from workers.scheduler import run_scheduler

    run_scheduler(get_settings(), once=once)
