"""Sender authentication: trusted Authentication-Results, own DKIM checks, the trust policy."""

from __future__ import annotations

import subprocess

import dkim
import pytest

from intake import members, queries
from intake.config import TrustConfig, load_config
from intake.service import Service
from intake.stages.parse import parse_bytes
from intake.trust import aligned, evaluate, from_headers
from tests.conftest import ROSTER, write_config


def mail(ar: str = "", sender: str = "jonas.weidner@heidelberg.de") -> bytes:
    head = f"Authentication-Results: {ar}\r\n" if ar else ""
    return (
        f"{head}From: Jonas <{sender}>\r\nTo: procurement@iclei.org\r\n"
        f"Subject: Join the ICT group\r\nMessage-ID: <{abs(hash(ar + sender))}@x>\r\n\r\n"
        "We would like to join the Interest Group on socially responsible ICT"
        " procurement.\r\n"
    ).encode()


@pytest.mark.parametrize(
    "ar, ids, expected",
    [
        ("mx01.iclei.org; dkim=pass header.d=heidelberg.de", ("mx01.iclei.org",), True),
        ("mx01.iclei.org; dkim=pass header.i=@mail.heidelberg.de", ("mx01.iclei.org",), True),
        ("mx01.iclei.org; dmarc=pass header.from=heidelberg.de", ("mx01.iclei.org",), True),
        ("mx01.iclei.org; dkim=pass header.d=evil.io", ("mx01.iclei.org",), False),
        ("mx01.iclei.org; dkim=fail header.d=heidelberg.de", ("mx01.iclei.org",), False),
        ("mx01.iclei.org; dkim=pass header.d=heidelberg.de.evil.io", ("mx01.iclei.org",), False),
        ("evil.example; dkim=pass header.d=heidelberg.de", ("mx01.iclei.org",), None),
        ("mx01.iclei.org; dkim=pass header.d=heidelberg.de", (), None),
    ],
)
def test_authentication_results(ar, ids, expected):
    # Only trusted servers count; only aligned passes authenticate.
    assert from_headers(parse_bytes(mail(ar)), ids).authenticated is expected


def test_alignment_is_whole_labels():
    # A look-alike signing domain is never aligned.
    assert aligned("heidelberg.de", "mail.heidelberg.de")
    assert not aligned("heidelberg.de", "digitalservice-heidelberg.de")
    assert not aligned("evil.io", "heidelberg.de.evil.io.x")


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dkim")
    private = folder / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True)
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    import base64

    return private.read_bytes(), base64.b64encode(public).decode()


def signed(key_pair, domain: str, sender: str) -> bytes:
    raw = mail(sender=sender)
    sig = dkim.sign(raw, b"sel", domain.encode(), key_pair[0], include_headers=[b"from", b"to", b"subject"])
    return sig + raw


def dns_for(key_pair, domain: str):
    def lookup(name, timeout=5):
        if name == f"sel._domainkey.{domain}.".encode() or name == f"sel._domainkey.{domain}".encode():
            return f"v=DKIM1; k=rsa; p={key_pair[1]}".encode()
        return None

    return lookup


def test_own_dkim_verification_with_injected_dns(key_pair):
    # verify_dkim checks signatures here, with DNS answers injected by the test.
    cfg = TrustConfig(verify_dkim=True)
    raw = signed(key_pair, "heidelberg.de", "jonas.weidner@heidelberg.de")
    result = evaluate(raw, parse_bytes(raw), cfg, dnsfunc=dns_for(key_pair, "heidelberg.de"))
    assert result.authenticated is True and "heidelberg.de" in result.evidence
    tampered = raw.replace(b"join the Interest", b"joinX the Interest")
    assert (
        evaluate(
            tampered, parse_bytes(tampered), cfg, dnsfunc=dns_for(key_pair, "heidelberg.de")
        ).authenticated
        is False
    )
    # a valid signature by a look-alike domain does not authenticate the From domain
    other = signed(key_pair, "heidelberg.de.evil.io", "jonas.weidner@heidelberg.de")
    assert (
        evaluate(
            other, parse_bytes(other), cfg, dnsfunc=dns_for(key_pair, "heidelberg.de.evil.io")
        ).authenticated
        is False
    )


