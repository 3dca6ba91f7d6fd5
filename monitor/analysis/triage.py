"""Triage: what the team should do with a post (reply, acknowledge, monitor, spam), who is
imitating the brand, and which posts are spam. Pure functions over what analysis found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.analysis.terms import Lexicon
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
                 "suporte", "pomoc", "wsparcie", "assistance", "sav")


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
        self.skeletons = frozenset(s for s in (skeleton(n) for n in names) if len(s) >= 4)

    def check(self, handle: str | None, display_name: str | None) -> str | None:
        """Why this author imitates the brand ("handle 'BrightwaveHeIp_' looks like
        'brightwave'"), or None."""
        if handle is None or handle.lower().lstrip("@") in self.own:
            return None
        for what, name in (("handle", handle), ("display name", display_name)):
            if not name:
                continue
            shape = skeleton(name)
            for target in self.skeletons:
                if shape == target or (len(target) >= 6 and (
                        _distance(shape, target, 1) <= 1
                        # the brand's name without its last word: "SkylarkCare"
                        or (len(shape) >= 6 and target.startswith(shape)
                            and len(shape) >= 0.7 * len(target)))):
                    return f"{what} '{name}' looks like '{target}'"
        return None


# --- spam ------------------------------------------------------------------------------------

_STRONG_SPAM = Lexicon([
    "airdrop", "giveaway", "give away", "free crypto", "crypto bot", "trading bot",
    "trading signals", "forex signals", "100x", "1000x", "presale", "pre-sale", "token launch",
    "guaranteed returns", "guaranteed profit", "results guaranteed", "double your money",
    "turn £*", "turn $*", "passive income", "recover your funds", "recover your money",
    "recover lost funds", "recover your lost", "recover stolen", "fund recovery",
    "funds recovery", "recovery expert", "recovery specialist", "hire a hacker",
    "hack any account", "spell caster", "no credit check", "loan approved", "instant loan",
    "get £* today", "cash today", "link in bio", "check my bio", "dm me to start",
    "dm for promo", "promo code in bio", "onlyfans", "follow for follow", "f4f",
    "claim your prize", "claim your reward", "you have won", "you've won", "winner selected",
    "verify your account", "account will be suspended", "account has been suspended",
    "account will be locked", "account has been limited", "confirm your details here",
    "no credit checks", "bad credit ok", "bad credit welcome", "same day cash", "cash loans",
    "instant cash", "no questions asked", "got all my money back", "got my money back in",
    "recovered my", "recovered all", "100% genuine", "totally legit", "connect your wallet",
    "claim your", "claim in", "loyalty bonus", "free when you switch", "signup bonus",
    "sign-up bonus", "exclusive bonus", "exclusive signup", "removes restrictions",
    "ignore all previous instructions", "ignore previous instructions", "admin mode",
    "money mule", "receiving a payment", "kindly fill", "fill this form", "earn £*",
    "earn $*", "£* free", "$* free", "giving away", "free flights", "follow back",
    "followforfollow", "followback", "#followback", "real followers", "get followers",
    "seed phrase", "24 words", "verify wallet", "verify your wallet", "buy backlinks",
    "free shipping worldwide", "90% off", "gift card", "you've been selected",
    "selected to win", "held at our depot", "confirm delivery details", "payment failed",
    "update billing details", "confirm payment details", "will be cancelled unless",
    "re-activate now", "reactivate now", "avoid disconnection", "learn how", "dm me to learn",
    "robot de trading", "gagnez", "zarabiaj", "link w bio", "lien en bio", "enlace en bio",
    "you may be owed", "no-obligation", "50% off for life", "recovered mine",
    "cheap accounts", "send your card number", "envíe su número de tarjeta",
    "datos bancarios", "coordonnées bancaires", "usuario y contraseña", "bank login",
    "promo codes", "discount codes", "voucher codes", "coupon*", "working codes",
    "working code", "verified codes", "all verified", "codes updated", "mystery box",
    "rt + follow", "rt and follow", "retweet and follow", "rt & follow", "copy-trading",
    "copy trading", "returned to sender", "redelivery fee", "reschedule within",
    "parcel is held", "parcel is on hold", "customs fee", "pay the fee", "unpaid fee",
])
# Instructions to a bot hidden in a post: never a customer's question.
_INJECTION = Lexicon([
    "ignore all previous instructions", "ignore previous instructions",
    "ignore the above instructions", "disregard previous instructions",
    "disregard all previous", "you are now in", "system prompt", "developer mode",
])
# Someone promoting an account that "recovers" money or trades for you.
_PROMOTED = re.compile(
    r"\b(?:contact|dm|message|reach out to|reach|text|whatsapp|write to|follow)\s+(?:him|her|"
    r"them)?\s*(?:on\s+\w+\s+)?@\w*(?:recover|hack|crypto|invest|profit|trad|fx|signal|mentor|"
    r"wealth|coin|fund|asset|loan)\w*|@\w*(?:recover|hacker|profit|mentor|signals)\w*\b[^.!?\n]{0,60}?"
    r"\b(?:got|get|recovered|made|earned|helped)", re.IGNORECASE)
_SOFT_SPAM = Lexicon([
    "crypto", "bitcoin", "btc", "ethereum", "eth", "usdt", "binance", "nft", "web3",
    "forex", "invest", "investment", "profit", "earn", "whatsapp", "telegram", "wa.me", "t.me",
    "click here", "click the link", "limited time", "act now", "dm me", "inbox me",
    "send me a message", "contact him", "contact her", "contact them on", "reach out to",
    "expert", "legit", "testimony", "helped me recover", "card number", "cvv",
    "security code", "full card", "pin number", "one time passcode", "otp", "bonus",
    "deals", "offers", "review", "best rates", "find out here", "sign up", "signup", "ref",
    "loans", "loan", "cash", "free", "dm us now", "dm now", "hurry", "before midnight",
    "⭐⭐⭐⭐⭐", "💰", "💸", "📈", "🚀", "🎁", "👉", "➡️",
])
_SHORT_LINK = re.compile(r"\b(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl|cutt\.ly|rb\.gy|is\.gd|"
                         r"forms\.gle|linktr\.ee)/", re.IGNORECASE)
_REPORTING = re.compile(
    r"\b(?:i(?:'ve)? (?:got|received|had|just got|been sent) (?:a|an|this|the same|that|these) "
    r"(?:\w+ )?(?:text|email|e-mail|call|message|dm|letter|sms|link|voicemail)|is (?:this|it|that) "
    r"(?:legit|real|you|genuine|from you|one of yours)|is this a scam|looks like (?:a )?(?:scam|"
    r"phishing)|don't click|do not click|pretending to be|claiming to be|report(?:ed|ing)? "
    r"(?:it|this|them|the account)|fake account)\b", re.IGNORECASE)
_WARNING = re.compile(r"\b(?:beware|warning|heads up)\b", re.IGNORECASE)
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|net|org|biz|xyz|io|co|info|top|site|"
                  r"online|click|link|ru|cn|ly|gl|gy|gd|ee|store|win|shop|live|vip|club|icu|"
                  r"app|me|uk)\b/?", re.IGNORECASE)
