"""How the author feels about the brand: VADER's label corrected by what the post does.

VADER scores words; a complaint in neutral words ("flight delayed 3 hours") is still
negative, and thanks for a fee ("Thanks @Bank for charging me £25. Love that for me") is
sarcasm. `compound` stays VADER's and `vader_label` keeps its label; `label` is this one.
"""

from __future__ import annotations

import re

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor.analysis.cues import remedied
from monitor.analysis.terms import Lexicon
from monitor.models import Action

_SARCASM_PHRASES = Lexicon([
    "love that for me", "thanks for nothing", "cheers for nothing", "thanks a lot",
    "just what i needed", "exactly what i needed", "what a joke", "said no one ever",
    "said nobody ever", "10/10 would not", "would not recommend", "nothing says",
    "truly inspired", "what a time to be alive", "slow clap", "well played", "bravo",
    "great job", "good job", "nice one", "way to go", "thanks so much for ruining",
    "love how", "love it when", "gotta love", "got to love", "you've got to love",
    "so glad i", "what a treat", "masterclass in", "living the dream", "top notch",
    "stellar work", "shoutout to", "shout out to", "genius", "love paying", "love being charged",
    "love getting charged", "love having to", "full-circle moment",
])
_SARCASM_MARKS = re.compile(r"🙃|🙄|😒|🤡|👏\s*👏|/s\b|\bsmh\b|\blol\b|😂", re.IGNORECASE)
_POSITIVE_OPENER = Lexicon([
    "thanks", "thank you", "thx", "cheers", "love", "loving", "great", "brilliant", "amazing",
    "fantastic", "wonderful", "perfect", "excellent", "awesome", "nice", "lovely", "superb",
    "congrats", "congratulations", "impressive", "fab", "outstanding", "👏", "💯",
])
_BAD_EVENT = Lexicon([
    "fee", "fees", "charg*", "overdrawn", "delay*", "cancelled", "canceled", "cancelling",
    "lost", "losing", "down again", "is down", "declined", "broke", "broken", "ruin*",
    "again", "waiting", "on hold", "still no", "no refund", "no signal", "no internet",
    "stranded", "missed", "late", "rejected", "locked out", "crash*", "twice", "double",
    "outage", "not working", "nothing works", "frozen", "hours", "days", "weeks", "nobody",
    "down", "gone", "dead", "not loading", "nothing loading", "fallen over",
    "no one", "never", "1p", "penalty", "interest", "price rise", "price increase",
    "hike", "useless", "worst", "pending", "in progress", "still", "dies", "every single",
    "closed the", "closing the", "shut the", "shutting the",
    # shut out of the account: "logged me out", "can't get at my own money"
    "logged me out", "locked me out", "kicked me out", "can't get at", "cant get at",
    "can't access", "cant access", "no access",
])
# Bad-event words that tell of no bad event: "my late husband" (a bereavement), "stayed open
# late" (a kindness), "for not charging me a fee", "waived the fee" (spared one).
_NOT_BAD = re.compile(
    r"\b(?:my|our|his|her|their|your)\s+late\s+\w+"
    r"|\b(?:stay(?:ed|ing|s)?|open|opening|kept (?:it |the \w+ )?open|work(?:ed|ing)?)\s+"
    r"(?:\w+\s+){0,3}late\b"
    r"|\b(?:for not|without|instead of|rather than|didn't|did not|never|no longer|waiv\w+|"
    r"revers\w+|refund\w*|cancel(?:l)?ed (?:the|my|a)|dropp\w+|paus\w+|froze|frozen|freez\w+|"
    r"stopp\w+|remov\w+|scrapp\w+)\s+(?:\w+\s+){0,3}?"
    r"(?:charg\w*|fees?|penalty|interest|delay\w*|late)"
    # (and the thing spared, named after: "for not charging me a foreign transaction fee")
    r"(?:\s+(?:\w+\s+){0,5}?(?:charges?|fees?|penalty|interest))?\b"
    # "wrote the steps down in big letters": down on paper (not "put the phone down on me")
    r"|\b(?:wrote|written|write|writing|jotted|noted) (?:\w+ ){0,3}down\b"
    # "no fees at all", "zero charges", "fee-free": a bad thing absent
    r"|\b(?:no|zero|without any) (?:\w+ )?(?:fees?|charges?|interest|penalt\w+|delays?)\b|"
    r"\bfee-free\b"
    # "walked her down the aisle", "sat us down with a tea": down as a way, not an outage
    r"|\bdown (?:the|a|an|to|into|onto|by|with|for|from|my|our|his|her|their)\b"
    # care taken, not a failure repeated: "explained the switcher thing twice"
    r"|\b(?:explained|showed|walked|went through|checked|double[- ]checked|read) (?:\w+ ){0,4}"
    r"twice\b"
    # a concession, not a wait: "Printed, mind, but still. Very nice of them."
    r"|\bbut still\b(?=\s*(?:[.!,]|$))"
    # a bad thing made the best of: "best place in Canada to be delayed", "if you have to be
    # stuck somewhere"
    r"|\b(?:best|nicest|only|better) (?:\w+ ){0,4}to be (?:delayed|stuck|stranded|late)\b"
    r"|\bif (?:you|i|we) (?:have|'ve got|had|got) to be (?:delayed|stuck|stranded)\b",
    re.IGNORECASE)
