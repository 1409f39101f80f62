"""The mail path against an outsider, through real Dovecot, a real SMTP server and SQLite:
who may join a conversation, which Authentication-Results count, who is answered, and
rate limits that cannot be dodged or used to starve a member."""

from __future__ import annotations

import json

import pytest

from intake import members, queries
from intake.config import load_config
from intake.service import Service
from tests.conftest import DEV, ROSTER, write_config

JOIN_ICT = (
    "Subject: {subject}\r\nMessage-ID: <{mid}>\r\n\r\nWe would like to join the Interest"
    " Group on socially responsible ICT procurement.\r\n"
)


def service_for(tmp_path, dovecot, smtp, users, extra: str = "", **limits) -> tuple[Service, str]:
    (user,) = users("sec")
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user}],
        extra=extra,
    )
    lines = [
        line for line in path.read_text().splitlines() if line.split(" = ")[0] not in limits
    ]  # the test's limits replace the defaults
    at = lines.index("[limits]") + 1
    lines[at:at] = [f"{key} = {value}" for key, value in limits.items()]
    path.write_text("\n".join(lines) + "\n")
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "test")
    return service, user


def join_mail(sender: str, mid: str, *, head: str = "", subject: str = "Join the ICT group") -> bytes:
    return (
        f"{head}From: Someone <{sender}>\r\nTo: procurement@iclei.org\r\n"
        + JOIN_ICT.format(subject=subject, mid=mid)
    ).encode()


def request_of(service: Service, mid: str) -> dict:
    row = service.store.one("SELECT request_id FROM messages WHERE message_id=?", (mid,))
    return next(r for r in queries.list_requests(service.store) if r["id"] == row[0])


def events(service: Service, kind: str) -> list[dict]:
    return [
        {"request_id": r["request_id"], **json.loads(r["detail"])}
        for r in service.store.query("SELECT * FROM events WHERE kind=? ORDER BY id", (kind,))
    ]


# -- finding 2: joining a conversation ---------------------------------------------------


@pytest.fixture
def conversation(tmp_path, dovecot, smtp, users):
    """Capannori (a member) asked to join LCC; replies are forwarded to the facilitator."""
    service, user = service_for(
        tmp_path, dovecot, smtp, users, extra='[routing]\nfollowups = "facilitator"\n'
    )
    dovecot.append(user, [(DEV / "0003.eml").read_bytes()])
    service.run_cycle()
    (first,) = queries.list_requests(service.store)
    ack = next(r for r in smtp.received if r.message["Auto-Submitted"] == "auto-replied")
    yield service, user, first, ack
    service.close()


@pytest.mark.parametrize("how", ["token", "legacy-token", "in-reply-to"])
def test_stranger_cannot_join_a_conversation(conversation, dovecot, smtp, how):
    # Mallory naming request IG-n (by its token, the old IG-n form, or our ack's Message-ID)
    # opens a new request in triage; the conversation is not reopened, nothing is forwarded.
    service, user, first, ack = conversation
    if how == "legacy-token":  # a request from before tokens had a random part
        service.store.conn.execute(
            "UPDATE requests SET token=? WHERE id=?", (f"IG-{first['id']}", first["id"])
        )
        token = f"IG-{first['id']}"
    else:
        token = service.store.one("SELECT token FROM requests WHERE id=?", (first["id"],))[0]
    threading = f"In-Reply-To: {ack.message['Message-ID']}\r\n" if how == "in-reply-to" else ""
    evil = (
        f"From: Mallory <mallory@evil.example>\r\nTo: procurement@iclei.org\r\n"
        f"Subject: Re: [{token}] updated bank details\r\nMessage-ID: <evil-1@evil.example>\r\n"
        f"{threading}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nPlease use our new account.\r\n"
        "--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=x.html"
        "\r\n\r\n<script>alert(1)</script>\r\n--b--\r\n"
    ).encode()
    sent_before = len(smtp.received)
    dovecot.append(user, [evil])
    service.run_cycle()
    new = request_of(service, "evil-1@evil.example")
    assert new["id"] != first["id"]
    assert new["status"] == "triage" and "claims to continue" in new["triage_reason"]
    again = next(r for r in queries.list_requests(service.store) if r["id"] == first["id"])
    assert again["status"] == first["status"] and len(again["message_ids"]) == 1
    (refused,) = events(service, "followup_refused")
    assert refused["request_id"] == first["id"] and refused["new_request"] == new["id"]
    assert len(smtp.received) == sent_before  # no forward with Reply-To mallory, no ack


