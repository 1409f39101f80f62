"""Take one attachment out of a stored message, in a child process under a time limit.

The desk serves attachments from the raw message, which means parsing it again. The
service parses under limits.max_parse_seconds (a SIGALRM, which only works in a main
thread); a web request runs in a worker thread, so the parse runs here, in a child
process the desk can stop: a hostile message costs the desk at most that long.

    python -m intake.attachment_worker INDEX < message.eml
    stdout: the file name (one JSON line), then the attachment's bytes
    exit 0: found; 3: no attachment with that index; 4: nested too deeply to parse
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from dataclasses import dataclass

NOT_FOUND, TOO_DEEP = 3, 4


@dataclass
class Extracted:
    filename: str | None
    payload: bytes


class ExtractError(Exception):
    """The attachment could not be taken out; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def extract(raw: bytes, index: int, seconds: float) -> Extracted:
    """The attachment number `index` of the message, parsed in a child process that is
    stopped after `seconds`."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "intake.attachment_worker", str(index)],
            input=raw,
            capture_output=True,
            timeout=seconds if seconds > 0 else None,
        )
    except subprocess.TimeoutExpired:
        raise ExtractError(
            422,
            f"taking this message apart took longer than {seconds:g} s"
            " (limits.max_parse_seconds); export it with the CLI",
        ) from None
    if done.returncode == NOT_FOUND:
        raise ExtractError(404, "no such attachment")
    if done.returncode == TOO_DEEP:
        raise ExtractError(422, "this message is nested too deeply to take apart here")
    if done.returncode != 0:
        raise ExtractError(422, "this message cannot be taken apart here")
    head, _, payload = done.stdout.partition(b"\n")
    return Extracted(filename=json.loads(head), payload=payload)


def main() -> int:
    from intake.attachments import attachment_bytes, attachment_parts
    from intake.stages.parse import clean_raw

    index = int(sys.argv[1])
    try:
        msg = email.message_from_bytes(clean_raw(sys.stdin.buffer.read()), policy=email.policy.compat32)
        parts = attachment_parts(msg)
        if not 0 <= index < len(parts):
            return NOT_FOUND
        part = parts[index]
        payload = attachment_bytes(part)
        name = part.get_filename()
    except RecursionError:  # thousands of nested parts: the stdlib parser gives up
        return TOO_DEEP
    sys.stdout.buffer.write(json.dumps(str(name) if name else None).encode() + b"\n" + payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
