"""`intake demo`: the whole path on embedded servers."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--no-web", is_flag=True, help="Do not serve the desk afterwards.")
@click.option(
    "--web", "web_forever", is_flag=True, help="Serve the desk until Ctrl-C, even without a terminal."
)
@click.option("--out", default="demo-output", show_default=True, help="Where the demo writes its files.")
def demo(no_web: bool, web_forever: bool, out: str) -> None:
    """Run the real service on embedded IMAP and SMTP servers with sample mail (no set-up).

    Without a terminal the desk is served for INTAKE_DEMO_WEB_SECONDS (30) and the demo ends.

    \b
    Example:
      intake demo --no-web
    """
    from intake.demo import main as demo_main

    sys.exit(demo_main(no_web=no_web, web_forever=web_forever, out_dir=out))


def add_to(main: click.Group) -> None:
    for command in (demo,):
        main.add_command(command)
