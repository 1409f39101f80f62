"""The whole path of one stored message, in order. Read this file first.

    IMAP -> store raw (mailbox.poll) -> STAGES below -> outbox (outbox.send_due)
         -> file away on IMAP (mailbox.file_away)

Each stage is a module in intake/stages/ with `run(ctx, env)` and two tuples at its
top: READS, the Context fields it uses, and WRITES, the fields it produces. It is
handed a view of the Context with just those (intake/stage_view.py), so what a
stage may touch is written where it is enforced. All stages of
one message run in ONE database transaction: either the whole decision
(request row, outbox rows, events) is recorded, or none of it is and the
message is still `stored`, to be run again. An unexpected error rolls back that
message alone and shunts it: its traceback is kept as an event, it goes to
triage, and the loop goes on.
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
import traceback
from collections.abc import Callable
from typing import cast

from intake.context import Context, Env
from intake.stage_view import StageView
from intake.store import Store, is_damage, utcnow

log = logging.getLogger("intake.pipeline")

STAGES: tuple[str, ...] = (
    "parse",  # raw bytes -> ParsedMail (mail-parser + corrections)
    "screen",  # human, or a machine (auto-reply, bounce, list, our own mail, spam)?
    "thread",  # a reply to a request we already have?
    "classify",  # group, intent, language, confidence
    "membership",  # roster match (exact, domain, subdomain) and sender authentication
    "route",  # status, triage reason, which mails to send
    "record",  # write message fields, request, events
    "register",  # participants and topic interest (the Interest Group register)
    "respond",  # render templates, queue the outbox rows
)

_MODULES = {name: importlib.import_module(f"intake.stages.{name}") for name in STAGES}


def load_context(env: Env, message_pk: int) -> Context:
    row = env.store.message_to_run(message_pk)
    if row is None:
        raise KeyError(f"no message {message_pk}")
    return context_from_row(env.store, row)


def context_from_row(store: Store, row: sqlite3.Row) -> Context:
    """A Context from a Store.message_to_run row."""
    if row["raw"] is None:
        raise ValueError("the message's raw bytes are missing from the database (message_raw)")
    ctx = Context(
        message_pk=row["id"],
        raw=bytes(row["raw"]),
        inboxes=store.inboxes_of(row["id"]),
        internal_date=row["internal_date"],
        handled_mark=row["handled_mark"],
    )
    if row["role"] == "request":
        ctx.request_id = row["request_id"]  # a replayed message keeps its request
    return ctx


def run_stages(ctx: Context, env: Env, stages: tuple[str, ...] = STAGES) -> Context:
    """Each stage sees only the Context fields its module declares (READS, WRITES)."""
    for name in stages:
        module = _MODULES[name]
        module.run(cast(Context, StageView(ctx, name, module.READS, module.WRITES)), env)
    return ctx


def process(env: Env, message_pk: int) -> Context | None:
    """Run one stored message through every stage in one transaction (a savepoint when
    the caller holds one); shunt it if a stage crashes."""
    store = env.store
    try:
        with store.transaction():
            row = store.message_to_run(message_pk)
            if row is None or row["status"] != "stored":
                return None  # already handled (e.g. by a concurrent replay)
            ctx = context_from_row(store, row)
            run_stages(ctx, env)
        return ctx
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) or is_damage(exc):
            raise  # the database itself failed (disk full, locked, damaged): not this message's fault
        shunt(env, message_pk, exc)
        return None
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
            request_id = store.insert_request(
                {
                    "first_message": message_pk,
                    "created_at": now,
                    "updated_at": now,
                    "status": "shunted",
                    "triage_reason": f"shunted: {reason}",
                }
            )
            store.update("messages", message_pk, {"request_id": request_id, "role": "request"})
        store.event("shunted", message_pk=message_pk, request_id=request_id, reason=reason, traceback=trace)


def replay(env: Env, message_pk: int) -> Context | None:
    """Run a shunted message again, from scratch (after the bug is fixed)."""
    store = env.store
    with store.transaction():
        row = store.one("SELECT status, request_id FROM messages WHERE id=?", (message_pk,))
        if row is None or row["status"] != "shunted":
            raise ValueError(f"message {message_pk} is not shunted")
        # the request made by shunt() is kept: the replay fills it in (same id, same token)
        store.update("messages", message_pk, {"status": "stored", "status_reason": None})
        store.event("replayed", actor=env.actor, message_pk=message_pk, request_id=row["request_id"])
    return process(env, message_pk)


def process_pending(env: Env, *, stop: Callable[[], bool] = lambda: False) -> int:
    """Run every stored message, oldest first, each committed on its own."""
    done = 0
    for message_pk in env.store.pending_messages():
        if stop():
            break
        process(env, message_pk)
        done += 1
    return done
