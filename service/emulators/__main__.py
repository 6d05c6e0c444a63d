"""`python -m service.emulators`: run the emulators under uvicorn (for tests and debugging).

`ftjobs emulator` builds the config from settings instead; this reads only its own arguments.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

from service.emulators.app import create_app
from service.emulators.config import EmulatorConfig


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, EmulatorConfig]:
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(prog="python -m service.emulators", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--phase-seconds", type=float, default=defaults.phase_seconds)
    parser.add_argument(
        "--run-seconds", type=float, default=None, help="running phase (default: --phase-seconds)"
    )
    parser.add_argument("--org", default=defaults.org)
    parser.add_argument("--max-running-per-model", type=int, default=defaults.max_running_per_model)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument("--faults", default=",".join(defaults.faults), help="e.g. 429,500,drop")
    parser.add_argument("--slow-seconds", type=float, default=defaults.slow_seconds)
    parser.add_argument("--training-not-available", action="store_true")
    parser.add_argument(
        "--webhook-url", action="extend", nargs="+", default=[], dest="webhook_urls", metavar="URL"
    )
    parser.add_argument("--webhook-secret", default=None)
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any)")
    parser.add_argument(
        "--azure-api-key",
        default=defaults.azure_api_key,
        help="the api-key Azure's routes accept (default: %(default)s)",
    )
    parser.add_argument(
        "--together-api-key",
        default=defaults.together_api_key,
        help="the bearer key Together's routes accept (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--state-dir", default=None, help="keep files and jobs here across restarts"
    )
    args = parser.parse_args(argv)
    config = EmulatorConfig(
        phase_seconds=args.phase_seconds,
        run_seconds=args.run_seconds,
        org=args.org,
        max_running_per_model=args.max_running_per_model,
        fault_rate=args.fault_rate,
        faults=tuple(part.strip() for part in args.faults.split(",") if part.strip()),
        slow_seconds=args.slow_seconds,
        training_not_available=args.training_not_available,
        webhook_urls=tuple(args.webhook_urls),
        webhook_secret=args.webhook_secret,
        api_key=args.api_key,
        azure_api_key=args.azure_api_key,
        together_api_key=args.together_api_key,
        seed=args.seed,
        state_dir=args.state_dir,
    )
    return args, config


def main(argv: Sequence[str] | None = None) -> None:
    args, config = parse_args(argv)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