# Thanks for something, the next few words being what: "thanks to @Bank for charging me".
_THANKS_FOR = re.compile(r"\b(?:thanks?|thank you|cheers|shout ?out)\b[^.!?,;\n]{0,30}?\bfor"
                         r"((?:\s+[^\s.!?]+){1,3})", re.IGNORECASE)
_RESOLVED = Lexicon([
    # (expectations beaten: "fully expected to be on hold until Easter, took eleven minutes")
    "sorting my", "sorting it", "sorting that", "sorting this", "fully expected",
    # done fast: "had it done in 25 minutes", "unlocked it within minutes"
    "done in", "had it done", "sorted in", "fixed in", "within minutes", "in minutes",
    "who even are you",
    "fixed", "sorted", "resolved", "quick", "quickly", "back up", "working again",
    "works again", "appreciate", "helpful", "great service", "so fast", "straight away",
    "sorted it", "refunded", "got it back", "back online", "no problem", "no problems",
    "no issues", "not one", "never had", "never once", "landed", "came through", "arrived",
    "works now", "working now", "all good", "released", "picked up", "matched",
    "appreciated", "goodwill", "gesture", "so kind", "really kind", "very kind", "patient",
    "never rushed", "proper service", "obsessed", "heroes", "legend", "legends", "no notes",
    "bless", "worth it", "without once", "didn't rush", "did not rush", "relief", "no fuss",
    "real ones", "made my day", "finally behaves", "finally works", "finally working",
    "finally fixed", "finally sorted", "saved me", "no rush", "approved", "approval",
    "talked me down", "calmed me down", "what a man", "what a woman",
    # a past failure told as past, credit given now: "Gotta give it to them. Last spring the
    # app lost my deposit ... lately it's been smooth, no drama. Growth 👏"
    "no drama", "been smooth", "so smooth", "come a long way", "came a long way",
    "give it to", "hand it to", "credit where", "credit to",
    # expectations beaten, told as such: "never thought I'd say this but", "didn't expect
    # that", "rare these days", "without me having to chase"
    "never thought i'd say", "never thought i would say", "didn't expect that",
    "did not expect that", "rare these days", "without me having to chase",
    "without having to chase", "small win", "patiently", "a gem", "sorting the", "sorted the",
    "walked me through", "talked me through", "would complain again", "is what i would say",
    # the customer's own mistake, owned: "I owe them an apology", "turns out I'd sent it"
    "i owe", "my mistake", "my bad", "turns out i'd", "turns out i had", "i accused",
])
_THANKS = Lexicon(["thank*", "thanks", "thx", "ty", "cheers", "ta", "grateful", "appreciate*",
                   "gracias", "merci", "danke", "obrigad*", "dziękuj*", "diolch", "shukriya",
                   "dhanyavaad", "dhanyavad", "asante", "nagode", "daalu"])
_FIXED = Lexicon(["fixed", "sorted", "resolved", "landed", "arrived", "came through", "refunded",
                  "works now", "working now", "working again", "works again", "back up",
                  "back online", "done", "cancelled", "released", "got it back", "all good",
                  "arreglado", "résolu", "erledigt", "resolvido", "załatwione"])


