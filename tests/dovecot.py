"""A real Dovecot IMAP server for the integration tests, on 127.0.0.1, in a temp dir.

Any user name logs in with the password `secret` (static passdb), and gets its
own maildir, so each test can use fresh mailboxes on one server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from intake.smtp_sink import free_port

PASSWORD = "secret"


def find_dovecot() -> str:
    path = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if path is None:
        raise RuntimeError(
            "Dovecot is not installed: run the README's test command, which"
            " installs it with apt-get (package dovecot-imapd)"
        )
    return path


class Dovecot:
    def __init__(
        self,
        storage: str = "maildir",
        oauth2_introspection_url: str | None = None,
        capabilities: str | None = None,
    ) -> None:
        """oauth2_introspection_url: log in with OAuth2 tokens only (XOAUTH2, OAUTHBEARER),
        each checked at this RFC 7662 introspection endpoint (Dovecot's oauth2 passdb).
        capabilities: announce only these (e.g. without MOVE and UIDPLUS, as older servers)."""
        self.binary = find_dovecot()
        self.oauth2_introspection_url = oauth2_introspection_url
        self.capabilities = capabilities
        self.root = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.storage = storage
        self.proc: subprocess.Popen | None = None
        self._write_config()

    def _write_config(self) -> None:
        mail = self.root / "mail"
        mail.mkdir()
        run = self.root / "run"
        run.mkdir()
        for d in (mail, run):
            os.chmod(d, 0o755)
        shutil.chown(mail, "dovecot", "dovecot")
        location = f"mdbox:{mail}/%u" if self.storage == "mdbox" else f"maildir:{mail}/%u"
        mechanisms, passdb = "plain login", f"driver = static\n  args = password={PASSWORD}"
        if self.oauth2_introspection_url:
            (self.root / "oauth2.conf.ext").write_text(
                f"introspection_mode = post\nintrospection_url = {self.oauth2_introspection_url}\n"
                "force_introspection = yes\nusername_attribute = username\n"
                "active_attribute = active\nactive_value = true\n"
            )
            mechanisms = "xoauth2 oauthbearer"
            passdb = (
                f"driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {self.root}/oauth2.conf.ext"
            )
        (self.root / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {run}
instance_name = intake-test-{self.port}
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
default_login_user = dovenull
default_internal_user = dovecot
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = 1
mail_location = {location}
mail_plugins =
passdb {{
  {passdb}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  {f"imap_capability = {self.capabilities}" if self.capabilities else ""}
  mail_max_userip_connections = 200
  imap_idle_notify_interval = 1 secs
}}
""")

    def start(self) -> Dovecot:
        self.proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"dovecot exited: {out}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start on port {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        """Stop and start again as `systemctl restart dovecot` does: every process of the
        instance goes, including the imap processes serving open connections (stopping
        Dovecot's master alone leaves those running and answering)."""
        self.stop()
        leftovers = self._instance_pids()
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + 10
        while self._instance_pids() and time.time() < deadline:
            time.sleep(0.05)
        self.start()

    def imap_pids(self) -> list[int]:
        """The imap processes of this instance: one per open client connection."""
        return self._instance_pids("imap")

    def _instance_pids(self, kind: str = "") -> list[int]:
        """Processes of this instance, by the title Dovecot gives them (instance_name/kind)."""
        title = f"dovecot-intake-test-{self.port}/{kind}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as handle:
                        name = (handle.read().split(b"\0")[0].split() or [b""])[0]
                        if name == title or (not kind and name.startswith(title)):
                            found.append(int(entry))
                except OSError:
                    continue
        return found

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    # -- helpers for tests -------------------------------------------------------------

    def client(self, user: str):
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        c.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.login(user, PASSWORD)
        return c

    def append(self, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
        c = self.client(user)
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for raw in messages:
                c.append(folder, raw)
        finally:
            c.logout()
