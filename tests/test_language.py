"""Language detection: the opening decides when it is clear, the longer text otherwise."""

from __future__ import annotations

from intake import language

SWEDISH = (
    "Vi vill gärna delta i intressegruppen om livscykelkostnader och dela våra "
    "erfarenheter av upphandling av gatubelysning. Hälsningar från Malmö stad. "
)


def test_bilingual_mail_is_read_in_the_language_it_opens_with():
    # An out-of-office in English then Swedish: the writer leads with English.
    english = (
        "Thank you for your email. I am on annual leave until 19 August with limited "
        "access to email. For urgent matters, please contact us.\n\n"
    )
    assert language.detect(english + SWEDISH * 2)[0] == "en"
    assert language.detect(SWEDISH * 2 + english)[0] == "sv"


def test_an_unclear_opening_leaves_the_decision_to_more_text():
    # References and names say little: the opening alone would guess wrong
    # (Portuguese), so the first 400 characters decide.
    opening = "Ref. 2024-118 / IG LCC / 12.08.2024 / Procura+ / ICLEI / LCC / 2024 / Q3 / " * 2
    assert len(opening) >= language.OPENING_CHARS
    assert language.detect(opening + SWEDISH)[0] == "sv"


def test_short_and_empty_texts_fall_back():
    assert language.detect("", fallback="de") == ("de", 0.0)
    assert language.detect("ok", fallback="fr") == ("fr", 0.0)


# Two sentences a public buyer might write, one per language of the network (written for
# this test, not taken from any corpus).
NETWORK_SAMPLES = {
    "bg": "Здравейте, бихме искали да се присъединим към работната група. Нашата община "
    "подготвя нова поръчка за компютърно оборудване.",
    "cs": "Dobrý den, rádi bychom se připojili k pracovní skupině. Naše město připravuje "
    "novou zakázku na výpočetní techniku.",
    "da": "Goddag, vi vil gerne deltage i arbejdsgruppen. Vores kommune forbereder et nyt "
    "udbud af computerudstyr til skolerne.",
    "de": "Guten Tag, wir würden gern an der Arbeitsgruppe teilnehmen. Unsere Stadt bereitet "
    "eine neue Ausschreibung für Computer vor.",
    "el": "Καλησπέρα σας, θα θέλαμε να συμμετάσχουμε στην ομάδα εργασίας. Ο δήμος μας "
    "ετοιμάζει νέο διαγωνισμό για εξοπλισμό υπολογιστών.",
    "en": "Hello, we would like to take part in the working group. Our city is preparing a new "
    "tender for computer equipment.",
    "es": "Buenos días, nos gustaría participar en el grupo de trabajo. Nuestro ayuntamiento "
    "prepara una nueva licitación de equipos informáticos.",
    "et": "Tere, soovime liituda töörühmaga. Meie linn valmistab ette uut hanget "
    "arvutitehnika ostmiseks koolidele.",
    "fi": "Hyvää päivää, haluaisimme liittyä työryhmään. Kaupunkimme valmistelee uutta "
    "tietokonehankintaa kouluille.",
    "fr": "Bonjour, nous souhaiterions participer au groupe de travail. Notre ville prépare un "
    "nouvel appel d'offres pour du matériel informatique.",
    "ga": "Dia daoibh, ba mhaith linn páirt a ghlacadh sa ghrúpa oibre. Tá ár gcomhairle ag "
    "ullmhú tairisceana nua do threalamh ríomhaireachta.",
    "hr": "Poštovani, željeli bismo se pridružiti radnoj skupini. Naš grad priprema novi "
    "natječaj za nabavu računalne opreme.",
    "hu": "Tisztelt Hölgyem/Uram, szeretnénk csatlakozni a munkacsoporthoz. Városunk új "
    "közbeszerzést készít elő számítástechnikai eszközökre.",
    "it": "Buongiorno, vorremmo partecipare al gruppo di lavoro. Il nostro comune sta "
    "preparando una nuova gara per apparecchiature informatiche.",
    "lt": "Laba diena, norėtume prisijungti prie darbo grupės. Mūsų miestas rengia naują "
    "kompiuterinės įrangos pirkimą mokykloms.",
    "lv": "Labdien, mēs vēlētos pievienoties darba grupai. Mūsu pilsēta gatavo jaunu "
    "iepirkumu datortehnikas iegādei skolām.",
    "mt": "Bonġu, nixtiequ ningħaqdu mal-grupp tax-xogħol. Il-kunsill tagħna qed iħejji "
    "sejħa ġdida għall-kompjuters tal-iskejjel.",
    "nl": "Goedendag, wij willen graag deelnemen aan de werkgroep. Onze gemeente bereidt een "
    "nieuwe aanbesteding voor computerapparatuur voor.",
    "no": "Hei, vi ønsker å bli med i arbeidsgruppen. Kommunen vår forbereder en ny "
    "anskaffelse av datautstyr til skolene.",
    "pl": "Dzień dobry, chcielibyśmy dołączyć do grupy roboczej. Nasze miasto przygotowuje "
    "nowy przetarg na sprzęt komputerowy.",
    "pt": "Bom dia, gostaríamos de participar no grupo de trabalho. O nosso município está a "
    "preparar um novo concurso para equipamento informático.",
    "ro": "Bună ziua, am dori să ne alăturăm grupului de lucru. Primăria noastră pregătește o "
    "nouă licitație pentru echipamente informatice.",
    "sk": "Dobrý deň, radi by sme sa pripojili k pracovnej skupine. Naše mesto pripravuje "
    "nové obstarávanie výpočtovej techniky.",
    "sl": "Pozdravljeni, radi bi se pridružili delovni skupini. Naša občina pripravlja novo "
    "javno naročilo za računalniško opremo.",
    "sv": "Hej, vi skulle gärna vilja delta i arbetsgruppen. Vår kommun förbereder en ny "
    "upphandling av datorutrustning till skolorna.",
    "ca": "Bon dia, ens agradaria participar en el grup de treball. El nostre ajuntament està "
    "preparant una nova licitació d'equips informàtics per a les escoles.",
    "is": "Góðan dag, við viljum gjarnan taka þátt í vinnuhópnum. Sveitarfélagið okkar er að "
    "undirbúa nýtt útboð á tölvubúnaði fyrir skólana.",
}


