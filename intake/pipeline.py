"""The whole path of one stored message, in order. Read this file first.

    IMAP -> store raw (mailbox.poll) -> STAGES below -> outbox (outbox.send_due)
         -> file away on IMAP (mailbox.file_away)

Each stage is a module in intake/stages/ with `run(ctx, env)`. All stages of
one message run in ONE database savepoint: either the whole decision (request
row, outbox rows, events) is recorded, or none of it is and the message is
still `stored`, to be run again. A single message is its own transaction; a
backlog commits a group of messages at a time (all or nothing, each message
still whole). An unexpected error rolls back that message alone and shunts it:
its traceback is kept as an event, it goes to triage, and the loop goes on.
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
import traceback
from collections.abc import Callable

from intake.context import Context, Env
from intake.store import Store, is_damage, utcnow

log = logging.getLogger("intake.pipeline")

STAGES: tuple[str, ...] = (
    "parse",       # raw bytes -> ParsedMail (mail-parser + corrections)
    "screen",      # human, or a machine (auto-reply, bounce, list, our own mail, spam)?
    "thread",      # a reply to a request we already have?
    "classify",    # group, intent, language, confidence
    "membership",  # roster match (exact, domain, subdomain) and sender authentication
    "route",       # status, triage reason, which mails to send
    "record",      # write message fields, request, events
    "respond",     # render templates, queue the outbox rows
)

COMMIT_GROUP = 32  # messages per commit when a backlog is worked through

_MODULES = {name: importlib.import_module(f"intake.stages.{name}") for name in STAGES}


def load_context(env: Env, message_pk: int) -> Context:
    row = env.store.message_to_run(message_pk)
    if row is None:
        raise KeyError(f"no message {message_pk}")
    return context_from_row(env.store, row)


_NO_RAW = "the message's raw bytes are missing from the database (message_raw)"


def context_from_row(store: Store, row, inboxes: list[str] | None = None) -> Context:  # noqa: ANN001
    """A Context from a Store.message_to_run row (inboxes: if already known). Used by
    the service and by the parse workers alike. A row without the raw column (the
    service's, for a message the workers parsed) reads the bytes when a stage asks."""
    if "raw" not in row.keys():
        pk = row["id"]
        raw: bytes | Callable[[], bytes] = lambda: _raw_of(store, pk)  # noqa: E731
    elif row["raw"] is None:
        raise ValueError(_NO_RAW)
    else:
        raw = bytes(row["raw"])
    if inboxes is None:
        inboxes = store.inboxes_of(row["id"])
    ctx = Context(message_pk=row["id"], raw_source=raw, inboxes=inboxes,
                  internal_date=row["internal_date"], handled_mark=row["handled_mark"])
    if row["role"] == "request":
        ctx.request_id = row["request_id"]  # a replayed message keeps its request
    return ctx


def _raw_of(store: Store, message_pk: int) -> bytes:
    raw = store.raw_of(message_pk)
    if raw is None:
        raise ValueError(_NO_RAW)
    return raw


def run_stages(ctx: Context, env: Env, stages: tuple[str, ...] = STAGES) -> Context:
    for name in stages:
        _MODULES[name].run(ctx, env)
    return ctx


def process(env: Env, message_pk: int, prepared=None) -> Context | None:  # noqa: ANN001
    """Run one stored message through every stage; shunt it if a stage crashes.

    `prepared` carries the pure stages' results computed by a worker process
    (intake/prepare.py); the remaining stages run here, in one transaction.
    """
    store = env.store
    try:
        with store.transaction():
            row = store.message_to_run(message_pk, with_raw=prepared is None)
            if row is None or row["status"] != "stored":
                return None  # already handled (e.g. by a concurrent replay)
            ctx = context_from_row(store, row, prepared.inboxes if prepared is not None else None)
            if prepared is not None:
                from intake import prepare
                prepare.apply(ctx, prepared)
                run_stages(ctx, env, tuple(s for s in STAGES if s not in prepare.PURE_STAGES))
            else:
                run_stages(ctx, env)
        return ctx
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) or is_damage(exc):
            raise  # the database itself failed (disk full, locked, damaged): not this message's fault
        shunt(env, message_pk, exc)
    except Exception as exc:  # noqa: BLE001 - shunt, don't die
        shunt(env, message_pk, exc)
        return None


def shunt(env: Env, message_pk: int, exc: BaseException) -> None:
    trace = "".join(traceback.format_exception(exc))
    reason = f"{exc.__class__.__name__}: {exc}"[:300]
    log.error("message %s shunted: %s", message_pk, reason)
    store = env.store
    with store.transaction():
        store.update("messages", message_pk, {"status": "shunted", "status_reason": reason})
        existing = store.one("SELECT request_id FROM messages WHERE id=?", (message_pk,))
        request_id = existing["request_id"] if existing else None
        if request_id is None:
            now = utcnow()
            request_id = store.insert_request({
                "first_message": message_pk, "created_at": now, "updated_at": now,
                "status": "shunted", "triage_reason": f"shunted: {reason}"})
            store.update("messages", message_pk, {"request_id": request_id, "role": "request"})
        store.event("shunted", message_pk=message_pk, request_id=request_id, reason=reason,
                    traceback=trace)


def replay(env: Env, message_pk: int) -> Context | None:
    """Run a shunted message again, from scratch (after the bug is fixed)."""
    store = env.store
    with store.transaction():
        row = store.one("SELECT status, request_id FROM messages WHERE id=?", (message_pk,))
        if row is None or row["status"] != "shunted":
            raise ValueError(f"message {message_pk} is not shunted")
        # the request made by shunt() is kept: the replay fills it in (same id, same token)
        store.update("messages", message_pk, {"status": "stored", "status_reason": None})
        store.event("replayed", actor=env.actor, message_pk=message_pk,
                    request_id=row["request_id"])
    return process(env, message_pk)


def process_pending(env: Env, *, stop=lambda: False, parallel: bool = True,
                    preparer=None) -> int:  # noqa: ANN001
    """Run every stored message. A large backlog is prepared on all cores: by the
    `preparer` the service started while fetching, or by one started here.

    Messages are committed in groups (one chunk of the preparer, or COMMIT_GROUP):
    each message still runs in its own savepoint (a crash in one is rolled back
    alone and shunted), and a group is all or nothing, so a kill mid-group only
    means those messages run again.
    """
    from intake import prepare
    pending = env.store.pending_messages()
    own = prepare.start_for(env, len(pending), "") if parallel and preparer is None else None
    if own is not None:
        with own:
            own.add(pending)
            return process_prepared(env, own, block=True, stop=stop)
    if preparer is not None:
        preparer.add(pending)  # anything stored before it started, or not yet added
        return process_prepared(env, preparer, block=True, stop=stop)
    done = 0
    for start in range(0, len(pending), COMMIT_GROUP):
        if stop():
            break
        done += _process_group(env, [(pk, None) for pk in pending[start:start + COMMIT_GROUP]],
                               stop)
    return done


def process_prepared(env: Env, preparer, *, block: bool, stop=lambda: False) -> int:  # noqa: ANN001
    """Run the messages the preparer has results for, in the order they were added;
    with block=False, only as far as results are ready (the service calls this
    between two fetch batches)."""
    done = 0
    while not stop():
        group = preparer.next_chunk(block=block)
        if group is None:
            break
        done += _process_group(env, group, stop)
    return done


def _process_group(env: Env, group: list, stop) -> int:  # noqa: ANN001
    done = 0
    with env.store.transaction():
        for message_pk, prepared in group:
            process(env, message_pk, prepared)
            done += 1
            if stop():
                break
    return done
