"""Crisis language in room messages: a detector that only flags, and the help shown privately.

When a message reads as someone at risk of ending their life or hurting themselves, the
writer is shown their country's crisis lines (`crisis_lines`) privately and a facilitator is
alerted. Nothing else happens automatically: no reply in the room, no counselling, no mute or
ban. The flag (and its category) is recorded, never the text.

Policy:

- **When in doubt about a first-person risk, flag.** A false positive costs one private
  resource card and a facilitator's glance; a miss can cost a life. Hyperbole such as
  "lol kms" or "I'd rather die than sing" is therefore flagged.
- **Explicit negation of the risk itself is not a flag** when it governs the phrase in the
  same clause: "I would never kill myself", "I'm not suicidal", "I don't want to die",
  "I haven't self-harmed in a year", "no thoughts of suicide". Negation is read only up to
  the nearest clause punctuation, so "Not really. I want to die" is flagged, and doubt
  undoes it: "I can't promise I won't hurt myself", "I hope I don't kill myself" are flagged.
  Some phrases are risks *because* of a negation and are always flagged: "I don't want to
  live / be alive / be here anymore", "I don't care if I die".
- **Other people and the past count.** "My friend's suicide last year", "my brother is
  suicidal", "he killed himself" are flagged: people bereaved by suicide are themselves at
  higher risk, 988 also serves people worried about someone else or grieving a suicide, and
  a facilitator should know the topic is in the room. Past attempts in the first person are
  flagged for the same reason.
- **Idioms and topics are not.** "This meeting is killing me", "dying to see it", "kill
  time", "dead tired", "I could die of embarrassment", "killing myself laughing", "cut myself
  some slack", "cutting carbs", "cut my hair", "overdid it", "suicide prevention training",
  "career suicide", "the opioid overdose crisis", "hurt myself at the gym".
- **Not covered on purpose:** general distress ("I can't take it anymore", "I'm a
  burden"), which is what the group is for and which a facilitator reads anyway; abuse aimed
  at others ("kys"), which is a moderation matter, not the writer's crisis; languages other
  than English; spaced-out or leetspeak spellings beyond the listed misspellings.

Text is normalised first (NFKC, case folding, straight quotes, accents and invisible
characters removed, runs of three or more of one letter collapsed so "diiie" reads "die",
punctuation to spaces; clause punctuation is kept as a boundary that negation cannot cross),
then matched against curated phrase patterns written with word boundaries and small fillers.
Suicide outranks self-harm when both match. Cost is linear in the text's length.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

SUICIDE = "suicide"
SELF_HARM = "self_harm"


@dataclass(frozen=True)
class CrisisAssessment:
    flagged: bool
    category: str | None


NOT_FLAGGED = CrisisAssessment(flagged=False, category=None)


# --- normalisation ---------------------------------------------------------------------------

_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
    }
)
_DROPPED = frozenset({"Mn", "Me", "Cf"})  # accents and invisible characters such as zero-width spaces
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # three or more of one letter: real words have at most two
_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")  # don't -> dont, i'm -> im
_INNER_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")  # self-harm -> self harm
_CLAUSE_BREAK = re.compile(r"[.!?;:,()\[\]{}\"\n\r\u2028\u2029\x85\u2013\u2014-]+")
_OTHER = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def _normalise(text: str, *, clauses: bool) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) not in _DROPPED
    )
    text = _STRETCHED.sub(r"\1", text)
    text = _INNER_APOSTROPHE.sub("", text)
    text = _INNER_HYPHEN.sub(" ", text)
    text = _CLAUSE_BREAK.sub("\n" if clauses else " ", text)
    text = _OTHER.sub(" ", text)
    if not clauses:
        return _SPACES.sub(" ", text).strip()
    return _SPACES.sub(lambda run: "\n" if "\n" in run.group() else " ", text).strip()


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces, as the phrase patterns see them."""
    return _normalise(text, clauses=False)


