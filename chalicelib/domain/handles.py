"""Pseudonymous per-group handles: cleaning, the look-alike uniqueness key, friendly generated names.

A handle is the only name other members see, so it must not carry a way to reach
someone (phone number, email, link) and must not pass as staff. Two handles that
look alike (`Quiet Otter`, `quiet-otter`, `Qu1et 0tter`, Cyrillic `О`) share one
`handle_key`, which is what the group stores to keep handles unique.
"""

from __future__ import annotations

import random
import re
import unicodedata

MIN_LENGTH = 3
MAX_LENGTH = 24
MAX_PHONE_DIGITS = 6  # seven or more digits anywhere reads as a phone number
MAX_CANDIDATES = 100
_MAX_RAW = 1000  # longer input is refused before normalising it
_MAX_MARKS = 3  # combining marks in a row after one letter (scripts need some; "Zalgo" needs more)
_PUNCTUATION = frozenset(" -_.'")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})  # phones type curly apostrophes


class HandleError(ValueError):
    """A handle Hearth will not show; the message is safe to show to its author."""


# --- the look-alike key ----------------------------------------------------------------------

# Characters that read as a Latin letter, after case folding and with accents removed.
# Deliberately small: the common homoglyphs and digit swaps people use to dodge a name check.
# `i`, `l`, `1` and `|` are one class (written `l`) because many fonts barely tell them apart.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a",
        "в": "b",
        "е": "e",
        "і": "l",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        # Greek
        "α": "a",
        "ε": "e",
        "ι": "l",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        # digits
        "0": "o",
        "1": "l",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        # the i/l class
        "i": "l",
        "ı": "l",
        "|": "l",
    }
)
_LETTER_PAIRS = (("rn", "m"), ("vv", "w"))  # two letters that pass for one
_SEPARATORS = re.compile(r"[\s\-_.']+")


def handle_key(handle: str) -> str:
    """The uniqueness key: two handles collide in a group exactly when their keys are equal."""
    text = unicodedata.normalize("NFKC", handle).translate(_APOSTROPHES).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) != "Mn")
    text = _SEPARATORS.sub("", text.translate(_CONFUSABLES))
    for pair, single in _LETTER_PAIRS:
        text = text.replace(pair, single)
    return text


# --- cleaning --------------------------------------------------------------------------------

_STAFF_WORDS = ("admin", "moderator", "facilitator", "staff", "official", "hearth team", "support team")
_STAFF_KEYS = tuple(handle_key(word) for word in _STAFF_WORDS)  # found anywhere, spaces ignored
_STAFF_TOKENS = frozenset(handle_key(word) for word in ("mod", "mods"))  # only as a whole word
_LINK = re.compile(
    r"https?|www\s*\.|\bdot\s*(?:com|net|org)\b"
    r"|[^\W_]\.[^\W\d_]{2,}"  # x.com, bit.ly, anything.tld written without spaces
    r"|[^\W_]\s*\.\s*(?:com|net|org|info|biz|io|ly|co|me|app|gg|tv|xyz|link|site|online|us|uk|ca)\b"
)


def _is_allowed(ch: str) -> bool:
    return ch in _PUNCTUATION or unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Nd"


def _check_characters(text: str) -> None:
    marks = 0
    previous_is_letter = False
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "M":
            marks += 1
            if not previous_is_letter or marks > _MAX_MARKS:
                raise HandleError("Handles can use letters, numbers, spaces and - _ . ' only.")
            continue
        marks = 0
        if not _is_allowed(ch):
            raise HandleError("Handles can use letters, numbers, spaces and - _ . ' only.")
        previous_is_letter = category[0] == "L"


def _looks_like_staff(text: str) -> bool:
    key = handle_key(text)
    if any(word in key for word in _STAFF_KEYS):
        return True
    return any(handle_key(token) in _STAFF_TOKENS for token in _SEPARATORS.split(text) if token)


