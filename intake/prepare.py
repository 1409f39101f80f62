"""Parallel preparation of a backlog: the pure stages (parse, screen, classify) in worker
processes, so a large first import uses every core.

Workers only read: each opens the database read-only and takes the raw bytes of
the messages it is given. Everything that writes or depends on other requests
(thread, membership, route, record, respond) stays in the service's own process
and transaction, exactly as for a single message. A worker that fails on a
message simply leaves it to the normal in-process path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from intake.config import Config
from intake.context import Context, Decision, Env, ParsedMail
from intake.rulebook import Rulebook
from intake.store import Store

log = logging.getLogger("intake.prepare")

PURE_STAGES = ("parse", "screen", "classify")
MIN_BACKLOG = 64      # below this, starting workers costs more than it saves
CHUNK = 32
WORKER_NICENESS = 10  # below the service: on a busy machine the one writer never waits

_worker_env: Env | None = None
_worker_store: Store | None = None


@dataclass
class Prepared:
    message_pk: int
    mail: ParsedMail | None
    unparseable: str | None
    screening: str | None
    screening_evidence: list[str] = field(default_factory=list)
    decision: Decision = field(default_factory=Decision)
    inboxes: list[str] | None = None  # read by the worker: the service need not again


def _init_worker(config: Config, rules: Rulebook | None = None) -> None:
    """Each worker opens the database read-only: it reads the raw bytes itself (WAL
    lets readers run beside the writer), so the service process does not copy every
    message across a pipe. The rules come from the service (inherited at fork) or
    are loaded here."""
    global _worker_env, _worker_store
    from intake.rulebook import load_rules
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the service's own handlers came with fork
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which stops us
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)  # the service's process is the serial part: it goes first
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    _worker_env = Env(config=config, rules=rules or load_rules(config.rules_dir), store=None,  # type: ignore[arg-type]
                      templates=None)  # type: ignore[arg-type]
    _worker_store = Store(config.database, read_only=True)


def _exit_with_parent(parent: int) -> None:
    """A service that is killed outright (kill -9, out of memory) cannot stop its
    workers; they notice they were orphaned and exit instead of waiting forever."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def _prepare_chunk(pks: list[int]) -> list[Prepared | None]:
    """Stage by stage over the chunk rather than message by message: each stage's
    working set (mail-parser's, then lingua's models) stays in the CPU caches, which
    measured about a tenth faster. A message that fails at any stage is left to the
    service (None), the others go on."""
    from intake import pipeline
    assert _worker_store is not None and _worker_env is not None
    contexts: list[Context | None] = [_load(pk) for pk in pks]
    for stage in PURE_STAGES:
        for i, ctx in enumerate(contexts):
            if ctx is None:
                continue
            try:
                pipeline.run_stages(ctx, _worker_env, (stage,))
            except Exception:  # noqa: BLE001 - the main process will run (and shunt) it itself
                contexts[i] = None
    return [None if ctx is None else
            Prepared(pk, ctx.mail, ctx.unparseable, ctx.screening, ctx.screening_evidence,
                     ctx.decision, ctx.inboxes)
            for pk, ctx in zip(pks, contexts, strict=True)]


def _load(pk: int) -> Context | None:
    from intake import pipeline
    try:
        assert _worker_store is not None
        return pipeline.context_from_row(_worker_store, _worker_store.message_to_run(pk))
    except Exception:  # noqa: BLE001 - gone meanwhile, bytes missing: the service decides
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


def start_for(env: Env, backlog: int, when: str) -> Preparer | None:
    """Worker processes for a backlog of this size, or None when it is too small to
    be worth them (or the machine has one core). `when` completes the log line."""
    workers = workers_for(backlog)
    if not workers:
        return None
    log.info("preparing a backlog of %d messages on %d worker processes%s",
             backlog, workers, when)
    return Preparer(env.config, workers, env.rules)


class Preparer:
    """Worker processes fed with message ids as they are stored.

    The service adds ids while it is still fetching (so the workers start on the
    first batch while the next one downloads) and takes results back in the order
    the ids were added. At most `window` chunks are in flight: results wait in
    memory only that far ahead of the service, however large the backlog.
    """

    def __init__(self, config: Config, workers: int, rules: Rulebook | None = None) -> None:
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                         initargs=(config, rules))
        self._window = 3 * workers
        self._waiting: deque[int] = deque()
        self._in_flight: deque[tuple[list[int], Future]] = deque()
        self._known: set[int] = set()
        self._warned = False

    def add(self, pks: list[int]) -> None:
        for pk in pks:
            if pk not in self._known:
                self._known.add(pk)
                self._waiting.append(pk)
        self._top_up()

    def _top_up(self) -> None:
        while self._waiting and len(self._in_flight) < self._window:
            chunk = [self._waiting.popleft() for _ in range(min(CHUNK, len(self._waiting)))]
            try:
                future = self._pool.submit(_prepare_chunk, chunk)
            except (OSError, RuntimeError) as exc:  # cannot fork, or the pool broke
                future = Future()
                future.set_exception(exc)
            self._in_flight.append((chunk, future))

    def next_chunk(self, *, block: bool) -> list[tuple[int, Prepared | None]] | None:
        """The oldest chunk's results; None when nothing is left, or (block=False) when
        the oldest chunk is not ready yet."""
        if not self._in_flight:
            return None
        chunk, future = self._in_flight[0]
        if not block and not future.done():
            return None
        self._in_flight.popleft()
        try:
            results = future.result()
        except Exception as exc:  # noqa: BLE001 - a dead worker: the service runs them itself
            if not self._warned:
                log.warning("a parse worker failed (%s: %s); the service prepares those"
                            " messages itself", exc.__class__.__name__, exc)
                self._warned = True
            results = [None] * len(chunk)
        self._top_up()
        return list(zip(chunk, results, strict=True))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
