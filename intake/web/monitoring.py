"""`/healthz` and `/metrics`: for load balancers, uptime checks and Prometheus.

Both are public (no login: a probe has no account) and reveal no personal data, only
counts, inbox names and ages (intake/metrics.py). Access rule: public.
"""

from __future__ import annotations

import logging
import sqlite3

from flask import Blueprint, Response, jsonify

from intake import metrics
from intake.store import StoreError
from intake.web import ext, store_of

bp = Blueprint("monitoring", __name__)
log = logging.getLogger("intake.web")
PUBLIC = ("monitoring.healthz", "monitoring.metrics")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when all is well, 503 (with the same JSON) when not."""
    try:
        healthy, report = metrics.health(store_of(), ext()["config"])
    except (sqlite3.Error, StoreError) as exc:
        log.error("healthz: database unreachable: %s", exc)
        return jsonify({"status": "fail", "database": "unreachable"}), 503
    return jsonify(report), 200 if healthy else 503


@bp.get("/metrics", endpoint="metrics")
def metrics_view() -> Response:
    """The Prometheus text format, computed from the database at scrape time."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(
        metrics.exposition(store_of(), ext()["config"]), mimetype=None, content_type=CONTENT_TYPE_LATEST
    )
