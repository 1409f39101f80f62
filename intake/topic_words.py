"""Word lists for naming a proposed group's topic (intake/topics.py), all 27 languages.

Every word is written folded (lower case, accents removed, ø -> o, ł -> l; Greek and
Cyrillic stay in their script), as intake/topics.py compares them. Three kinds:
STOP: function words, never a content word of a topic phrase;
INTRO: the words that introduce a topic after a group word ("a group on ...");
CUT: where the writer's topic words end ("... which", "and we ...");
GENERIC: words every proposal uses (proposal, idea, new, interest group, working, ...):
never a topic, removed from the subject line before it names one.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


INTRO = _words(
    # en de fr es it pt ca nl
    "on about for around regarding concerning covering into focusing focused focussed dedicated "
    "zu zum zur uber fur um thema themen rund "
    "sur autour consacre consacree dedie dediee pour concernant theme "
    "sobre dedicado dedicada acerca entorno para tema "
    "su sul sulla sullo sui sugli sulle dedicato dedicata riguardante per "
    "em torno "
    "dedicat dedicats "
    "over rond rondom gericht "
    # sv da no is fi et
    "om kring rorande vedrorende omkring rundt angaende varoandi fyrir "
    "aiheesta aiheena teemana liittyen teemaga teemal kohta "
    # pl cs sk sl hr
    "o dotyczaca dotyczacej dotyczacy dotyczace ds poswiecona poswiecony zajmujaca temat "
    "zamerenou zamerena zameranu zamerana venovanou venovanu pro pre k tematu teme "
    "posveceno posvecena posveceni temo za temu posvecenu posvecena "
    # hu ro lt lv ga mt
    "temaban temakorben temajaban foglalkozo "
    "despre privind dedicat dedicata pe "
    "del apie tema skirta skirtos skirtai "
    "par saistiba "
    "ar faoi maidir um "
    "dwar fuq ghal "
    # el bg
    "για σχετικα θεμα αφορα "
    "за относно посветена посветен тема по "
)

CUT = _words(
    "which that because if as so we i our where who whose while since "
    "und dass weil wir ich unser welche "
    "et que qui nous car notre afin "
    "y porque nosotros nuestra nuestro donde "
    "e che perche noi nostro nostra dove "
    "porque nos nossa nosso onde "
    "perque nosaltres "
    "en dat omdat wij we ons onze "
    "och att som vi var "
    "og at som vi vores vaar vid sem thvi "
    "ja etta koska me meidan "
    "ning mis sest meie "
    "oraz ze ktora ktory ktore bo my nasz nasza aby "
    "ze ktera ktery protoze my nas nase "
    "ktora ktory pretoze sme "
    "ki ker mi nas "
    "koja koji jer mi "
    "es hogy mert mi "
    "si care pentru noi nostru "
    "ir kad kuris kuri mes musu "
    "un ka kas mes musu "
    "agus go mar muid "
    "u li ghax ahna "
    "και που γιατι εμεις ωστε "
    "и че който която ние "
    # would, could, is ...: "a group on X would be useful"
    "would could should will can might is are was be been ist sind ware waere wird konnte konnten "
    "est serait sera seraient pourrait es seria podria sarebbe potrebbe poderia zou zouden kan "
    "kunnen vore ar blir kunde skulle vaere kunne olisi voisi jest bylaby byloby moglaby je by "
    "bolo bi lenne lehetne fi ειναι θα е би butu oleks bheadh ikun vaeri "
)

STOP = (
    INTRO
    | CUT
    | _words(
        "a an the of in at by with from this these those its it is are be would could should can "
        "eg g z b zb etc usw ie "
        "der die das den dem des ein eine einen einer eines im in am mit von vom bei auf an fur vor "
        "le la les l un une des du de d en au aux a dans avec par "
        "el la los las lo un una unos unas del de al en con por "
        "il lo la i gli le un uno una dei degli delle del della dello di da in con nel nella nei "
        "o a os as um uma dos das do da de no na nos nas com em por pelo pela "
        "el els la les l un una dels de del al amb en per "
        "de het een van in op met bij voor aan uit "
        "en ett den det de av i pa med till hos for "
        "en et den det de af i pa med til hos for "
        "ein eitt hinn hin hid af i a med til "
        "ja tai sekä seka "
        "ja ning voi "
        "w we na z ze do dla od i oraz lub przy po "
        "v ve na s se z do a i nebo u pri pro po "
        "v vo na s so z zo do a i alebo u pri "
        "v na s z iz do in ali pri "
        "u na s sa iz do i ili pri "
        "a az egy es vagy meg "
        "un o al ale la in cu din si sau de "
        "ir ar su is i "
        "un ar no uz vai "
        "an na ar le do de agus i a "
        "il l ta tal tat ta li fil fl bil u jew "
        "ο η το οι τα του της των τον την στο στη στην στα στους με σε απο και ή "
        "на в във с със от до и или "
    )
)

GENERIC = _words(
    # en
    "proposal proposals propose proposing proposed suggestion suggest idea ideas new group groups "
    "interest interested working work network topic theme thematic special initiative offer "
    "facilitate facilitating facilitator lead create creating set setting up start starting "
    "launch establish establishing join re fw fwd please possible possibility like would question "
    "request subgroup community exchange peer learning practice share sharing "
    "sv vs odp antw rif r res enc ref subject onderwerp amne emne argomento assunto asunto sujet "
    "abhar suggett efni "
    "own separate dedicated specific small informal such their your my "
    "eigene eigenen eigener separate propre propres propio propia proprio propria eigen egen egna "
    "egne oma omaa wlasna wlasnej vlastni vlastnu lastno lastitu sajat propriu propria δικη "
    "собствена отделна "
    # de
    "vorschlag vorschlagen neue neuen neuer neues gruppe gruppen interessengruppe arbeitsgruppe "
    "idee anregung thema themengruppe netzwerk moderieren grunden grundung aw wg anfrage "
    "vorschlagen einrichten ins leben rufen starten schlagen interessengruppen arbeitsgruppen "
    "themengruppen "
    # fr
    "proposition proposer nouveau nouvelle nouveaux groupe groupes interet travail thematique "
    "reseau creer creation animer tr demande "
    # es ca
    "propuesta proponer nuevo nueva grupo grupos interes trabajo tematico tematica red crear "
    "creacion idea solicitud nou nova grup treball proposta crear "
    # it
    "proposta proporre nuovo nuova gruppo gruppi interesse lavoro tematico tematica rete creare "
    "creazione idea richiesta "
    # pt
    "proposta propor novo nova grupo grupos interesse trabalho tematico rede criar criacao ideia "
    "pedido "
    # nl
    "voorstel voorstellen nieuwe nieuw groep werkgroep interessegroep belangengroep idee thema "
    "netwerk oprichten "
    # sv da no is
    "forslag foreslar ny nya nytt grupp gruppen arbetsgrupp intressegrupp ide tema natverk "
    "forslag foreslar nye gruppe arbejdsgruppe interessegruppe ide netvaerk "
    "arbeidsgruppe interessegruppe nettverk "
    "tillaga nyr nyjan hopur hop hopinn ahugahopur vinnuhopur hugmynd "
    # fi et
    "ehdotus ehdotan uusi uuden uusia ryhma ryhman ryhmaa tyoryhma idea aihe verkosto perustaa "
    "ettepanek uus uue ruhm ruhma tooruhm huvigrupp idee teema "
    # pl cs sk sl hr
    "propozycja propozycje proponuje nowa nowej nowy nowe grupa grupy grupe grupie tematyczna "
    "tematycznej robocza roboczej pomysl temat siec utworzenie "
    "navrh navrhujeme nova nove novou skupina skupinu skupiny pracovni tematicka napad "
    "tema sit zalozeni "
    "navrhujeme novu skupinu pracovna tematicku napad "
    "predlog predlagamo nova novo skupina skupino delovna tematska ideja "
    "prijedlog predlazemo nova novu grupa grupu radna tematska ideja "
    # hu ro
    "javaslat javaslom javasoljuk uj csoport csoportot munkacsoport erdekcsoport otlet tema "
    "halozat "
    "propunere propunem nou noua grup grupul grupului lucru tematic idee retea "
    # lt lv et ga mt
    "pasiulymas siulome nauja naujos grupe grupes darbo teminis ideja "
    "priekslikums piedavajam jauna jaunu grupa grupu darba tematiska ideja "
    "moladh nua grupa ghrupa ghrupai spéis speis obair smaoineamh "
    "proposta gdid gdida grupp interess xoghol idea "
    # el bg
    "προταση προτεινουμε νεα νεας ομαδα ομαδας ενδιαφεροντος εργασιας ιδεα θεμα δικτυο "
    "предложение предлагаме нова нови група групата работна интерес идея тема мрежа "
    # offering to facilitate, and asking: the words of the request, not of a topic
    # ("Ofrecimiento para facilitar", "Fragen zur Moderation") in every language
    "offering volunteer coordinate coordinating coordinator coordination moderate moderating "
    "moderator moderation chair chairing questions "
    "fragen frage moderatorin koordination koordinieren leiten angebot anbieten "
    "offre animation animateur animatrice coordonner coordination questions "
    "ofrecimiento ofrecemos ofrezco facilitar facilitacion facilitador facilitadora "
    "dinamizar coordinar coordinacion moderar preguntas pregunta "
    "oferiment oferim dinamitzar preguntes "
    "disponibilita facilitare facilitazione facilitatore coordinare coordinamento "
    "moderare domande domanda "
    "oferecemos facilitacao coordenar coordenacao perguntas pergunta duvida duvidas "
    "aanbod aanbieden faciliteren coordineren trekker vragen vraag "
    "erbjudande erbjuder facilitera samordna fragor fraga tilbud tilbyder facilitere "
    "koordinere sporgsmal tilbyr fasilitere sporsmal "
    "tarjous tarjoudumme fasilitoida koordinoida kysymys kysymyksia "
    "moderowanie koordynowanie koordynacja prowadzenie pytanie pytania "
    "nabidka moderovani koordinace dotaz dotazy otazka ponuka moderovanie koordinacia otazky "
    "ajanlat moderalas koordinalas kerdes kerdesek "
    "moderare coordonare facilitare intrebare intrebari "
)
