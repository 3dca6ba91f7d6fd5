"""What a reply may say about a post and its case: facts taken out of the text, never the text.

A template sees short, checked values: an amount of money ("£25"), a date ("26 October",
"Monday"), a reference the customer gave (an order or booking number, masked when it looks
like a card or account number), a place ("the Leeds branch"), a product ("Hub 3") and the
issue, a phrase chosen from the reply language's list for the intent ("the double payment")
with the words that chose it. Each is found by a strict pattern, so nothing the customer
wrote reaches a reply except these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.analysis.terms import Lexicon

_AMOUNT = re.compile(r"(?<![\w.])([£$€])\s?(\d{1,3}(?:,\d{3})+|\d{1,7})(?:\.(\d{2}))?(?![\d,])"
                     r"|(?<![\w.])(\d{1,7})(?:[.,](\d{2}))?\s?(€|euros?|zł|pln|eur)\b",
                     re.IGNORECASE)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_DATE = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + _MONTH + r")\b"
    r"|\b(" + _MONTH + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(?:since|on|last)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE)
# An order, booking, case or ticket reference as people write them: "order MC-4479011",
# "ref ABC123", "booking XK4P2Q", "#48213".
_REFERENCE = re.compile(
    r"\b(?:order|booking|ref(?:erence)?|case|ticket|claim|complaint|tracking|pnr|confirmation)"
    r"(?:\s+(?:no\.?|number|num|#|ref|code))?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{4,19})\b"
    r"|(?<![\w#])#([0-9]{4,12})\b"
    r"|\b([A-Z]{2,4}-\d{4,12})\b",
    re.IGNORECASE)
_LONG_DIGITS = re.compile(r"^\d[\d -]{7,}\d$")
_PLACE = re.compile(
    r"\b(?:in|at|from|outside)\s+(?:the\s+|your\s+|our\s+)?([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)\s+"
    r"(branch|store|shop|office|airport|station|depot|exchange)\b"
    r"|\b(?:your|the)\s+(branch|store|shop)\s+(?:in|on|at)\s+([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)\b")
# A product as brands name them: a capitalised name with a model number ("Hub 3",
# "Fibre 500", "Pixel 8 Pro").
_PRODUCT = re.compile(r"\b([A-Z][a-zA-Z]{1,15}(?:\s[A-Z][a-zA-Z]{1,15})?\s\d{1,4}"
                      r"(?:\s?(?:Pro|Plus|Max|Mini|Lite|GB|Mbps|Ultra))?)\b")
_DMED = re.compile(
    r"\b(?:i(?:'ve| have)?|we(?:'ve| have)?|just|already)\s+(?:already\s+|just\s+)?"
    r"(?:dm'?e?d|dm'?d|messaged(?!\s+me\b)|sent (?:you|u|a|the|my)(?:\s+\w+){0,3}\s+(?:dm|message|"
    r"details)|"
    r"direct messaged|inboxed|pm'?e?d)\b"
    r"|\b(?:check|see|read|answer|reply to|look at|update on|response to|news on)\s+"
    r"(?:my|your|the|ur|our)\s+(?:dms?|inbox|messages?|pm|direct message)\b"
    r"|\b(?:dm'?e?d|dm'?d|messaged|inboxed|pm'?e?d)\s+(?:you|u|ya|your team|you guys)\b"
    r"|\bsent\s+(?:you\s+|u\s+)?(?:a\s+|my\s+|the\s+)?(?:dm|direct message|pm)\b"
    r"|\b(?:already|i(?:'ve)?)\s+(?:sent|given|gave)\s+(?:you\s+)?(?:all\s+)?(?:my|the)\s+"
    r"(?:details|info|information|account number|order number|booking reference)\b"
    r"|\b(?:mandei|enviei)\s+(?:uma\s+)?(?:dm|mensagem)|\bj[áa]\s+mandei\b"
    r"|\b(?:in|sent to|in your)\s+(?:your\s+)?(?:dms?|inbox)\b"
    r"|\b(?:te envi[ée] (?:un )?(?:md|dm|mensaje)|je vous ai (?:envoy[ée]|écrit) (?:un )?(?:dm|mp|"
    r"message)|ich habe (?:euch|ihnen|dir) (?:eine )?(?:dm|nachricht) geschickt|"
    r"(?:enviei|mandei) (?:uma )?(?:dm|mensagem)|wysła(?:łem|łam) (?:wam )?(?:dm|wiadomość))\b"
    # "DMs sent", "DMed @help", "my DM from Friday", "details are in the DM", "as per my DM",
    # "replied to your DM", "messaged your help account", "emailed three times"
    r"|\b(?:dms?|direct messages?|private messages?|pms?)\s+(?:sent|done|already sent)\b"
    r"|\b(?:dm|pm)(?:'|’)?e?d\b|\bsent\s+(?:you|u|y'?all|ya)\s+(?:a\s+)?(?:dm|direct message|"
    r"private message|pm|message)\b|\bsent\s+(?:a\s+)?private message\b"
    r"|\b(?:check|checked|checking|see|seen|read|answer|answered|look at|looked at)\s+"
    r"(?:your\s+|ur\s+|the\s+)?dms\b"
    # "no answer to my DM", "my DM being ignored", "the DM team said", "got a DM back",
    # "sent you everything you asked for", "sent his certificate to you three times"
    r"|\b(?:to|on|about)\s+my\s+(?:dm|pm|direct message)s?\b"
    r"|\bmy\s+(?:dm|pm|message)s?\s+(?:being|been|is being|was|were|got|getting)\b"
    r"|\bthe\s+dm\s+team\b|\b(?:dm|message|reply)\s+back\s+from\b"
    r"|\bsent\s+(?:you|u)\s+(?:everything|all|it all|the lot|what you asked)"
    r"|\b(?:i(?:'ve| have)?|already)\s+(?:now\s+|already\s+|just\s+)?sent\s+(?:\w+\s+){1,4}to\s+"
    r"(?:you|u)\b"
    r"|\bich habe\s+(?:\w+\s+){0,3}(?:eine\s+)?(?:dm|nachricht)\s+geschickt\b"
    # "gave all her details on the phone", "sent Dad's death certificate through your secure
    # messages", "asked me to DM, I did", "per DM alles geschickt", "os mandé todo"
    r"|\b(?:sent|given|gave)\s+(?:you\s+)?(?:all\s+)?(?:my|the|her|his|their|our)\s+(?:\w+\s+)?"
    r"(?:details|info|information|documents|paperwork)\b"
    r"|\bsecure messag\w*|\basked (?:me )?to (?:dm|message)\b[^.!?\n]{0,10}\bi did\b"
    r"|\bper (?:dm|pn|nachricht)\b[^.!?\n]{0,40}\bgeschickt\b"
    r"|\b(?:os|te|les|le) mand[ée]\b|\bmand[ée] todo\b|\bpor mensaje privado\b"
    # reached us another way: "DMing you now", "called your fraud line", "I emailed
    # complaints@", "filled in your online form twice", "posted it twice", "already uploaded",
    # "explained to 4 different people", a post opening "Called Monday, ..."
    r"|\bdm'?ing (?:you|u)\b|\b(?:i(?:'ve| have)? )?(?:called|rang|rung|phoned|emailed|e-mailed|"
    r"messaged|wrote to) (?:your|you|the|them|complaints|customer)\b|\bi (?:called|rang|"
    r"phoned|emailed)\b|(?:^|[.!?]\s+|@\w+\s+)(?:called|rang|phoned|emailed|messaged|dm'?e?d|"
    r"wrote to|chatted|pinged|contacted (?:you|your|the|them))\b"
    r"|\bfilled (?:in|out) (?:your|the|their|an?) (?:\w+ ){0,2}form\b"
    # "sent it in through their feedback form", "through the secure upload", "as I said in my
    # message", "gave your fraud team my details", "i've rung twice", "per E-Mail geschickt"
    r"|\b(?:through|via|on|using) (?:your|the|their) (?:\w+ ){0,2}(?:form|upload|portal)\b"
    r"|\bsecure upload\b|\b(?:said|wrote|explained|told you) in my (?:message|email|e-mail|dm|"
    r"letter|complaint)\b|\bgave (?:you|them|your (?:\w+ ){0,2}team|the (?:\w+ ){0,2}team) "
    r"(?:all )?(?:my|the|her|his) (?:\w+ )?details\b|\bi(?:'ve| have) (?:rung|rang)\b"
    r"|\bper e-?mail\b[^.!?\n]{0,80}\bgeschickt\b|\bunterlagen\b[^.!?\n]{0,40}\bgeschickt\b"
    r"|\b(?:posted|sent|uploaded|emailed|faxed) (?:it|them|the \w+|my \w+|her \w+|his \w+) "
    r"(?:twice|three times|again|\d+ times)\b|\balready (?:uploaded|sent|submitted|provided)\b"
    r"|\bexplained (?:it |this )?to (?:\d+|two|three|four|five|several) (?:different )?"
    r"(?:people|agents|advisers|advisors)\b"
    r"|\b(?:replied|responded)\s+to\s+(?:your|the|ur)\s+(?:dm|message)\b"
    r"|\b(?:my|the)\s+(?:dm|direct message|pm)s?\s+(?:from|on|since|of|is|are|still|has|have|"
    r"sent)\b|\bin\s+(?:the|my|your|ur)\s+dms?\b|\bper my (?:dm|message|email)\b"
    r"|\bmessaged\s+(?:your|you|the)\b|\balready in touch\b"
    r"|\b(?:emailed|e-mailed|rang|called|phoned)\s+(?:you\s+|your\s+\w+\s+)?(?:twice|three times|"
    r"\d+ times|several times|multiple times|already|again)\b"
    r"|\b(?:gave|given|sent)\s+(?:you\s+)?(?:all\s+)?(?:my|the)\s+details\b"
    # "dropped you a DM", "shot you guys a message", "pinged you", "slid into your DMs",
    # "Messaged on Tuesday", "sent the screenshots over DM", "used the live chat", "raised it
    # through the in-app chat", "the chat team have my reference", "sent over my details"
    r"|\b(?:dropped|shot|fired|popped|pinged|sent|slid)\s+(?:you|u|ya|y'?all|your team)\s+"
    r"(?:guys\s+|all\s+)?(?:a\s+|an\s+)?(?:dm|message|msg|note|line|email|e-mail|pm)\b"
    r"|\bslid into (?:your|ur|the) dms?\b|\bpinged (?:you|u|your|the)\b"
    r"|\b(?:sent|talking|chatting|speaking|spoke|explained|gave|been)\b[^.!?\n]{0,40}\bover "
    r"(?:dms?|direct messages?|pms?|chat|whatsapp|messenger|email)\b"
    r"|\b(?:used|been on|was on|spent \w+ on|contacted you (?:on|via|through)) (?:the |your |ur )?"
    r"(?:live |web |in-app |app |online )?chat\b"
    r"|\b(?:contacted (?:you|your \w+|the \w+)|raised (?:it|this)|reported (?:it|this))\b"
    r"[^.!?\n]{0,30}\b(?:chat|dms?|messages?|app|email|phone|form|twice|times|already)\b"
    r"|\b(?:you|your (?:\w+ )?team|the (?:\w+ )?team|they) (?:already )?(?:have|has) (?:all )?"
    r"(?:my|the) (?:details|reference|info|number|documents|screenshots)\b"
    r"|\bsent over (?:my|the|all)\b"
    # the same in Spanish, French, German, Portuguese and Polish: "os escribí por privado",
    # "os he enviado un mensaje", "déjà envoyé en MP", "habe euch schon geschrieben", "te chamei
    # no direct", "napisałem do was", "pisałam na priv"
    r"|\b(?:os|les|te) (?:he |hemos )?(?:escrib[ií](?:mos)?|escrito|enviad[oa]|envi[ée]|"
    r"enviamos|mand[ée]|mandamos|mandado)\b"
    r"|\b(?:j'ai |nous avons )?(?:déjà )?(?:envoy[ée]\w*|écrit)\b[^.!?\n]{0,20}\b(?:en mp|en dm|"
    r"par mp|par message|au service|à votre|au support|en privé)\b"
    r"|\b(?:habe|haben) (?:euch|ihnen|dir|dem \w+) (?:schon |bereits )?(?:\w+ ){0,3}"
    r"(?:geschrieben|geschickt|gemailt)\b|\b(?:habe|haben) (?:schon |bereits )?(?:eine )?"
    r"(?:mail|e-mail|nachricht|dm) (?:geschrieben|geschickt)\b"
    r"|\b(?:te |vos )?chamei no (?:direct|privado|dm|chat)\b|\bno privado\b"
    r"|\b(?:na|przez) priv\b|\bnapisa(?:łem|łam|liśmy) (?:do was|wam|na)\b"
    r"|\bwysła(?:łem|łam|liśmy)\b",
    re.IGNORECASE)
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten")


@dataclass(frozen=True, slots=True)
class IssueRule:
    """The issue phrase for an intent when the post has one of `terms`."""

    terms: Lexicon
    phrase: str


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What one post says that a reply may repeat."""

    amount: str = ""
    date: str = ""
    reference: str = ""
    place: str = ""
    product: str = ""
    already_dmed: bool = False
    issue: str = ""
    issue_terms: tuple[str, ...] = field(default_factory=tuple)


