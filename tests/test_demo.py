"""The README's first command: the demo runs the real path on embedded servers."""

from __future__ import annotations

import email
import subprocess
import sys

from tests.conftest import ROOT


def test_demo_runs_and_writes_sent_mail(tmp_path):
    # `run_service.py --demo` prints the decisions and leaves the sent mail as .eml files.
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run_service.py"), "--demo", "--no-web", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "acknowledged; forwarded to philipp.tepper@iclei.org" in out
    assert "recorded, never answered" in out
    assert "triage: non-member" in out
    assert "proposed circular: 3 of 3 member organisations, facilitator offered: yes" in out
    assert "ready to start (staff notified)" in out
    assert "lcc: confirmed participants: Stadt Musterhausen" in out
    sent = sorted((tmp_path / "demo-output" / "sent").glob("*.eml"))
    assert len(sent) >= 6
    languages = set()
    for path in sent:
        msg = email.message_from_bytes(path.read_bytes())
        assert msg["Auto-Submitted"] in ("auto-replied", "auto-generated")
        languages.add(msg["Content-Language"])
    assert {"en", "de", "fr"} <= languages
    assert (tmp_path / "demo-output" / "intake.sqlite3").exists()


def test_demo_serves_the_triage_desk(tmp_path):
    # Without a terminal the demo serves the desk for INTAKE_DEMO_WEB_SECONDS, then exits 0.
    import os
    import re
    import urllib.request

    env = {**os.environ, "INTAKE_DEMO_WEB_SECONDS": "8"}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run_service.py"), "--demo", "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    address = None
    for line in proc.stdout:
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if found:
            address = found.group(1)
            assert "demo / demo-password" in line
            break
    assert address, proc.stderr.read()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(address + "login", timeout=10).read().decode()
    assert "Log in" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = f"name=demo&password=demo-password&csrf_token={token}".encode()
    queue = opener.open(address + "login", data=data, timeout=10).read().decode()
    assert "Waiting for a person" in queue and "claire.martin@ville-exemple.fr" in queue
    groups = opener.open(address + "register", timeout=10).read().decode()
    assert "3 of 3" in groups and "Start group" in groups  # the topic at the threshold
    lcc = opener.open(address + "register/lcc", timeout=10).read().decode()
    assert "Stadt Musterhausen" in lcc and "confirmed" in lcc
    assert proc.wait(timeout=60) == 0
