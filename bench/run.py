"""Benchmarks against the targets in docs/performance.md, in one run.

    .venv/bin/pip install -e '.[bench]'     # getmail6, the comparison
    .venv/bin/python bench/run.py            # 50,000 messages (about an hour with getmail6)
    .venv/bin/python bench/run.py --messages 5000 --latency-samples 10   # a first look

Everything runs on this machine, on loopback: a Dovecot (mdbox storage, filled with
MULTIAPPEND), an aiosmtpd sink, and the service as a subprocess pinned to one core.
Targets: an idle poll under 5 ms at 50,000 messages, not growing with the mailbox; APPEND
to acknowledgement at the SMTP server, median under 1 s with IDLE (issue 17). The backlog's
targets are the renegotiated ones of docs/performance.md (issue 17 asked for 50,000 in
5 minutes on one core and 100 MiB, set before the statistical classifier of issue 16): at
most 36 ms of the service's CPU time a message (50,000 in 30 minutes on one core) and a
peak RSS under 256 MiB. CPU time, not wall time, is compared: it does not depend on what
else the machine is doing. getmail6's retrieval of the same mailbox is measured beside.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# the backlog's renegotiated targets (docs/performance.md, "Targets")
CPU_MS_PER_MESSAGE = 36  # 50,000 messages in 30 minutes of one core
PEAK_RSS_MIB = 256

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from intake import mailbox  # noqa: E402
from intake.config import load_config  # noqa: E402
from intake.service import Service  # noqa: E402
from intake.smtp_sink import SmtpSink  # noqa: E402
from tests.conftest import write_config  # noqa: E402
from tests.dovecot import PASSWORD, Dovecot  # noqa: E402

os.environ.setdefault("INTAKE_TEST_PASSWORD", PASSWORD)
ONE_CORE = {0}


def fill(server: Dovecot, user: str, messages: list[bytes]) -> None:
    client = server.client(user)
    try:
        for start in range(0, len(messages), 250):
            client.multiappend("INBOX", messages[start : start + 250])
    finally:
        client.logout()


def _rss_mib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def service_cycle(config_path: Path) -> tuple[float, int, float]:
    """One `run_service.py --once` pinned to one core: (seconds, peak RSS in MiB, sampled
    from /proc every 50 ms, and the CPU seconds it used: on a busy machine the wall time
    includes waiting for the core, the CPU time does not)."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run_service.py"), "--config", str(config_path), "--once", "-q"],
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, ONE_CORE),
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _rss_mib(proc.pid))
        time.sleep(0.05)
    return time.perf_counter() - start, peak, _children_cpu() - cpu_before


def getmail_retrieval(server: Dovecot, user: str, scratch: Path) -> float | None:
    """Seconds for getmail6 to retrieve the whole mailbox into a Maildir (None when
    getmail6 is not installed: `pip install -e '.[bench]'`)."""
    getmail = shutil.which("getmail", path=str(Path(sys.executable).parent))
    if getmail is None:
        return None
    maildir = scratch / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(maildir / sub, 0o777)
    # getmail refuses to deliver as root: it then delivers as an unprivileged user
    as_user = "user = nobody\n" if os.geteuid() == 0 else ""
    rc = scratch / "getmailrc"
    rc.write_text(f"""[retriever]
type = SimpleIMAPRetriever
server = 127.0.0.1
port = {server.port}
username = {user}
password = {PASSWORD}
mailboxes = ("INBOX",)

[destination]
type = Maildir
path = {maildir}/
{as_user}
[options]
read_all = true
delete = false
verbose = 0
""")
    start = time.perf_counter()
    subprocess.run(
        [getmail, "--rcfile", str(rc), "--getmaildir", str(scratch)],
        check=True,
        preexec_fn=lambda: os.sched_setaffinity(0, ONE_CORE),
    )
    took = time.perf_counter() - start
    got = len(list((maildir / "new").iterdir()))
    shutil.rmtree(maildir)
    print(f"  getmail6 retrieved {got} messages")
    return took


