"""Sample mail and roster shipped for the demo (invented people; dated "now")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

GENERAL = "procurement@iclei.org"
LCC = "philipp.tepper@iclei.org"

DEMO_ROSTER = """organisation,country,membership,domains,contact_emails
Stadt Musterhausen,DE,participant,musterhausen.de,beschaffung@musterhausen.de
Ville de Belleville,FR,participant,belleville.fr,achats@belleville.fr
Comune di Borgoverde,IT,participant,comune.borgoverde.it,appalti@comune.borgoverde.it
Gemeente Dijkstad,NL,participant,dijkstad.nl,inkoop@dijkstad.nl
Green Procurement Institute,SE,strategic_partner,gpi.se,info@gpi.se
"""


def _mail(
    sender: str, to: str, subject: str, body: str, *, minutes_ago: int, headers: dict[str, str] | None = None
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=minutes_ago))
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1].rstrip(">"))
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def demo_messages() -> list[tuple[str, bytes]]:
    """(folder, raw) pairs: 'Procurement' is the general inbox, 'LCC' the facilitator's."""
    return [
        (
            "Procurement",
            _mail(
                "Jana Weber <jana.weber@it.musterhausen.de>",
                GENERAL,
                "Joining the Interest Group on socially responsible ICT procurement",
                "Dear colleagues,\n\nthe City of Musterhausen would like to join the Interest Group on"
                " Socially Responsible Public Procurement of ICT. We are preparing a tender for laptops"
                " and want to include contract clauses on working conditions in the supply chain.\n\n"
                "Best regards,\nJana Weber\nCity of Musterhausen, IT procurement",
                minutes_ago=50,
            ),
        ),
        (
            "LCC",
            _mail(
                "Paul Schmitt <beschaffung@musterhausen.de>",
                LCC,
                "Teilnahme an der Interessengruppe Lebenszykluskosten",
                "Sehr geehrter Herr Tepper,\n\nwir möchten gerne an der Interessengruppe"
                " Lebenszykluskosten (LCC) teilnehmen. Wir berechnen derzeit die Lebenszykluskosten"
                " für unsere Straßenbeleuchtung.\n\nMit freundlichen Grüßen\nPaul Schmitt",
                minutes_ago=45,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Claire Martin <claire.martin@ville-exemple.fr>",
                GENERAL,
                "Adhésion au groupe d'intérêt TIC",
                "Bonjour,\n\nnotre ville souhaiterait rejoindre le groupe d'intérêt sur les achats"
                " socialement responsables de TIC. Pourriez-vous nous indiquer la marche à suivre ?\n\n"
                "Cordialement,\nClaire Martin",
                minutes_ago=40,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Marco Rossi <appalti@comune.borgoverde.it>",
                GENERAL,
                "Proposta di un nuovo gruppo di interesse sull'economia circolare",
                "Buongiorno,\n\nvorremmo proporre un nuovo gruppo di interesse sugli appalti circolari"
                " per arredi e edilizia. Abbiamo già contattato altre due città interessate.\n\n"
                "Cordiali saluti,\nMarco Rossi",
                minutes_ago=35,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Paul Schmitt <beschaffung@musterhausen.de>",
                GENERAL,
                "Vorschlag: neue Interessengruppe zur Kreislaufwirtschaft",
                "Guten Tag,\n\nwir möchten die Gründung einer neuen Interessengruppe zur"
                " Kreislaufwirtschaft in der Beschaffung vorschlagen. Wir arbeiten an zirkulären"
                " Ausschreibungen für Möbel.\n\nViele Grüße\nPaul Schmitt",
                minutes_ago=34,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Service des achats <achats@belleville.fr>",
                GENERAL,
                "Proposition d'un nouveau groupe sur l'économie circulaire",
                "Bonjour,\n\nnous souhaitons proposer un nouveau groupe d'intérêt sur les achats"
                " publics et l'économie circulaire.\n\nCordialement,\nVille de Belleville",
                minutes_ago=33,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Team Inkoop <inkoop@dijkstad.nl>",
                GENERAL,
                "Offer to facilitate a group on circular procurement",
                "Dear secretariat,\n\nDijkstad would be happy to facilitate an Interest Group on"
                " circular procurement and the circular economy.\n\nBest regards,\nGemeente Dijkstad",
                minutes_ago=32,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Lucía Gómez <lucia.gomez@ayto-ejemplo.es>",
                GENERAL,
                "¿Cuál es la cuota para participar en el grupo LCC?",
                "Hola,\n\nquería saber si es necesario ser miembro de la red para participar en el"
                " grupo sobre el coste del ciclo de vida, y cuál es la cuota.\n\nSaludos,\nLucía",
                minutes_ago=30,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Pieter de Vries <p.devries@dijkstad.nl>",
                GENERAL,
                "Afmelden interessegroep ICT",
                "Beste,\n\nik werk niet langer aan ICT-inkoop. Wilt u mij afmelden voor de"
                " interessegroep ICT?\n\nMet vriendelijke groet,\nPieter de Vries",
                minutes_ago=25,
            ),
        ),
        (
            "Procurement",
            _mail(
                "Anna Berg <anna.berg@gpi.se>",
                GENERAL,
                "Automatic reply: Interest Group meeting",
                "I am out of the office until Monday with limited access to e-mail.",
                minutes_ago=20,
                headers={"Auto-Submitted": "auto-replied"},
            ),
        ),
        (
            "Procurement",
            _mail(
                "Mail Delivery System <MAILER-DAEMON@mx.example.net>",
                GENERAL,
                "Undelivered Mail Returned to Sender",
                "This is the mail system at host mx.example.net.\n\nI'm sorry to have to inform you"
                " that your message could not be delivered to one or more recipients.\n\n"
                "<old.address@example.net>: user unknown",
                minutes_ago=15,
            ),
        ),
        (
            "LCC",
            _mail(
                "GPP News <news@gpp-newsletter.example>",
                LCC,
                "GPP newsletter: life cycle costing tools of the month",
                "This month: five LCC tools compared.\n\nTo unsubscribe, click here.",
                minutes_ago=10,
                headers={"List-Id": "<news.gpp-newsletter.example>", "Precedence": "bulk"},
            ),
        ),
    ]
