"""`intake oauth`: OAuth2 sign-in for an inbox."""

from __future__ import annotations

import sys

import click

from intake import oauth
from intake.cli.common import Obj
from intake.config import load_config


@click.group("oauth")
def oauth_group() -> None:
    """OAuth2 sign-in for Microsoft 365 and other providers."""


@oauth_group.command("login")
@click.argument("inbox")
@click.option("--dry-run", is_flag=True, help="Show which OAuth2 client and endpoints would be used.")
@click.pass_obj
def oauth_login(obj: Obj, inbox: str, dry_run: bool) -> None:
    """Sign in for INBOX with the device-code flow: intake shows a code, a person enters it at
    the provider's page and signs in as the mailbox; the refresh token is kept in the
    client's 0600 cache file (never printed). Needed once for flow = "refresh_token".

    \b
    Example:
      intake --config /etc/intake/intake.toml oauth login general
    """
    config = load_config(obj.config_path)
    try:
        client = config.inbox(inbox).oauth2
    except KeyError:
        click.echo(f"intake: no inbox named {inbox!r} in {config.path}", err=True)
        sys.exit(1)
    if client is None:
        click.echo(f"intake: inbox {inbox!r} logs in with a password (no oauth2 = ... key)", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(
            f"oauth2 {client.name}: provider {client.provider}, flow {client.flow},"
            f" device endpoint {client.device_url}, token cache {client.cache_file}"
        )
        return
    try:
        answer = oauth.device_login(client, lambda line: click.echo(line, err=True))
        oauth.TokenSource(client).store_refresh_token(answer["refresh_token"], answer)
    except oauth.OAuthError as exc:
        click.echo(f"intake: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"signed in: oauth2 {client.name} has a refresh token (kept in {client.cache_file});"
        f" check with: intake config check"
    )


def add_to(main: click.Group) -> None:
    for command in (oauth_group,):
        main.add_command(command)
