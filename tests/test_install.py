"""A real install: the wheel carries rules, templates and migrations, and runs outside
the source tree (issue 19, "a real install")."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from intake.smtp_sink import free_port

ROOT = Path(__file__).resolve().parent.parent
_SKIP = shutil.ignore_patterns(
    ".venv",
    ".git",
    "build",
    "dist",
    "__pycache__",
    "*.egg-info",
    "demo-output",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
)


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH or config from the test run: the installed package stands alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "INTAKE_", "VIRTUAL_ENV"))}
    env["INTAKE_DEMO_WEB_SECONDS"] = "0"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the source and installed in a fresh venv."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=_SKIP)
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        env=_clean_env(),
    )
    wheels = list(dist.glob("intake-*.whl"))
    assert len(wheels) == 1, wheels
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheels[0])],
        check=True,
        capture_output=True,
        env=_clean_env(),
    )
    shutil.rmtree(source)  # nothing can be found in the copy any more
    return venv


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / "intake"), *args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_wheel_carries_its_data_and_imports_from_the_venv(installed, tmp_path):
    # the installed package finds rules, templates and migrations inside itself, not in a clone
    code = (
        "import intake.paths as p; print(p.__file__);"
        " [print(p.default_dir(n)) for n in ('rules', 'templates', 'migrations')]"
    )
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(line.startswith(str(installed)) for line in out), out
    rules, templates, migrations = (Path(line) for line in out[1:])
    assert (rules / "groups.toml").is_file()
    assert (templates / "mail" / "en" / "ack_received.txt.j2").is_file()
    assert (templates / "web" / "static" / "style.css").is_file()
    assert sorted(p.name for p in migrations.glob("*.sql")) == sorted(
        p.name for p in (ROOT / "db" / "migrations").glob("*.sql")
    )


def test_demo_runs_from_the_installed_wheel(installed, tmp_path):
    # `intake demo` from the wheel: the whole path on embedded servers, mail sent
    result = _run(installed, tmp_path, "demo", "--no-web")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "cycle: fetched" in result.stdout
    sent = list((tmp_path / "demo-output" / "sent").glob("*.eml"))
    assert len(sent) >= 3
    assert "Traceback" not in result.stderr


def test_init_then_status_from_the_wheel(installed, tmp_path):
    # `intake init` writes a starter config, 0600 secrets and a migrated database; status reads it
    result = _run(installed, tmp_path, "init", "--dir", "site")
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert (site / "secrets" / "mail-password").stat().st_mode & 0o777 == 0o600
    assert (site / "secrets" / "web-secret-key").stat().st_mode & 0o777 == 0o600
    assert (site / "secrets").stat().st_mode & 0o777 == 0o700
    status = _run(installed, tmp_path, "--config", "site/intake.toml", "status", "--json")
    assert "Traceback" not in status.stderr, status.stderr
    assert status.returncode == 1  # never polled: a person must look, not a crash
    assert '"backlog": 0' in status.stdout
    again = _run(installed, tmp_path, "init", "--dir", "site")
    assert again.returncode == 1 and "never overwrites" in again.stderr


def test_the_desk_serves_from_the_wheel(installed, tmp_path):
    # `intake web` from the wheel finds its page templates and style sheet; /healthz answers
    assert _run(installed, tmp_path, "init", "--dir", "site").returncode == 0
    port = free_port()
    desk = subprocess.Popen(
        [str(installed / "bin" / "intake"), "--config", "site/intake.toml", "web", "--port", str(port)],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert desk.poll() is None, desk.stderr.read().decode()
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/login", timeout=10) as page:
            assert page.status == 200 and b'name="password"' in page.read()
        with urllib.request.urlopen(base + "/static/style.css", timeout=10) as css:
            assert css.status == 200 and b"{" in css.read()
        try:
            urllib.request.urlopen(base + "/healthz", timeout=10)
            raise AssertionError("a never-polled inbox must make /healthz fail")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503 and json.loads(exc.read())["status"] == "fail"
    finally:
        desk.terminate()
        desk.wait(timeout=30)