def clean_handle(raw: str) -> str:
    """The display handle (case kept) for what a member typed, or HandleError saying why not."""
    if len(raw) > _MAX_RAW:
        raise HandleError(f"Handles must be {MIN_LENGTH} to {MAX_LENGTH} characters.")
    text = " ".join(unicodedata.normalize("NFKC", raw).translate(_APOSTROPHES).split())
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        raise HandleError(f"Handles must be {MIN_LENGTH} to {MAX_LENGTH} characters.")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise HandleError("Handles can't contain invisible or control characters.")
    if "@" in text:
        raise HandleError("Handles can't contain an email address.")
    if _LINK.search(text.casefold()):
        raise HandleError("Handles can't contain a link.")
    if sum(ch.isdecimal() for ch in text) > MAX_PHONE_DIGITS:
        raise HandleError("Handles can't contain a phone number.")
    _check_characters(text)
    if not any(unicodedata.category(ch)[0] == "L" for ch in text):
        raise HandleError("Handles need at least one letter.")
    if _looks_like_staff(text):
        raise HandleError("Handles can't suggest a staff role, like admin or facilitator.")
    return text


# --- generated handles -----------------------------------------------------------------------

# Gentle and plain on purpose: nothing about mood, health, loss or bodies, nothing that could
# read as a judgement of the person wearing it.
ADJECTIVES = (
    "Amber",
    "Brave",
    "Breezy",
    "Bright",
    "Calm",
    "Candid",
    "Cheerful",
    "Clever",
    "Cozy",
    "Curious",
    "Dapper",
    "Dappled",
    "Dreamy",
    "Earnest",
    "Fair",
    "Fond",
    "Friendly",
    "Gentle",
    "Glowing",
    "Golden",
    "Graceful",
    "Hardy",
    "Hazel",
    "Honest",
    "Hopeful",
    "Humble",
    "Jolly",
    "Kind",
    "Lively",
    "Lucky",
    "Mellow",
    "Merry",
    "Mild",
    "Misty",
    "Mossy",
    "Nimble",
    "Patient",
    "Peaceful",
    "Playful",
    "Plucky",
    "Polite",
    "Quiet",
    "Rosy",
    "Rustic",
    "Serene",
    "Silver",
    "Snowy",
    "Soft",
    "Spry",
    "Starry",
    "Steady",
    "Sturdy",
    "Sunny",
    "Swift",
    "Tender",
    "Thoughtful",
    "Tidy",
    "Velvet",
    "Warm",
    "Wise",
    "Witty",
    "Woolly",
    "Zesty",
)
NOUNS = (
    "Acorn",
    "Aspen",
    "Badger",
    "Beaver",
    "Birch",
    "Bluebell",
    "Brook",
    "Bumblebee",
    "Cedar",
    "Cloud",
    "Clover",
    "Comet",
    "Crane",
    "Daisy",
    "Deer",
    "Dolphin",
    "Dove",
    "Falcon",
    "Fawn",
    "Fern",
    "Finch",
    "Firefly",
    "Fox",
    "Hare",
    "Harbor",
    "Hedgehog",
    "Heron",
    "Koala",
    "Lantern",
    "Lark",
    "Maple",
    "Meadow",
    "Meerkat",
    "Moss",
    "Oak",
    "Orca",
    "Otter",
    "Owl",
    "Panda",
    "Pebble",
    "Pelican",
    "Penguin",
    "Pine",
    "Poppy",
    "Puffin",
    "Quail",
    "Rabbit",
    "Raccoon",
    "Robin",
    "Seal",
    "Sparrow",
    "Squirrel",
    "Starling",
    "Swan",
    "Thistle",
    "Tortoise",
    "Turtle",
    "Walrus",
    "Willow",
    "Wren",
)


def generate_handle(rng: random.Random) -> str:
    """A friendly two-word handle such as `Quiet Otter`; pass `random.SystemRandom()` in production."""
    return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"


def generated_candidates(rng: random.Random, count: int) -> list[str]:
    """`count` generated handles with distinct keys, to try in order until one is free in the group.

    The first half are plain two-word handles; the rest, and any plain draw that repeats an
    earlier key, carry a number (`Quiet Otter 42`) so a large group still has free ones.
    """
    if not 0 <= count <= MAX_CANDIDATES:
        raise ValueError(f"count must be between 0 and {MAX_CANDIDATES}.")
    plain = max(1, count // 2)
    candidates: list[str] = []
    keys: set[str] = set()
    while len(candidates) < count:
        name = generate_handle(rng)
        if len(candidates) >= plain or handle_key(name) in keys:
            name = f"{name} {rng.randint(2, 999)}"
        key = handle_key(name)
        if key not in keys:
            keys.add(key)
            candidates.append(name)
    return candidates
