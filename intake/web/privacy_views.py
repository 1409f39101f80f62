"""The desk's erasure action (GDPR art. 17): staff only, shown before it is done, and
confirmed by typing the address again. The same operation as `intake privacy erase`."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from intake import privacy
from intake.web import ext, store_of
from intake.web.roster_views import _staff_only

bp = Blueprint("privacy", __name__)


@bp.route("/privacy/erase", methods=["GET", "POST"])
def erase():  # noqa: ANN201
    _staff_only()
    if request.method == "GET":
        return render_template("privacy_erase.html", address="", roster=False, plan=None)
    address, roster = request.form.get("address", "").strip(), request.form.get("roster") == "yes"
    config, store, actor = ext()["config"], store_of(), g.account.name
    try:
        plan = privacy.erase(store, config, address, actor=actor, roster=roster, dry_run=True)
        confirm = request.form.get("confirm")
        if confirm is None or confirm.strip().lower() != privacy.normalise(address):
            if confirm is not None:
                flash("The address typed to confirm does not match; nothing was erased", "error")
            return render_template("privacy_erase.html", address=address, roster=roster, plan=plan)
        done = privacy.erase(store, config, address, actor=actor, roster=roster)
    except privacy.PrivacyError as exc:
        flash(str(exc), "error")
        return redirect(url_for("privacy.erase"))
    # the message names the pseudonym, never the address (flash messages live in the cookie)
    flash(
        f"Erased: now {done.pseudonym}; {done.counts['requests']} request(s),"
        f" {done.counts['messages']} message(s), {done.counts['outbox']} outgoing mail(s)"
        + ("" if done.file_clean else "; run `intake privacy compact` when the service is idle"),
        "ok",
    )
    return redirect(url_for("privacy.erase"))