def test_every_network_language_is_recognised_and_answered_in():
    # The 24 EU languages, Norwegian, Catalan and Icelandic: detected, and sure enough to answer in.
    assert set(NETWORK_SAMPLES) == set(language.NETWORK)
    for code, text in NETWORK_SAMPLES.items():
        found, confidence = language.detect(text)
        assert found == code, (code, found, confidence)
        assert language.answer_language(found, confidence, text) == code


def test_maltese_needs_its_letters_and_its_words():
    # Polish has 'ż' and English has 'u', but neither makes Maltese; Maltese does.
    assert language.maltese_score(NETWORK_SAMPLES["mt"]) >= language.MALTESE_FLOOR
    assert language.maltese_score(NETWORK_SAMPLES["pl"]) == 0.0
    assert language.maltese_score("u " + NETWORK_SAMPLES["en"]) == 0.0


def test_a_short_unsure_text_is_answered_in_english():
    # One short Spanish line reads Catalan to the trigram model: too short to risk an answer.
    text = "Me gustaría facilitar el grupo sobre el coste del ciclo de vida."
    code, confidence = language.detect(text)
    assert language.answer_language(code, confidence, text) in ("es", "en")
    assert language.answer_language("ca", 0.92, text) == "en"
    assert language.answer_language("ca", 0.92, NETWORK_SAMPLES["ca"]) == "ca"
    assert language.answer_language("xx", 1.0, NETWORK_SAMPLES["ca"]) == "en"