@pytest.mark.parametrize(
    "policy, auth_header, status, reason, note_in_forward",
    [
        ("off", "", "routed", None, False),
        ("flag", "", "routed", None, True),
        ("flag", "mx01.iclei.org; dkim=pass header.d=heidelberg.de", "routed", None, False),
        ("enforce", "", "triage", "member domain not authenticated", False),
        ("enforce", "mx01.iclei.org; dkim=pass header.d=heidelberg.de", "routed", None, False),
    ],
)
def test_trust_policy(tmp_path, dovecot, smtp, users, policy, auth_header, status, reason, note_in_forward):
    # off / flag / enforce, through the real service, for a domain (not exact) match.
    (user,) = users("trust")
    dovecot.append(user, [mail(auth_header, sender="someone.new@heidelberg.de")])
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user}],
        extra=f'[trust]\nauthserv_ids = ["mx01.iclei.org"]\npolicy = "{policy}"\n',
    )
    service = Service(load_config(path))
    members.import_file(service.store, ROSTER, "t")
    service.run_cycle()
    (row,) = queries.list_requests(service.store)
    assert row["member_match"] == "domain"
    assert row["status"] == status and row["triage_reason"] == reason
    assert row["authenticated"] is (True if auth_header else None)
    forwards = [r.message for r in smtp.received if "Join request" in r.message["Subject"]]
    if status == "routed":
        body = forwards[0].get_body(("plain",)).get_content()
        assert ("sender not verified" in body) is note_in_forward
        assert ("yes (authenticated sender)" in body) is bool(auth_header)
    else:
        assert forwards == []


def test_authenticated_field_in_json(tmp_path, dovecot, smtp, users):
    # requests list --json carries authenticated true/false/null.
    (user,) = users("authjson")
    dovecot.append(
        user,
        [
            mail("mx01.iclei.org; dkim=pass header.d=heidelberg.de"),
            mail("mx01.iclei.org; dkim=fail header.d=heidelberg.de", sender="beschaffung@heidelberg.de"),
        ],
    )
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[{"name": "general", "username": user}],
        extra='[trust]\nauthserv_ids = ["mx01.iclei.org"]\n',
    )
    service = Service(load_config(path))
    service.run_cycle()
    values = sorted(str(r["authenticated"]) for r in queries.list_requests(service.store))
    assert values == ["False", "True"]


def _with_headers(head: str) -> bytes:
    return head.encode() + mail()


@pytest.mark.parametrize(
    "head, expected, failed",
    [
        # the border server's own header wins over a forged one below its Received line
        (
            "Authentication-Results: mx.test; dkim=none\r\nReceived: from x by mx.test; now\r\n"
            "Authentication-Results: mx.test; dkim=pass header.d=heidelberg.de\r\n",
            False,
            False,
        ),
        # a local delivery hop above the border server's header is fine
        (
            "Received: by imap.test with LMTP; now\r\nAuthentication-Results: mx.test; dkim=pass"
            " header.d=heidelberg.de\r\nReceived: from x by mx.test; now\r\n",
            True,
            False,
        ),
        # an explicit fail beats a pass in the same block: possible spoof
        (
            "Authentication-Results: mx.test; dmarc=fail header.from=heidelberg.de\r\n"
            "Authentication-Results: mx.test; dkim=pass header.d=heidelberg.de\r\n",
            False,
            True,
        ),
        ("Authentication-Results: mx.test; dkim=fail header.d=heidelberg.de\r\n", False, True),
        # a failing signature of some other domain is no spoof of this sender
        (
            "Authentication-Results: mx.test; dkim=fail header.d=list.example; dkim=pass"
            " header.d=heidelberg.de\r\n",
            True,
            False,
        ),
    ],
)
def test_only_the_border_servers_headers_count(head, expected, failed):
    # RFC 8601 section 5: the topmost trusted block before another Received hop counts.
    result = from_headers(parse_bytes(_with_headers(head)), ("mx.test",))
    assert result.authenticated is expected and result.failed is failed
