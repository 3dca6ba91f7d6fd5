"""Triage: what the team should do with a post (reply, acknowledge, monitor, spam), and who is
imitating the brand (spam signals are in `spam.py`). Pure functions over what analysis found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.models import Action

# --- impersonation ---------------------------------------------------------------------------

# Letters that look alike in a handle: compared after folding each to one representative.
_CONFUSABLE = str.maketrans({
    "0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "3": "e", "5": "s", "$": "s", "4": "a",
    "@": "a", "7": "t", "8": "b", "9": "g",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "l", "ӏ": "l",
    "ѕ": "s", "ј": "j", "ԁ": "d", "ɡ": "g", "ο": "o", "α": "a", "ν": "v", "ι": "l",
})
# Words an imitation adds to look official (matched before and after folding look-alikes).
_AFFIX_WORDS = ("the", "real", "official", "ask", "hello", "hi", "team", "info", "contact",
                "verify", "secure")
_SUFFIX_WORDS = ("help", "helps", "helpdesk", "desk", "support", "care", "cares", "official",
                 "team", "service", "services", "customer", "customers", "cs", "uk", "us",
                 "hq", "247", "24x7", "24hrs", "24hr", "online", "assist", "assistance",
                 "info", "global", "verify", "secure", "security", "refund", "refunds",
                 "claim", "claims", "resolution", "live", "chat", "ayuda", "soporte",
                 "oficial", "ofic", "aide", "hilfe", "kundenservice", "atendimento",
                 "suporte", "pomoc", "wsparcie", "assistance", "sav", "fraud", "frauds",
                 "alert", "alerts", "dispute", "disputes", "reward", "rewards", "za", "sa", "au",
                 "nz", "ie", "ca", "tax", "taxrefund", "refundteam")


# The endings that make a handle sound like the brand's own service, not a fan's or a place's.
_OFFICIAL_ENDING = re.compile(
    r"(?:help|helpdesk|support|care|cares|team|official|service|services|desk|refunds?|claims?|"
    r"verify|secure|security|fraud|alerts?|assist\w*|resolution|disputes?|rewards?|ayuda|"
    r"soporte|oficial|aide|hilfe|kundenservice|atendimento|suporte|apoio|ajuda|pomoc|wsparcie|"
    r"sav|info|contact|verification)$")


def _affixes(fold: bool) -> re.Pattern[str]:
    def shape(word: str) -> str:
        return re.escape(word.translate(_CONFUSABLE) if fold else word)
    return re.compile(f"^(?:{'|'.join(map(shape, _AFFIX_WORDS))})+|"
                      f"(?:{'|'.join(map(shape, _SUFFIX_WORDS))})+$")


_AFFIXES = (_affixes(False), _affixes(True))


def skeleton(name: str) -> str:
    """A handle or display name reduced to what it looks like: accents and separators gone,
    official-sounding affixes stripped, look-alike letters folded."""
    local = name.lower().lstrip("@").split("@")[0]
    if local.endswith(".bsky.social"):
        local = local.removesuffix(".bsky.social")
    folded = unicodedata.normalize("NFKD", local)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"[\W_]+", "", folded)
    folded = _strip(folded, _AFFIXES[0])
    folded = folded.replace("rn", "m").replace("vv", "w").translate(_CONFUSABLE)
    return _strip(folded, _AFFIXES[1]) or local


def _strip(text: str, affixes: re.Pattern[str]) -> str:
    previous = None
    while previous != text:
        previous, text = text, affixes.sub("", text)
    return text


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, stopping early once it passes `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        new = [i]
        for j, cb in enumerate(b, 1):
            new.append(min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (ca != cb)))
        if min(new) > limit:
            return limit + 1
        row = new
    return row[-1]


class Impersonation:
    """Recognises accounts imitating the brand's handles or name (and not being them)."""

    def __init__(self, handles: Iterable[str], *, brand: str = "") -> None:
        self.own = frozenset(h.lower().lstrip("@") for h in handles)
        names = [*self.own, brand] if brand else list(self.own)
        # in sorted order, so the reason names the same look-alike target on every run
        self.skeletons = tuple(sorted({s for s in (skeleton(n) for n in names) if len(s) >= 4}))
        # the brand's first name word ("gannet" of Gannet Air), for "GannetBagsTeam": the
        # name, a word of our trade, and an official-sounding ending
        first = skeleton(brand.split()[0]) if brand.split() else ""
        self.first_word = first if len(first) >= 5 else ""

    def check(self, handle: str | None, display_name: str | None) -> str | None:
        """Why this author imitates the brand ("handle 'BrightwaveHeIp_' looks like
        'brightwave'"), or None."""
        if handle is None or handle.lower().lstrip("@") in self.own:
            return None
        for what, name in (("handle", handle), ("display name", display_name)):
            if not name:
                continue
            shape = skeleton(name)
            bare = re.sub(r"[\W_]+", "", name.lower().lstrip("@").split("@")[0])
            if (self.first_word and bare.startswith(self.first_word) and shape != bare
                    and shape not in self.skeletons and len(shape) <= len(self.first_word) + 8
                    and _OFFICIAL_ENDING.search(bare) is not None):
                # the name, at most a short word, and an official ending ("GannetBagsTeam"; not
                # a fan account's "KestrelFansUK")
                return f"{what} '{name}' looks like '{self.first_word}' support"
            for target in self.skeletons:
                if shape == target or (len(target) >= 6 and (
                        _distance(shape, target, 1) <= 1
                        # the brand's name without its last word: "SkylarkCare"
                        or (len(shape) >= 6 and target.startswith(shape)
                            and len(shape) >= 0.7 * len(target)))):
                    return f"{what} '{name}' looks like '{target}'"
        return None


