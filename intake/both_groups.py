"""Does a mail say "both groups", in any language of the network?

A fixed list of phrases ("both groups", "beide Gruppen") misses the inflected forms people
write ("abām grupām", "mindkét érdekcsoportba", "báðir hóparnir", "zu beiden
Interessengruppen"). So the check is by proximity: a word for *both* within four words of
a word for *group* in the same clause, in either order, or a word for *two* right before
it. Group words are stems found inside a word, so compounds count ("Interessengruppen",
"érdekcsoportba", "ryhmiin").
"""

from __future__ import annotations

import re

# "both" in the network's languages, inflections written out (a word matches whole)
BOTH_WORDS = frozenset(
    """
    both
    beide beiden beider beides
    ambos ambas
    entrambi entrambe ambedue
    båda bägge
    begge
    molemmat molempiin molempien molempia molemmissa molempaan kumpaankin kumpikin
    obie obu obydwie obydwu obiema obydwóch
    obě obou oběma obe oboch obom obidve obidvoch
    oba obeh obema obje objema obiju obadvije
    mindkét mindkettő mindkettőbe mindkettőhöz mindkettőben
    ambele ambelor
    αμφότερες αμφότερα
    двете
    abi abiejų abiejose abiem abu
    abas abām
    mõlemad mõlemasse mõlema mõlemaga mõlemal mõlemate
    tnejn
    báðir báða báðum bæði beggja
    ambdós ambdues
    """.split()
)
# "two", which says both only right before the group word ("two groups", "deux groupes",
# "i två grupper"); Danish and Norwegian "to" only before their own word ("to grupper")
TWO_WORDS = frozenset(
    """
    two zwei deux dos due dois duas twee två kaksi kahteen kahden dwie dwóch dwu dvě dvou
    dve dvoch dva dvije dvjema dvema két două doua δύο две dvi dviejų divas divām kaks kahte
    dá dhá żewġ tvo tvær tveimur tveggja dues
    """.split()
)
# "group" as a stem found inside a word of the text
GROUP_STEMS = (
    "group",
    "grupp",  # de Gruppe(n), it gruppo/i, sv grupper, et grupp, mt grupp
    "gruppe",
    "groupe",
    "grupo",
    "grup",  # ca grup(s), pl grupy, ro grupuri, lt grupės, lv grupām, hr grupe
    "groep",
    "ryhm",  # fi ryhmä, ryhmiin
    "skupin",  # cs/sk skupiny, sl/hr skupini
    "skupín",
    "csoport",  # hu csoport, érdekcsoportba
    "ομάδ",
    "груп",
    "rühm",  # et rühm, rühma
    "grúpa",
    "ghrúpa",
    "hóp",  # is hópur, hópa, hóparnir
)
# "not both": the word before "both" that takes it back
NEGATIONS = frozenset(
    "not nicht pas no non niet inte ikke ei nie ne nem nu όχι не nav mitte ní mhux ekki".split()
)
NEAR = 4  # words between "both" and "group", either order
GROUP_WORD = re.compile("|".join(GROUP_STEMS), re.I)
CLAUSE = re.compile(r"[.,;:!?()\n]+")
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def says_both_groups(text: str) -> bool:
    """True when, in one clause, a word for both stands within NEAR words of a word for
    group, or a word for two right before it. Only clauses with a group word are split into
    words: most mail has none."""
    return any(
        _clause_says_both([w.lower() for w in WORD.findall(clause)])
        for clause in CLAUSE.split(text)
        if GROUP_WORD.search(clause)
    )


def _clause_says_both(words: list[str]) -> bool:
    group_at = [i for i, w in enumerate(words) if GROUP_WORD.search(w)]
    for g in group_at:
        near = range(max(0, g - NEAR), min(len(words), g + NEAR + 1))
        if any(_bare(words[i]) in BOTH_WORDS and not (i and words[i - 1] in NEGATIONS) for i in near):
            return True
        before = _bare(words[g - 1]) if g else ""
        if before in TWO_WORDS or (before == "to" and words[g].startswith("grupp")):
            return True
    return False


def _bare(word: str) -> str:
    """The word without an article written onto it (Maltese "iż-żewġ", "it-tnejn")."""
    return word.split("-")[-1]