def mask(reference: str) -> str:
    """A reference safe to repeat: a long run of digits (a card or account number) keeps
    only its last four."""
    if _LONG_DIGITS.match(reference) and sum(ch.isdigit() for ch in reference) >= 8:
        return "••••" + "".join(ch for ch in reference if ch.isdigit())[-4:]
    return reference


def find_amount(text: str) -> str:
    """The first amount of money, as "£25", "£1,200.50" or "40 €"."""
    match = _AMOUNT.search(text)
    if match is None:
        return ""
    if match.group(1):
        pence = f".{match.group(3)}" if match.group(3) else ""
        return f"{match.group(1)}{match.group(2)}{pence}"
    cents = f",{match.group(5)}" if match.group(5) else ""
    unit = match.group(6).lower()
    unit = {"euro": "€", "euros": "€", "eur": "€", "pln": "zł"}.get(unit, unit)
    return f"{match.group(4)}{cents} {unit}"


def find_date(text: str) -> str:
    """The first date: "26 October", "Monday"."""
    match = _DATE.search(text)
    if match is None:
        return ""
    if match.group(1):
        return f"{int(match.group(1))} {_month(match.group(2))}"
    if match.group(3):
        return f"{int(match.group(4))} {_month(match.group(3))}"
    return match.group(5).capitalize()


