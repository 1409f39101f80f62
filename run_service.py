#!/usr/bin/env python3
"""Start the intake service: `python run_service.py --config intake.toml [--once]`,
or `python run_service.py --demo` to see the whole path with no set-up."""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys

from intake import logformat
from intake.config import ConfigError, load_config
from intake.store import DatabaseUnusable, StoreError, is_damage, unusable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Procura+ Interest Group intake service")
    parser.add_argument("--config", default="intake.toml", help="config file (intake.toml)")
    parser.add_argument("--once", action="store_true", help="run one cycle and exit")
    parser.add_argument(
        "--demo", action="store_true", help="run on embedded IMAP/SMTP servers with sample mail"
    )
    parser.add_argument("--no-web", action="store_true", help="with --demo: do not start the web UI")
    parser.add_argument(
        "--web",
        action="store_true",
        help="with --demo: serve the web UI until Ctrl-C even without a terminal",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    parser.add_argument(
        "--log-format",
        choices=logformat.FORMATS,
        default="text",
        help="text, or json: one JSON object per log line",
    )
    args = parser.parse_args(argv)
    logformat.setup(logging.WARNING if args.quiet else logging.INFO, args.log_format)
    if args.demo:
        from intake.demo import main as demo_main

        return demo_main(no_web=args.no_web, web_forever=args.web)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"intake: config error: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(config, once=args.once)
    except DatabaseUnusable as exc:
        # exit 3: restarting cannot help (see docs/reliability.md, RestartPreventExitStatus)
        print(f"intake: {exc}", file=sys.stderr)
        return 3
    except StoreError as exc:
        print(f"intake: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            print(f"intake: {unusable(config.database, exc)}", file=sys.stderr)
            return 3
        print(f"intake: database {config.database}: {exc}", file=sys.stderr)
        return 1


def _run(config, *, once: bool) -> int:  # noqa: ANN001 - intake.config.Config
    early: list[int] = []  # SIGTERM/SIGINT while the service starts: it stops once started
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda received, _frame: early.append(received))
    from intake.service import Service

    service = Service(config)
    try:
        if once:
            report = service.run_cycle()
            return 0 if report.ok else 1
        service.run_forever(stop_if=lambda: bool(early))
        return 0
    finally:
        service.close()


if __name__ == "__main__":
    sys.exit(main())
