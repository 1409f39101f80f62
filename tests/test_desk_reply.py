"""Answering from the desk, end to end: the reply form over HTTP, a real SQLite file, the
outbox sending to a real SMTP server on loopback (aiosmtpd), and the answer to the reply
coming back into the same request through the pipeline's thread stage."""

from __future__ import annotations

import html
import re
import threading

import pytest

from intake import outbox, pipeline
from intake.web import create_app
from tests.webfixtures import login, populated

TARTU = "kadri.tamm@tartu.ee"  # request 3: a question about the fee (English, lcc)
HELSINKI = "ville.koskinen@hel.fi"  # request 1: a join request in Finnish (srpp-ict)


@pytest.fixture
def desk(tmp_path, smtp):
    config, service = populated(tmp_path, smtp.port)
    outbox.send_due(service.store, config.smtp)  # the acknowledgements and forwards go out
    app = create_app(config)
    yield config, service, app
    service.close()


def client_for(app, name: str = "anna"):  # noqa: ANN001, ANN201
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def request_of(service, email: str) -> int:  # noqa: ANN001
    return service.store.one("SELECT id FROM requests WHERE requester_email=? ORDER BY id", (email,))[0]


def fields(page: str) -> dict[str, str]:
    """The reply form's fields as the page holds them (hidden inputs, subject, text)."""
    found = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
    }
    found["subject"] = html.unescape(re.search(r'name="subject" value="([^"]*)"', page).group(1))
    found["body"] = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1))
    return found


def open_form(client, request_id: int, **args: str) -> dict[str, str]:  # noqa: ANN001
    response = client.get(f"/requests/{request_id}/reply", query_string=args)
    assert response.status_code == 200
    return fields(response.get_data(as_text=True))


def replies(service, request_id: int) -> list:  # noqa: ANN001
    return service.store.query(
        "SELECT id, status, message_id, language, template FROM outbox WHERE request_id=? AND kind='reply'",
        (request_id,),
    )


