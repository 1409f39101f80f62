"""Load and validate `intake.toml` into frozen dataclasses.

This is the only module that reads environment variables or secret files, so a
newcomer can see in one place where every setting and secret comes from. Every
error names the file and the key, because an operator fixing a config at 3 a.m.
should not have to read a traceback.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECURITY_VALUES = ("tls", "starttls", "none")
ACTIONS = ("flag", "move")
TRUST_POLICIES = ("off", "flag", "enforce")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


@dataclass(frozen=True)
class LimitsConfig:
    acks_per_sender_per_day: int = 3
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
    followups: str = "triage"   # triage | facilitator


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


@dataclass(frozen=True)
class RegisterConfig:
    remind_after_days: int = 7      # one reminder to the facilitator for an unanswered join
    link_days: int = 30             # a confirmation link expires after this
    weekly_digest: bool = False     # facilitators get a Monday digest of their group
    guidelines: dict[str, str] = field(default_factory=dict)  # {lang: link or text}; "en" first


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
    web: WebConfig = field(default_factory=WebConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    register: RegisterConfig = field(default_factory=RegisterConfig)

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

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., *,
            choices: tuple[str, ...] | None = None) -> Any:
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
            raise ConfigError(self.path, self.key(name),
                              f"must be {_kind_name(kinds)}, got {type(value).__name__}")
        if choices is not None and value not in choices:
            raise ConfigError(self.path, self.key(name),
                              f"unknown value {value!r}; use one of: {', '.join(choices)}")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise ConfigError(self.path, self.key(unknown[0]),
                              "unknown key (check the spelling against intake.example.toml)")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _secret(r: _Reader, name: str, *, required: bool) -> Secret:
    env = r.get(f"{name}_env", str, None)
    file = r.get(f"{name}_file", str, None)
    if env and file:
        raise ConfigError(r.path, r.key(f"{name}_env"), f"set either {name}_env or {name}_file, not both")
    if env:
        if env not in os.environ:
            raise ConfigError(r.path, r.key(f"{name}_env"),
                              f"environment variable {env} is not set; export it before starting")
        return Secret(env=env)
    if file:
        resolved = (r.path.parent / file).resolve()
        if not resolved.is_file():
            raise ConfigError(r.path, r.key(f"{name}_file"), f"secret file {resolved} does not exist")
        return Secret(file=str(resolved))
    if required:
        raise ConfigError(r.path, r.key(f"{name}_env"),
                          f"missing: give {name}_env (an environment variable) or {name}_file;"
                          " passwords are never written in the config")
    return Secret()


def _port(r: _Reader, default: int | object = ...) -> int:
    port = r.get("port", int, default)
    if not 0 < port < 65536:
        raise ConfigError(r.path, r.key("port"), f"{port} is not a TCP port (1-65535)")
    return port


def _inbox(path: Path, index: int, table: Any) -> InboxConfig:
    r = _Reader(path, f"inbox[{index}]", table)
    security = r.get("security", str, "tls", choices=SECURITY_VALUES)
    default_port = 993 if security == "tls" else 143
    inbox = InboxConfig(
        name=r.get("name", str),
        host=r.get("host", str),
        port=_port(r, default_port),
        security=security,
        username=r.get("username", str),
        password=_secret(r, "password", required=True),
        folder=r.get("folder", str, "INBOX"),
        group=r.get("group", str, None),
        address=r.get("address", str, None),
        on_handled=r.get("on_handled", str, "flag", choices=ACTIONS),
        flag_keyword=r.get("flag_keyword", str, "$IntakeHandled"),
        move_to=r.get("move_to", str, "Intake/Handled"),
        batch_size=r.get("batch_size", int, 200),
        timeout=float(r.get("timeout", (int, float), 30.0)),
        idle=r.get("idle", bool, True),
    )
    if not inbox.name.strip():
        raise ConfigError(path, r.key("name"), "must not be empty")
    if not (1 <= inbox.batch_size <= 5000):
        raise ConfigError(path, r.key("batch_size"), "must be between 1 and 5000")
    r.finish()
    return inbox


def _smtp(path: Path, table: Any) -> SmtpConfig:
    r = _Reader(path, "smtp", table)
    security = r.get("security", str, "starttls", choices=SECURITY_VALUES)
    default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
    username = r.get("username", str, None)
    smtp = SmtpConfig(
        host=r.get("host", str),
        port=_port(r, default_port),
        security=security,
        username=username,
        password=_secret(r, "password", required=bool(username)),
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


def _limits(path: Path, table: Any) -> LimitsConfig:
    r = _Reader(path, "limits", table)
    limits = LimitsConfig(
        acks_per_sender_per_day=r.get("acks_per_sender_per_day", int, 3),
        acks_per_hour=r.get("acks_per_hour", int, 100),
        skip_old_mail=r.get("skip_old_mail", bool, True),
        old_mail_days=r.get("old_mail_days", int, 7),
        max_message_bytes=r.get("max_message_bytes", int, 25 * 1024 * 1024),
        max_parse_seconds=float(r.get("max_parse_seconds", (int, float), 20.0)),
    )
    if limits.max_parse_seconds < 0:
        raise ConfigError(path, "limits.max_parse_seconds", "must be 0 (no limit) or more")
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
    threshold = float(r.get("confidence_threshold", (int, float), 0.55))
    if not 0 <= threshold <= 1:
        raise ConfigError(path, r.key("confidence_threshold"), "must be between 0 and 1")
    r.finish()
    return ClassifyConfig(confidence_threshold=threshold)


def _routing(path: Path, table: Any) -> RoutingConfig:
    r = _Reader(path, "routing", table)
    routing = RoutingConfig(followups=r.get("followups", str, "triage",
                                            choices=("triage", "facilitator")))
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
    )
    if web.base_url and not web.base_url.startswith(("http://", "https://")):
        raise ConfigError(path, r.key("base_url"), "must start with https:// (or http://)")
    r.finish()
    return web


def _register(path: Path, table: Any) -> RegisterConfig:
    r = _Reader(path, "register", table)
    guidelines = r.get("guidelines", (str, dict), {})
    if isinstance(guidelines, str):
        guidelines = {"en": guidelines}
    if not all(isinstance(k, str) and isinstance(v, str) and v.strip()
               for k, v in guidelines.items()):
        raise ConfigError(path, r.key("guidelines"),
                          'must be a link, or a table of language = "link or document path"')
    register = RegisterConfig(
        remind_after_days=r.get("remind_after_days", int, 7),
        link_days=r.get("link_days", int, 30),
        weekly_digest=r.get("weekly_digest", bool, False),
        guidelines={k.lower(): v.strip() for k, v in guidelines.items()},
    )
    for key in ("remind_after_days", "link_days"):
        if getattr(register, key) < 1:
            raise ConfigError(path, r.key(key), "must be at least 1 (days)")
    r.finish()
    return register


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
    rules_dir = _dir(path, service, "rules_dir", base, PROJECT_ROOT / "rules")
    templates_dir = _dir(path, service, "templates_dir", base, PROJECT_ROOT / "templates")
    poll_interval = service.get("poll_interval", int, 60)
    if poll_interval < 1:
        raise ConfigError(path, "service.poll_interval", "must be at least 1 (seconds)")
    copy_dir = service.get("mail_copy_dir", str, None)
    idle_refresh = service.get("idle_refresh_seconds", int, 25 * 60)
    if not 10 <= idle_refresh <= 29 * 60:
        raise ConfigError(path, "service.idle_refresh_seconds",
                          "must be between 10 and 1740 (servers drop IDLE after 29 minutes)")
    service.finish()

    raw_inboxes = top.get("inbox", list)
    if not raw_inboxes:
        raise ConfigError(path, "inbox", "at least one [[inbox]] is required")
    inboxes = tuple(_inbox(path, i, t) for i, t in enumerate(raw_inboxes))
    names = [i.name for i in inboxes]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ConfigError(path, f"inbox[{i}].name", f"duplicate inbox name {name!r}")

    config = Config(
        path=path,
        database=database,
        rules_dir=rules_dir,
        templates_dir=templates_dir,
        poll_interval=poll_interval,
        inboxes=inboxes,
        smtp=_smtp(path, top.get("smtp", dict)),
        limits=_limits(path, top.get("limits", dict, {})),
        trust=_trust(path, top.get("trust", dict, {})),
        classify=_classify(path, top.get("classify", dict, {})),
        mail_copy_dir=(base / copy_dir) if copy_dir else None,
        idle_refresh_seconds=idle_refresh,
        web=_web(path, top.get("web", dict, {})),
        routing=_routing(path, top.get("routing", dict, {})),
        register=_register(path, top.get("register", dict, {})),
    )
    top.finish()
    return config


def _dir(path: Path, r: _Reader, name: str, base: Path, default: Path) -> Path:
    value = r.get(name, str, None)
    directory = (base / value) if value else default
    if not directory.is_dir():
        raise ConfigError(path, r.key(name), f"directory {directory} does not exist")
    return directory
