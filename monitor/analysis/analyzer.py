"""The analyzer: everything analysis concludes about one post, and the reasons for each."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.analysis.contacted import already_dmed
from monitor.analysis.cues import (
    CASHTAG,
    DONE_FOR_US,
    EVENT_TOLD,
    EXPLICIT_PRAISE,
    FOREIGN_NOT_THANKS,
    FOREIGN_PRAISE,
    GRATITUDE,
    HANDLE_LIKE,
    HARD_TIME_PAST,
    IMITATOR_TOLD,
    LEGAL_NEWS,
    NOT_NOW,
    OPINION,
    OWN_STEP,
    PRAISE_WORDS,
    PSA_OPENING,
    PUT_RIGHT,
    RELIEF,
    SARCASM_MARK,
    SCAM_VERDICT,
    SPEAKS_AS_I,
    STAFF,
    STAKE,
    TAKE,
    WAS_ME,
    failed_beside,
    praise_said,
    put_right,
    said_outside,
    still_wrong,
    thanks_to_close,
    went_well,
)
from monitor.analysis.escalation import EscalationRules, customer_voice
from monitor.analysis.failing import (
    BACK,
    DOWN_HINTS,
    FAILING,
    FOREIGN_FAILING,
    FOREIGN_VOICE,
    GONE_HINTS,
    MALFUNCTION,
    OUTRIGHT,
    SAME_IN_PLACE,
    SERVICE_DOWN,
    SERVICE_GONE,
    WHEN_BACK,
)
from monitor.analysis.intents import IntentScore, IntentScorer
from monitor.analysis.language import detect_language
from monitor.analysis.onlookers import (
    COMMENTARY,
    GLOAT,
    JOKE,
    NOT_A_CUSTOMER,
    NOT_THE_OUTAGE,
    PAST_OUTAGE,
    TO_CUSTOMERS,
)
from monitor.analysis.sentiment import brand_label, sarcastic, vader
from monitor.analysis.spam import injected, spam_signals
from monitor.analysis.spam_model import SpamModel
from monitor.analysis.terms import BrandTerms, Folded, Lexicon
from monitor.analysis.triage import Impersonation, Signals, decide_action, skeleton
from monitor.complaint_model import ComplaintModel
from monitor.models import (
    OTHER,
    PRAISE,
    QUESTION,
    Action,
    Analysis,
    Escalation,
    Mention,
    Priority,
    Sentiment,
)
from monitor.packs import Pack, load_pack

# Analysis reads at most this much of a post (the whole text is stored): VADER's negation
# and idiom checks are quadratic, and a long post says what it is about early on.
ANALYSED_CHARS = 4_000
# An intent score at which a question is about that intent ("how do I cancel my contract")
# rather than a plain information question ("does it support eSIM?").
STRONG_INTENT = 2.0

QUESTION_START = re.compile(
    r"^(?:@\w+\s+)*(?:how|what|when|where|why|who|which|does|do|is|are|can|could|will|would|"
    r"should|any ?one|anybody|has|have|¿|qu[eé]|como|cómo|pourquoi|comment|est-ce|wie|warum|"
    r"kann|czy|jak|dlaczego)\b(?!'t|’t|n't)"
    # (a way of telling, not asking: "Can we talk about how the pilot ...", "can we all just
    # appreciate")
    r"(?! we (?:all |just |please )*(?:talk about|appreciate|acknowledge|take a (?:moment|sec)))",
    re.IGNORECASE)
_REQUEST = Lexicon([
    "please", "pls", "plz", "can you", "could you", "would you", "help me", "need help",
    "check my dm", "check your dm", "check dm", "dm me", "call me", "ring me", "get back to me",
    "sort this", "sort it", "any update", "any news", "still waiting", "waiting for",
    "chasing", "reply to", "respond to", "contact me", "look into", "por favor", "ayuda",
    "s'il vous plaît", "svp", "aidez", "bitte", "hilfe", "ajuda", "proszę", "pomocy",
])
# What a customer praises a company for (a namesake's praise has none of it).
_SERVICE = Lexicon([
    "service", "staff", "team", "helped", "helping", "helpful", "sorted", "customer*", "app",
    "branch", "store", "shop", "agent", "support", "advisor", "adviser", "cashier", "manager",
    "engineer", "delivery", "delivered", "order", "parcel", "refund*", "account", "switch*",
    "call", "phoned", "rang", "chat", "website", "fixed", "replaced", "replacement", "arrived",
    "product", "quality", "price*", "bought", "ordered",
])
_NEWS = Lexicon([
    "share price", "shares", "stock", "ftse", "nasdaq", "nyse", "dividend", "investors",
    "analysts", "earnings", "revenue", "profit", "profits", "pre-tax", "quarterly",
    "half-year", "results", "q1", "q2", "q3", "q4", "ceo", "chief executive", "announces",
    "announced", "to close", "job cuts", "job losses", "jobs at risk", "fined", "fine of",
    "acquisition", "acquire", "merger", "takeover bid", "according to", "report says",
    "reports", "reported", "breaking", "press release", "spokesperson", "said in a statement",
    "market share", "valuation", "ipo", "hiring", "we're hiring", "vacancy", "vacancies",
    "job opening", "apply now", "#jobs", "careers", "podcast", "episode", "webinar",
    "recall", "recalls", "recalled", "full story", "told to", "regulator", "watchdog",
    "explainer", "what it means", "everything you need to know", "plc", "h1", "h2", "fy",
    "lfl", "like-for-like", "consensus", "guidance", "yield", "cet1", "premarket",
    "pre-market", "tells me", "price target", "analyst*", "ask hn", "show hn",
    "trading update", "net interest margin", "nim compression", "the sector",
    "not investment advice", "not financial advice", "x book", "bank cites", "cites",
    # a report of what others say, a statement, a job ad
    "passengers report", "customers report", "users report", "customers reported",
    "members report", "members reported", "the society says", "says it is investigating",
    "passengers reported", "says it is working", "says it's working", "said it was working",
    "airline says", "bank says", "the company says", "the firm says", "statement:",
    "recruitment", "open day", "open days", "apply at", "apply via", "now recruiting",
    "join our team", "positions available", "we are recruiting", "blames", "blamed on",
    "the lender", "lender's", "promet", "annonce", "a annoncé", "selon", "communiqué",
    "anuncia", "anunció", "según", "comunicado", "kündigt", "segundo o", "ogłosił", "według",
])
_ADVICE = Folded(
    r"\b(?:you should|you need to|you could|you can|you'll|you will|just (?:ring|call|phone|"
    r"email|message|dm|ask|go|switch|complain|chat)|try (?:ringing|calling|the|their|them)|"
    r"ring them|call them|contact them|complain to them|get on to them|tell them|ask them|"
    r"i'd (?:ring|call|go|just)|i would (?:ring|call|go|just)|worked for me|did it for me|"
    r"just (?:take|send|escalate|report) it|take it to|escalate (?:it )?to|go to the|"
    r"don't give up|mate|hun|op|psa|for anyone(?! else)|if (?:you|your)|write to your|hang up|"
    r"don't suffer|do not suffer|ask for (?:the|a|it)|raise a (?:formal )?complaint|"
    r"stop blaming|don't bother with)\b"
    # a sentence that tells someone what to do: "Block the buyer.", "Never ring the number in
    # the text.", "Ask the broker in writing"
    r"|(?:^|[.!?]\s+)(?:block|ask|call|ring|phone|report|contact|tell|avoid|ignore|delete|"
    r"never (?:ring|call|click|share|give|send|reply)|don't (?:ring|call|click|share|give|send|"
    r"reply|pay)|do not (?:ring|call|click|share|give|send|reply|pay))\s+(?:the|them|it|your|"
    r"their|this|that|a|an|him|her|any)\b")
_FIRST_PERSON_PROBLEM = re.compile(
    r"\b(?:my|i've been|i have been|i'm|i am|i can't|i cant|i paid|i was|i got|we've|our|"
    r"mine (?:too|as well|also|neither)|me too|same (?:here|for me|with me))\b",
    re.IGNORECASE)
# (a quote opens after a space or a colon, so "haven't ... It's" is no quote)
# what an outage told about afterwards still costs the author ("I have 20 minutes of edits that
# never synced")
_STILL_HURT = re.compile(r"\b(?:never|lost|missing|gone|charged|still|can't|cannot|won't)\b",
                         re.IGNORECASE)
_QUOTED = re.compile(r"(?:^|(?<=[\s:]))['‘\"“](?=\S)[^’\"”\n]{12,}?['’\"”](?![A-Za-z])")
_OUTLET = re.compile(r"\bour (?:interview|reporter|correspondent|analysis|story|coverage|podcast|"
                     r"newsletter|editor|business editor|guest|report|investigation)\b",
                     re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|you'll|mate|op|hun)\b", re.IGNORECASE)
_LEADING_HANDLES = re.compile(r"^(?:\s*@[\w.@-]+)+")
_ANGRY_EMOJI = re.compile("[\U0001F92C\U0001F621\U0001F624\U0001F620\U0001F44E\U0001F494"
                          "\U0001F612\U0001F644\u274C]")



# Talk about what people post, not about the service: "the #xdown replies are pure poetry".
_ABOUT_THE_TAG = re.compile(r"\b(?:replies|tweets|posts|memes|trending|timeline|jokes|hashtag|"
                            r"comments|downdetector)\b", re.IGNORECASE)
# A legal step under way, however lightly told: "filing a small claims case", "So I did. Case
# number came through".
_STEP_TAKEN = re.compile(r"\b(?:filing|filed|case number|reference number|so i did|claim form|"
                         r"hearing)\b", re.IGNORECASE)
# Laughing at it: the post is a joke.
_LAUGH = re.compile("\U0001F602|\U0001F923|\U0001F480|\\blol\\b|\\blmao\\b|\\blmfao\\b|\\bhaha",
                    re.IGNORECASE)
_OUR_ANSWER = re.compile(r"\b(?:got|had|received|get)\s+(?:a\s+)?(?:dm|message|reply|answer|"
                         r"response)\s+back\s+from\b", re.IGNORECASE)
# A one-word question that asks nothing: "and honestly? Fair.", "who knew?", "right?"
_RHETORICAL = re.compile(r"(?:^|(?<=[\s,.!?:;]))(?:and |but |so )?(?:honestly|seriously|right|"
                         r"really|tbh|ngl|who knew|guess what|why not|you know what|surprise|"
                         # "Who are you, Amazon?": amazement, not a question
                         r"who are you(?:,? [\w&' ]{2,20})?)\s*\?+", re.IGNORECASE)
# A headline, not a question: "How Grackle Bank cut card authorization latency to 40ms".
_HEADLINE = re.compile(r"^(?i:how|why|what|when) (?:[A-Z][\w&'.-]*\s)+(?!is\b|are\b|do\b|does\b)"
                       r"[a-z]+[^?]*$")
# "I think", "I reckon": an opinion's hedge, no stake of the author's.
_HEDGE = re.compile(r"\bi (?:think|believe|reckon|guess|suppose)\b|\bimh?o\b", re.IGNORECASE)
# "... Help" at the end of a post: asking for help, in one word.
_HELP_END = re.compile(r"(?<!seek )(?<!get some )(?<!professional )\b(?:help|help us|help me)"
                       r"\s*[!.?\U0001F64F\s]*$", re.IGNORECASE)


def praises(text: str, *, explicit: bool = False) -> bool:
    """Whether the post has words of praise or thanks ("brilliant", "thanks"); with
    `explicit`, praise said in so many words ("shout out to", "would recommend")."""
    return (EXPLICIT_PRAISE.search(text) is not None
            or (not explicit and PRAISE_WORDS.search(text) is not None))


def asks(text: str) -> bool:
    """Whether the post asks us something or for something (a question, "please", "can you")."""
    stripped = _ASIDE.sub("", text)  # "(Bev I think?)" asks nothing
    return "?" in stripped or _REQUEST.search(_NOT_A_REQUEST.sub("", text)) is not None


_ASIDE = re.compile(r"\([^()]{0,80}\)")
# Request words that ask nothing: "thanks for chasing", "didn't call me 'hun'", "more of this
# please".
_NOT_A_REQUEST = re.compile(
    r"\bfor\s+(?:the\s+|actually\s+)?chasing\b|\b(?:after|worth)\s+(?:the\s+)?(?:chasing|waiting)\b|"
    r"\b(?:of|without)\s+(?:any\s+)?chasing\b|"
    r"\b(?:didn't|did not|never|without)\s+(?:\w+\s+)?call(?:ing|ed)?\s+me\b|"
    r"\bmore of (?:this|that|these)\W*(?:please|pls|plz)\b|\b(?:keep it up|do more of)\b",
    re.IGNORECASE)


# Posts about the brand that are not a customer's: hauls and sponsored posts, staff talking
# about their work, a discussion thread.
_COMMENTARY = Lexicon([
    "haul", "#ad", "ad |", "gifted", "try-on", "try on haul", "#gifted", "#sponsored",
    "my team at", "our team at", "i work at", "i work for", "my colleagues at", "on shift",
    "my shift", "our branch team",
    "ask hn", "show hn", "thread on", "design smell", "hot take",
    # a writer pointing to their own piece: "My column today:", "my piece", "🧵"
    "my piece", "my column", "my latest column", "my article", "my newsletter", "my blog post",
    "my podcast", "full piece", "🧵",
])


def _is_news(text: str, *, voice: bool, addressed: bool) -> bool:
    """News, markets, jobs or commentary rather than a customer speaking: news words with no
    customer voice, or several of them (a reporter may write "the bank told me"). `voice`:
    whether the whole text speaks for its author."""
    found = _NEWS.find(text)
    if not found:
        return False
    # a report speaks in others' words: "CEO Helen Marwick: 'We are not closing branches'",
    # "Our interview on ...": quoted speech and the outlet's own "our" are not a customer
    reported = _OUTLET.sub(" ", _QUOTED.sub(" ", text))
    if reported != text:
        voice = customer_voice(reported, addressed=addressed)
    first_person = _FIRST_PERSON_PROBLEM.search(reported) is not None
    return not voice or (len(found) >= 2 and not first_person)
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b")


def score_priority(
    *,
    complaint: bool,
    question: bool,
    compound: float,
    shouting: bool,
    addressed: bool,
    followers: int | None,
    repeat_contacts: int,
    escalations: Sequence[str],
    high_reach: int = 10_000,
) -> tuple[Priority, tuple[str, ...]]:
    """Priority from escalation, anger, reach, repeat contact and whether we were addressed."""
    if escalations:
        return Priority.URGENT, (f"priority:escalation({', '.join(escalations)})",)
    points = 2 if complaint else 1 if question else 0
    reasons: list[str] = []
    if points:
        if compound <= -0.6 or shouting:
            points += 1
            reasons.append("priority:angry")
        if addressed:
            points += 1
            reasons.append("priority:addressed-brand")
        if followers is not None and followers >= high_reach * 10:
            points += 2
            reasons.append(f"priority:reach({followers})")
        elif followers is not None and followers >= high_reach:
            points += 1
            reasons.append(f"priority:reach({followers})")
        if repeat_contacts >= 2:
            points += 1
            reasons.append(f"priority:repeat-contact({repeat_contacts})")
    if points >= 5:
        return Priority.URGENT, tuple(reasons)
    if points >= 3:
        return Priority.HIGH, tuple(reasons)
    if points >= 1:
        return Priority.NORMAL, tuple(reasons)
    return Priority.LOW, tuple(reasons)


@dataclass(frozen=True, slots=True)
class Post:
    """What analysis needs of a mention (small, so it travels to a worker process cheaply)."""

    text: str
    followers: int | None = None
    repeat_contacts: int = 0
    handle: str | None = None
    display_name: str | None = None
    lang: str | None = None
    # a link shared on Hacker News, its title and nothing more: a headline, whoever posts it
    headline: bool = False

    @classmethod
    def of(cls, mention: Mention, *, repeat_contacts: int = 0) -> Post:
        """The facts of a mention that analysis reads."""
        return cls(mention.text, mention.author.followers, repeat_contacts,
                   mention.author.handle, mention.author.display_name, mention.lang,
                   headline=(mention.platform == "hackernews" and mention.in_reply_to is None
                             and "\n" not in mention.text.strip()))


class Analyzer:
    """Scores posts for one brand: VADER, the complaint model, the brand's terms, its
    industry pack, and the escalation rules, each compiled once."""

    def __init__(
        self,
        terms: BrandTerms | None = None,
        *,
        pack: Pack | None = None,
        escalation: EscalationRules | None = None,
        model: ComplaintModel | None = None,
        complaint_threshold: float | None = None,
        high_reach: int = 10_000,
        spam_model: SpamModel | None | bool = True,
    ) -> None:
        terms = terms or BrandTerms()
        self.matcher = terms.matcher()
        self.has_terms = bool(terms.keywords or terms.hashtags or terms.handles)
        self.pack = pack or load_pack("telecom")
        self.intents = IntentScorer(self.pack)
        self.customer = Lexicon(self.pack.customer_terms)
        self.escalation = escalation or EscalationRules(regulators=self.pack.regulators)
        # The brand named as a name: a name of several words in any case ("kestrel bank"),
        # a one-word name as written in the config ("Kestrel", not the bird "kestrel").
        name = terms.name.strip()
        self._brand_name = (None if not name else re.compile(
            r"(?<!\w)" + re.escape(name) + r"(?!\w)", re.IGNORECASE if " " in name else 0))
        names = [re.escape(k) for k in (*terms.keywords, terms.name) if k]
        # "<brand> down?", "is <brand> app down": an outage in any pack that has one (not the
        # share price: "$HRBR down 1.8%")
        plain = [n for n in names if not n.startswith(re.escape("$"))]
        self._brand_down = re.compile(
            r"(?<!\w)(?:" + "|".join(plain) + r")(?:'s)?\s+(?:(?!shares|stock|price)\w+\s+)?"
            r"(?:is\s+|still\s+)?"
            r"(?:down|offline|not working|broken)\b", re.IGNORECASE) if plain else None
        brand = "|".join(names) if names else r"(?!x)x"
        # staff and jobs: "my brother's worked at Tern Bank for 12 years", "working in Larkspur
        # customer service", "Coralnet is hiring"
        self._staff = re.compile(
            # (not "the cashier at Tern Bank gave my son a sticker": staff met, not the author)
            r"\b(?:works?|worked|working|employed|been an? [\w-]+|started|retired|job|jobs|"
            r"(?<!the )(?<!your )(?<!their )(?:manager|cashier|engineer|intern)|shift|"
            r"day \d+ of working)\s+(?:\w+\s+){0,2}?"
            r"(?:at|for|in|with)\s+(?:the\s+|a\s+)?(?:" + brand + r")\b|"
            r"(?:" + brand + r")(?:'s)?\s+"
            r"(?:is|are)\s+(?:now\s+)?hiring\b|\b(?:day|week|month|year) \d+ of [\w ]{3,40}? at "
            r"(?:" + brand + r")\b|\b(?:manager|engineer|lead|director|dev|developer|pm|"
            r"designer) on the (?:" + brand + r")\b[\w ]{0,30}\bteam\b", re.IGNORECASE)
        # us as the good example beside another company's failure: "at least Larkspur give
        # you a receipt", "should've gone with Tern Bank", "flatmate's on Coralnet"
        self._compared = re.compile(
            r"\b(?:at least|unlike|should(?:'ve| have) gone with|go back to|going back to|"
            r"(?:friend|sister|brother|mum|dad|partner|flatmate|colleague)(?:'s| is)? (?:with|on)"
            r")\s+(?:the\s+)?(?:" + brand + r")\b", re.IGNORECASE)
        self.impersonation = Impersonation(terms.handles, brand=terms.name)
        # competitors' own accounts (their `@handle` terms): what they post is theirs
        self._competitor_accounts = frozenset(
            w.lstrip("@").lower() for _, words in terms.competitors for w in words
            if w.startswith("@"))
        self.spam_model: SpamModel | None = (SpamModel.load() if spam_model is True
                                             else spam_model or None)
        self._brand_words = tuple(dict.fromkeys(
            re.sub(r"[\W_]+", "", w.lower().split("@")[0])
            for w in (terms.name, *terms.name.split(), *terms.keywords, *terms.handles) if w))
        self.vader = vader()
        self.model = model or ComplaintModel.load()
        self.threshold = complaint_threshold
        self.high_reach = high_reach

    def _imitator_named(self, text: str) -> str | None:
        """A handle-like name in the text ("@BankHeIp", "Bank_Help_Desk", "BankAyuda") that
        imitates the brand's handles and is not one of them, or None."""
        if IMITATOR_TOLD.search(text) is None:
            return None
        for token in HANDLE_LIKE.findall(text):
            # an altered name (look-alike letters, an official-sounding ending), not just the
            # brand's own name or a handle of ours the configuration does not list
            if skeleton(token) != re.sub(r"[\W_]+", "", token.lower()) and (
                    self.impersonation.check(token, None)):
                return token
        return None

    @staticmethod
    def _service_down(text: str) -> str | None:
        """The words saying a service is down or failing for many ("is it just me?", "503",
        "se ha caído"), in any pack, else None."""
        lower = text.lower()
        first = ((SAME_IN_PLACE.search(text) or SERVICE_DOWN.search(text))
                 if any(hint in lower for hint in DOWN_HINTS) else None)
        if first is None:
            gone = (SERVICE_GONE.search(text) if any(hint in lower for hint in GONE_HINTS)
                    else None)
            return gone.group().strip() if gone is not None else None
        said = first.group().strip()
        if OUTRIGHT.search(said) is not None:
            return said  # (the usual case: no need to read on for an outright one)
        for m in SERVICE_DOWN.finditer(text, first.end()):
            if OUTRIGHT.search(m.group()) is not None:
                return m.group().strip()
        return said

    def sentiment(self, text: str) -> Sentiment:
        """VADER's scores for the text."""
        s = self.vader.polarity_scores(text[:ANALYSED_CHARS])
        return Sentiment(compound=s["compound"], pos=s["pos"], neu=s["neu"], neg=s["neg"])

    def analyze(self, text: str, *, followers: int | None = None, repeat_contacts: int = 0,
                handle: str | None = None, display_name: str | None = None,
                lang: str | None = None) -> Analysis:
        """Everything analysis concludes about one post."""
        return self.analyze_post(Post(text, followers, repeat_contacts, handle, display_name,
                                      lang))

    def analyze_post(self, post: Post) -> Analysis:
        """Everything analysis concludes about one post (see `Post`)."""
        text = post.text[:ANALYSED_CHARS]
        sentiment = self.sentiment(text)
        score = self.model.predict(text, sentiment)
        complaint = (score.probability >= self.threshold if self.threshold is not None
                     else score.is_complaint)
        matched = self.matcher.matched(text)
        addressed = self.matcher.addresses_brand(text)
        own = self.matcher.is_own(post.handle)
        imitation = None if own else self.impersonation.check(post.handle, post.display_name)
        voice = customer_voice(text, addressed=addressed)
        # a terse "Legal action it is then." speaks for its author unless it reads as news
        legal_voice = voice or not (_NEWS.find(text) or LEGAL_NEWS.search(text))
        competitor_account = (post.handle or "").lstrip("@").lower() in self._competitor_accounts
        found = [] if own or imitation or competitor_account else self.escalation.detect(
            text, voice=voice, legal_voice=legal_voice, vulnerable_voice=legal_voice)
        if not (own or imitation or competitor_account) and not any(
                kind is Escalation.SECURITY for kind, _ in found):
            # "someone called CanvasbackBank_Help replied asking for a code", "la cuenta
            # BankAyuda me pide el código": a customer being approached by an imitator of ours
            named = self._imitator_named(text)
            if named:
                found.append((Escalation.SECURITY, [f"names an account imitating us: {named}"]))
        # "complaint lodged with the ASA" is the author's own step, however it is worded
        voice = voice or any(kind is Escalation.LEGAL for kind, _ in found)
        kinds = tuple(kind for kind, _ in found)
        stripped = text.strip()
        question = ("?" in _RHETORICAL.sub("", _ASIDE.sub("", stripped))
                    or (QUESTION_START.match(stripped) is not None
                        and _HEADLINE.match(stripped) is None))
        sarcasm = sarcastic(text, complaint_probability=score.probability)
        complaint = complaint or sarcasm is not None
        # "I know there's an outage, but mine's been going on since the 1st": not the outage
        not_the_outage = NOT_THE_OUTAGE.search(text) is not None
        scored = self.intents.score(text, exclude=(
            (self.pack.outage_intent,) if self.pack.outage_intent and not_the_outage else ()))
        brand_down = self._brand_down is not None and self._brand_down.search(text) is not None
        down = self._service_down(text)
        outage = self.pack.outage_intent
        if outage and brand_down and (scored.intent is None or scored.score < 1.5):
            scored = IntentScore(outage, STRONG_INTENT, ("brand is down",))
        elif outage and scored.intent != outage and down is not None and (
                scored.intent is None or scored.score < STRONG_INTENT * 1.5
                or OUTRIGHT.search(down) is not None):
            # "is it just me?", "card declined everywhere", "503", "se ha caído": a service
            # failing for many people, whatever the symptom, is the pack's outage (said
            # outright, "down", "not just me", it wins over any symptom's intent); "is it
            # down?" asks about the outage
            scored = IntentScore(outage, STRONG_INTENT, (f"service down ('{down[:30]}')",))
        if brand_down and down is None:
            down = "brand is down"
        if down is not None and BACK.search(text) is not None:
            down = None  # it was down and is back: not an outage going on
        lang = post.lang or detect_language(text)
        first_person = _FIRST_PERSON_PROBLEM.search(text) is not None
        # (every first person of `first_person` is a stake too)
        stake = first_person or STAKE.search(_HEDGE.sub(" ", text)) is not None
        english = lang in (None, "en")
        if not english:
            # the complaint model and VADER read English (German "die" is "the"): in another
            # language a complaint needs the author speaking of their own matter, or to us
            first_person = first_person or FOREIGN_VOICE.search(text) is not None
            stake = stake or first_person
            if complaint and sarcasm is None and not (addressed or first_person):
                complaint = False
        # "thank god she was standing by me" thanks no one: relief is not praise
        thanked = RELIEF.sub(" ", text) if "hank" in text else text
        # praise in so many words (a shout-out, thanks to someone, in any language), or in
        # a shape a list cannot hold ("were lovely to my son", "made my whole day")
        outright = EXPLICIT_PRAISE.search(thanked) is not None or (
            not english and FOREIGN_PRAISE.search(thanked) is not None
            and FOREIGN_NOT_THANKS.search(thanked) is None)
        explicit = outright or praise_said(thanked) is not None
        # Praise is not vetoed by VADER where VADER cannot read it: another language (German
        # "die" is not dying), praise the complaint model is sure is no complaint ("fire 🔥",
        # "can't fault"), or praise said outright first ("absolute legends. Lost my wallet in
        # Prague, emergency cash within 4 hours").
        opening = re.split(r"[.!?](?=\s|$)|\n", thanked.lstrip(), maxsplit=1)[0]
        opens_with_praise = (explicit and (EXPLICIT_PRAISE.search(opening) is not None
                                           or praise_said(opening) is not None)
                             and not question)
        # a story that ends in praise: "Jo rebooked all five of us after Saturday's mess.
        # Legend." (something done for them, nothing failing, or a warm enough tone)
        closing = re.split(r"(?<=[.!?\n])\s*", thanked.rstrip(" .!\n"))[-1]
        closes_with_praise = (english and not question and not failed_beside(text) and (
            (explicit and (praise_said(closing) is not None
                           or (EXPLICIT_PRAISE.search(closing) is not None
                               and (DONE_FOR_US.search(text) is not None
                                    or (sentiment.compound >= 0 and score.probability < 0.6)))))
            or thanks_to_close(closing, text)))
        praise = ((sentiment.compound > -0.05 or not english or score.probability < 0.2
                   or opens_with_praise or closes_with_praise)
                  and sarcasm is None and not still_wrong(thanked)
                  and (explicit or PRAISE_WORDS.search(thanked) is not None)
                  # where VADER cannot read it, a "Super." after a failure is no praise, nor
                  # thanks for nothing ("n'est toujours pas arrivé. Merci pour rien")
                  and (english or (FOREIGN_FAILING.search(thanked) is None
                                   and FOREIGN_NOT_THANKS.search(thanked) is None)))
        thanks_only = (praise and sentiment.compound >= 0.5 and not complaint and not question
                       and _REQUEST.search(text) is None)
        leading = _LEADING_HANDLES.match(text)
        to_others = (leading is not None and not addressed
                     and not any(self.matcher.is_own(h) for h in leading[0].split("@") if h))
        # a reply to another customer, with us copied in ("@owen @BankHelp just switch, mate")
        first_not_ours = leading is not None and not self.matcher.is_own(
            leading[0].split("@")[1].strip())
        to_customer = first_not_ours and not first_person
        # an onlooker's joke, a rival's customer, someone not with us: "X's down so half the
        # city is about to find out they have families. Godspeed"
        onlooker = not addressed and (
            NOT_A_CUSTOMER.search(text) is not None or GLOAT.search(text) is not None
            or (not stake and (JOKE.search(text) is not None
                               or COMMENTARY.search(text) is not None)))
        # something not working, in English or (where the English cues cannot read it) in
        # another language: "zeigt meine Bordkarte nicht an", "fuori uso", "o sistema caiu"
        malfunctioning = MALFUNCTION.search(text) is not None
        malfunction = malfunctioning or (not english and FOREIGN_FAILING.search(text) is not None)
        # failing in so many words ("declined", "30 mins now"), read by triage and the outage
        failing_said = FAILING.search(text) is not None
        if down is not None and (to_customer or (
                not addressed and not first_person and PAST_OUTAGE.search(text) is not None)
                or onlooker or not_the_outage):
            # "it was their outage, not you" to someone else; "the outage lasted 40 minutes",
            # "was caused by a switch fault": told about, not suffered now
            down = None
        elif (down is not None and down.startswith("#") and english and not addressed
              and not stake and _ABOUT_THE_TAG.search(text) is not None
              and not failing_said and WHEN_BACK.search(text) is None
              and not malfunctioning):
            # "the #ploverbankdown replies are pure poetry": an onlooker talking about what
            # is said under the outage's hashtag, with nothing failing for them (a customer's
            # "#ploverbankdown trying to buy lunch" is a report)
            down = None
        # advice to someone else: in a reply to another user (however much the author says of
        # their own story), or "you should ..." not said to us
        advice = _ADVICE.search(text) is not None and (
            to_others or first_not_ours
            or (_SECOND_PERSON.search(text) is not None and not addressed
                and not first_person)
            # "just go to the ombudsman after 8 weeks": said to no one, of no matter of theirs
            or (not addressed and not stake)) or (
            # "@ben it was their outage, not you": answering another customer
            to_others and not stake)
        set_aside = ""
        if (praise and (explicit or GRATITUDE.search(thanked) is not None) and not question
                and kinds == (Escalation.SAFETY,)
                and all(w.startswith("model ") for _, words in found for w in words)):
            # "your crew handled a medical emergency so calmly. Respect": praise, in which
            # the model heard only an industry's words (crew, aisle), no hazard the lists know
            found, kinds = [], ()
        if (thanks_only and found and GRATITUDE.search(thanked) is not None
                and Escalation.VULNERABLE not in kinds):
            # thanks for something put right ("your fraud team stopped the scam"): nothing
            # dangerous is happening now, so it is acknowledged, not escalated
            set_aside = "thanks, nothing to fix"
        elif (praise and (outright or (GRATITUDE.search(thanked) is not None and (
                sentiment.compound >= 0.2 or score.probability < 0.5)))
              and not question
              and _REQUEST.search(text) is None
              and kinds == (Escalation.SECURITY,)):
            # "fraud team absolute legends, card blocked, new one on its way": praise for a
            # matter put right (a bereaved or ill customer who thanks us is still one)
            set_aside = "praise for something put right"
        elif (praise and explicit and not question and _REQUEST.search(text) is None
              and kinds == (Escalation.VULNERABLE,) and DONE_FOR_US.search(text) is not None
              and HARD_TIME_PAST.search(text) is not None):
            # "gave me an overdraft when I was skint and never charged me": thanks for help
            # through a hard time that is over (one going on stays escalated, thanks or not)
            set_aside = "praise for help through a hard time now past"
        elif kinds == (Escalation.SECURITY,) and WAS_ME.search(text) is not None:
            set_aside = "the customer's own payment"
        elif kinds and NOT_NOW.search(text) is not None and all(
                not said_outside(words, text) for _, words in found):
            # "if Hollis ever charged for returns I'd take them to court", "what protection
            # do I get if my card's used fraudulently?", "it was me buying concert tickets",
            # "my late gran always said ...": a hypothetical, a question about cover, a
            # fraud check that was the customer, or a memory, not something happening now
            set_aside = "not happening now"
        elif (kinds == (Escalation.SECURITY,) and not stake and not addressed
              and ((advice and SCAM_VERDICT.search(text) is not None) or (
                  PSA_OPENING.match(text) and EVENT_TOLD.search(text) is None))):
            # "Scam, 100%. Never ring the number in the text": someone else's scam judged
            # and advised on, in a reply to them (a warning of a scam going round, or one
            # that happened to the author, stays a report)
            set_aside = "advice to someone else"
        elif (kinds and not addressed and not first_person
              and set(kinds) <= {Escalation.VULNERABLE, Escalation.LEGAL}
              and TAKE.search(text) is not None):
            # "Opinion: ... useless to the pensioner whose branch shut": about others, offered
            # to the timeline as an opinion
            set_aside = "an opinion offered as such"
        elif (kinds and not addressed and Escalation.SAFETY not in kinds
              and JOKE.search(text) is not None):
            # a dialogue meme: "Bank: 'we've noticed unusual activity' Me: buying airtime at
            # 3am Bank: 'unusual'"
            set_aside = "a joke"
        elif (kinds == (Escalation.LEGAL,) and not addressed
              and _LAUGH.search(text) is not None and OWN_STEP.search(text) is None
              and _STEP_TAKEN.search(text) is None):
            # "taking them to court for emotional damages 😂": a joke to the timeline (not
            # "filing a small claims case ... see you at the county court lol")
            set_aside = "a joke"
        elif advice and kinds == (Escalation.LEGAL,) and OWN_STEP.search(text) is None:
            # (a warning about a scam aimed at customers stays a report to answer)
            # "go straight to the ombudsman, mate": someone else's step, not this author's
            set_aside = "advice to someone else"
        if set_aside:
            set_aside += f" ({', '.join(kind.value for kind, _ in found)})"
            found, kinds = [], ()
        well = went_well(text)
        contacted = (addressed and not own and (not complaint or praise)
                     and already_dmed(_OUR_ANSWER.sub(" ", text)))
        competitor = any(t.startswith("competitor:") for t in matched)
        brand_named = any(not t.startswith("competitor:") for t in matched)
        signals = Signals(
            own_account=own, impersonation=imitation, injection=injected(text),
            spam=spam_signals(text, self._brand_words, self.spam_model),
            escalated=bool(kinds), addressed=addressed,
            about_brand=(not self.has_terms or addressed or scored.intent is not None
                         or any(t[0] in "#@" for t in matched) or question
                         or (self._brand_name is not None
                             and self._brand_name.search(text) is not None)
                         or self.customer.search(text) is not None
                         or (praise and _SERVICE.search(text) is not None)
                         or down is not None),
            competitor_only=competitor_account or (competitor and not addressed and not (
                brand_named and complaint and first_person)) or (
                not addressed and self._compared.search(text) is not None) or (
                # "X down again? Over here at @Rival tapping my card like nothing's wrong"
                competitor and not addressed and GLOAT.search(text) is not None),
            advice_to_others=advice,
            # ("Ask HN: is it down?" asks about the outage, whatever the news words)
            news=(post.headline and not question) or (down is None or "?" not in text) and (
                _is_news(text, voice=voice, addressed=addressed)
                or (not addressed and (
                    _COMMENTARY.search(text) is not None
                    or STAFF.search(text) is not None
                    or self._staff.search(text) is not None
                    or (CASHTAG.search(text) is not None and not question)
                    or (PAST_OUTAGE.search(text) is not None and not first_person
                        and (SPEAKS_AS_I.search(text) is None
                             or _STILL_HURT.search(text) is None))))),
            complaint=complaint, sarcasm=sarcasm is not None, question=question,
            request=(_REQUEST.search(_NOT_A_REQUEST.sub(" ", text)) is not None
                     or _HELP_END.search(text[-40:]) is not None),
            praise=praise,
            # warm: praise words and a warm VADER score, or praise said in so many words
            # (the complaint model reads many shout-outs as complaints)
            strong_praise=praise and (
                (english and sentiment.compound >= 0.5 and score.probability < 0.8)
                or (english and explicit and sentiment.compound >= 0.2
                    and score.probability < 0.97)
                # praise words the complaint model is sure are no complaint, or praise said
                # outright first
                or (english and score.probability < 0.15)
                or (opens_with_praise and score.probability < 0.9)
                or (closes_with_praise and score.probability < 0.99)
                # in another language the complaint model and VADER cannot read it
                or (explicit and lang not in (None, "en") and not question
                    and _REQUEST.search(text) is None)),
            negative=((english and sentiment.compound <= -0.05)
                      or _ANGRY_EMOJI.search(text) is not None),
            foreign=lang not in (None, "en"),
            first_person=first_person,
            tagged=any(t.startswith("#") for t in matched), voice=voice,
            # (to us, something failing is a problem whatever it names: "30 mins now")
            problem=scored.intent is not None or malfunction or (addressed and failing_said),
            # (not a tip to another customer, not a story that ends well, not a cheerful
            # "engineer coming today, wish me luck")
            own_problem=(stake and not (to_others or to_customer or advice)
                         and (scored.intent is not None or malfunction)
                         and (sentiment.compound < 0.5 or SARCASM_MARK.search(text) is not None)
                         and PUT_RIGHT.search(text) is None),
            opinion=OPINION.search(text) is not None,
            # "nothing's broken", "works every single time", "problem fixed" (no malfunction
            # named beside it, no outage going on)
            # a joke to the timeline ("me: i'll save this month / the app at 11pm: you've spent
            # $212"), with nothing failing and nothing said to us
            to_customers=TO_CUSTOMERS.search(text) is not None,
            take=TAKE.search(text) is not None or (onlooker and not addressed
                                                    and COMMENTARY.search(text) is not None),
            joke=onlooker or (not addressed and down is None and JOKE.search(text) is not None
                  and not failing_said and WHEN_BACK.search(text) is None
                  and not malfunctioning),
            went_well=(well if well is not None and down is None and not malfunctioning else ""),
            angry=english and sentiment.compound <= -0.3, down=down is not None,
            # (not "got a DM back from you": that is our message, not theirs to read; only
            # looked for where it can change the verdict: a complaint to us is answered anyway)
            contacted=contacted,
            put_right=contacted and put_right(text), failing=malfunction,
        )
        action, rule = decide_action(signals)
        if action is Action.SPAM:
            intent = OTHER
        elif action is Action.ACKNOWLEDGE:
            intent = PRAISE
        elif question and not complaint and action is Action.REPLY and (
                scored.intent is None or scored.score < STRONG_INTENT):
            intent = QUESTION  # asking about something, with no problem to name
        elif scored.intent is not None:
            intent = scored.intent
        elif question and action is Action.REPLY:
            intent = QUESTION
        else:
            intent = OTHER
        if action not in (Action.REPLY, Action.ACKNOWLEDGE):
            # spam and monitor posts open no case, so they carry no escalation: an imitation
            # of us replying to a customer escalates that customer's case instead (cases.py)
            kinds = ()
        priority, priority_reasons = score_priority(
            complaint=complaint, question=question and action is Action.REPLY,
            compound=sentiment.compound, shouting=_SHOUTING.search(text) is not None,
            addressed=addressed, followers=post.followers, repeat_contacts=post.repeat_contacts,
            escalations=[k.value for k in kinds], high_reach=self.high_reach,
        )
        spec = self.pack.intents.get(intent)
        if (action is Action.REPLY and spec is not None and spec.priority is not None
                and spec.priority.rank < priority.rank):
            priority = spec.priority
            priority_reasons += (f"priority:intent({intent})",)
        label = brand_label(vader_label=sentiment.label, compound=sentiment.compound,
                            action=action, complaint=complaint or signals.down,
                            sarcasm=sarcasm is not None,
                            escalated=bool(kinds), question=question)
        reasons = [f"action:{action.value}({rule})",
                   f"sentiment:{label}(vader {sentiment.label} {sentiment.compound:+.2f})"]
        if sarcasm:
            reasons.append(f"sarcasm({sarcasm})")
        reasons.append(("complaint" if complaint else "not-complaint")
                       + f"(p={score.probability:.2f})")
        reasons += [f"complaint:{r}" for r in score.reasons]
        reasons.append(f"intent:{intent}"
                       + (f"({', '.join(scored.reasons)})" if intent == scored.intent else ""))
        reasons += [f"escalation:{kind.value}({', '.join(terms[:3])})" for kind, terms in found
                    if kind in kinds]
        if set_aside:
            reasons.append(f"escalation set aside: {set_aside}")
        reasons += priority_reasons
        outage_words = None
        if action is Action.REPLY and not not_the_outage:
            if down is not None:
                outage_words = "down"
                reasons.append(f"outage(down: '{down[:30]}')")
            elif (malfunction or failing_said or (
                    intent in (self.pack.outage_intent, OTHER, QUESTION)
                    and WHEN_BACK.search(text) is not None)):
                outage_words = "failing"
        return Analysis(
            sentiment=sentiment, complaint=complaint,
            complaint_probability=round(score.probability, 4), intent=intent,
            priority=priority, matched_terms=matched, addressed=addressed,
            reasons=tuple(reasons), action=action, escalation=kinds,
            impersonation=imitation is not None, brand_label=label,
            lang=lang, outage=outage_words,
        )

    def analyze_mention(self, mention: Mention, *, repeat_contacts: int = 0) -> Analysis:
        """Analyse a stored-to-be mention, using its author's reach."""
        return self.analyze_post(Post.of(mention, repeat_contacts=repeat_contacts))