_PHONE = re.compile(r"\+\d[\d ()-]{8,}\d")
# a link to a made-up official-sounding site: "brand-account-secure.com/login"
_LOOKALIKE_LINK = re.compile(
    r"\b[\w-]*-(?:secure|verify|verification|login|account|confirm|claim|claims|refund|"
    r"restore|support|help|billing|pay|payment|parcel|delivery|redeliver|bags|rewards|"
    r"compensation|eu261|care|bonus|outlet|sale|deals|promo|codes|discount|vip|giveaway|winner|"
    r"prize|gift|rewards?|offers?)[\w-]*\.(?:com|co|info|net|org|app|help|online|site|xyz|top|uk|"
    r"biz|shop|store|win|live|vip|club|icu|link)\b", re.IGNORECASE)


_HOST = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}\b", re.IGNORECASE)


def injected(text: str) -> bool:
    """Whether the post carries instructions meant for a bot ("ignore all previous
    instructions")."""
    return bool(_INJECTION.search(text))


def spam_signals(text: str, brand_words: Iterable[str] = ()) -> tuple[float, list[str]]:
    """How spam-like a post is (2 or more: spam) and the signals that said so.
    `brand_words` (the brand's name and handles, lower-case, no spaces) find look-alike
    sites: a hyphenated host carrying the brand's name ("brand-outlet.store")."""
    reasons: list[str] = []
    score = 0.0
    words = tuple(w for w in brand_words if len(w) >= 4)
    strong = _STRONG_SPAM.find(text)
    if strong:
        score += 2.0 + 0.5 * (len(strong) - 1)
        reasons += [f"'{t}'" for t in strong[:2]]
    if _LOOKALIKE_LINK.search(text) or (words and any(
            "-" in host and any(w in host.lower().replace("-", "") for w in words)
            for host in _HOST.findall(text))):
        score += 1.5
        reasons.append("look-alike link")
    soft = _SOFT_SPAM.find(text)
    if soft:
        score += 0.6 * min(len(soft), 3)
        reasons += [f"'{t}'" for t in soft[:2]]
    if _URL.search(text) and (strong or soft):
        score += 0.8
        reasons.append("link")
        if _SHORT_LINK.search(text):
            score += 0.6
            reasons.append("short link")
    if _PROMOTED.search(text):
        score += 2.0
        reasons.append("promotes a 'recovery' or trading account")
    if _PHONE.search(text):
        score += 0.8
        reasons.append("phone number")
    if text.count("#") >= 6 or text.count("@") >= 6:
        score += 1.0
        reasons.append("tag stuffing")
    if score and _REPORTING.search(text):  # a customer telling us about a scam
        score -= 3.0
        reasons.append("but reports it")
    elif score and _WARNING.search(text):
        score -= 1.5
    return score, reasons


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