def _month(word: str) -> str:
    prefix = word.lower()[:3]
    return next((m.capitalize() for m in _MONTHS if m.startswith(prefix)), word)


def find_reference(text: str) -> str:
    """The first order, booking or case reference, masked if it looks like a card or
    account number."""
    for match in _REFERENCE.finditer(text):
        value = next(g for g in match.groups() if g)
        if any(ch.isdigit() for ch in value):
            return mask(value.upper() if not value.isdigit() else value)
    return ""


def find_place(text: str) -> str:
    """A named branch, store or airport: "the Leeds branch"."""
    match = _PLACE.search(text)
    if match is None:
        return ""
    if match.group(1):
        return f"the {match.group(1)} {match.group(2).lower()}"
    return f"the {match.group(4)} {match.group(3).lower()}"


def find_product(text: str) -> str:
    """A product named with its model number: "Hub 3", "Fibre 500"."""
    match = _PRODUCT.search(text)
    return match.group(1) if match else ""


def already_dmed(text: str) -> bool:
    """Whether the author says they already sent us a direct message or their details."""
    return _DMED.search(text.replace("’", "'")) is not None


def by_direct_message(text: str) -> bool:
    """Whether the post speaks of a direct message (else they reached us another way: a
    call, an email, a form)."""
    return _DM_WORDS.search(text) is not None