# --- phrase patterns -------------------------------------------------------------------------
#
# Patterns are written on normalised text, one alternative per string. A space means "one or
# more whitespace" (which crosses clause breaks, so "I want to, like, die" still matches) and
# " ?" means "optional whitespace"; `{F}` is up to three small fillers ("really", "just", "so"...).
# Every pattern is wrapped in word boundaries.

_FILLER = (
    r"(?:(?:really|just|so|actually|honestly|seriously|literally|kinda|kind\s+of|sorta|sort\s+of|"
    r"sometimes|still|truly|genuinely|totally|even|like|all|ever|simply|finally|also|too|maybe|"
    r"probably|definitely|almost|nearly|lowkey|highkey|fucking|fking|freaking|bloody)\s+){0,3}"
)
_MYSELF = r"m[yi] ?s(?:el|le)f"


def _rx(*alternatives: str) -> re.Pattern[str]:
    body = "|".join(alternatives).replace(" ?", r"\s*").replace(" ", r"\s+").replace("{F}", _FILLER)
    return re.compile(r"\b(?:" + body + r")\b")


def _after(*alternatives: str) -> re.Pattern[str]:
    """An exception read right after a match, within the same clause (literal spaces only)."""
    return re.compile(r" (?:" + "|".join(alternatives) + r")\b")


def _before(*alternatives: str) -> re.Pattern[str]:
    """An exception read right before a match, within the same clause."""
    return re.compile(r"(?:^|[ \n])(?:" + "|".join(alternatives) + r") $")


@dataclass(frozen=True)
class _Rule:
    category: str
    pattern: re.Pattern[str]
    negatable: bool = True  # an explicit negation right before it ("I'd never ...") cancels it
    unless_after: re.Pattern[str] | None = None
    unless_before: re.Pattern[str] | None = None


_WANT = r"(?:want|wants|wanted|wanting|wanna|wana|wish|wished|wishing)"
_NOT_WANT = (
    r"(?:dont|do not|didnt|did not|doesnt|does not|no longer|never)(?: (?:think|feel like|know if) i)? {F}"
)
_DIE_WISH = (
    r"(?:want|wants|wanted|wanting|wanna|wana|wish|wished|wishing|ready|deserve|hope|hoping|rather|like"
    r"|longing)"
)
_PILLS = r"(?:pills|meds|medication|tablets|sleeping pills|painkillers)"
_BODY = r"(?:arm|arms|thigh|thighs|leg|legs|skin|stomach|hip|hips|body|flesh|wrist|wrists)"
_CLOSE_PEOPLE = (
    r"(?:family|kids|children|son|daughter|mom|mum|mother|dad|father|parents|wife|husband|partner"
    r"|boyfriend|girlfriend|friends|everyone|loved ones|sister|brother)"
)
_TREATS = r"(?:sugar|caffeine|coffee|chocolate|candy|sweets|carbs|cake|netflix|tv|love|cuteness|vitamins)"

_ACCIDENT = _after(
    r"(?:(?:really|just|so|badly|again) )?(?:at the gym|working out|exercising|playing|running|lifting)",
    r"(?:(?:really|just|so|badly|again) )?(?:skiing|snowboarding|skating|climbing|hiking|falling|tripping)",
    r"(?:(?:really|just|so|badly|again) )?(?:cooking|baking|shaving|chopping|slicing|gardening)",
    r"by accident|accidentally|off|out|some slack|a break|on (?:a |some |the )?paper",
    r"on the (?:stove|oven|iron|pan|kettle|stairs|ice|trampoline|door|corner|table|edge)",
    r"with the (?:iron|kettle|pan|oven|door|cupboard)",
)
_NOT_CUTTING_ONESELF = _after(  # "cutting carbs", "need to cut back", "want to cut my hair"
    r"carbs|sugar|gluten|dairy|alcohol|caffeine|coffee|sodas?|calories|meat|bread|cake",
    r"back|down|out|off|in|loose|corners|costs|expenses|spending|hours|budget|ties|contact",
    r"hair|class|classes|school|people|wood|paper|grass|coupons|veggies|vegetables|onions|fabric",
    r"it|a|an|some|this|that|them|him|his|her|their|our|your|myself|the \w+",
    r"my (?!" + _BODY + r"\b)\w+",
)
_NOT_A_VERB = _before(r"the|an?|this|that")  # "in the end it all worked out"

