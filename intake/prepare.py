"""Parallel preparation of a backlog: the pure stages (parse, screen, classify) in worker
processes, so a large first import uses every core.

Only pure work happens in the workers; everything that reads or writes the
database (thread, membership, route, record, respond) stays in the service's
own process and transaction, exactly as for a single message. A worker that
fails on a message simply leaves it to the normal in-process path.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from intake.config import Config
from intake.context import Context, Decision, Env, ParsedMail

log = logging.getLogger("intake.prepare")

PURE_STAGES = ("parse", "screen", "classify")
MIN_BACKLOG = 64      # below this, starting workers costs more than it saves
CHUNK = 32

_worker_env: Env | None = None


@dataclass
class Prepared:
    message_pk: int
    mail: ParsedMail | None
    unparseable: str | None
    screening: str | None
    screening_evidence: list[str] = field(default_factory=list)
    decision: Decision = field(default_factory=Decision)


def _init_worker(config: Config) -> None:
    global _worker_env
    from intake.rulebook import load_rules
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    _worker_env = Env(config=config, rules=load_rules(config.rules_dir), store=None,  # type: ignore[arg-type]
                      templates=None)  # type: ignore[arg-type]


def _prepare(job: tuple[int, bytes, list[str], str | None]) -> Prepared | None:
    from intake import pipeline
    pk, raw, inboxes, internal_date = job
    try:
        ctx = Context(message_pk=pk, raw=raw, inboxes=inboxes, internal_date=internal_date)
        pipeline.run_stages(ctx, _worker_env, PURE_STAGES)  # type: ignore[arg-type]
        return Prepared(pk, ctx.mail, ctx.unparseable, ctx.screening, ctx.screening_evidence,
                        ctx.decision)
    except Exception:  # noqa: BLE001 - the main process will run (and shunt) it itself
        return None


def apply(ctx: Context, prepared: Prepared) -> None:
    ctx.mail = prepared.mail
    ctx.unparseable = prepared.unparseable
    ctx.screening = prepared.screening
    ctx.screening_evidence = prepared.screening_evidence
    ctx.decision = prepared.decision


def workers_for(backlog: int) -> int:
    cores = os.cpu_count() or 1
    if backlog < MIN_BACKLOG or cores < 2:
        return 0
    return min(cores, 4)


def prepared_stream(env: Env, pending: list[int], workers: int) -> Iterator[tuple[int, Prepared | None]]:
    """Yield (message pk, prepared result) in order, keeping the workers one chunk ahead."""
    chunks = [pending[i:i + CHUNK] for i in range(0, len(pending), CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=(env.config,)) as pool:
        queued: list[tuple[int, Future]] = []

        def submit(chunk: list[int]) -> None:
            for pk in chunk:
                row = env.store.one("SELECT raw, internal_date FROM messages WHERE id=?", (pk,))
                job = (pk, bytes(row["raw"]), env.store.inboxes_of(pk), row["internal_date"])
                queued.append((pk, pool.submit(_prepare, job)))

        for chunk in chunks[:2]:
            submit(chunk)
        next_chunk = 2
        while queued:
            pk, future = queued.pop(0)
            try:
                result = future.result()
            except Exception:  # noqa: BLE001 - a dead worker: fall back to in-process
                result = None
            yield pk, result
            if len(queued) < CHUNK and next_chunk < len(chunks):
                submit(chunks[next_chunk])
                next_chunk += 1
