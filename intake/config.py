"""Load and validate `intake.toml` into frozen dataclasses.

This is the only module that reads environment variables or secret files, so a
newcomer can see in one place where every setting and secret comes from. Every
error names the file and the key, because an operator fixing a config at 3 a.m.
should not have to read a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.paths import PROJECT_ROOT, default_dir  # noqa: F401  (PROJECT_ROOT: older imports)

SECURITY_VALUES = ("tls", "starttls", "none")
ACTIONS = ("flag", "move")
TRUST_POLICIES = ("off", "flag", "enforce")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
ORIGIN = re.compile(rf"https://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?", re.IGNORECASE)  # scheme+host


class ConfigError(Exception):
    """A configuration problem an operator can fix; printed as one line."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}")


@dataclass(frozen=True)
class Secret:
    """Where a password comes from. The value is resolved lazily and never printed."""

    env: str | None = None
    file: str | None = None

    def resolve(self) -> str | None:
        if self.env:
            return os.environ.get(self.env)
        if self.file:
            return Path(self.file).read_text(encoding="utf-8").strip()
        return None

    def __repr__(self) -> str:  # never leak the value through a repr in a log line
        return f"Secret(env={self.env!r}, file={self.file!r})"


OAUTH2_PROVIDERS = ("microsoft", "google", "generic")
OAUTH2_FLOWS = ("client_credentials", "refresh_token")
OAUTH2_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")


@dataclass(frozen=True)
class OAuth2Config:
    """One OAuth2 client ([oauth2.NAME]) that inboxes and SMTP log in with (intake/oauth.py)."""

    name: str
    provider: str
    flow: str
    client_id: str
    client_secret: Secret
    refresh_token: Secret
    token_url: str
    device_url: str | None
    scopes: tuple[str, ...]
    mechanism: str
    cache_file: Path


@dataclass(frozen=True)
class InboxConfig:
    name: str
    host: str
    port: int
    security: str
    username: str
    password: Secret
    folder: str = "INBOX"
    group: str | None = None
    address: str | None = None
    on_handled: str = "flag"
    flag_keyword: str = "$IntakeHandled"
    move_to: str = "Intake/Handled"
    batch_size: int = 200
    timeout: float = 30.0
    idle: bool = True
    oauth2: OAuth2Config | None = None  # log in with a token instead of the password


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: Secret = field(default_factory=Secret)
    from_address: str = "procurement@iclei.org"
    from_name: str = "Procura+ Interest Groups"
    staff_address: str = "procurement@iclei.org"
    timeout: float = 30.0
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    oauth2: OAuth2Config | None = None


@dataclass(frozen=True)
class LimitsConfig:
    acks_per_sender_per_day: int = 3
    acks_per_organisation_per_day: int = 20
    acks_per_hour: int = 100
    skip_old_mail: bool = True
    old_mail_days: int = 7
    max_message_bytes: int = 25 * 1024 * 1024
    max_parse_seconds: float = 20.0


@dataclass(frozen=True)
class TrustConfig:
    authserv_ids: tuple[str, ...] = ()
    verify_dkim: bool = False
    policy: str = "flag"


@dataclass(frozen=True)
class RoutingConfig:
    followups: str = "triage"  # triage | facilitator


@dataclass(frozen=True)
class ClassifyConfig:
    confidence_threshold: float = 0.55


@dataclass(frozen=True)
class WebConfig:
    secret_key: Secret = field(default_factory=Secret)
    secure_cookies: bool = False
    session_hours: int = 12
    behind_proxy: bool = False
    base_url: str | None = None  # where facilitators' confirmation links point
    timezone: str = "Europe/Brussels"  # every time the desk shows is in this zone (IANA name)


DESK_NOTIFY = ("immediate", "digest", "off")


@dataclass(frozen=True)
class DeskConfig:
    """The desk's queue (docs/desk.md), and how staff hear of new triage requests."""

    overdue_days: int = 3  # a request waiting longer than this many working days is overdue
    notify: str = "off"  # immediate | digest | off (docs/desk.md)
    digest_time: str = "08:00"  # local time (web.timezone) of the daily digest, Mon-Fri


@dataclass(frozen=True)
class RegisterConfig:
    remind_after_days: int = 7  # one reminder to the facilitator for an unanswered join
    link_days: int = 30  # a confirmation link expires after this
    weekly_digest: bool = False  # facilitators get a Monday digest of their group
    guidelines: dict[str, str] = field(default_factory=dict)  # {lang: link or text}; "en" first