def idle_poll(config_path: Path, repeat: int = 20) -> tuple[float, float]:
    """(median ms of the STATUS check that finds nothing new, median ms of a whole cycle
    with nothing new: login, STATUS, logout)."""
    config = load_config(config_path)
    service = Service(config)
    inbox = config.inboxes[0]
    client = mailbox.connect(inbox)
    polls = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = mailbox.poll(client, inbox, service.store)
        polls.append((time.perf_counter() - start) * 1000)
        assert result.skipped_fetch, "the idle poll found new mail"
    mailbox.close(client)
    cycles = []
    for _ in range(repeat):
        start = time.perf_counter()
        service.run_cycle()
        cycles.append((time.perf_counter() - start) * 1000)
    service.close()
    return statistics.median(polls), statistics.median(cycles)


def latency(server: Dovecot, sink: SmtpSink, scratch: Path, samples: int) -> tuple[float, float]:
    """APPEND to acknowledgement at the SMTP server, with IMAP IDLE: (median, p95) seconds."""
    user = "latency"
    scratch.mkdir(parents=True, exist_ok=True)
    path = write_config(
        scratch,
        imap_port=server.port,
        smtp_port=sink.port,
        inboxes=[{"name": "general", "username": user, "idle": True}],
    )
    path.write_text(path.read_text().replace("poll_interval = 1", "poll_interval = 60"))
    _unlimited(path)
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_service.py"), "--config", str(path), "-q"])

    def probe(i: int, limit: float) -> float:
        msg = (
            f"From: Probe {i} <probe{i}@stad.gent>\r\nTo: procurement@iclei.org\r\n"
            f"Subject: Latency probe {i}\r\nMessage-ID: <probe-{i}-{time.time_ns()}@stad.gent>"
            "\r\n\r\nWe would like to join the Interest Group on socially responsible ICT"
            " procurement.\r\n"
        ).encode()
        before = len(sink.received)
        start = time.perf_counter()
        server.append(user, [msg])
        while len(sink.received) == before:
            if time.perf_counter() - start > limit:
                raise RuntimeError(f"no acknowledgement within {limit:.0f} s")
            time.sleep(0.005)
        return time.perf_counter() - start

    try:
        # one probe, not timed, until the service answers: start-up may have to train the model
        # (a new rules file) and load the language detector, which takes long on a busy machine
        probe(-1, 300)
        times = []
        for i in range(samples):
            times.append(probe(i, 30))
            time.sleep(0.3)
        times.sort()
        return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _config(scratch: Path, server: Dovecot, user: str, smtp_port: int) -> Path:
    """A config for one inbox; every mail answered (no rate limit may flatter the run)."""
    scratch.mkdir(parents=True, exist_ok=True)
    path = write_config(
        scratch,
        imap_port=server.port,
        smtp_port=smtp_port,
        inboxes=[{"name": "general", "username": user, "batch_size": 500, "idle": False}],
    )
    _unlimited(path)
    return path


def _unlimited(path: Path) -> None:
    """No acknowledgement limit applies: per hour, per sender, per organisation (the latency
    probes all come from one organisation, which would otherwise stop being answered at 20)."""
    unlimited = "acks_per_hour = 10000000\nacks_per_organisation_per_day = 10000000"
    text = path.read_text().replace("acks_per_hour = 1000", unlimited)
    path.write_text(re.sub(r"acks_per_sender_per_day = \d+", "acks_per_sender_per_day = 1000000", text))