def test_requester_and_authenticated_colleague_join(tmp_path, dovecot, smtp, users):
    # The requester's reply joins; a colleague of the same organisation joins only with
    # mail our border server authenticated.
    service, user = service_for(tmp_path, dovecot, smtp, users, extra='[trust]\nauthserv_ids = ["mx.test"]\n')
    dovecot.append(user, [join_mail("jonas.weidner@heidelberg.de", "j1@heidelberg.de")])
    service.run_cycle()
    token = service.store.one("SELECT token FROM requests")[0]

    def reply(sender: str, mid: str, head: str = "") -> bytes:
        return (
            f"{head}From: <{sender}>\r\nTo: procurement@iclei.org\r\nSubject: Re: [{token}]"
            f" Join\r\nMessage-ID: <{mid}>\r\n\r\nOne more thing.\r\n"
        ).encode()

    signed = "Authentication-Results: mx.test; dkim=pass header.d=heidelberg.de\r\n"
    dovecot.append(
        user,
        [
            reply("jonas.weidner@heidelberg.de", "r1@heidelberg.de"),
            reply("eva.koch@heidelberg.de", "r2@heidelberg.de"),
            reply("eva.koch@heidelberg.de", "r3@heidelberg.de", signed),
        ],
    )
    service.run_cycle()
    first = request_of(service, "j1@heidelberg.de")
    assert set(first["message_ids"]) == {"j1@heidelberg.de", "r1@heidelberg.de", "r3@heidelberg.de"}
    assert request_of(service, "r2@heidelberg.de")["id"] != first["id"]


def test_tokens_cannot_be_guessed_from_a_neighbour(tmp_path, dovecot, smtp, users):
    # Consecutive requests' tokens share no more than the id; the subject carries the token.
    service, user = service_for(tmp_path, dovecot, smtp, users)
    dovecot.append(user, [join_mail(f"p{i}@heidelberg.de", f"t{i}@heidelberg.de") for i in range(3)])
    service.run_cycle()
    tokens = [r[0] for r in service.store.query("SELECT token FROM requests ORDER BY id")]
    suffixes = {t.rsplit("-", 1)[1] for t in tokens}
    assert len(suffixes) == 3 and all(len(s) == 8 for s in suffixes)
    subjects = [r.message["Subject"] for r in smtp.received]
    assert any(f"[{tokens[0]}]" in s for s in subjects)


# -- finding 3: Authentication-Results --------------------------------------------------

BORDER_FAIL = "Authentication-Results: mx.test; dmarc=fail header.from=heidelberg.de\r\n"
FORGED_PASS = "Authentication-Results: mx.test; dkim=pass header.d=heidelberg.de\r\n"
HOP = "Received: from evil.example by mx.test with ESMTP; Mon, 1 Jan 2024 10:00:00 +0000\r\n"


@pytest.mark.parametrize("policy", ["enforce", "flag", "off"])
@pytest.mark.parametrize("hop", [HOP, ""])
def test_forged_authentication_results_lose(tmp_path, dovecot, smtp, users, policy, hop):
    # Our border server says dmarc=fail; the attacker's own header with the same server name
    # says dkim=pass. Under every policy: possible spoof, not a member, nothing sent.
    service, user = service_for(
        tmp_path, dovecot, smtp, users, extra=f'[trust]\nauthserv_ids = ["mx.test"]\npolicy = "{policy}"\n'
    )
    head = BORDER_FAIL + hop + FORGED_PASS
    dovecot.append(user, [join_mail("beschaffung@heidelberg.de", "spoof@heidelberg.de", head=head)])
    service.run_cycle()
    row = request_of(service, "spoof@heidelberg.de")
    assert row["authenticated"] is False and row["is_member"] is False
    assert row["status"] == "triage" and row["triage_reason"].startswith("possible spoof")
    assert smtp.received == []


