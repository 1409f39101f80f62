#!/usr/bin/env python3
"""Start the intake service: `python run_service.py --config intake.toml [--once]`,
or `python run_service.py --demo` to see the whole path with no set-up."""

from __future__ import annotations

import argparse
import logging
import sys

from intake.config import ConfigError, load_config
from intake.store import StoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Procura+ Interest Group intake service")
    parser.add_argument("--config", default="intake.toml", help="config file (intake.toml)")
    parser.add_argument("--once", action="store_true", help="run one cycle and exit")
    parser.add_argument("--demo", action="store_true",
                        help="run on embedded IMAP/SMTP servers with sample mail")
    parser.add_argument("--no-web", action="store_true", help="with --demo: do not start the web UI")
    parser.add_argument("--web", action="store_true",
                        help="with --demo: serve the web UI even when not run from a terminal")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    if args.demo:
        from intake.demo import run_demo
        # In a terminal the demo keeps serving the triage desk until Ctrl-C; scripts and CI
        # (no terminal) get the cycle and its report only, unless they ask with --web.
        web = args.web or (sys.stdin.isatty() and not args.no_web)
        return run_demo(web=web)
    from intake.service import Service
    try:
        service = Service(load_config(args.config))
    except ConfigError as exc:
        print(f"intake: config error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"intake: {exc}", file=sys.stderr)
        return 1
    try:
        if args.once:
            report = service.run_cycle()
            return 0 if report.ok else 1
        service.run_forever()
        return 0
    finally:
        service.close()


if __name__ == "__main__":
    sys.exit(main())