_RULES: tuple[_Rule, ...] = (
    # --- suicide: naming it ------------------------------------------------------------------
    _Rule(
        SUICIDE,
        _rx(r"su+i*[cs]+i*d(?:e+s?|i?al|i?ally|ality)?", r"sewer ?slide\w*", r"un ?aliv\w*"),
        unless_after=_after(
            r"prevention|awareness|(?:and )?crisis lifeline|squad|rates?|statistics|stats|research|training",
            r"bombers?|bombings?|doors?|mission|drills?|sprints?",
        ),
        unless_before=_before(
            r"career|social|political|commercial|financial|professional|electoral|academic|brand",
            r"prevent|preventing|prevention of",
        ),
    ),
    # --- suicide: killing oneself ------------------------------------------------------------
    _Rule(SUICIDE, _rx(r"ki+l+(?:s|ed)? ?" + _MYSELF), unless_after=_after("laughing")),
    _Rule(
        SUICIDE,
        _rx(r"ki+l+(?:ing|in) ?" + _MYSELF),
        unless_after=_after(
            r"laughing|working|studying|trying to|at (?:work|the gym|school)",
            r"to (?:finish|meet|get this|make|keep up|pay|please|impress|earn)",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(r"ki+l+(?:s|ed|ing|in)? (?:himself|herself|themselves|themself)"),
        unless_after=_after(r"laughing|working|studying|trying to|at (?:work|the gym|school)"),
    ),
    _Rule(SUICIDE, _rx(r"kms"), unless_before=_before(r"\d+|\d+ ?k")),  # not "ran 5 kms"
    _Rule(
        SUICIDE,
        _rx(
            r"(?:wish|want|wanna|hope|hoping|pray|praying) {F}(?:that )?"
            r"(?:someone|somebody|something|god|a car|a bus|a truck) (?:would|to|will|could) {F}kill me"
        ),
    ),
    # --- suicide: ending one's life ----------------------------------------------------------
    _Rule(
        SUICIDE,
        _rx(r"(?:end|ends|ending|ended) {F}my {F}(?:own )?(?:li(?:fe|ves)|suffering)"),
        unless_after=_after(r"savings|insurance|story|support|coach|coaching|partner"),
        unless_before=_NOT_A_VERB,
    ),
    _Rule(SUICIDE, _rx(r"(?:take|takes|taking|took|taken) {F}my own li(?:fe|ves)")),
    _Rule(
        SUICIDE,
        _rx(r"(?:take|takes|taking|took|taken) my life"),
        unless_after=_after(
            r"back|in|into|seriously|for granted|more|to (?:the|a|new)|one day|step|off|with|and",
            r"savings|insurance|story",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:end|ending) it (?:all|tonight|today|for good|forever|once and for all)",
            r"(?:to|gonna|wanna|will|ill|just|could|should) end everything",
        ),
        unless_before=_NOT_A_VERB,
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:thinking (?:about|of)|want to|wanna|going to|gonna|ready to|about to) {F}end(?:ing)? it",
            r"just end(?:ing)? it",
            r"(?:plan to|planning to|planning on|plan on|decided to) {F}end(?:ing)? it",
        ),
        unless_after=_after(r"with|between|off|early|here|there|now|for (?:today|tonight|now)|on a"),
    ),
    _Rule(SUICIDE, _rx(r"plan\w* {F}(?:to|on|how to) {F}end(?:ing)? (?:it|things)")),
    _Rule(SUICIDE, _rx(_WANT + r" {F}(?:it all|everything|my life) to {F}(?:end|be over)")),
    _Rule(SUICIDE, _rx(r"giv(?:e|es|ing|en) up on (?:life|living)")),
    # --- suicide: wanting to die or be dead --------------------------------------------------
    _Rule(
        SUICIDE,
        _rx(_DIE_WISH + r" {F}(?:(?:to|2) {F})?di+e"),
        unless_after=_after(
            r"(?:of|from) (?:embarrassment|laughter|laughing|boredom|shame|cuteness|happiness|joy)",
            r"(?:of|from) (?:excitement|envy|jealousy|old age)",
            r"laughing|on (?:this|that) hill|old|hard|(?:my|your|her|his) (?:hair|beard)",  # "die hard", dye
        ),
        unless_before=_before(r"heart and"),  # "cross my heart and hope to die"
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"should {F}di+e",
            r"(?:might|may) {F}as well {F}di+e",
            r"let me {F}di+e",
            r"feel(?:s|ing)? {F}like {F}dying",
        ),
        unless_after=_after(r"(?:of|from) (?:embarrassment|laughter|laughing|boredom|shame)|laughing"),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:wish|wished|wishing|want|wanted|wanna|rather|like|hope) {F}"
            r"(?:i (?:was|were|am|had been)|to be|i could be|be) {F}dead",
            r"better {F}of+ dead",
            r"should {F}be dead",
            r"(?:id|i would|ill|i will) be {F}dead (?:soon|by|before|tomorrow|tonight)",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"wish {F}(?:that )?(?:i|id) (?:(?:was|were|had|had been) )?never (?:been )?born",
            r"wish {F}(?:that )?i (?:could|would) {F}(?:disappear|vanish) "
            r"(?:forever|for good|and never come back)",
            r"wish {F}(?:that )?i (?:could|would) {F}(?:not|never) {F}wake up",
            r"wish {F}(?:that )?i (?:could|would) {F}(?:sleep forever|stop existing|cease to exist)",
            r"wish {F}(?:that )?i (?:didnt|did not|wouldnt|would not|dont|do not) {F}"
            r"(?:exist|wake up|live|be alive)",
            r"(?:want|wanna) {F}to (?:disappear|vanish) (?:forever|for good)",
            r"(?:want|wanna) {F}to (?:go to )?sleep (?:forever|and never wake up)",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:sleep|asleep) and (?:never|not) {F}wake up",
            r"(?:hope|wish|pray|praying) (?:that )?i (?:dont|never|wont|do not|will not) {F}wake up",
            _NOT_WANT + r"(?:want|wanna|wish) to wake up",
            r"dont {F}care (?:if|whether) i (?:live or die|die|wake up|dont wake up)",
        ),
        negatable=False,
    ),
    # --- suicide: not wanting to live --------------------------------------------------------
    _Rule(
        SUICIDE,
        _rx(
            _NOT_WANT + r"(?:want|wanna|wana|wish) {F}(?:to |2 )?(?:be )?(?:alive|exist|existing|living)",
            _NOT_WANT
            + r"(?:want|wanna|wana|wish) {F}to (?:keep|go on|continue) (?:living|existing|being alive)",
            r"(?:dont|do not|didnt|did not) {F}(?:want|wanna|wish) {F}to be (?:here|around) {F}"
            r"(?:any ?more|any longer|no more)",
            r"no longer {F}(?:want|wanna|wish) {F}to be (?:here|around)",
        ),
        negatable=False,
    ),
    _Rule(
        SUICIDE,
        _rx(_NOT_WANT + r"(?:want|wanna|wana|wish) {F}(?:to |2 )?live"),
        negatable=False,
        unless_after=_after(  # "I don't want to live with my parents"
            r"with|in|at|near|there|on|by|alone|together|abroad|somewhere|here|next|close|far|forever",
            r"through|past|a (?:life|lie)|that life|to be|like (?:them|him|her|that)",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(_WANT + r" {F}(?:to )?(?:not|stop) {F}(?:be alive|being alive|exist|existing|living|be here)"),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:tired|sick|exhausted|weary) {F}of {F}(?:living|being alive|life|existing)",
            r"done {F}(?:with )?(?:living|life|being alive|existing|my life)",
        ),
        unless_after=_after(r"in|with|here|there|at|near|on|under|alone|paycheck|drawing"),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:cant|cannot|can not|couldnt) {F}"
            r"(?:go on|keep going|keep (?:on )?living|live|do life|carry on|keep existing|exist) {F}"
            r"(?:like this|any ?more|any longer|much longer|this way)",
            r"(?:cant|cannot|can not) {F}(?:go on|keep) living",
        ),
    ),
    # --- suicide: no reason, better off without me -------------------------------------------
    _Rule(
        SUICIDE,
        _rx(
            r"no {F}(?:reason|reasons|point|purpose) {F}(?:to|in|for|of) {F}(?:live|living|life|going on"
            r"|being alive|be alive|exist|existing|staying alive|stay alive|keep going|keep living|carry on"
            r"|carrying on|be here|being here)",
            r"nothing {F}(?:left )?(?:to live for|worth living for)",
            r"(?:life|living) {F}(?:isnt|is not|aint|is no longer|not|no longer) {F}worth {F}"
            r"(?:living|it|the pain|the effort)",
            r"whats the point (?:of|in) {F}(?:living|life|being alive|going on|existing)",
            r"(?:lost|losing|have no|no) {F}(?:the |my )?will to live",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:better|happier) {F}(?:of+ )?(?:without me|with me gone|(?:when|once|after) im gone"
            r"|if i (?:was|were) {F}(?:gone|dead|not (?:here|around|alive)|never born)"
            r"|if i (?:wasnt|werent) {F}(?:here|around|alive|born)|if i (?:died|disappeared))",
        ),
    ),
    # --- suicide: methods and plans ----------------------------------------------------------
    _Rule(
        SUICIDE,
        _rx(
            r"(?:jump|jumping|jumped|leap|leaping|(?:throw|throwing|threw) " + _MYSELF + r") {F}"
            r"(?:of+ of|of+|from|in front of|under|onto|into) (?:(?:a|an|the|my|this|that|some|our) )?"
            r"(?:\w+ ){0,2}(?:bridge|building|roof|rooftop|cliff|balcony|train|bus|truck|lorry|traffic|tracks"
            r"|overpass|ledge|tower|car park|parking garage)",
            r"(?:jump|jumping|jumped|throw " + _MYSELF + r") out (?:of )?(?:a |the |my )?window",
            r"(?:step|stepping|walk|walking|run|running) {F}(?:out )?"
            r"(?:in front of (?:a |an |the )?(?:train|bus|truck|car|lorry)|into (?:the )?traffic)",
            r"(?:lie|lying|lay|laying) {F}(?:down )?on (?:the )?(?:train )?(?:tracks|railway)",
            r"(?:drive|driving|crash|crashing) {F}(?:my car )?(?:off|into) (?:a|the) "
            r"(?:cliff|bridge|wall|tree|river|lake|traffic)",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:hang|hanging|hanged|hung|shoot|shooting|shot|drown|drowning|drowned|poison|poisoning|poisoned"
            r"|suffocate|suffocating|suffocated|strangle|strangling|gas|gassing|electrocute|electrocuting"
            r"|stab|stabbing|stabbed) " + _MYSELF,
        ),
        unless_after=_after(
            r"in the foot",
            r"in (?:work|coffee|tea|homework|paperwork|books|study|studying|assignments|tasks|chores|emails)",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:slit|slitting|slash|slashing|cut|cutting) {F}(?:my |both |both my )?(?:wrist|wrists|throat)",
            r"blow my brains out",
            r"(?:gun|pistol|barrel|shotgun|revolver) (?:to|in) my (?:head|mouth|temple)",
            r"noose",
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"over ?dos(?:e|es|ed|ing)",
            r"(?:gonna|going to|want to|wanna|will|ill|might|could|about to|plan to|planning to|tempted to"
            r"|ima|imma|try to|tried to) {F}od",
        ),
        unless_after=_after(
            r"prevention|awareness|crisis|epidemic|deaths|death rates?|rates?|statistics|stats|reversal",
            r"training|kits?|day|on " + _TREATS,
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:all|every one|every single one) (?:of )?(?:my|the|these|those) " + _PILLS + r" "
            r"(?:at once|in one go|together|tonight|and (?:go to sleep|sleep|never wake up|die|end it))",
            r"(?:the|a) (?:whole|entire) (?:bottle|pack|packet|box|strip) (?:of )?(?:my )?"
            r"(?:" + _PILLS + r"|tylenol|paracetamol|ibuprofen)",
            r"(?:swallow|swallowing|swallowed|down|downing|downed|took|taken) {F}"
            r"(?:all|every one|a handful|handfuls|a bunch) (?:of )?(?:my |the )?" + _PILLS,
            r"(?:took|taken|swallowed) {F}too many " + _PILLS,
            r"(?:stockpil\w*|hoard\w*|saving up|saved up|stashing|stashed) {F}(?:my |all my |some |the )?"
            + _PILLS,
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:goodbye|farewell|final|suicide) (?:note|notes|letter|letters) (?:to|for) {F}(?:my |all my )?"
            + _CLOSE_PEOPLE
        ),
    ),
    _Rule(
        SUICIDE,
        _rx(
            r"(?:wont|will not|not going to|not gonna) be (?:alive|(?:here|around) (?:much|for much) longer)",
            r"(?:last|final) (?:night|day|week) alive",
        ),
        negatable=False,
    ),
    # --- self-harm ---------------------------------------------------------------------------
    _Rule(
        SELF_HARM,
        _rx(
            r"self ?(?:harm|harms|harming|harmed|injury|injuries|injure|injuring|injured|mutilate|mutilation"
            r"|mutilating)"
        ),
        unless_after=_after(r"awareness|prevention|training|research|resources|policy"),
    ),
    _Rule(
        SELF_HARM,
        _rx(
            r"(?:hurt|hurts|hurting|harm|harms|harming|harmed|cut|cuts|cutting|burn|burns|burning|burned|burnt"
            r"|hit|hitting|punch|punching|starve|starving|starved|bruise|bruising|mutilate|mutilating) {F}"
            r"(?:" + _MYSELF + r"|himself|herself|themselves|themself)",
            r"make " + _MYSELF + r" (?:throw up|vomit|puke)",
        ),
        unless_after=_ACCIDENT,
    ),
    _Rule(
        SELF_HARM,
        _rx(
            r"cutting again",
            r"(?:started|start|starting|back to|keep|kept|been|relapsed and) {F}cutting",
            r"(?:cant|can not|cannot) {F}stop cutting",
            r"(?:urge|urges|tempted|craving|cravings|want|wanting|wanna|need) {F}to cut",
        ),
        unless_after=_NOT_CUTTING_ONESELF,
    ),
    _Rule(
        SELF_HARM,
        _rx(
            r"(?:cut|cuts|cutting|slice|slicing|carve|carving|burn|burning|scratch|scratching) {F}"
            r"(?:into |on )?my " + _BODY,
            r"(?:razor|razors|blade|blades) {F}(?:on|to|into|across) my " + _BODY,
        ),
        unless_after=_after(
            r"(?:in|from) the sun|at the beach|on the (?:stove|oven|pan|iron)|cooking|shaving"
        ),
    ),
)

