"""Escalation: what is dangerous goes to a person at once, whatever the complaint verdict.

Four kinds, each a list of terms with good defaults (`[escalation.KIND] terms` adds to them,
`exclude` adds false friends, `team` routes its cases):
- safety: risk to people or property from the product, service or premises;
- legal: lawyers, courts, and the industry's regulators and ombudsmen (from the pack);
- security: fraud, unauthorised transactions, account takeover, scams, data leaks;
- vulnerable: bereavement, serious illness, hardship, distress.

Context decides, not a word: each kind has false friends removed before its terms are looked
for ("fire the captain", "this deal is fire", "killing me"), and legal and vulnerable need the
customer's own voice (I, my, we; or the brand addressed): news that a bank was fined by its
regulator is not a customer going to the ombudsman.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from monitor.analysis.terms import Lexicon
from monitor.models import Escalation

DEFAULT_TERMS: dict[Escalation, tuple[str, ...]] = {
    Escalation.SAFETY: (
        "caught fire", "on fire", "set fire", "fire in", "fire at", "fire started",
        "fire broke out", "fire brigade", "fire service", "fire department", "burst into flames",
        "flames", "smoke", "smoking", "smoked", "sparks", "sparking", "sparked", "burning smell",
        "smell of burning", "smells of burning", "smells burnt", "smell burning", "scorch*",
        "burnt out", "overheat*", "too hot to touch", "melt*", "exposed wire*", "exposed cable*",
        "live wire*", "bare wire*", "wires hanging", "wires hanging out", "gas leak",
        "smell gas", "smell of gas", "carbon monoxide", "electric shock", "shocked me",
        "gave me a shock", "electrocut*", "explod*", "exploded", "blew up", "injur*",
        "hurt myself", "cut my hand", "fell on", "fell from", "collapsed", "ceiling fell",
        "came down on", "came down in", "came down from", "ceiling tile*", "tile fell",
        "nearly hit", "narrowly missed", "could have killed", "could have hurt", "shattered",
        "broken glass", "unsafe", "dangerous", "hazard*",
        "trip hazard", "a&e", "hospital with burns", "battery swell*", "swollen battery",
        "swollen", "hot to touch", "live cable*", "cables hanging", "hanging out of the wall",
        "open hole", "no barrier", "warp*", "gone soft", "hit my daughter", "hit my son",
        "hit my head", "hit her head", "hit his head", "on the head", "cut his", "cut her",
        "cut my", "slipped", "fell down", "tripped", "choking", "choke", "first aid",
        "bleeding", "concussion", "scald*", "burned my", "burnt my", "fumer", "incendie",
        "fuego", "humo", "chispas", "incendio", "feu", "fumée", "étincelles", "rauch",
        "funken", "brandgeruch", "fogo", "fumaça", "faíscas", "pożar", "dym", "iskr*",
    ),
    Escalation.LEGAL: (
        "solicitor*", "lawyer*", "attorney*", "legal action", "legal advice", "legal team",
        "take you to court", "taking you to court", "see you in court", "court", "sue",
        "suing", "sued", "lawsuit", "class action", "small claims", "small claim", "tribunal",
        "letter before action", "ombudsman", "regulator", "trading standards",
        "report you to", "reporting you to", "formal legal", "abogado", "demanda", "avocat",
        "procès", "anwalt", "klage", "advogado", "processo", "prawnik", "pozew",
    ),
    Escalation.SECURITY: (
        "fraud*", "scam", "scammed", "scammer*", "unauthori*", "didn't authorise",
        "didn't authorize", "didn't make", "did not make", "don't recognise",
        "don't recognize", "do not recognise", "unrecognised", "unrecognized",
        "not mine", "never made", "wasn't me", "was not me", "changed my number",
        "changed the mobile number", "changed my mobile number", "new payee", "payee was added",
        "payee added", "haven't added", "card was used", "used my card", "card used in",
        "someone is in my account", "someone has access", "asking for my pin",
        "asked for my pin", "asking for my code", "asked for my code", "fake account*",
        "impersonat*", "got into my account", "into my account", "in my name",
        "did none of this", "didn't do this", "did not do this", "never heard of",
        "has gone from my", "gone from my account", "money has gone", "is that you",
        "one of yours", "dmed me asking", "messaged me asking", "new device", "as the victim",
        "stolen", "may have been accessed", "been accessed", "entered my card",
        "account is empty", "never opened", "vaciado", "no he hecho", "ktoś użył", "wyciek",
        "xss", "in plain text", "plain-text password", "vulnerabilit*", "exploit*",
        "root shell", "telnet", "hacked", "hacker*", "compromised", "account takeover",
        "taken over", "took over my account", "someone logged into", "someone accessed",
        "sim swap*", "phishing", "phished", "gave them the code", "gave him the code",
        "gave her the code", "shared the code", "pretending to be you", "pretending to be from",
        "safe account", "identity theft", "stolen identity", "data breach", "data leak",
        "leaked", "someone else's account", "someone else's details", "someone else's data",
        "card was stolen", "card stolen", "stolen card", "money stolen", "money taken",
        "emptied my account", "drained my account", "fraude", "estafa", "hackeado",
        "escroquerie", "arnaque", "piraté", "betrug", "gehackt", "golpe", "oszust*",
        "włamanie",
    ),
    Escalation.VULNERABLE: (
        "passed away", "passed last", "died", "death of", "my late", "lives alone",
        "care alarm", "pendant alarm", "no formula", "baby formula", "newborn", "last £*",
        "food money", "screen reader", "hearing aid", "relay uk", "accessibility",
        "large print", "year old mum", "year old dad", "year old mother", "year old father",
        "pensioner", "elderly", "late husband",
        "late wife", "late mum", "late mom", "late dad", "late father", "late mother",
        "late partner", "bereave*", "funeral", "widow*", "probate", "executor",
        "cancer", "chemo*", "terminal illness", "terminal cancer", "terminally ill",
        "medication", "life-saving", "life saving", "hospice", "in hospital",
        "hospitalised", "hospitalized", "dementia", "alzheimer*", "stroke", "i'm disabled",
        "i am disabled", "disabled son", "disabled daughter", "disabled mum", "disabled dad",
        "disabled husband", "disabled wife", "disabled person", "disabled customer",
        "disability", "wheelchair", "blind", "deaf", "carer", "mental health", "depress*",
        "anxiety", "panic attack*", "can't afford", "cannot afford", "can't pay rent",
        "lost my job", "made redundant", "redundancy", "food bank",
        "bailiff*", "in debt", "struggling to pay", "struggling financially", "skint",
        "no money for food", "can't feed", "suicid*", "end it all", "self harm", "self-harm",
        "can't cope", "cannot cope", "breaking point", "desperate", "in tears",
        "falleció", "fallecido", "murió", "décédé", "décès", "verstorben", "gestorben",
        "faleceu", "falecido", "zmarł*",
    ),
}

# False friends, removed from the text before a kind's terms are looked for.
DEFAULT_EXCLUDE: dict[Escalation, tuple[str, ...]] = {
    Escalation.SAFETY: (
        "fire the", "fire him", "fire her", "fire them", "fire whoever", "fire someone",
        "fire your", "fire my", "fired", "is fire", "was fire", "so fire", "straight fire",
        "on fire today", "on fire this", "killing it", "smoke and mirrors", "smoke screen",
        "smokescreen", "melting pot", "hot deal", "holy smokes", "blew up my phone",
        "blowing up my phone", "explode with", "my head exploded", "mind blown",
        "dangerously good", "hurt my feelings", "melted my heart", "smoking hot",
        "exploding with notifications", "up in smoke",
    ),
    Escalation.LEGAL: (
        "food court", "court yard", "courtyard", "tennis court", "basketball court",
        "legal tender", "is that legal", "is this legal", "legally obliged to tell you",
        "sue me", "legal age", "conveyancing solicitor", "our solicitor", "my solicitor for the",
        "payment to my solicitor", "deposit to my solicitor", "power of attorney",
        "lasting power",
    ),
    Escalation.SECURITY: (
        "scam of a", "is a scam", "is a total scam", "what a scam", "such a scam",
        "daylight robbery", "fraud prevention", "not a scam", "is this a scam",
        "fraud team called", "fraud team rang", "fraud team were", "fraud team was",
        "stopped a scam", "stopped the scam", "spotted the scam", "thought i'd been hacked",
        "thought i was hacked", "thought i'd been scammed", "fraud line", "fraud team had",
    ),
    Escalation.VULNERABLE: (
        "died laughing", "nearly died", "i died", "i'm dead", "im dead", "dying to",
        "dying for", "phone died", "battery died", "router died", "app died", "it died",
        "hub died", "box died", "death by a thousand", "death stare", "death trap",
        "has died during", "broadband has died", "sim died", "line died", "line has died",
        "internet died", "wifi died", "connection died", "laptop died", "card died",
        "tv died", "box has died", "router has died", "phone has died", "signal died",
        "crying laughing", "crying with laughter", "for crying out loud", "blind spot",
        "turned a blind eye", "stroke of luck", "stroke of genius",
        "desperate for a", "can't afford to miss",
    ),
}

# Kinds that need the customer's own voice: a news story about a lawsuit or a bereavement is
# not a customer in need.
NEEDS_VOICE = frozenset({Escalation.LEGAL, Escalation.VULNERABLE})
_VOICE = re.compile(
    r"(?<![\w@#])(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself|we|we're|we've|us|our|ours|"
    r"mi|mis|yo|me|nuestro|je|j'ai|mon|ma|mes|moi|nous|notre|ich|mein|meine|mich|mir|wir|"
    r"unser|eu|meu|minha|nós|nosso|ja|mój|moja|moje|mnie|mi)(?!\w)",
    re.IGNORECASE)


def customer_voice(text: str, *, addressed: bool) -> bool:
    """Whether the post speaks for its author (first person) or to the brand."""
    return addressed or _VOICE.search(text) is not None


class EscalationRules:
    """Finds the escalation kinds a post carries, and the terms that decided each."""

    def __init__(self, *, extra_terms: Mapping[str, Sequence[str]] | None = None,
                 extra_exclude: Mapping[str, Sequence[str]] | None = None,
                 regulators: Iterable[str] = ()) -> None:
        extra_terms, extra_exclude = extra_terms or {}, extra_exclude or {}
        terms: list[tuple[str, str]] = []
        excludes: list[tuple[str, str]] = []
        for kind in Escalation:
            words = [*DEFAULT_TERMS[kind], *extra_terms.get(kind.value, ())]
            if kind is Escalation.LEGAL:
                words += list(regulators)
            terms += [(t, kind.value) for t in words]
            excludes += [(t, kind.value) for t in
                         (*DEFAULT_EXCLUDE[kind], *extra_exclude.get(kind.value, ()))]
        self.terms = Lexicon([t for t, _ in terms], labels=[k for _, k in terms])
        # each kind's false friends, kept apart so one kind's does not hide another's words
        self.excludes = {kind.value: Lexicon([t for t, k in excludes if k == kind.value])
                         for kind in Escalation}

    def detect(self, text: str, *, addressed: bool) -> list[tuple[Escalation, list[str]]]:
        """The kinds present, each with the words found (false friends left out first)."""
        voice = customer_voice(text, addressed=addressed)
        found: list[tuple[Escalation, list[str]]] = []
        candidates = self.terms.find_labelled(text)
        for kind in Escalation:
            if kind.value not in candidates or (kind in NEEDS_VOICE and not voice):
                continue
            words = self.terms.find_labelled(text, skip=self.excludes[kind.value].covered(text)
                                             ).get(kind.value, [])
            if words:
                found.append((kind, words))
        return found
