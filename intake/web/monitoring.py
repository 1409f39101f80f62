"""`/healthz` and `/metrics`: for load balancers, uptime checks and Prometheus.

Both are public (no login: a probe has no account) and reveal no personal data, only
counts, inbox names and ages (intake/metrics.py). Access rule: public.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, jsonify

from intake import metrics
from intake.store import Store, StoreError
from intake.web import ext

bp = Blueprint("monitoring", __name__)
log = logging.getLogger("intake.web")
PUBLIC = ("monitoring.healthz", "monitoring.metrics")


@contextmanager
def _reading() -> Iterator[Store]:
    """The database, only if it is there: a probe never creates one (a missing file stays
    missing, and is reported)."""
    path = ext()["config"].database
    if not path.is_file():
        raise StoreError(f"database {path} does not exist")
    store = Store(path)
    try:
        yield store
    finally:
        store.close()


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when all is well, 503 (with the same JSON) when not."""
    try:
        with _reading() as store:
            healthy, report = metrics.health(store, ext()["config"])
    except (sqlite3.Error, StoreError) as exc:
        log.error("healthz: database unreachable: %s", exc)
        return jsonify({"status": "fail", "database": "unreachable"}), 503
    return jsonify(report), 200 if healthy else 503


@bp.get("/metrics", endpoint="metrics")
def metrics_view() -> Response:
    """The Prometheus text format, computed from the database at scrape time."""
    from prometheus_client import CONTENT_TYPE_LATEST

    with _reading() as store:
        body = metrics.exposition(store, ext()["config"])
    return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)
