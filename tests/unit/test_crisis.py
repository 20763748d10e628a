"""Crisis detection only flags: real risk language is caught, idioms and negations are not."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.domain import crisis
from chalicelib.domain.crisis import SELF_HARM, SUICIDE, CrisisAssessment, assess, normalise

POSITIVES = [
    # naming it, with common misspellings
    ("I'm thinking about suicide", SUICIDE),
    ("I feel suicidal tonight", SUICIDE),
    ("I keep thinking about suicde", SUICIDE),
    ("sucide is all I think about", SUICIDE),
    ("honestly suiside seems like the only way", SUICIDE),
    ("I've been having suicidal thoughts", SUICIDE),
    ("my friend's suicide last year still haunts me", SUICIDE),  # loss by suicide: see module policy
    ("my brother is suicidal and I don't know what to do", SUICIDE),
    ("sewerslide", SUICIDE),
    # killing oneself
    ("I want to kill myself", SUICIDE),
    ("I might kil myself", SUICIDE),
    ("i'm going to kill my self", SUICIDE),
    ("kms", SUICIDE),
    ("lol kms", SUICIDE),  # hyperbole is flagged: in doubt, flag
    ("I want to unalive myself", SUICIDE),
    ("I tried to kill myself last year", SUICIDE),
    ("why not kill myself", SUICIDE),
    ("he said he wants to kill himself", SUICIDE),
    ("I wish someone would kill me", SUICIDE),
    ("Nobody would care if I killed myself", SUICIDE),
    # ending one's life
    ("I just want to end it all", SUICIDE),
    ("I have a plan to end my life", SUICIDE),
    ("I'm going to take my own life", SUICIDE),
    ("I'm thinking about ending it", SUICIDE),
    ("I want it all to end", SUICIDE),
    # wanting to die or be dead
    ("I want to die", SUICIDE),
    ("I just wanna diiie", SUICIDE),
    ("I wish I was dead", SUICIDE),
    ("I'd rather be dead", SUICIDE),
    ("I should just die", SUICIDE),
    ("I wish I'd never been born", SUICIDE),
    ("I want to go to sleep and never wake up", SUICIDE),
    ("I don't care if I die", SUICIDE),
    ("I want to disappear forever", SUICIDE),
    # not wanting to live
    ("I don't want to live", SUICIDE),
    ("I don't want to be alive anymore", SUICIDE),
    ("I don't want to be here anymore", SUICIDE),
    ("i dont think i want to live anymore", SUICIDE),
    ("I'm tired of living", SUICIDE),
    ("I'm done with life", SUICIDE),
    ("I can't go on like this anymore", SUICIDE),
    # no reason, better off without me
    ("I have no reason to live", SUICIDE),
    ("there's no point in going on", SUICIDE),
    ("life isn't worth living", SUICIDE),
    ("I've lost the will to live", SUICIDE),
    ("everyone would be better off without me", SUICIDE),
    ("they'd be happier if I was gone", SUICIDE),
    # methods, plans, farewells
    ("I want to jump off a bridge", SUICIDE),
    ("I want to step in front of a train", SUICIDE),
    ("I'm going to overdose tonight", SUICIDE),
    ("I took a handful of pills", SUICIDE),
    ("I've been stockpiling my meds", SUICIDE),
    ("I'm going to hang myself", SUICIDE),
    ("I want to slit my wrists", SUICIDE),
    ("I wrote a note for my mom. Goodbye everyone.", SUICIDE),
    ("I've written goodbye letters to my family", SUICIDE),
    ("I won't be around much longer", SUICIDE),
    # negation does not reach across a clause, and doubt undoes it
    ("I'm not okay. I want to die", SUICIDE),
    ("Not really, I just want to die", SUICIDE),
    ("I'm not suicidal but I want to die", SUICIDE),
    ("I hope I don't kill myself", SUICIDE),
    ("I'm not sure I won't kill myself", SUICIDE),
    ("I never said I wasn't suicidal", SUICIDE),
    ("I never wanted to kill myself until now", SUICIDE),
    ("I'm not going to kill myself, I'm going to overdose", SUICIDE),
    # self-harm
    ("I want to hurt myself", SELF_HARM),
    ("I hurt myself again", SELF_HARM),
    ("I cut myself last night", SELF_HARM),
    ("I'm cutting again", SELF_HARM),
    ("I started cutting again", SELF_HARM),
    ("I need to cut", SELF_HARM),
    ("I can't stop cutting", SELF_HARM),
    ("I've been self-harming again", SELF_HARM),
    ("I keep burning myself with a lighter", SELF_HARM),
    ("I've been starving myself", SELF_HARM),
    ("I can't promise I won't hurt myself", SELF_HARM),
    # both: suicide outranks self-harm
    ("I cut myself and I want to die", SUICIDE),
]

NEGATIVES = [
    # negations
    "I would never kill myself",
    "I'm not suicidal",
    "I don't want to die",
    "I'm not going to kill myself",
    "I don't feel suicidal anymore",
    "There's no way I'd kill myself",
    "I will never hurt myself again",
    "I haven't self-harmed in 200 days",
    "I have no intention of hurting myself",
    # idioms and everyday talk
    "my cat died",
    "my phone died",
    "this meeting is killing me",
    "this heat is killing me",
    "I'm dying to see the new movie",
    "let's kill time before group",
    "that joke killed me",
    "he killed it on stage",
    "I'd kill for a coffee",
    "what a killer workout",
    "I'm dead tired",
    "I'm dead lol",
    "the deadline is tomorrow",
    "I could die of embarrassment",
    "I'm going to die of boredom",
    "I'm ready to die on this hill",
    "cross my heart and hope to die",
    "this cake is to die for",
    "I want to die my hair blue",
    "I was killing myself laughing",
    "I shot myself in the foot there",
    "I'm burning myself out at work",
    # cutting, burning, hurting that is not self-harm
    "I'm cutting carbs",
    "I need to cut my hair",
    "I want to cut back on sugar",
    "I need to cut ties with him",
    "I need to cut myself some slack",
    "I've cut myself off from everyone",
    "I almost cut myself chopping onions",
    "I hurt myself at the gym",
    "I burned myself on the stove",
    "my friend cut herself on paper",
    # overdoing, overdoses as a topic
    "I overdid it at the gym",
    "the opioid overdose crisis is in the news",
    "gonna od on chocolate tonight",
    "I take all my meds in the morning",
    # suicide as a topic
    "suicide prevention training",
    "that would be career suicide",
    "we watched Suicide Squad",
    # living, ending, goodbyes
    "I don't want to live with my parents anymore",
    "I finally want to live",
    "I want to take my life back",
    "I'm so tired of living in this city",
    "in the end it all worked out",
    "I want to end it with him",
    "I wrote a goodbye letter to my ex as therapy homework",
    "I left a note for the facilitator. Goodbye for now!",
    "thank you all, goodbye and see you next week",
    "I ran 5 kms today",
]


@pytest.mark.parametrize(("text", "category"), POSITIVES)
def test_risk_language_is_flagged_with_its_category(text, category):
    assert assess(text) == CrisisAssessment(flagged=True, category=category)


@pytest.mark.parametrize("text", NEGATIVES)
def test_idioms_negations_and_topics_are_not_flagged(text):
    assert assess(text) == CrisisAssessment(flagged=False, category=None)


def test_phrase_tables_are_large_enough():
    assert len(POSITIVES) >= 40
    assert len(NEGATIVES) >= 30


# --- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I WANT TO DIE", "i want to die"),
        ("I don’t want to be here", "i dont want to be here"),
        ("“end it all”", "end it all"),
        ("I just wanna diiiiie", "i just wanna die"),
        ("soooo tiiired", "so tired"),
        ("killll myself", "kil myself"),
        ("  i \t want\n\nto   die  ", "i want to die"),
        ("kill... myself!!!", "kill myself"),
        ("self-harm", "self harm"),
        ("#suicidal", "suicidal"),
        ("su\u200bicide", "suicide"),  # zero-width space
        ("suïcide", "suicide"),
        ("ｋｉｌｌ ｍｙｓｅｌｆ", "kill myself"),
        ("I need to feel better", "i need to feel better"),  # real double letters stay
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I WANT TO KILL MYSELF",
        "i want to kill myself",
        "I want to kill myself!!!",
        "I want to kill myself...",
        "I   want\nto  kill\tmyself",
        "I want to kiiiill myself",
        "I want to kill my-self",
        "I want to kill\u200b myself",
        "I wanna kill myself 😔",
    ],
)
def test_case_spacing_punctuation_and_stretching_do_not_hide_risk(text):
    assert assess(text).category == SUICIDE


def test_curly_quotes_do_not_break_negations():
    assert not assess("I don’t want to die").flagged
    assert assess("I don’t want to live").flagged


# --- robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\n",
        "🙂" * 50,
        "\u0301" * 100,
        "\x00\x01\x02",
        "\ud800",  # lone surrogate
        "مرحبا بالجميع",
        "שלום\u202e",
        "ｆｕｌｌ ｗｉｄｔｈ",
        "ﷺ ﷽",
    ],
)
def test_assess_never_raises_on_odd_input(text):
    assert assess(text) == crisis.NOT_FLAGGED


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000,
        "really " * 1_500,
        "I would never kill myself and " * 350,
        "i wrote a note " * 700,
        "not really just want to " * 420,
        "wish i " * 1_500,
    ],
)
def test_long_input_is_assessed_without_error(text):
    assert assess(text).flagged in (True, False)


def test_risk_at_the_end_of_a_long_message_is_found():
    assert assess("Today was ok. " * 700 + "But honestly I want to die.").category == SUICIDE


def test_assessment_records_no_text():
    assert [field.name for field in dataclasses.fields(CrisisAssessment)] == ["flagged", "category"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        assess("I want to die").flagged = False  # type: ignore[misc]
