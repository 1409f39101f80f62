"""Prepare a body for classification: drop quoted history, signatures, disclaimers.

The full text stays stored; only what the sender wrote now should decide the
group, the intent and the language (a Finnish disclaimer must not make an English
request Finnish).
"""

from __future__ import annotations

import re

# A line that starts the quoted original in a reply, in the languages we serve.
_REPLY_HEADER = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|ursprungligt meddelande|wiadomość oryginalna|"
    r"mensagem original|oprindelig meddelelse|alkuperäinen viesti)\s*-{2,}"
    r"|_{10,}"
    r"|on .{3,120} wrote:\s*$|am .{3,120} schrieb .{0,80}:\s*$|le .{3,120} a écrit\s*:\s*$"
    r"|el .{3,120} escribió:\s*$|il .{3,120} ha scritto:\s*$|op .{3,120} schreef .{0,80}:\s*$"
    r"|den .{3,120} skrev .{0,80}:\s*$|w dniu .{3,120} napisał.{0,10}:\s*$"
    r"|em .{3,120} escreveu:\s*$|.{3,120} kirjoitti:\s*$"
    r"|(from|von|de|da|van|från|fra|od|lähettäjä|afzender|remitente|mittente)\s*:\s*.+@.+$)",
    re.IGNORECASE,
)
_FORWARD_HEADER = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|vidarebefordrat meddelande|"
    r"przekazana wiadomość|mensagem encaminhada|videresendt meddelelse|välitetty viesti)"
    r"\s*-{2,}|begin forwarded message:)",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(--\s*|—\s*)$")
_DISCLAIMER = re.compile(
    r"^\s*(this (e-?mail|message)( and any attachments)? (is|are|may be) (confidential|intended)"
    r"|confidentiality notice|disclaimer|diese (e-mail|nachricht) (enthält|ist) vertraulich"
    r"|ce (message|courriel) (et ses pièces jointes )?(est|sont) (confidentiel|destiné)"
    r"|este (mensaje|correo)( electrónico)? (es|y sus anexos) (confidencial|contiene)"
    r"|aquest (missatge|correu)|questo messaggio (e-mail )?(è|contiene|ed i suoi allegati)"
    r"|le informazioni contenute|dit bericht (is|kan) (vertrouwelijk|uitsluitend)"
    r"|detta (e-post)?meddelande|denna e-post|ta wiadomość|esta mensagem|denne e-mail"
    r"|tämä (sähköposti)?viesti|please consider the environment|sent from my (iphone|ipad)"
    r"|p\s*please consider|gesendet von|skickat från min|envoyé de mon|enviado desde mi"
    r"|inviato da|verzonden vanaf mijn|wysłane z|enviado do meu|sendt fra min|lähetetty"
    r"|dit e-?mailbericht|denk aan het milieu|get outlook for)",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^\s*(best regards|kind regards|regards|best wishes|many thanks|thanks and regards|yours sincerely"
    r"|mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|viele grüße|beste grüße"
    r"|cordialement|bien cordialement|meilleures salutations|sincères salutations"
    r"|atentamente|saludos cordiales|un saludo|cordiales saludos|salutacions"
    r"|cordiali saluti|distinti saluti|saluti|met vriendelijke groet(en)?|vriendelijke groet(en)?"
    r"|med vänliga hälsningar|vänliga hälsningar|mvh|hälsningar|z poważaniem|pozdrawiam"
    r"|z wyrazami szacunku|com os melhores cumprimentos|melhores cumprimentos|cumprimentos"
    r"|atenciosamente|med venlig hilsen|venlig hilsen|de bedste hilsner|ystävällisin terveisin"
    r"|terveisin|parhain terveisin|ystävällisesti|hyvää päivänjatkoa"
    r"|thanks|thank you|thanks again|many thanks|best|cheers|all the best|warm regards"
    r"|danke|vielen dank|merci|merci beaucoup|gracias|muchas gracias|grazie|grazie mille"
    r"|dank u|bedankt|tack|tack så mycket|dziękuję|dziękuję bardzo|obrigad[oa]|muito obrigad[oa]"
    r"|tak|mange tak|kiitos|kiitos paljon|saludos|un abrazo|groeten|hilsen|mvh|vh)"
    r"\s*[,.!]?\s*$",
    re.IGNORECASE,
)


REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|vs|odp|antw|r|rif|res|ynt|vá|vl)\s*(\[\d+\])?\s*:", re.I)
FORWARD_PREFIX = re.compile(r"^\s*(fwd?|tr|wg|vb|rv|i|enc|doorst|pd|fw|vs)\s*:", re.I)
MAX_TEXT = 8000  # a request is said in the first pages; long threads are quoted history
MAX_SUBJECT = 1000  # a subject says what a mail is about in a line; a 20 MB one costs minutes


def classification_text(subject: str, body: str, *, forwarded: bool = False) -> tuple[str, str]:
    """(subject, body) as the classifier reads them: the subject without its Re:/Fwd:
    prefixes (all of them) and at most MAX_SUBJECT long, the body without quotes, signature
    and disclaimer (a forward's original text kept). The training corpus's written mails
    are read the same way (intake/training.py)."""
    forwarded = forwarded or bool(FORWARD_PREFIX.match(subject))
    text = strip_for_classification(body, keep_forwarded=forwarded)[:MAX_TEXT]
    stripped = subject
    while (prefix := REPLY_PREFIX.match(stripped) or FORWARD_PREFIX.match(stripped)) is not None:
        stripped = stripped[prefix.end() :]  # "AW: RE: Fwd: ..." as deep as it goes
    return stripped.strip()[:MAX_SUBJECT], text


def strip_for_classification(body: str, *, keep_forwarded: bool = False) -> str:
    """The sender's own words: no quoted reply, no signature, no disclaimer.

    With keep_forwarded, a forwarded message's text is kept (a colleague's
    "FYI" on top of the real request says little by itself).
    """
    lines = body.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    in_forward = False
    for line in lines:
        if _FORWARD_HEADER.match(line):
            if keep_forwarded:
                in_forward = True
                continue
            break
        if line.lstrip().startswith(">"):
            if keep_forwarded and in_forward:
                kept.append(line.lstrip("> "))
            continue
        if _REPLY_HEADER.match(line):
            if keep_forwarded and not in_forward and kept:
                in_forward = True  # Outlook forwards look like a reply header block
                continue
            if not in_forward:
                break
            continue
        if _SIGNATURE.match(line) or _DISCLAIMER.match(line):
            if in_forward:
                continue
            break
        kept.append(line)
    text = "\n".join(kept)
    return _drop_after_closing(text).strip()


def _drop_after_closing(text: str) -> str:
    """Cut a signature block after the last closing formula, if it is near the end."""
    lines = text.split("\n")
    for i in range(len(lines) - 1, max(len(lines) - 16, -1), -1):  # the last 15 lines only
        if _CLOSING.match(lines[i]):
            return "\n".join(lines[:i])
    return text