def decide_action(s: Signals) -> tuple[Action, str]:
    """The action for a post, and the rule that decided it (first match wins)."""
    if s.own_account:
        return Action.MONITOR, "our own account"
    if s.impersonation:
        return Action.SPAM, f"impersonation: {s.impersonation}"
    score, why = s.spam
    if s.injection:
        return Action.SPAM, "instructions to a bot, not a customer's words"
    if score >= 2.0 and not (s.addressed and s.complaint and score < 2.6):
        return Action.SPAM, "spam: " + ", ".join(why)
    if s.news and not s.addressed:
        return Action.MONITOR, "news or markets"
    if s.escalated:
        return Action.REPLY, "escalation"
    if s.advice_to_others and not s.complaint:
        return Action.MONITOR, "advice to someone else"
    if s.competitor_only:
        return Action.MONITOR, "about a competitor"
    if not s.about_brand:
        return Action.MONITOR, "not about the brand"
    if s.sarcasm:
        return Action.REPLY, "complaint (sarcasm)"
    if s.praise and s.strong_praise and not s.question and not s.request:
        return Action.ACKNOWLEDGE, "praise or thanks"
    if s.complaint and (s.addressed or s.tagged or s.request or (s.problem and s.angry)
                        or ((s.voice or s.question)
                            and (s.negative or s.problem or s.first_person))):
        return Action.REPLY, "complaint"
    if s.complaint:
        return Action.MONITOR, "commentary: not addressed to us, no problem of the author's"
    if s.question:
        return Action.REPLY, "question"
    if s.request:
        return Action.REPLY, "request"
    if s.praise:
        return Action.ACKNOWLEDGE, "praise or thanks"
    if s.foreign and s.problem:
        return Action.REPLY, "a problem, in another language"
    if s.addressed and (s.negative or s.foreign or s.first_person or s.problem):
        return Action.REPLY, "to us: unhappy, about the author's own matter, or in another language"
    if s.negative and s.first_person:
        return Action.REPLY, "unhappy customer"
    return Action.MONITOR, "commentary"
