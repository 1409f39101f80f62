"""Generate many realistic messages from the dev corpus, each with a new identity."""

from __future__ import annotations

import random
import re

from tests.conftest import corpus_files


def generate(count: int, seed: int) -> list[bytes]:
    """Corpus mails with fresh Message-IDs (so each one is a new message), shuffled."""
    rng = random.Random(seed)
    sources = [p.read_bytes() for p in corpus_files()]
    out = []
    for i in range(count):
        raw = rng.choice(sources)
        new_id = f"<gen-{seed}-{i}-{rng.randrange(10**9)}@gen.example>".encode()
        raw, n = re.subn(
            rb"(?im)^Message-ID:[^\r\n]*(\r?\n[ \t][^\r\n]*)*", b"Message-ID: " + new_id, raw, count=1
        )
        if not n:
            raw = b"Message-ID: " + new_id + b"\r\n" + raw
        out.append(raw)
    return out