# A note or letter plus goodbye phrasing elsewhere in the same message reads as a farewell.
_NOTE = _rx(
    r"(?:wrote|written|writing|write|left|leaving|leave|finished|finishing|drafted|drafting|prepared) {F}"
    r"(?:(?:you|u|you all|them|him|her|everyone|each of you) )?"
    r"(?:a |my |the |some |all my |these |those )?(?:goodbye |farewell |final |last )?"
    r"(?:note|notes|letter|letters)"
)
_GOODBYE = _rx(
    r"(?:goodbye|good bye)(?! (?:for now|till|until|see you|and see you|for today|for tonight))",
    r"farewell|bye forever|bye for good|this is (?:it|the end|goodbye)",
    r"my last (?:message|post|night|day|words)|final (?:message|post|goodbye|words)",
    r"(?:wont|will not|never) (?:see|hear from) me again",
    r"wont be (?:here|around) (?:tomorrow|any ?more|much longer)",
    r"love you all|tell my " + _CLOSE_PEOPLE + r"|take care of my \w+|sorry for everything|forgive me",
)

# Negation governing the matched phrase: a negator, then only small fillers, then the phrase,
# all inside one clause (literal spaces; clause breaks are newlines).
_NEGATOR = (
    r"(?<!why )not|never|no longer|dont|do not|doesnt|does not|didnt|did not|wont|will not|wouldnt"
    r"|would not|havent|have not|hasnt|has not|hadnt|had not|aint|isnt|wasnt|arent|werent"
    r"|no way(?: (?:i|id|im|ill|i would|i will|i am))?"
    r"|no (?:intention|intentions|plan|plans|desire|urge|urges|thought|thoughts|wish|interest)"
    r" (?:of|to|about|in)"
)
_NEG_FILLER = (
    r"really|ever|actually|even|just|seriously|truly|honestly|necessarily|currently|gonna|going to|want to"
    r"|wanna|wanted to|try to|trying to|tried to|plan to|plan on|planning to|planning on|intend to|be|been"
    r"|do|have|had|feel|feeling|feel like|think about|thinking about|thinking of|thought about|thought of"
    r"|consider|considering|think i|think id|think ill|think i would|think i will|think i could|see myself"
    r"|would|will|ll|d|again|any|any thoughts of|thoughts of|thoughts about|urge to|urges to|ever again"
)
_NEGATED = re.compile(r"(?:^|[ \n])(?P<neg>(?:" + _NEGATOR + r")(?: (?:" + _NEG_FILLER + r"))*|no) $")
_DOUBT = re.compile(
    r"(?:^|[ \n])(?:not sure|unsure|cant promise|cannot promise|can not promise|cant say|cannot say"
    r"|cant guarantee|cannot guarantee|dont know if|dont know whether|do not know if|idk if|not certain"
    r"|no guarantee|no promises|hope|hoping|scared|afraid|worried|terrified|pray|praying"
    r"|never said|didnt say|did not say|wouldnt say|would not say|not saying|never claimed|doesnt mean"
    r"|does not mean|dont mean)(?: \w+){0,3} $"
)
_UNTIL_NOW = re.compile(  # "I never wanted to die until now" undoes the negation
    r"(?: \w+){0,4} (?:until|untill|till|til) "
    r"(?:now|today|tonight|recently|lately|this (?:week|month|year|morning))\b"
)
_LOOKBACK = 120


