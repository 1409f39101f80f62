"""Config validation: one clear line naming file and key, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from intake.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
GOOD = """
[service]
database = "x.sqlite3"
[[inbox]]
name = "general"
host = "imap.example.org"
username = "u"
password_env = "PW_FOR_TEST"
[smtp]
host = "smtp.example.org"
from_address = "procurement@iclei.org"
staff_address = "staff@iclei.org"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "intake.toml"
    path.write_text(text)
    return path


def test_example_config_documents_and_loads(monkeypatch):
    # The shipped example loads once its password variables exist.
    monkeypatch.setenv("INTAKE_GENERAL_PASSWORD", "a")
    monkeypatch.setenv("INTAKE_LCC_PASSWORD", "b")
    config = load_config(ROOT / "intake.example.toml")
    assert [i.name for i in config.inboxes] == ["general", "lcc"]
    assert config.inboxes[1].group == "lcc" and config.inboxes[1].on_handled == "move"
    assert config.trust.policy == "flag" and config.limits.acks_per_sender_per_day == 3


def test_defaults(tmp_path, monkeypatch):
    # Unset keys take documented defaults (port by security, poll interval 60).
    monkeypatch.setenv("PW_FOR_TEST", "pw")
    config = load_config(write(tmp_path, GOOD))
    assert config.poll_interval == 60
    assert config.inboxes[0].port == 993 and config.inboxes[0].security == "tls"
    assert config.inboxes[0].password.resolve() == "pw"
    assert "pw" not in repr(config)


@pytest.mark.parametrize(
    "change, key, words",
    [
        (('security = "tls"', 'security = "ssl"'), "inbox[0].security", "unknown value"),
        (('host = "imap.example.org"\n', ""), "inbox[0].host", "missing"),
        (
            ('password_env = "PW_FOR_TEST"', 'password_env = "NOPE_NOT_SET"'),
            "inbox[0].password_env",
            "NOPE_NOT_SET is not set",
        ),
        (('password_env = "PW_FOR_TEST"', ""), "inbox[0].password_env", "passwords are never"),
        (('username = "u"', 'username = "u"\nfolderz = "x"'), "inbox[0].folderz", "unknown key"),
        (
            ('database = "x.sqlite3"', 'database = "x.sqlite3"\npoll_interval = "soon"'),
            "service.poll_interval",
            "must be an integer",
        ),
        (
            ('staff_address = "staff@iclei.org"', 'staff_address = "staff"'),
            "smtp.staff_address",
            "email address",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path, monkeypatch, change, key, words):
    # Each mistake is reported with the file, the key and what to do.
    monkeypatch.setenv("PW_FOR_TEST", "pw")
    text = GOOD.replace('name = "general"', 'name = "general"\nsecurity = "tls"')
    text = text.replace(*change)
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.key == key
    assert words in str(err.value)
    assert str(tmp_path / "intake.toml") in str(err.value)


def test_cli_config_error_is_one_line_exit_2(tmp_path):
    # The command line prints one line, exits 2, and shows no traceback.
    bad = write(tmp_path, GOOD.replace('host = "imap.example.org"', "host = 5"))
    for cmd in (
        [sys.executable, str(ROOT / "run_service.py"), "--config", str(bad), "--once"],
        [sys.executable, "-m", "intake.cli", "--config", str(bad), "requests", "list"],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin"})
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "inbox[0].host" in lines[0]


def test_missing_file(tmp_path):
    # A config file that does not exist says so and how to start.
    with pytest.raises(ConfigError, match="copy intake.example.toml"):
        load_config(tmp_path / "nope.toml")


def test_bad_toml_syntax(tmp_path):
    # A syntax error is reported as such, with the file.
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[service\n"))
