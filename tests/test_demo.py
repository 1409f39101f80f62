"""The README's first command: the demo runs the real path on embedded servers."""

from __future__ import annotations

import email
import subprocess
import sys

from tests.conftest import ROOT


def test_demo_runs_and_writes_sent_mail(tmp_path):
    # `run_service.py --demo` prints the decisions and leaves the sent mail as .eml files.
    proc = subprocess.run([sys.executable, str(ROOT / "run_service.py"), "--demo", "--no-web",
                           "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "acknowledged; forwarded to philipp.tepper@iclei.org" in out
    assert "recorded, never answered" in out
    assert "triage: non-member" in out
    sent = sorted((tmp_path / "demo-output" / "sent").glob("*.eml"))
    assert len(sent) >= 6
    languages = set()
    for path in sent:
        msg = email.message_from_bytes(path.read_bytes())
        assert msg["Auto-Submitted"] in ("auto-replied", "auto-generated")
        languages.add(msg["Content-Language"])
    assert {"en", "de", "fr"} <= languages
    assert (tmp_path / "demo-output" / "intake.sqlite3").exists()
