"""`python run_service.py --demo`: the real service path, with no set-up.

Starts an embedded IMAP server (pymap, in-memory, one account with a folder per
inbox) and an embedded SMTP sink (aiosmtpd), loads the sample mail and roster,
runs one service cycle, prints the decisions, and leaves the mail intake sent
as .eml files in demo-output/sent/.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from imapclient import IMAPClient

from intake import members, outbox, queries, register, register_mail
from intake.config import load_config
from intake.demo_data import DEMO_ROSTER, demo_messages
from intake.service import Service
from intake.smtp_sink import SmtpSink, free_port

DEMO_USER, DEMO_PASSWORD = "demo", "demopass"


def _start_pymap(port: int) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("pymap")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pymap"]
    proc = subprocess.Popen(
        [
            *cmd,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-data",
            "--demo-user",
            DEMO_USER,
            "--demo-password",
            DEMO_PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the embedded IMAP server (pymap) exited:"
                f" {proc.stderr.read().decode(errors='replace')[-500:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the embedded IMAP server (pymap) did not start within 20 s")


def _load_mail(port: int) -> int:
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10)
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.login(DEMO_USER, DEMO_PASSWORD)
    count = 0
    for folder, raw in demo_messages():
        if not client.folder_exists(folder):
            client.create_folder(folder)
        client.append(folder, raw)
        count += 1
    client.logout()
    return count


def main(*, no_web: bool = False, web_forever: bool = False, out_dir: str | Path = "demo-output") -> int:
    """`intake demo` and `run_service.py --demo`: then the triage desk on the demo data, until
    Ctrl-C in a terminal (or with web_forever); without a terminal (scripts, CI) for
    INTAKE_DEMO_WEB_SECONDS (30) and then the demo ends; no_web skips it."""
    if no_web:
        return run_demo(web=False, out_dir=out_dir)
    seconds = (
        None
        if (web_forever or sys.stdin.isatty())
        else float(os.environ.get("INTAKE_DEMO_WEB_SECONDS", "30"))
    )
    return run_demo(web=True, web_seconds=seconds, out_dir=out_dir)


def run_demo(
    *, web: bool = True, web_seconds: float | None = None, out_dir: str | Path = "demo-output"
) -> int:
    out = Path(out_dir).resolve()
    if out.exists():
        shutil.rmtree(out)
    (out / "sent").mkdir(parents=True)
    imap_port, smtp_port = free_port(), free_port()
    print(f"intake demo: embedded IMAP on 127.0.0.1:{imap_port}, SMTP sink on 127.0.0.1:{smtp_port}")
    pymap = _start_pymap(imap_port)
    sink = SmtpSink(port=smtp_port, save_dir=out / "sent").start()
    service = None
    try:
        loaded = _load_mail(imap_port)
        secret = out / "imap-password"
        secret.write_text(DEMO_PASSWORD, encoding="utf-8")
        secret.chmod(0o600)
        config_path = out / "demo.toml"  # the one config: the run below and the staff commands
        config_path.write_text(_toml(out, imap_port, smtp_port), encoding="utf-8")
        config = load_config(config_path)
        service = Service(config)
        roster_file = out / "roster.csv"
        roster_file.write_text(DEMO_ROSTER, encoding="utf-8")
        plan = members.import_file(service.store, roster_file, "demo")
        print(f"loaded {loaded} sample mails into 2 inboxes; roster: {plan.summary()}")
        report = service.run_cycle()
        _print_table(service)
        _demo_register(service)
        print(
            f"\ncycle: fetched {report.fetched}, processed {report.processed},"
            f" sent {report.sent}, filed {report.filed} on the server"
        )
        print(
            f"the {len(sink.received)} mails intake sent are in {out / 'sent'}/ (open them"
            f" with any mail program)"
        )
        print(f"database: {config.database}  (try: intake --config {config_path} queue list)")
        if web:
            from intake.web import serve_demo

            return serve_demo(config, service.store, web_seconds)
        return 0 if report.ok else 1
    finally:
        if service is not None:
            service.close()
        sink.stop()
        pymap.terminate()
        try:
            pymap.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pymap.kill()


def _toml(out: Path, imap_port: int, smtp_port: int) -> str:
    return f"""# written by the demo; the embedded servers are gone when the demo ends
[service]
database = "{out / "intake.sqlite3"}"
poll_interval = 5

[[inbox]]
name = "general"
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{DEMO_USER}"
password_file = "imap-password"
folder = "Procurement"
address = "procurement@iclei.org"
on_handled = "move"  # the embedded server keeps no keywords (its PERMANENTFLAGS has no \\*)

[[inbox]]
name = "lcc"
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{DEMO_USER}"
password_file = "imap-password"
folder = "LCC"
address = "philipp.tepper@iclei.org"
group = "lcc"
on_handled = "move"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_address = "procurement@iclei.org"
staff_address = "secretariat@iclei.org"
"""


def _demo_register(service: Service) -> None:
    """Show the register: a topic brought to the threshold, and the LCC facilitator
    confirming a forwarded join (in real life through the link in the forward)."""
    env = dataclasses.replace(service.env, actor="lcc facilitator (demo)")
    waiting = [p for p in register.participants_list(service.store, "lcc") if p["status"] == "forwarded"]
    if waiting:
        with service.store.transaction():
            register_mail.decide(env, waiting[0]["id"], "confirm", note="demo")
        outbox.send_due(service.store, service.config.smtp)
    print("\nthe Interest Group register:")
    for g in register.groups_list(service.store):
        if g["status"] == "proposed":
            print(
                f"  proposed {g['id']}: {g['interested']} of {register.THRESHOLD} member"
                f" organisations, facilitator offered: {'yes' if g['facilitator_offered'] else 'no'}"
                + ("  -> ready to start (staff notified)" if g["ready"] else "")
            )
        else:
            print(
                f"  {g['status']:<8} {g['id']}: confirmed participants: "
                + (", ".join(g["participants"]) or "none yet")
            )


def _print_table(service: Service) -> None:
    rows = queries.list_requests(service.store)
    header = (
        f"\n{'id':>3}  {'inbox':<8} {'sender':<34} {'screening':<12} {'group':<14}"
        f" {'intent':<11} {'lang':<4} {'member':<9} {'what happened'}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        happened = []
        if r["acknowledged"]:
            happened.append("acknowledged")
        if r["forwarded_to"]:
            happened.append("forwarded to " + ", ".join(r["forwarded_to"]))
        if r["triage_reason"]:
            happened.append(f"triage: {r['triage_reason']}")
        if r["status"] == "ignored":
            happened.append("recorded, never answered")
        print(
            f"{r['id']:>3}  {','.join(r['inbox']):<8} {(r['sender_email'] or '')[:34]:<34}"
            f" {r['screening'] or '-':<12} {r['group'] or '-':<14} {r['intent'] or '-':<11}"
            f" {r['language'] or '-':<4} {r['member_match'] or '-':<9} {'; '.join(happened)}"
        )