def _set_aside_queued(database: Path) -> None:
    """The idle poll is about polling: the queued acknowledgements are not sent."""
    with sqlite3.connect(database) as db:
        db.execute("UPDATE outbox SET status='suppressed' WHERE status='queued'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=1_000, help="the small mailbox for idle polls")
    parser.add_argument("--latency-samples", type=int, default=30)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    os.chmod(scratch, 0o755)
    server = Dovecot(storage="mdbox").start()
    sink = SmtpSink().start()
    rows: list[tuple[str, str, str, bool | None]] = []

    def row(what: str, result: str, target: str, met: bool | None) -> None:
        rows.append((what, result, target, met))
        print(f"  {what}: {result} (target {target})", flush=True)

    try:
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
            f" Python {platform.python_version()}, {platform.system()} {platform.release()}"
        )
        n = args.messages
        messages = generate(n)
        size = sum(len(m) for m in messages) / n / 1024
        print(f"filling the mailbox: {n} messages, {size:.1f} KB average")
        fill(server, "backlog", messages[: args.small])
        fill(server, "small", messages[: args.small])
        fill(server, "backlog", messages[args.small :])
        del messages

        # an unreachable SMTP port (1) leaves every acknowledgement queued: the target ends there
        big = _config(scratch / "big", server, "backlog", smtp_port=1)
        load_before = os.getloadavg()[0]
        took, rss, cpu = service_cycle(big)
        load_after = os.getloadavg()[0]
        database = scratch / "big" / "intake.sqlite3"
        with sqlite3.connect(database) as db:
            queued = db.execute("SELECT COUNT(*) FROM outbox WHERE status='queued'").fetchone()[0]
            handled = db.execute("SELECT COUNT(*) FROM messages WHERE status != 'stored'").fetchone()[0]
        row(
            f"backlog of {n} to acknowledgements queued, one core (wall time)",
            f"{took:.0f} s ({n / took:.0f} msg/s; {handled} handled, {queued} acks queued;"
            f" load average {load_before:.1f} before, {load_after:.1f} after)",
            "every message handled (issue 17 asked < 300 s at 50,000)",
            handled == n,
        )
        row(
            "CPU time of the service for that backlog (user + system)",
            f"{cpu:.0f} s ({cpu / n * 1000:.1f} ms a message)",
            f"< {CPU_MS_PER_MESSAGE} ms a message ({n * CPU_MS_PER_MESSAGE / 1000:.0f} s)",
            cpu / n * 1000 < CPU_MS_PER_MESSAGE,
        )
        row(
            "peak RSS of the service during that backlog",
            f"{rss} MiB",
            f"< {PEAK_RSS_MIB} MiB (issue 17 asked 100)",
            rss < PEAK_RSS_MIB,
        )
        gm = getmail_retrieval(server, "backlog", scratch / "getmail")
        row(
            f"getmail6 retrieval of the same {n} messages, one core",
            f"{gm:.0f} s ({n / gm:.0f} msg/s)" if gm else "not installed",
            "(comparison)",
            None,
        )

        _set_aside_queued(database)
        big_poll, big_cycle = idle_poll(big)
        small = _config(scratch / "small", server, "small", smtp_port=1)
        service_cycle(small)  # (its figures are not reported)
        _set_aside_queued(scratch / "small" / "intake.sqlite3")
        small_poll, small_cycle = idle_poll(small)
        row(f"idle poll (STATUS, nothing new) at {n}", f"{big_poll:.2f} ms", "< 5 ms", big_poll < 5)
        row(
            f"idle poll (STATUS, nothing new) at {args.small}",
            f"{small_poll:.2f} ms",
            "not growing",
            big_poll < max(5 * small_poll, 1.0),
        )
        row(
            f"idle cycle (login .. logout) at {n} / {args.small}",
            f"{big_cycle:.1f} / {small_cycle:.1f} ms",
            "(context)",
            None,
        )

        med, p95 = latency(server, sink, scratch / "latency", args.latency_samples)
        row(
            f"APPEND to acknowledgement with IDLE ({args.latency_samples} samples)",
            f"median {med * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms",
            "median < 1 s",
            med < 1.0,
        )
    finally:
        sink.stop()
        server.cleanup()
    print("\n| measure | result | target | met |\n|---|---|---|---|")
    for what, result, target, met in rows:
        print(f"| {what} | {result} | {target} | {'' if met is None else ('yes' if met else 'NO')} |")
    return 0 if all(met is not False for *_, met in rows) else 1


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so that Dovecot and the scratch directory go too


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main())