def _negated(text: str, start: int) -> bool:
    tail = text[max(0, start - _LOOKBACK) : start]
    found = _NEGATED.search(tail)
    if found is None:
        return False
    return _DOUBT.search(tail[: found.start("neg")]) is None


def _hits(rule: _Rule, text: str) -> bool:
    for found in rule.pattern.finditer(text):
        if rule.negatable and _negated(text, found.start()) and not _UNTIL_NOW.match(text, found.end()):
            continue
        if rule.unless_after is not None and rule.unless_after.match(text, found.end()):
            continue
        if rule.unless_before is not None and rule.unless_before.search(
            text[max(0, found.start() - _LOOKBACK) : found.start()]
        ):
            continue
        return True
    return False


def _farewell_note(text: str) -> bool:
    """A note or letter, plus goodbye phrasing that is not just the word in "goodbye letter"."""
    notes = [found.span() for found in _NOTE.finditer(text)]
    if not notes:
        return False
    starts = [start for start, _ in notes]
    for goodbye in _GOODBYE.finditer(text):
        index = bisect.bisect_right(starts, goodbye.start()) - 1
        inside_note = index >= 0 and goodbye.end() <= notes[index][1]
        if not inside_note:
            return True
    return False


def assess(text: str) -> CrisisAssessment:
    """Whether a room message reads as a crisis, and which kind (suicide outranks self-harm)."""
    prepared = _normalise(text or "", clauses=True)
    if not prepared:
        return NOT_FLAGGED
    for category in (SUICIDE, SELF_HARM):
        if category == SUICIDE and _farewell_note(prepared):
            return CrisisAssessment(flagged=True, category=SUICIDE)
        if any(_hits(rule, prepared) for rule in _RULES if rule.category == category):
            return CrisisAssessment(flagged=True, category=category)
    return NOT_FLAGGED
