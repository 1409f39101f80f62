"""`intake web`: serve the staff desk."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.pass_obj
def web(obj, host: str, port: int) -> None:
    """Serve the staff triage desk (waitress).

    \b
    Example:
      intake --config intake.toml web --port 8080
    """
    from intake.web import serve

    config = obj.env.config
    click.echo(f"intake web: http://{host}:{port}/ (Ctrl-C to stop)")
    serve(config, host, port)


def add_to(main: click.Group) -> None:
    for command in (web,):
        main.add_command(command)