@dataclass(frozen=True)
class FormConfig:
    """The public form at /interest (docs/form.md): its limits against abuse."""

    min_seconds: int = 4  # a person needs this long to fill it in; faster is a bot
    per_ip_per_hour: int = 5  # submissions from one IP address in an hour
    per_email_per_day: int = 3  # submissions for one email address in a day
    expire_days: int = 7  # unconfirmed submissions are removed after this
    embed_origins: tuple[str, ...] = ()  # sites that may show the form in an iframe (https://host)


@dataclass(frozen=True)
class PrivacyConfig:
    """What people are told, and the key that makes an erased person's pseudonym."""

    notice_url: str = ""  # the privacy notice linked from every acknowledgement
    pseudonym_key: Secret = field(default_factory=Secret)


@dataclass(frozen=True)
class RetentionConfig:
    """Days to keep content before the daily retention run removes it (docs/privacy.md)."""

    machine_mail_days: int = 30  # raw mail and body of bounces, auto-replies, bulk, spam
    closed_requests_days: int = 730  # raw mail and bodies of finished requests
    outgoing_mail_days: int = 730  # copies of the mail we sent


@dataclass(frozen=True)
class Config:
    path: Path
    database: Path
    rules_dir: Path
    templates_dir: Path
    poll_interval: int
    inboxes: tuple[InboxConfig, ...]
    smtp: SmtpConfig
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    mail_copy_dir: Path | None = None
    idle_refresh_seconds: int = 25 * 60
    min_free_disk_mb: int = 200
    max_poll_age_seconds: int = 900
    max_outbox_age_seconds: int = 3600
    web: WebConfig = field(default_factory=WebConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    register: RegisterConfig = field(default_factory=RegisterConfig)
    form: FormConfig = field(default_factory=FormConfig)
    desk: DeskConfig = field(default_factory=DeskConfig)

    def inbox(self, name: str) -> InboxConfig:
        for inbox in self.inboxes:
            if inbox.name == name:
                return inbox
        raise KeyError(name)


class _Reader:
    """Typed access to one TOML table, raising ConfigError that names the key."""

    def __init__(self, path: Path, prefix: str, table: Any) -> None:
        self.path = path
        self.prefix = prefix
        if not isinstance(table, dict):
            raise ConfigError(path, prefix or "(top level)", "must be a table")
        self.table = table
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def get(
        self,
        name: str,
        kind: type | tuple[type, ...],
        default: Any = ...,
        *,
        choices: tuple[str, ...] | None = None,
    ) -> Any:
        self.used.add(name)
        if name not in self.table:
            if default is ...:
                raise ConfigError(self.path, self.key(name), "missing (required)")
            return default
        value = self.table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise ConfigError(self.path, self.key(name), f"must be {_kind_name(kinds)}, not a boolean")
        if not isinstance(value, kinds):
            raise ConfigError(
                self.path, self.key(name), f"must be {_kind_name(kinds)}, got {type(value).__name__}"
            )
        if choices is not None and value not in choices:
            raise ConfigError(
                self.path, self.key(name), f"unknown value {value!r}; use one of: {', '.join(choices)}"
            )
        return value

    def number(
        self,
        name: str,
        default: float,
        *,
        low: float,
        high: float | None = None,
        unit: str = "",
        kind: type | tuple[type, ...] = int,
    ) -> Any:
        """A number within [low, high]; the error names the range and the unit."""
        value = self.get(name, kind, default)
        if value < low or (high is not None and value > high):
            what = f"a number of {unit}" if unit else "a number"
            wanted = f"from {low:g} to {high:g}" if high is not None else f"{low:g} or more"
            raise ConfigError(self.path, self.key(name), f"must be {what} {wanted}, got {value}")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise ConfigError(
                self.path,
                self.key(unknown[0]),
                "unknown key (check the spelling against intake.example.toml)",
            )


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _secret(r: _Reader, name: str, *, required: bool) -> Secret:
    env = r.get(f"{name}_env", str, None)
    file = r.get(f"{name}_file", str, None)
    if env and file:
        raise ConfigError(r.path, r.key(f"{name}_env"), f"set either {name}_env or {name}_file, not both")
    if env:
        if env not in os.environ:
            raise ConfigError(
                r.path,
                r.key(f"{name}_env"),
                f"environment variable {env} is not set; export it before starting",
            )
        return Secret(env=env)
    if file:
        resolved = (r.path.parent / file).resolve()
        if not resolved.is_file():
            raise ConfigError(r.path, r.key(f"{name}_file"), f"secret file {resolved} does not exist")
        return Secret(file=str(resolved))
    if required:
        raise ConfigError(
            r.path,
            r.key(f"{name}_env"),
            f"missing: give {name}_env (an environment variable) or {name}_file;"
            " passwords are never written in the config",
        )
    return Secret()


def _port(r: _Reader, default: int | object = ...) -> int:
    port = r.get("port", int, default)
    if not 0 < port < 65536:
        raise ConfigError(r.path, r.key("port"), f"{port} is not a TCP port (1-65535)")
    return port


def _oauth2_ref(r: _Reader, clients: dict[str, OAuth2Config]) -> OAuth2Config | None:
    name = r.get("oauth2", str, None)
    if name is None:
        return None
    if name not in clients:
        raise ConfigError(
            r.path, r.key("oauth2"), f"no [oauth2.{name}] table; define it or use password_env/password_file"
        )
    return clients[name]


def _inbox(path: Path, index: int, table: Any, clients: dict[str, OAuth2Config]) -> InboxConfig:
    r = _Reader(path, f"inbox[{index}]", table)
    security = r.get("security", str, "tls", choices=SECURITY_VALUES)
    default_port = 993 if security == "tls" else 143
    oauth2 = _oauth2_ref(r, clients)
    inbox = InboxConfig(
        name=r.get("name", str),
        host=r.get("host", str),
        port=_port(r, default_port),
        security=security,
        username=r.get("username", str),
        password=_secret(r, "password", required=oauth2 is None),
        oauth2=oauth2,
        folder=r.get("folder", str, "INBOX"),
        group=r.get("group", str, None),
        address=r.get("address", str, None),
        on_handled=r.get("on_handled", str, "flag", choices=ACTIONS),
        flag_keyword=r.get("flag_keyword", str, "$IntakeHandled"),
        move_to=r.get("move_to", str, "Intake/Handled"),
        batch_size=r.number("batch_size", 200, low=1, high=5000, unit="messages"),
        timeout=float(r.get("timeout", (int, float), 30.0)),
        idle=r.get("idle", bool, True),
    )
    if not inbox.name.strip():
        raise ConfigError(path, r.key("name"), "must not be empty")
    r.finish()
    return inbox


def _smtp(path: Path, table: Any, clients: dict[str, OAuth2Config]) -> SmtpConfig:
    r = _Reader(path, "smtp", table)
    security = r.get("security", str, "starttls", choices=SECURITY_VALUES)
    default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
    username = r.get("username", str, None)
    oauth2 = _oauth2_ref(r, clients)
    if oauth2 is not None and not username:
        raise ConfigError(path, r.key("username"), "required with oauth2 (the mailbox the token is for)")
    smtp = SmtpConfig(
        oauth2=oauth2,
        host=r.get("host", str),
        port=_port(r, default_port),
        security=security,
        username=username,
        password=_secret(r, "password", required=bool(username) and oauth2 is None),
        from_address=r.get("from_address", str),
        from_name=r.get("from_name", str, "Procura+ Interest Groups"),
        staff_address=r.get("staff_address", str),
        timeout=float(r.get("timeout", (int, float), 30.0)),
        max_attempts=r.get("max_attempts", int, 8),
        retry_base_seconds=float(r.get("retry_base_seconds", (int, float), 30.0)),
    )
    for key in ("from_address", "staff_address"):
        if "@" not in getattr(smtp, key):
            raise ConfigError(path, r.key(key), "must be an email address")
    r.finish()
    return smtp


# provider -> (token endpoint, device-code endpoint, {flow: scopes})
_PROVIDER_DEFAULTS: dict[str, tuple[str, str | None, dict[str, tuple[str, ...]]]] = {
    # token endpoint, device-code endpoint ({tenant} filled in), scopes per flow
    "microsoft": (
        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
        {
            "client_credentials": ("https://outlook.office365.com/.default",),
            "refresh_token": (
                "https://outlook.office365.com/IMAP.AccessAsUser.All",
                "https://outlook.office365.com/SMTP.Send",
                "offline_access",
            ),
        },
    ),
    "google": ("https://oauth2.googleapis.com/token", None, {"refresh_token": ("https://mail.google.com/",)}),
}


def _oauth2(path: Path, name: str, table: Any, state_dir: Path) -> OAuth2Config:
    """[oauth2.NAME]: the provider fills in endpoints and scopes; generic needs token_url."""
    r = _Reader(path, f"oauth2.{name}", table)
    provider = r.get("provider", str, choices=OAUTH2_PROVIDERS)
    flow = r.get("flow", str, "refresh_token", choices=OAUTH2_FLOWS)
    tenant = r.get("tenant", str, "organizations" if flow == "refresh_token" else None)
    if provider == "microsoft" and flow == "client_credentials" and not tenant:
        raise ConfigError(path, r.key("tenant"), "required for client_credentials (your tenant id or domain)")
    if provider == "google" and flow != "refresh_token":
        raise ConfigError(path, r.key("flow"), 'Google mail access needs flow = "refresh_token"')
    token_default, device_default, scope_defaults = _PROVIDER_DEFAULTS.get(provider, (None, None, {}))
    token_url = r.get("token_url", str, token_default.format(tenant=tenant) if token_default else ...)
    device_url = r.get("device_url", str, device_default.format(tenant=tenant) if device_default else None)
    for key, url in (("token_url", token_url), ("device_url", device_url)):
        if url and not _safe_url(url):
            raise ConfigError(path, r.key(key), "must be https:// (http:// only to 127.0.0.1 or localhost)")
    scopes = r.get("scopes", list, list(scope_defaults.get(flow, ())))
    if not scopes or not all(isinstance(x, str) for x in scopes):
        raise ConfigError(path, r.key("scopes"), "must be a non-empty list of strings")
    cache = r.get("cache_file", str, None)
    client = OAuth2Config(
        name=name,
        provider=provider,
        flow=flow,
        client_id=r.get("client_id", str),
        client_secret=_secret(r, "client_secret", required=flow == "client_credentials"),
        refresh_token=_secret(r, "refresh_token", required=False),
        token_url=token_url,
        device_url=device_url,
        scopes=tuple(scopes),
        mechanism=r.get("mechanism", str, "XOAUTH2", choices=OAUTH2_MECHANISMS),
        cache_file=(path.parent / cache) if cache else state_dir / f"oauth2-{name}.json",
    )
    r.finish()
    return client


def _safe_url(url: str) -> bool:
    """Secrets go only over TLS, or to this machine."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    )


def _limits(path: Path, table: Any) -> LimitsConfig:
    r = _Reader(path, "limits", table)
    limits = LimitsConfig(
        acks_per_sender_per_day=r.number("acks_per_sender_per_day", 3, low=0, unit="acknowledgements"),
        acks_per_organisation_per_day=r.number(
            "acks_per_organisation_per_day", 20, low=0, unit="acknowledgements"
        ),
        acks_per_hour=r.number("acks_per_hour", 100, low=0, unit="acknowledgements"),
        skip_old_mail=r.get("skip_old_mail", bool, True),
        old_mail_days=r.number("old_mail_days", 7, low=1, unit="days"),
        max_message_bytes=r.number("max_message_bytes", 25 * 1024 * 1024, low=1024, unit="bytes"),
        # 0: no limit
        max_parse_seconds=float(
            r.number("max_parse_seconds", 20.0, low=0, unit="seconds", kind=(int, float))
        ),
    )
    r.finish()
    return limits


def _trust(path: Path, table: Any) -> TrustConfig:
    r = _Reader(path, "trust", table)
    ids = r.get("authserv_ids", list, [])
    if not all(isinstance(i, str) for i in ids):
        raise ConfigError(path, r.key("authserv_ids"), "must be a list of strings")
    trust = TrustConfig(
        authserv_ids=tuple(i.lower() for i in ids),
        verify_dkim=r.get("verify_dkim", bool, False),
        policy=r.get("policy", str, "flag", choices=TRUST_POLICIES),
    )
    r.finish()
    return trust


def _classify(path: Path, table: Any) -> ClassifyConfig:
    r = _Reader(path, "classify", table)
    threshold = float(r.number("confidence_threshold", 0.55, low=0, high=1, kind=(int, float)))
    r.finish()
    return ClassifyConfig(confidence_threshold=threshold)


def _routing(path: Path, table: Any) -> RoutingConfig:
    r = _Reader(path, "routing", table)
    routing = RoutingConfig(followups=r.get("followups", str, "triage", choices=("triage", "facilitator")))
    r.finish()
    return routing


def _web(path: Path, table: Any) -> WebConfig:
    r = _Reader(path, "web", table)
    web = WebConfig(
        secret_key=_secret(r, "secret_key", required=False),
        secure_cookies=r.get("secure_cookies", bool, False),
        session_hours=r.get("session_hours", int, 12),
        behind_proxy=r.get("behind_proxy", bool, False),
        base_url=(r.get("base_url", str, "") or "").rstrip("/") or None,
        timezone=r.get("timezone", str, "Europe/Brussels"),
    )
    if web.base_url and not web.base_url.startswith(("http://", "https://")):
        raise ConfigError(path, r.key("base_url"), "must start with https:// (or http://)")
    if not _known_zone(web.timezone):
        raise ConfigError(
            path,
            r.key("timezone"),
            f"unknown time zone {web.timezone!r}; use an IANA name like Europe/Brussels",
        )
    r.finish()
    return web


def _known_zone(name: str) -> bool:
    """Whether zoneinfo knows the zone (a name, never a path)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # unknown, a path, a folder
        return False
    return True


def _desk(path: Path, table: Any) -> DeskConfig:
    r = _Reader(path, "desk", table)
    desk = DeskConfig(
        overdue_days=r.number("overdue_days", 3, low=1, high=365, unit="working days"),
        notify=r.get("notify", str, "off", choices=DESK_NOTIFY),
        digest_time=r.get("digest_time", str, "08:00"),
    )
    hour, _, minute = desk.digest_time.partition(":")
    if not (len(hour) == 2 and len(minute) == 2 and hour.isdigit() and minute.isdigit()) or not (
        int(hour) < 24 and int(minute) < 60
    ):
        raise ConfigError(
            path, r.key("digest_time"), f'must be a time of day like "08:00", got {desk.digest_time!r}'
        )
    r.finish()
    return desk


def _privacy(path: Path, table: Any) -> PrivacyConfig:
    r = _Reader(path, "privacy", table)
    url = r.get("notice_url", str, "").strip()
    if url and not url.startswith(("https://", "http://")):
        raise ConfigError(
            path, r.key("notice_url"), f"must be a web address starting with https:// (got {url!r})"
        )
    if any(c.isspace() for c in url):
        raise ConfigError(path, r.key("notice_url"), "must not contain spaces")
    privacy = PrivacyConfig(notice_url=url, pseudonym_key=_secret(r, "pseudonym_key", required=False))
    r.finish()
    return privacy


def _retention(path: Path, table: Any) -> RetentionConfig:
    r = _Reader(path, "retention", table)
    retention = RetentionConfig(
        machine_mail_days=r.number("machine_mail_days", 30, low=1, high=36500, unit="days"),
        closed_requests_days=r.number("closed_requests_days", 730, low=1, high=36500, unit="days"),
        outgoing_mail_days=r.number("outgoing_mail_days", 730, low=1, high=36500, unit="days"),
    )
    r.finish()
    return retention


def _register(path: Path, table: Any) -> RegisterConfig:
    r = _Reader(path, "register", table)
    guidelines = r.get("guidelines", (str, dict), {})
    if isinstance(guidelines, str):
        guidelines = {"en": guidelines}
    if not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in guidelines.items()):
        raise ConfigError(
            path, r.key("guidelines"), 'must be a link, or a table of language = "link or document path"'
        )
    register = RegisterConfig(
        remind_after_days=r.number("remind_after_days", 7, low=1, unit="days"),
        link_days=r.number("link_days", 30, low=1, unit="days"),
        weekly_digest=r.get("weekly_digest", bool, False),
        guidelines={k.lower(): v.strip() for k, v in guidelines.items()},
    )
    r.finish()
    return register