def test_header_below_another_hop_does_not_count(tmp_path, dovecot, smtp, users):
    # A trusted-looking pass below a Received line came with the message: under enforce the
    # domain match does not count when the border server itself saw no pass.
    service, user = service_for(
        tmp_path, dovecot, smtp, users, extra='[trust]\nauthserv_ids = ["mx.test"]\npolicy = "enforce"\n'
    )
    head = "Authentication-Results: mx.test; dkim=none\r\n" + HOP + FORGED_PASS
    dovecot.append(user, [join_mail("someone@heidelberg.de", "lower@heidelberg.de", head=head)])
    service.run_cycle()
    row = request_of(service, "lower@heidelberg.de")
    assert row["authenticated"] is False and row["is_member"] is False
    assert row["triage_reason"] == "member domain not authenticated"
    assert not smtp.to("philipp.tepper@iclei.org") and not [
        r for r in smtp.received if r.message["Auto-Submitted"] == "auto-generated"
    ]


# -- finding 4: who is answered, rate limits ---------------------------------------------


def test_from_with_several_mailboxes_is_not_answered(tmp_path, dovecot, smtp, users):
    # A From naming two addresses (or a group) gets no automatic answer: triage.
    service, user = service_for(tmp_path, dovecot, smtp, users)
    mails = [
        (
            f"From: {value}\r\nTo: procurement@iclei.org\r\n"
            + JOIN_ICT.format(subject="Join the ICT group", mid=f"m{i}@x")
        ).encode()
        for i, value in enumerate(["a@heidelberg.de, victim@third.example", "undisclosed-recipients:;"])
    ]
    dovecot.append(user, mails)
    service.run_cycle()
    assert smtp.received == []
    row = request_of(service, "m0@x")
    assert row["status"] == "triage" and "not a single mailbox" in row["triage_reason"]


def test_subaddresses_share_the_per_sender_limit(tmp_path, dovecot, smtp, users):
    # rui+1@, rui+2@ ... are one mailbox: at most acks_per_sender_per_day acknowledgements.
    service, user = service_for(tmp_path, dovecot, smtp, users, acks_per_sender_per_day=2)
    dovecot.append(user, [join_mail(f"rui+{i}@ua.pt", f"s{i}@ua.pt") for i in range(5)])
    service.run_cycle()
    acks = [r for r in smtp.received if r.message["Auto-Submitted"] == "auto-replied"]
    assert len(acks) == 2


def test_per_organisation_limit(tmp_path, dovecot, smtp, users):
    # Many addresses at one domain get at most acks_per_organisation_per_day answers.
    service, user = service_for(tmp_path, dovecot, smtp, users, acks_per_organisation_per_day=3)
    dovecot.append(user, [join_mail(f"person{i}@spam-domain.example", f"o{i}@x") for i in range(6)])
    service.run_cycle()
    acks = [r for r in smtp.received if r.message["Auto-Submitted"] == "auto-replied"]
    assert len(acks) == 3


def test_a_held_back_member_ack_puts_the_request_in_triage(tmp_path, dovecot, smtp, users):
    # Forged senders use up the hourly limit; a member's join then is not acknowledged, and
    # instead of showing "routed" the request waits in triage saying why.
    service, user = service_for(tmp_path, dovecot, smtp, users, acks_per_hour=5)
    dovecot.append(
        user,
        [join_mail(f"x{i}@forged{i}.example", f"f{i}@x") for i in range(6)]
        + [join_mail("jonas.weidner@heidelberg.de", "member@heidelberg.de")],
    )
    service.run_cycle()
    row = request_of(service, "member@heidelberg.de")
    assert row["is_member"] is True and not row["acknowledged"]
    assert row["status"] == "triage" and "acknowledgement held back" in row["triage_reason"]
    assert "global rate limit" in row["triage_reason"]