def test_a_canned_answer_goes_out_threaded_and_the_answer_comes_back(desk, smtp):
    # Staff answer the fee question with the canned "fees" answer and close the request;
    # the SMTP server gets it threaded to the requester's mail, said to be written by a
    # person; the audit trail names the staff member; the conversation shows it; and the
    # requester's answer to it joins the same request.
    config, service, app = desk
    client = client_for(app)
    request_id = request_of(service, TARTU)
    their = service.store.one("SELECT message_id FROM messages WHERE request_id=?", (request_id,))[0]
    form = open_form(client, request_id, canned="fees")
    assert form["language"] == "en" and form["canned"] == "fees"
    assert "participation fee depends on the type and size" in form["body"]
    assert form["body"].rstrip().endswith("anna\nProcura+ Network secretariat (ICLEI Europe)")
    preview = client.post(f"/requests/{request_id}/reply/preview", data={**form, "close": "yes"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "It cannot be sent yet" not in page
    assert f"To: {TARTU}" in page and "will be <b>closed</b>" in page
    assert not replies(service, request_id)  # a preview sends nothing
    sent = client.post(f"/requests/{request_id}/reply/send", data={**form, "close": "yes"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(
        f"/requests/{request_id}#conversation"
    )
    [row] = replies(service, request_id)
    assert (row["status"], row["template"], row["language"]) == ("queued", "canned:fees", "en")
    assert service.store.one("SELECT status FROM requests WHERE id=?", (request_id,))[0] == "closed"
    events = service.store.event_rows("e.request_id=? AND e.kind='staff_reply'", (request_id,))
    assert [(e["actor"], e["detail"]["canned"], e["detail"]["outbox_id"]) for e in events] == [
        ("anna", "fees", row["id"])
    ]

    before = len(smtp.to(TARTU))
    assert outbox.send_due(service.store, config.smtp).sent == 1
    mail = smtp.to(TARTU)[before].message
    token = service.store.one("SELECT token FROM requests WHERE id=?", (request_id,))[0]
    assert mail["In-Reply-To"] == f"<{their}>" and f"<{their}>" in mail["References"]
    assert mail["Subject"].startswith("Re: ") and f"[{token}]" in mail["Subject"]
    assert mail["Auto-Submitted"] == "no" and mail["Precedence"] is None
    assert mail["Message-ID"] == f"<{row['message_id']}>"
    assert "participation fee depends on the type and size" in mail.get_content()

    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    thread = page[page.index('id="conversation"') :]
    assert "<b id=" in thread and "Reply</b> by anna" in thread and "state-sent" in thread
    assert thread.index("Acknowledgement") < thread.index("Reply</b> by anna")

    answer = (
        f"From: Kadri Tamm <{TARTU}>\r\nTo: {config.smtp.from_address}\r\n"
        f"Subject: Re: {mail['Subject']}\r\nMessage-ID: <answer-1@tartu.ee>\r\n"
        f"In-Reply-To: <{row['message_id']}>\r\nReferences: <{their}> <{row['message_id']}>\r\n"
        "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThank you, that answers my question.\r\n"
    )
    service.store.store_delivery(
        inbox="general", folder="INBOX", uidvalidity=1, uid=99, raw=answer.encode(), internal_date=None
    )
    pipeline.process_pending(service.env)
    joined = service.store.one("SELECT request_id, role FROM messages WHERE message_id='answer-1@tartu.ee'")
    assert (joined["request_id"], joined["role"]) == (request_id, "followup")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "that answers my question" in page[page.index('id="conversation"') :]


def test_the_senders_language_is_preselected_and_another_can_be_chosen(desk):
    # A Finnish request gets the Finnish greeting and text; choosing German reloads the
    # form (a GET) with the German text; the sender's language stays marked.
    _, service, app = desk
    client = client_for(app)
    request_id = request_of(service, HELSINKI)
    form = open_form(client, request_id, canned="how_groups_work")
    assert form["language"] == "fi"
    assert (
        form["body"].startswith("Hyvä Ville Koskinen,")
        and "Kiitos kysymyksestänne teemaryhmistä" in form["body"]
    )
    german = open_form(client, request_id, canned="how_groups_work", language="de")
    assert german["language"] == "de" and german["body"].startswith("Guten Tag Ville Koskinen,")
    assert german["key"] != form["key"]
    page = client.get(f"/requests/{request_id}/reply?language=de").get_data(as_text=True)
    assert '<option value="fi" >fi · Suomi (the sender\'s)</option>' in page


def test_a_fill_in_left_is_not_sent(desk):
    # The "next meeting" answer names the request's group and has a date to fill in: the
    # preview says so and offers no Send; posting it anyway queues nothing; filled in, it goes.
    _, service, app = desk
    client = client_for(app)
    request_id = request_of(service, TARTU)
    form = open_form(client, request_id, canned="next_meeting")
    assert '"Life Cycle Costing' in form["body"] and "[[date and time]]" in form["body"]
    page = client.post(f"/requests/{request_id}/reply/preview", data=form).get_data(as_text=True)
    assert "fill in or remove: [[date and time]]" in page and "disabled>Send reply" in page
    refused = client.post(f"/requests/{request_id}/reply/send", data=form)
    assert refused.status_code == 409 and "[[date and time]]" in refused.get_data(as_text=True)
    assert not replies(service, request_id)
    form["body"] = form["body"].replace("[[date and time]]", "12 March 2027 at 10:00 CET")
    assert client.post(f"/requests/{request_id}/reply/send", data=form).status_code == 302
    assert len(replies(service, request_id)) == 1


def test_the_same_form_sent_twice_queues_one_mail(desk):
    # Two submissions of one form, one after the other (the back button) and two at the
    # same moment from two sessions (two tabs, a double click): one outbox row.
    _, service, app = desk
    first, second = client_for(app), client_for(app)
    request_id = request_of(service, TARTU)
    form = open_form(first, request_id, canned="eligibility")
    answers: list[int] = []

    def post(client) -> None:  # noqa: ANN001
        page = client.get(f"/requests/{request_id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answers.append(
            client.post(f"/requests/{request_id}/reply/send", data={**form, "csrf_token": token}).status_code
        )

    threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [302, 302]
    assert len(replies(service, request_id)) == 1
    again = first.post(f"/requests/{request_id}/reply/send", data=form, follow_redirects=True)
    assert "Nothing sent again" in again.get_data(as_text=True)
    assert len(replies(service, request_id)) == 1
    assert len(service.store.event_rows("e.request_id=? AND e.kind='staff_reply'", (request_id,))) == 1


def test_a_form_opened_before_another_reply_went_out_is_refused_once(desk):
    # Two forms opened side by side: the first is sent; the second is refused with the
    # reason and its text kept; sending it again, with that reply in view, queues it.
    _, service, app = desk
    client = client_for(app)
    request_id = request_of(service, TARTU)
    one = open_form(client, request_id, canned="fees")
    two = open_form(client, request_id, canned="eligibility")
    assert client.post(f"/requests/{request_id}/reply/send", data=one).status_code == 302
    refused = client.post(f"/requests/{request_id}/reply/send", data=two)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "another reply to this request was queued" in page
    assert len(replies(service, request_id)) == 1
    kept = fields(page)
    assert kept["key"] == two["key"] and "open to Participants and Strategic Partners" in kept["body"]
    assert client.post(f"/requests/{request_id}/reply/send", data=kept).status_code == 302
    assert len(replies(service, request_id)) == 2


def test_a_reply_the_relay_may_have_dropped_is_not_resent(desk, smtp):
    # The relay takes the reply and drops the connection: the reply is uncertain, shown so
    # in the conversation, and a later sending run leaves it alone.
    config, service, app = desk
    client = client_for(app)
    request_id = request_of(service, TARTU)
    form = open_form(client, request_id, canned="fees")
    client.post(f"/requests/{request_id}/reply/send", data=form)
    smtp.misbehave("drop")
    outbox.send_due(service.store, config.smtp)
    smtp.misbehave(None)
    received = len(smtp.to(TARTU))
    assert outbox.send_due(service.store, config.smtp).sent == 0
    assert [r["status"] for r in replies(service, request_id)] == ["uncertain"]
    assert len(smtp.to(TARTU)) == received
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "state-uncertain" in page and "not resent by itself" in page


def test_a_facilitator_answers_only_their_own_groups_requests(desk):
    # philipp (lcc) answers an lcc request; an srpp-ict request is not found for him (as on
    # every request route); a "both" request he can read because lcc is one of its two
    # groups is refused (403) and shows no Reply link; nothing is queued by the refusals.
    _, service, app = desk
    client = client_for(app, "philipp")
    own = request_of(service, TARTU)
    other = request_of(service, HELSINKI)
    form = open_form(client, own, canned="how_groups_work")
    assert form["body"].rstrip().endswith("philipp\nProcura+ Network secretariat (ICLEI Europe)")
    assert client.post(f"/requests/{own}/reply/send", data=form).status_code == 302
    assert client.get(f"/requests/{other}/reply").status_code == 404
    assert client.post(f"/requests/{other}/reply/send", data=form).status_code == 404
    both = request_of(service, "markus.lehner@nordtech-hardware.de")
    with service.store.transaction():
        service.store.update(
            "requests",
            both,
            {
                "group_id": "both",
                "explanation": '{"classification": {"group": {"scores": {"lcc": 2, "srpp-ict": 3}}}}',
            },
        )
    assert client.get(f"/requests/{both}").status_code == 200
    assert "Reply to the sender" not in client.get(f"/requests/{both}").get_data(as_text=True)
    assert client.get(f"/requests/{both}/reply").status_code == 403
    assert client.post(f"/requests/{both}/reply/send", data=form).status_code == 403
    assert client.post(f"/requests/{both}/reply/preview", data=form).status_code == 403
    assert not replies(service, other) and not replies(service, both)
    assert len(replies(service, own)) == 1


def test_the_conversation_shows_mail_out_as_it_was_sent_and_mail_in_as_text(desk):
    # The join request's page shows the Finnish acknowledgement (subject and text decoded
    # from the stored message) and the forward with its attachment's name, after the mail
    # in; a hostile mail's markup is escaped text.
    _, service, app = desk
    client = client_for(app)
    request_id = request_of(service, HELSINKI)
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    thread = page[page.index('id="conversation"') : page.index("<h2>Audit trail</h2>")]
    ack = service.store.one("SELECT raw FROM outbox WHERE request_id=? AND kind='ack'", (request_id,))[0]
    assert b"Content-Transfer-Encoding: quoted-printable" in ack  # decoded for the page
    assert "Hyvä Ville Koskinen," in thread and "Kiitos kiinnostuksestanne" in thread
    assert (
        thread.index("Mail in") < thread.index("Acknowledgement") < thread.index("Forward to the facilitator")
    )
    assert "original-message.eml" in thread and "to procurement@iclei.org" in thread
    assert thread.count("state-sent") == 2
    hostile = request_of(service, "eve@evil.example")
    page = client.get(f"/requests/{hostile}").get_data(as_text=True)
    thread = page[page.index('id="conversation"') :]
    assert "<script>" not in thread and '<img src="http' not in thread and "<img src=x" not in thread
    assert "&lt;img src=x" in thread


def test_automatic_mail_is_never_answered_from_the_desk(desk):
    # A request opened by an out-of-office reply: the preview says why it cannot be sent,
    # and sending it anyway queues nothing (no loop, no backscatter).
    _, service, app = desk
    client = client_for(app)
    request_id = service.store.one(
        "SELECT r.id FROM requests r JOIN messages m ON m.id = r.first_message WHERE m.screening='auto_reply'"
    )[0]
    form = open_form(client, request_id, canned="fees")
    page = client.post(f"/requests/{request_id}/reply/preview", data=form).get_data(as_text=True)
    assert "opened by automatic mail (screening: auto_reply)" in page and "disabled>Send reply" in page
    assert client.post(f"/requests/{request_id}/reply/send", data=form).status_code == 409
    assert not replies(service, request_id)


def test_edit_from_the_preview_keeps_the_text_and_the_key(desk):
    # "Edit" brings the form back with the text as written (several lines, quotes and
    # markup kept as text) and the same idempotency key; an unknown canned name is dropped.
    _, service, app = desk
    client = client_for(app)
    request_id = request_of(service, TARTU)
    form = open_form(client, request_id)
    form["body"] = 'Dear Kadri,\n\n"Yes" <b>we</b> can & will.\n\nanna\n'
    form["canned"] = "no-such-answer"
    page = client.post(f"/requests/{request_id}/reply", data=form).get_data(as_text=True)
    again = fields(page)
    assert again["body"] == form["body"] and again["key"] == form["key"] and again["canned"] == ""
    assert "&lt;b&gt;we&lt;/b&gt;" in page
    assert client.post(f"/requests/{request_id}/reply/send", data=again).status_code == 302
    assert [r["template"] for r in replies(service, request_id)] == ["written"]


def test_a_mail_whose_copy_expired_says_so(desk):
    # An outgoing mail whose stored copy retention removed shows why, not an empty text.
    _, service, app = desk
    client = client_for(app)
    request_id = request_of(service, TARTU)
    with service.store.transaction():
        service.store.conn.execute(
            "UPDATE outbox SET raw=x'', redacted='retention 2026-11-30' WHERE request_id=? AND kind='ack'",
            (request_id,),
        )
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    thread = page[page.index('id="conversation"') :]
    assert "Acknowledgement" in thread and "(content removed: retention 2026-11-30)" in thread