def _form(path: Path, table: Any) -> FormConfig:
    r = _Reader(path, "form", table)
    form = FormConfig(
        min_seconds=r.number("min_seconds", 4, low=0, unit="seconds"),
        per_ip_per_hour=r.number("per_ip_per_hour", 5, low=1, unit="submissions"),
        per_email_per_day=r.number("per_email_per_day", 3, low=1, unit="submissions"),
        expire_days=r.number("expire_days", 7, low=1, unit="days"),
        embed_origins=_origins(path, r.key("embed_origins"), r.get("embed_origins", list, [])),
    )
    r.finish()
    return form


def _origins(path: Path, key: str, values: list[Any]) -> tuple[str, ...]:
    """Web origins as a browser writes them: https://host or https://host:port, nothing more
    (they go into the form's Content-Security-Policy frame-ancestors; docs/form.md)."""
    for value in values:
        if not isinstance(value, str) or not ORIGIN.fullmatch(value):
            raise ConfigError(
                path, key, f"{value!r} is not an origin; write https://host (no path, no trailing slash)"
            )
    return tuple(dict.fromkeys(v.lower() for v in values))


def load_config(path: str | Path) -> Config:
    """Read and validate the config file; raises ConfigError with file and key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, "(file)", "not found; copy intake.example.toml and edit it")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "(file)", "not UTF-8 text") from None
    return config_from_dict(data, path)


def config_from_dict(data: dict[str, Any], path: Path) -> Config:
    base = path.parent
    top = _Reader(path, "", data)
    service = _Reader(path, "service", top.get("service", dict, {}))
    database = base / service.get("database", str, "intake.sqlite3")
    rules_dir = _dir(path, service, "rules_dir", base, default_dir("rules"))
    templates_dir = _dir(path, service, "templates_dir", base, default_dir("templates"))
    poll_interval = service.number("poll_interval", 60, low=1, unit="seconds")
    copy_dir = service.get("mail_copy_dir", str, None)
    # servers drop an IDLE after 29 minutes: it is renewed before
    idle_refresh = service.number("idle_refresh_seconds", 25 * 60, low=10, high=29 * 60, unit="seconds")
    min_free_disk_mb = service.number("min_free_disk_mb", 200, low=0, unit="megabytes")
    max_poll_age = service.number("max_poll_age_seconds", 900, low=1, unit="seconds")
    max_outbox_age = service.number("max_outbox_age_seconds", 3600, low=1, unit="seconds")
    service.finish()

    raw_clients = top.get("oauth2", dict, {})
    clients = {name: _oauth2(path, name, t, database.parent) for name, t in raw_clients.items()}
    raw_inboxes = top.get("inbox", list)
    if not raw_inboxes:
        raise ConfigError(path, "inbox", "at least one [[inbox]] is required")
    inboxes = tuple(_inbox(path, i, t, clients) for i, t in enumerate(raw_inboxes))
    names = [i.name for i in inboxes]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ConfigError(path, f"inbox[{i}].name", f"duplicate inbox name {name!r}")
        if name == "form":
            raise ConfigError(
                path,
                f"inbox[{i}].name",
                "the name 'form' is kept for the online form's submissions; choose another",
            )

    config = Config(
        path=path,
        database=database,
        rules_dir=rules_dir,
        templates_dir=templates_dir,
        poll_interval=poll_interval,
        inboxes=inboxes,
        smtp=_smtp(path, top.get("smtp", dict), clients),
        limits=_limits(path, top.get("limits", dict, {})),
        trust=_trust(path, top.get("trust", dict, {})),
        classify=_classify(path, top.get("classify", dict, {})),
        mail_copy_dir=(base / copy_dir) if copy_dir else None,
        idle_refresh_seconds=idle_refresh,
        min_free_disk_mb=min_free_disk_mb,
        max_poll_age_seconds=max_poll_age,
        max_outbox_age_seconds=max_outbox_age,
        web=_web(path, top.get("web", dict, {})),
        routing=_routing(path, top.get("routing", dict, {})),
        privacy=_privacy(path, top.get("privacy", dict, {})),
        retention=_retention(path, top.get("retention", dict, {})),
        register=_register(path, top.get("register", dict, {})),
        form=_form(path, top.get("form", dict, {})),
        desk=_desk(path, top.get("desk", dict, {})),
    )
    top.finish()
    return config


def _dir(path: Path, r: _Reader, name: str, base: Path, default: Path) -> Path:
    value = r.get(name, str, None)
    directory = (base / value) if value else default
    if not directory.is_dir():
        raise ConfigError(path, r.key(name), f"directory {directory} does not exist")
    return directory