# What emoji mean on social media, where VADER reads their names: 🔥 is "fire" to it
# (negative) and praise to the people who post it ("the new app is 🔥🔥🔥"); a thumbs up, a
# heart and a grateful 🙏 are names it has no feeling for. Each is read as a word VADER
# knows (🔥 as nothing: it is also what a customer whose charger caught fire posts).
SOCIAL_EMOJI = {"🔥": "", "👍": "good", "❤": "love", "🫶": "love",
                "💙": "love", "💚": "love", "💜": "love", "🧡": "love", "💛": "love",
                "🙏": "grateful", "🙌": "yay", "🥳": "yay", "🥹": "love"}


# Thanks said in English posts in the words of other languages (Hindi and Urdu, Swahili,
# Hausa, Igbo), as warm to VADER as its own "thanks".
LOAN_THANKS = {"shukriya": 1.9, "dhanyavaad": 1.9, "dhanyavad": 1.9, "asante": 1.9,
               "nagode": 1.9, "daalu": 1.9}


def vader() -> SentimentIntensityAnalyzer:
    """VADER, with emoji read as social media means them (`SOCIAL_EMOJI`) and thanks in
    loan words (`LOAN_THANKS`); the one the analyser and the complaint model's training both
    use."""
    analyzer = SentimentIntensityAnalyzer()
    # (VADER reads one character at a time: "👍🏾" is 👍 and its tone, "❤️" is ❤ and a
    # variation selector)
    analyzer.emojis.update(SOCIAL_EMOJI)
    analyzer.lexicon.update(LOAN_THANKS)
    return analyzer


# Emoji people add to mean what they say: never a sarcastic author's mark (🙃, 🙄, 👏👏).
_SINCERE = re.compile(r"[😄😊🥰😍🙂☺🤗🙏❤💙💚💜🧡💛🫶🥹]")


def thanks_for_a_fix(text: str) -> bool:
    """Whether the post thanks us for something put right ("refund landed, thank you")."""
    return _THANKS.search(text) is not None and _FIXED.search(text) is not None


def _resolved(text: str) -> bool:
    """Whether the post tells of the trouble as put right (so praise beside it is meant)."""
    return _RESOLVED.search(text) is not None or remedied(text)


def sarcastic(text: str, *, complaint_probability: float) -> str | None:
    """The cue that makes the post sarcastic praise, or None."""
    phrase = _SARCASM_PHRASES.search(text)
    if phrase is None and _POSITIVE_OPENER.search(text) is None:
        return None
    told = _NOT_BAD.sub(" ", text)
    sincere = _SINCERE.search(text) is not None and _SARCASM_MARKS.search(text) is None
    if phrase and (phrase in ("love that for me", "thanks for nothing", "cheers for nothing",
                              "said no one ever", "said nobody ever", "10/10 would not",
                              "love paying", "love being charged", "love getting charged",
                              "love having to")
                   or (_BAD_EVENT.search(told) and not _resolved(text)
                       and not sincere)):
        return phrase
    opener = _POSITIVE_OPENER.search(text)
    if opener is None or sincere:
        return None  # (a warm emoji beside the praise: meant, "twice 😄")
    for m in _THANKS_FOR.finditer(told) if not _resolved(text) else ():
        # thanks for the bad thing itself: "Big thanks to @Bank for charging me interest"
        if _BAD_EVENT.search(m.group(1)):
            return f"{m.group(0).split()[0].lower()} for + {_BAD_EVENT.search(m.group(1))}"
    bad = _BAD_EVENT.search(told)
    if bad is None or _resolved(text):
        return None
    if _SARCASM_MARKS.search(text) or complaint_probability >= 0.35:
        return f"{opener} + {bad}"
    return None


def brand_label(*, vader_label: str, compound: float, action: Action, complaint: bool,
                sarcasm: bool, escalated: bool, question: bool) -> str:
    """The brand-aware label (see the module docstring)."""
    if action is Action.SPAM:
        return "neutral"
    if sarcasm:
        return "negative"
    if action is Action.ACKNOWLEDGE:
        return "positive"
    if action is Action.MONITOR:
        # news, commentary and other people's talk: only strong feeling counts
        return vader_label if abs(compound) >= 0.6 else "neutral"
    if complaint:
        return "negative"
    if escalated:
        return "negative"
    if action is Action.REPLY and question:
        return vader_label if abs(compound) >= 0.5 else "neutral"
    return vader_label