_DM_WORDS = re.compile(r"\b(?:dm\w*|pm'?e?d|pms?|direct messag\w*|private messag\w*|inbox\w*|"
                       r"messag\w*|md|mp|mensaje|mensagem|nachricht|wiadomoś\w*)\b",
                       re.IGNORECASE)


def choose_issue(text: str, rules: tuple[IssueRule, ...],
                 default: str) -> tuple[str, tuple[str, ...]]:
    """The issue phrase of the first rule whose terms the post has (and those words), else
    the intent's default phrase."""
    for rule in rules:
        found = rule.terms.find(text)
        if found:
            return rule.phrase, tuple(found)
    return default, ()


def post_facts(text: str, *, rules: tuple[IssueRule, ...] = (), default_issue: str = "",
               analysed_chars: int = 4_000) -> PostFacts:
    """Everything a reply may repeat from one post (read from its first `analysed_chars`)."""
    head = text[:analysed_chars]
    issue, terms = choose_issue(head, rules, default_issue)
    return PostFacts(amount=find_amount(head), date=find_date(head),
                     reference=find_reference(head), place=find_place(head),
                     product=find_product(head), already_dmed=already_dmed(head),
                     issue=issue, issue_terms=terms)


def waited(since: datetime, now: datetime) -> str:
    """How long someone has waited, in words a reply can use: "3 days", "5 hours", ""."""
    gap = now - since
    if gap < timedelta(hours=1):
        return ""
    if gap < timedelta(days=1):
        hours = int(gap.total_seconds() // 3600)
        return "an hour" if hours == 1 else f"{hours} hours"
    days = gap.days
    if days < 14:
        return "a day" if days == 1 else f"{days} days"
    weeks = days // 7
    return f"{weeks} weeks"


def count_word(n: int) -> str:
    """A small count in words ("three"), a larger one in digits."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
