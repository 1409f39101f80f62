"""One TLS client context for the process: building one loads the system's CA
certificates (tens of milliseconds), and the service connects to its IMAP and SMTP
servers on every cycle."""

from __future__ import annotations

import functools
import ssl


@functools.lru_cache(maxsize=1)
def client_context() -> ssl.SSLContext:
    return ssl.create_default_context()
