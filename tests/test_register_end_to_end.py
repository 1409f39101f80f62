"""Issue 18, done-when: from proposals to a started group, and from a join to a welcome,
through real Dovecot, the real SMTP sink, the desk in Chromium and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from intake import accounts, members, outbox, queries, register_mail
from intake.cli import main
from intake.config import load_config
from intake.service import Service
from intake.smtp_sink import free_port
from intake.web import create_app
from tests.conftest import ROSTER, write_config
from tests.test_web_browser import SCREENSHOTS, Served, browser, click_and_load  # noqa: F401  (fixture)
from tests.webfixtures import PASSWORD

STAFF = "secretariat@iclei.org"
FACILITATOR_LCC = "philipp.tepper@iclei.org"


def mail(sender: str, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "procurement@iclei.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1].rstrip(">"))
    msg.set_content(body)
    return msg.as_bytes()


PROPOSALS = [
    mail(
        "Jonas Weidner <jonas.weidner@heidelberg.de>",
        "Vorschlag: neue Interessengruppe zur Kreislaufwirtschaft",
        "Guten Tag,\n\nwir möchten die Gründung einer neuen Interessengruppe zur"
        " Kreislaufwirtschaft in der Beschaffung vorschlagen. Viele Städte arbeiten an"
        " zirkulären Ausschreibungen und würden gern Erfahrungen austauschen.\n\n"
        "Viele Grüße\nJonas Weidner\nStadt Heidelberg\n",
    ),
    mail(
        "Commande publique <commande.publique@mairie-lyon.fr>",
        "Proposition d'un nouveau groupe sur l'économie circulaire",
        "Bonjour,\n\nnous souhaitons proposer un nouveau groupe d'intérêt sur les achats"
        " publics et l'économie circulaire. Plusieurs villes partagent cet intérêt.\n\n"
        "Cordialement,\nVille de Lyon\n",
    ),
    mail(
        "Appalti sostenibili <appalti.sostenibili@comune.bologna.it>",
        "Proposta di un nuovo gruppo sull'economia circolare",
        "Buongiorno,\n\nvorremmo proporre la creazione di un nuovo gruppo di interesse"
        " sugli appalti per l'economia circolare.\n\nCordiali saluti,\nComune di Bologna\n",
    ),
]
OFFER = mail(
    "Duurzaam inkopen <duurzaaminkopen@rotterdam.nl>",
    "Offer to facilitate a group on circular procurement",
    "Dear secretariat,\n\nRotterdam would be happy to facilitate an Interest Group on"
    " circular procurement and the circular economy, if there is enough interest.\n\n"
    "Best regards,\nGemeente Rotterdam\n",
)
LCC_JOIN = mail(
    "Luis Martín <lmartin@valladolid.es>",
    "Solicitud para unirnos al grupo de coste del ciclo de vida (LCC)",
    "Buenos días:\n\nel Ayuntamiento de Valladolid quiere unirse al grupo de interés"
    " sobre el coste del ciclo de vida (LCC) para participar en sus reuniones.\n\n"
    "Un saludo,\nLuis Martín\n",
)
CIRCULAR_JOIN = mail(
    "Ökokauf Wien <oekokauf@wien.gv.at>",
    "Beitritt zur Gruppe Kreislaufwirtschaft",
    "Guten Tag,\n\ndie Stadt Wien möchte der Interessengruppe zur"
    " Kreislaufwirtschaft beitreten und an den Treffen teilnehmen.\n\n"
    "Mit freundlichen Grüßen\nStadt Wien\n",
)


@pytest.fixture
def world(tmp_path, dovecot, smtp, users):
    general, lcc = users("procurement", "lcc")
    port = free_port()
    path = write_config(
        tmp_path,
        imap_port=dovecot.port,
        smtp_port=smtp.port,
        inboxes=[
            {"name": "general", "username": general, "address": "procurement@iclei.org"},
            {"name": "lcc", "username": lcc, "address": FACILITATOR_LCC, "group": "lcc"},
        ],
        extra=f'[web]\nbase_url = "http://127.0.0.1:{port}"\n\n[register]\nremind_after_days = 7\n',
    )
    config = load_config(path)
    service = Service(config)
    members.import_file(service.store, ROSTER, "test")
    accounts.add(service.store, "anna", "staff", None, PASSWORD)
    app = create_app(config)
    served = Served.__new__(Served)
    served.server = make_server("127.0.0.1", port, app, threaded=True)
    served.url = f"http://127.0.0.1:{port}"
    import threading

    served.thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    served.thread.start()
    yield {"service": service, "general": general, "path": path, "url": served.url}
    served.stop()
    service.close()


def cli(path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(path), "--actor", "anna", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_register_from_proposals_to_a_welcome(world, dovecot, smtp, browser):  # noqa: F811
    # Three proposals and an offer bring a topic to one "ready" notice; staff start it in the
    # desk; a forwarded LCC join is confirmed on the link page; a welcome and one reminder go out.
    service, path = world["service"], world["path"]
    dovecot.append(world["general"], [*PROPOSALS, OFFER])
    assert service.run_cycle().ok

    ready = [m.message for m in smtp.to(STAFF) if m.message["Subject"].startswith("Ready to start")]
    assert len(ready) == 1 and "circular" in ready[0]["Subject"].lower()
    service.run_cycle()  # idempotent: no second notice
    assert len([m for m in smtp.to(STAFF) if m.message["Subject"].startswith("Ready")]) == 1

    listed = {g["id"]: g for g in json.loads(cli(path, "groups", "list", "--json"))}
    topic = listed["circular"]
    assert set(topic) == {
        "id",
        "name",
        "status",
        "facilitators",
        "participants",
        "interested",
        "facilitator_offered",
        "ready",
    }
    assert topic["status"] == "proposed" and topic["interested"] == 3
    assert topic["facilitator_offered"] is True and topic["ready"] is True
    assert listed["lcc"]["status"] == "open"

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{world['url']}/login")
    page.fill("input[name=name]", "anna")
    page.fill("input[name=password]", PASSWORD)
    click_and_load(page, "button[type=submit]")
    page.goto(f"{world['url']}/register")
    row = page.locator("table.proposals tr", has_text="3 of 3")
    assert "Stadt Heidelberg" in row.inner_text() and "yes" in row.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "register-proposals.png"), full_page=True)
    row.locator("input[name=name]").fill("Circular Procurement")
    click_and_load(page, row.locator("button:has-text('Start group')"))
    assert "Group started" in page.inner_text("main")
    people = {
        p["organisation"]: p
        for p in json.loads(cli(path, "participants", "list", "--group", "circular", "--json"))
    }
    assert people["Gemeente Rotterdam"]["status"] == "confirmed"
    assert {people[o]["status"] for o in ("Stadt Heidelberg", "Ville de Lyon", "Comune di Bologna")} == {
        "requested"
    }

    dovecot.append(world["general"], [LCC_JOIN, CIRCULAR_JOIN])
    assert service.run_cycle().ok
    # the started group is in the classifier's rulebook: a join for it is forwarded
    (wien,) = [r for r in queries.list_requests(service.store) if r["sender_email"] == "oekokauf@wien.gv.at"]
    assert wien["group"] == "circular" and wien["forwarded_to"] == ["duurzaaminkopen@rotterdam.nl"]
    assert wien["participant_status"] == "forwarded"
    forward = [m.message for m in smtp.to(FACILITATOR_LCC) if "Join request" in m.message["Subject"]]
    assert len(forward) == 1
    text = forward[0].get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/p/\S+", text).group(0)
    (join,) = [
        r for r in queries.list_requests(service.store) if r["sender_email"] == "lmartin@valladolid.es"
    ]
    assert join["participant_status"] == "forwarded"

    facilitator = browser.new_page()  # no login: the link is the key
    facilitator.goto(link)
    assert "Ayuntamiento de Valladolid" in facilitator.inner_text("main")
    click_and_load(facilitator, "button:has-text('Confirm participation')")
    assert "confirmed" in facilitator.inner_text("p.done")
    facilitator.goto(link)  # single use
    assert "cannot be used" in facilitator.inner_text("h1")

    service.run_cycle()
    (welcome,) = [m.message for m in smtp.to("lmartin@valladolid.es") if "Bienvenido" in m.message["Subject"]]
    assert welcome["Content-Language"] == "es"
    body = welcome.get_body(("plain",)).get_content()
    assert FACILITATOR_LCC in body and "Coste del ciclo de vida" in body

    listed = list(csv.DictReader(io.StringIO(cli(path, "participants", "list", "--csv"))))
    assert list(listed[0]) == ["group", "organisation", "email", "status", "requested_at", "confirmed_at"]
    (valladolid,) = [r for r in listed if r["organisation"] == "Ayuntamiento de Valladolid"]
    assert valladolid["group"] == "lcc" and valladolid["status"] == "confirmed"
    assert valladolid["confirmed_at"]
    (join,) = [
        r
        for r in json.loads(cli(path, "requests", "list", "--json"))
        if r["sender_email"] == "lmartin@valladolid.es"
    ]
    assert join["participant_status"] == "confirmed"

    # the organisations still waiting get one reminder each, after 7 days, once: the
    # service's daily job, with the clock moved on
    now = datetime.now(UTC)
    service.run_daily(now=now + timedelta(days=6))
    assert service.store.query("SELECT 1 FROM outbox WHERE template='facilitator_reminder'") == []
    service.run_daily(now=now + timedelta(days=8))
    service.run_daily(now=now + timedelta(days=9))
    service.run_daily(now=now + timedelta(days=8))
    assert register_mail.send_reminders(service.env, now=now + timedelta(days=30)) == []
    outbox.send_due(service.store, service.config.smtp)
    reminders = [
        m.message for m in smtp.to("duurzaaminkopen@rotterdam.nl") if "Reminder:" in m.message["Subject"]
    ]
    assert len(reminders) == 4  # Heidelberg, Lyon, Bologna (requested) and Wien (forwarded)
    assert "/p/" in reminders[0].get_body(("plain",)).get_content()
