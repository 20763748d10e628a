"""Session labels: what lock screens, texts, emails and calendars show instead of the group.

A label must not give the group away. It is compared word by word, after normalising the
way people dodge exact matches (case, accents, digits and symbols for letters, one letter
off), against the group's name, topic and description, and against a list of common
conditions a support group might be about. A few neutral words ("session", "weekly") are
always fine, even when the group's own text uses them.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                             "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})  # fmt: skip
_WORD = re.compile(r"[a-z]+")

NEUTRAL = frozenset(
    """a an and the your my our this that of for with at on in to session sessions meeting
    meetings meetup group groups circle call chat check checkin talk weekly daily monthly
    evening evenings morning mornings afternoon night nights lunch time hour tea coffee book
    club class gathering catch up together friends appointment reminder online room space place
    support""".split()  # noqa: SIM905 (a word list reads best as words)
)

# Common conditions, substances and circumstances support groups meet about: a label word
# equal to one (or its plural) is refused, and so is one starting with a stem in `STEMS`.
CONDITIONS = frozenset(
    """opioid opiate heroin fentanyl methadone suboxone narcotic cocaine crack meth amphetamine
    alcohol alcoholic drinking drunk sober sobriety relapse recovery addict addiction rehab
    drug overdose gambling gambler nicotine smoking vaping porn aa na anonymous depression
    depressed anxiety anxious panic bipolar psychosis psychotic ptsd trauma suicide suicidal
    selfharm cutting eating anorexia bulimia binge ocd adhd autism autistic dementia parkinsons
    epilepsy stroke cancer chemo tumor leukemia dialysis diabetes hiv aids hepatitis herpes std
    sti infertility ivf miscarriage stillbirth abortion grief grieving bereaved bereavement
    widow widowed mourning loss divorce separation abuse abused violence domestic rape assault
    incest survivor lgbt lgbtq queer gay lesbian bisexual transgender trans mental psychiatric
    therapy schizophrenia disorder illness sick""".split()  # noqa: SIM905 (a word list reads best as words)
)
STEMS = ("opioid", "opiate", "addict", "alcohol", "depress", "suicid", "schizo", "bereave",
         "alzheimer", "parkinson", "gambl", "anorex", "bulimi", "psychiatr", "narcot")  # fmt: skip


def words(text: str) -> list[str]:
    """`text` as the words a reader would see: no accents, no case, digits read as letters."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _WORD.findall(plain.translate(_LOOKALIKES))


def _close(a: str, b: str) -> bool:
    """Equal, or one letter added, dropped or changed (for words of five letters or more)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _names_condition(word: str) -> bool:
    singular = word.removesuffix("es") if word.endswith("es") else word.removesuffix("s")
    return (
        word in CONDITIONS
        or singular in CONDITIONS
        or word.removesuffix("s") in CONDITIONS
        or (word.startswith(STEMS))
    )


def label_problem(label: str, *group_texts: str) -> str | None:
    """Why `label` would give the group away (the field message), or None when it is discreet."""
    said = words(label)
    joined = ["".join(pair) for pair in itertools.pairwise(said)]  # "self harm" → "selfharm"
    if any(_names_condition(word) for word in said + joined):
        return "Keep health and life circumstances out of the label: lock screens show it."
    theirs = {word for text in group_texts for word in words(text) if len(word) >= 3} - NEUTRAL
    for word in said:
        if word not in NEUTRAL and len(word) >= 3 and any(_close(word, other) for other in theirs):
            return "Keep the group's name, topic and description out of the label."
    return None