# --- the verdict -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Signals:
    """What analysis found that triage decides on."""

    own_account: bool = False
    impersonation: str | None = None
    injection: bool = False  # instructions to a bot ("ignore all previous instructions")
    spam: tuple[float, list[str]] = (0.0, [])
    escalated: bool = False
    addressed: bool = False
    about_brand: bool = True
    competitor_only: bool = False
    advice_to_others: bool = False
    news: bool = False
    complaint: bool = False
    sarcasm: bool = False
    question: bool = False
    request: bool = False
    praise: bool = False
    strong_praise: bool = False  # clearly happy: praise words and a warm VADER score
    negative: bool = False
    foreign: bool = False  # not in English: the complaint model cannot read it
    first_person: bool = False  # speaks of their own problem (my, I've been, ...)
    tagged: bool = False  # uses one of the brand's hashtags
    voice: bool = False  # speaks for the author (I, my, we) or to the brand
    problem: bool = False  # the words of one of the pack's intents are there
    angry: bool = False  # clearly unhappy (VADER compound at most -0.3)
    down: bool = False  # says the brand's service is down or failing for many ("is it me?")
    # a problem of the author's own with us, in plain words ("Been waiting 10 days for the new
    # card. Can't pay suppliers"): an intent's words and the author's stake in them
    own_problem: bool = False
    opinion: bool = False  # asks the world what it thinks ("anyone else think the logo ...")
    joke: bool = False  # a joke told to the timeline, nothing failing, nothing said to us
    to_customers: bool = False  # speaks to the brand's other customers ("if you're a X customer")
    take: bool = False  # an opinion offered as such ("unpopular opinion:", "not a criticism")
    went_well: str = ""  # words saying it worked or was put right ("nothing's broken")
    contacted: bool = False  # to us, saying they have messaged us or given the details
    put_right: bool = False  # says the problem is put right ("sorted, refunded", "resolveram")
    failing: bool = False  # something of ours not working ("keeps crashing", "o sistema caiu")


def decide_action(s: Signals) -> tuple[Action, str]:
    """The action for a post, and the rule that decided it (first match wins)."""
    if s.own_account:
        return Action.MONITOR, "our own account"
    if s.impersonation:
        return Action.SPAM, f"impersonation: {s.impersonation}"
    score, why = s.spam
    if s.injection:
        return Action.SPAM, "instructions to a bot, not a customer's words"
    if score >= 2.0 and not (s.addressed and (s.complaint or s.question) and score < 2.6):
        return Action.SPAM, "spam: " + ", ".join(why)
    if s.news and not s.addressed:
        return Action.MONITOR, "news or markets"
    if s.escalated:
        return Action.REPLY, "escalation"
    if s.advice_to_others and (not s.complaint or not s.first_person):
        return Action.MONITOR, "advice to someone else"
    if s.competitor_only:
        return Action.MONITOR, "about a competitor"
    if not s.about_brand:
        return Action.MONITOR, "not about the brand"
    if s.to_customers and not s.addressed and not s.question and not s.down:
        return Action.MONITOR, "said to other customers, not to us"
    if s.take and not s.addressed and not s.down:
        return Action.MONITOR, "an opinion offered to the timeline"
    if s.sarcasm:
        return Action.REPLY, "complaint (sarcasm)"
    if s.down:
        return Action.REPLY, "the service is down for them"
    if s.went_well and not s.question and not s.request:
        return Action.ACKNOWLEDGE, f"it went well ('{s.went_well[:40]}')"
    if s.contacted and not (s.praise and s.strong_praise and s.put_right):
        # "@BankHelp sent", "DMed. appreciate it", "the reference is in the letter I mailed
        # you": the case goes on, and the team has a message to read (not "sorted on the
        # phone today, thanks": that is praise)
        return Action.REPLY, "they have messaged us or sent the details"
    if s.praise and s.strong_praise and not s.question and not s.request:
        return Action.ACKNOWLEDGE, "praise or thanks"
    if s.joke and not s.question and not s.request:
        return Action.MONITOR, "a joke, asking nothing of us"
    if s.complaint and (s.addressed or s.tagged or s.request or (s.problem and s.angry)
                        or ((s.voice or s.question)
                            and (s.negative or s.problem or s.first_person))):
        return Action.REPLY, "complaint"
    if s.own_problem and not s.praise and not s.opinion:
        return Action.REPLY, "the author's own problem with us"
    if s.complaint:
        return Action.MONITOR, "commentary: not addressed to us, no problem of the author's"
    if s.question and not s.opinion:
        return Action.REPLY, "question"
    if s.request:
        return Action.REPLY, "request"
    if s.praise:
        return Action.ACKNOWLEDGE, "praise or thanks"
    if s.foreign and s.problem and (s.addressed or s.first_person or s.question or s.failing):
        return Action.REPLY, "a problem, in another language"
    if s.addressed and (s.negative or s.foreign or s.first_person or s.problem):
        return Action.REPLY, "to us: unhappy, about the author's own matter, or in another language"
    if s.negative and s.first_person:
        return Action.REPLY, "unhappy customer"
    return Action.MONITOR, "commentary"
