"""`intake config check`: is the config valid, and does every server let us in?

Each check is one line (`ok` or `FAIL`, its name, what was found), so an operator
setting up a new installation sees at once which inbox or server is wrong and why.
Nothing is changed on any server: inboxes are logged in to and their folder selected
(to read PERMANENTFLAGS), the SMTP server gets EHLO and, when configured, AUTH.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import asdict, dataclass

from imapclient.exceptions import IMAPClientError

from intake import mailbox, outbox
from intake.config import Config, InboxConfig, SmtpConfig
from intake.rulebook import load_rules


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # ok, but something an operator should fix (exit code stays 0)

    def line(self) -> str:
        return f"{'WARN' if self.warning else 'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"

    def as_dict(self) -> dict:
        return asdict(self)


def run_checks(config: Config) -> list[Check]:
    """Every check, in order: files first, then each inbox, then SMTP."""
    checks = [Check("config", True, f"{config.path} is valid")]
    try:
        rules = load_rules(config.rules_dir)
        checks.append(Check("rules", True, f"{config.rules_dir} ({len(rules.groups)} groups)"))
    except Exception as exc:  # noqa: BLE001 - a rules error is reported, not raised
        checks.append(Check("rules", False, str(exc)))
    mail_dir = config.templates_dir / "mail" / "en"
    checks.append(
        Check(
            "templates",
            mail_dir.is_dir(),
            f"{config.templates_dir}"
            if mail_dir.is_dir()
            else f"{config.templates_dir} has no mail/en/ folder (English is the fallback)",
        )
    )
    checks.extend(_secret_checks(config))
    if not config.web.base_url:  # staff notices and digests cannot link to the desk
        checks.append(
            Check("web", True, "web.base_url is not set: notices to staff carry no links to the desk", True)
        )
    for inbox in config.inboxes:
        checks.append(check_inbox(inbox))
    checks.append(check_smtp(config.smtp))
    return checks


def _secret_checks(config: Config) -> list[Check]:
    """An empty secret file (as `intake init` leaves it) is named before a login fails on it."""
    found = []
    secrets = [(f"inbox {i.name} password", i.password) for i in config.inboxes if i.oauth2 is None]
    if config.smtp.username and config.smtp.oauth2 is None:
        secrets.append(("smtp password", config.smtp.password))
    configured = [*(i.oauth2 for i in config.inboxes), config.smtp.oauth2]
    clients = {c.name: c for c in configured if c is not None}
    secrets += [(f"oauth2 {name} client secret", c.client_secret) for name, c in sorted(clients.items())]
    for label, secret in secrets:
        if secret.file and not secret.resolve():
            found.append(
                Check("secret", False, f"{label}: file {secret.file} is empty; put the secret in it")
            )
    return found


def check_inbox(inbox: InboxConfig) -> Check:
    """Log in, select the folder, and see whether the server keeps our keyword."""
    name = f"imap {inbox.name} ({inbox.username}@{inbox.host}:{inbox.port})"
    try:
        client = mailbox.connect(inbox)
    except mailbox.MailboxError as exc:
        return Check(name, False, str(exc))
    try:
        try:
            selected = client.select_folder(inbox.folder, readonly=False)
        except (IMAPClientError, OSError) as exc:
            return Check(name, False, f"folder {inbox.folder!r} cannot be selected: {exc}")
        problem = mailbox.keyword_problem(inbox, selected)
        if problem:
            return Check(name, False, problem)
        return Check(
            name, True, f"logged in; folder {inbox.folder!r} has {selected.get(b'EXISTS', 0)} messages"
        )
    finally:
        mailbox.close(client)


def check_smtp(cfg: SmtpConfig) -> Check:
    """Connect, STARTTLS and log in exactly as the sender does (outbox.connect), then EHLO;
    send nothing."""
    name = f"smtp ({cfg.host}:{cfg.port}, {cfg.security})"
    try:
        smtp = outbox.connect(cfg)
        try:
            code, _ = smtp.ehlo()
            if code != 250:
                return Check(name, False, f"EHLO answered {code}")
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    except smtplib.SMTPAuthenticationError as exc:
        why = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        how = f"OAuth2 (oauth2 {cfg.oauth2.name})" if cfg.oauth2 else "password"
        return Check(name, False, f"{how} login failed for {cfg.username!r} ({exc.smtp_code} {why[:200]})")
    except smtplib.SMTPNotSupportedError as exc:
        return Check(name, False, f"{exc}; check smtp.security and smtp.port")
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        return Check(
            name,
            False,
            f"cannot connect ({exc.__class__.__name__}: {exc}); is the server running and the port right?",
        )
    if cfg.oauth2 is not None:
        return Check(name, True, f"EHLO ok; logged in as {cfg.username} (oauth2 {cfg.oauth2.name})")
    if cfg.username:
        return Check(name, True, f"EHLO ok; logged in as {cfg.username}")
    return Check(name, True, "EHLO ok (no login configured)")
