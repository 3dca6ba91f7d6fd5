"""What a post says: sentiment (VADER), complaint, intent, priority, and the reasons for each."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from monitor.complaint_model import ComplaintModel
from monitor.models import Analysis, Intent, Mention, Priority, Sentiment

if TYPE_CHECKING:
    from monitor.settings import Settings

log = logging.getLogger("brandbot.analysis")

# Intent lexicons, checked in this order: the first intent whose terms appear wins, so the
# more specific problems (cancelling, money) come before the broad ones (bugs).
INTENT_TERMS: dict[Intent, tuple[str, ...]] = {
    Intent.CANCELLATION: (
        r"cancel\w*", r"terminat\w*", r"exit fees?", r"early termination",
        r"switch(?:ing|ed)? (?:to|away)", r"porting out", r"pac code", r"end (?:my|the) contract",
        r"close my account", r"retention",
    ),
    Intent.BILLING: (
        r"bill(?:s|ed|ing)?", r"charged?", r"charges", r"overcharg\w*", r"refund\w*",
        r"invoice\w*", r"payments?", r"direct debit", r"price (?:rise|increase|hike)",
        r"fees?", r"paid", r"pay(?:ing)?", r"credit", r"compensation", r"money back", r"£\d+",
        r"\$\d+", r"€\d+", r"tarif\w*", r"factura\w*", r"cobr\w*", r"rechnung",
    ),
    Intent.OUTAGE: (
        r"outage\w*", r"(?:is|it's|its|are|went|been|still|all) down", r"down again",
        r"no (?:internet|signal|service|connection|broadband|wifi|wi-fi|network|tv)",
        r"not working", r"offline", r"disconnect\w*", r"dropp(?:ing|ed|s) out", r"no bars",
        r"lost connection", r"keeps dropping", r"\w*down\b", r"speeds?", r"slow", r"lag\w*",
        r"packet loss", r"latency", r"sin (?:internet|conexi[oó]n|servicio)", r"panne",
        r"st[öo]rung", r"kein internet",
    ),
    Intent.DELIVERY: (
        r"deliver\w*", r"courier", r"parcel", r"package", r"dispatch\w*", r"shipp\w*",
        r"tracking", r"never arrived", r"hasn'?t arrived", r"not arrived", r"arriv\w*",
        r"wrong (?:item|router|phone|box|order)", r"order(?:ed)?", r"dpd", r"evri", r"royal mail",
        r"envío", r"livraison", r"lieferung",
    ),
    Intent.ACCOUNT: (
        r"log ?in", r"sign ?in", r"password", r"locked out", r"account locked", r"2fa",
        r"verification code", r"sim swap", r"hacked", r"my account", r"email address",
        r"username", r"reset link",
    ),
    Intent.BUG: (
        r"app", r"crash\w*", r"bug\w*", r"glitch\w*", r"error", r"freez\w*", r"frozen",
        r"update broke", r"broken", r"doesn'?t load", r"won'?t load", r"blank screen",
        r"firmware", r"reboot\w*", r"restart\w*", r"tv box", r"router",
    ),
}
PRAISE_TERMS = (
    r"thank\w*", r"thx", r"love", r"great", r"brilliant", r"amazing", r"excellent",
    r"awesome", r"well done", r"kudos", r"shout ?out", r"impressed", r"best", r"fantastic",
    r"cheers", r"gracias", r"merci", r"danke",
)
QUESTION_START = re.compile(
    r"^(?:@\w+\s+)*(?:how|what|when|where|why|who|which|does|do|is|are|can|could|will|would|"
    r"should|any ?one|anybody|has|have)\b",
    re.IGNORECASE,
)
# Words that make a case urgent whatever else is said: legal threats and safety.
ESCALATION_TERMS = (
    r"solicitor", r"lawyer", r"attorney", r"legal action", r"sue", r"suing", r"court",
    r"small claims", r"ombudsman", r"ofcom", r"trading standards", r"regulator",
    r"fire", r"smoke", r"sparks?", r"overheat\w*", r"burn\w*", r"electric shock",
    r"exposed (?:cable|wire)s?", r"unsafe", r"danger\w*", r"vulnerable", r"medical",
    r"999", r"911", r"emergency",
)


def _alternation(terms: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w@#])(?:" + "|".join(terms) + r")(?!\w)", re.IGNORECASE)


_INTENT_RES = {intent: _alternation(terms) for intent, terms in INTENT_TERMS.items()}
_PRAISE_RE = _alternation(PRAISE_TERMS)
_ESCALATION_RE = _alternation(ESCALATION_TERMS)
_SHOUTING_RE = re.compile(r"\b[A-Z]{4,}\b")


@dataclass(frozen=True, slots=True)
class BrandTerms:
    """The brand's vocabulary, compiled once: what we listen for and what addresses us."""

    name: str = ""
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    competitors: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def matcher(self) -> TermMatcher:
        """Compile these terms into a matcher."""
        return TermMatcher(self)


def _term_pattern(term: str) -> str:
    escaped = re.escape(term.lstrip("@#"))
    if term.startswith("#"):
        return r"#" + escaped
    if term.startswith("@"):
        return r"@" + escaped
    return escaped


class TermMatcher:
    """Finds the brand's keywords, hashtags, handles, competitors and exclusions in text."""

    def __init__(self, terms: BrandTerms) -> None:
        self.terms = terms
        labelled: list[tuple[str, str]] = []
        labelled += [(k.lower(), _term_pattern(k)) for k in terms.keywords]
        labelled += [("#" + h.lower(), "#" + re.escape(h)) for h in terms.hashtags]
        labelled += [("@" + h.lower(), "@" + re.escape(h)) for h in terms.handles]
        for name, words in terms.competitors:
            labelled += [(f"competitor:{name}", _term_pattern(w)) for w in words]
        self._labels = [label for label, _ in labelled]
        self._re = re.compile(
            "|".join(f"(?P<t{i}>(?<![\\w]){p}(?!\\w))" for i, (_, p) in enumerate(labelled))
            or r"(?!x)x",
            re.IGNORECASE,
        )
        self._handles = re.compile(
            "|".join(r"@" + re.escape(h) + r"(?![\w.])" for h in terms.handles) or r"(?!x)x",
            re.IGNORECASE,
        )
        self._exclude = re.compile(
            "|".join(r"(?<!\w)" + re.escape(e) + r"(?!\w)" for e in terms.exclude)
            or r"(?!x)x",
            re.IGNORECASE,
        )

    def matched(self, text: str) -> tuple[str, ...]:
        """The distinct labels of the terms present, in first-seen order."""
        found: dict[str, None] = {}
        for match in self._re.finditer(text):
            found[self._labels[int(match.lastgroup[1:])]] = None  # type: ignore[index]
        return tuple(found)

    def addresses_brand(self, text: str) -> bool:
        """Whether the post @-mentions one of the brand's handles."""
        return self._handles.search(text) is not None

    def excluded(self, text: str) -> bool:
        """Whether the post matches an exclusion (e.g. an unrelated namesake)."""
        return self._exclude.search(text) is not None


def detect_intent(text: str, *, complaint: bool, compound: float) -> tuple[Intent, str | None]:
    """The intent of a post and the term that decided it (None when no term did)."""
    for intent, pattern in _INTENT_RES.items():
        match = pattern.search(text)
        if match:
            # A problem word in a happy, non-complaining post ("love the app") is not a problem.
            if complaint or compound < 0.05 or intent is Intent.CANCELLATION:
                return intent, match[0].lower()
    stripped = text.strip()
    if "?" in stripped or QUESTION_START.match(stripped):
        return Intent.QUESTION, "?"
    if not complaint and compound >= 0.05:
        match = _PRAISE_RE.search(text)
        if match:
            return Intent.PRAISE, match[0].lower()
    return Intent.OTHER, None


def escalation_terms(text: str) -> tuple[str, ...]:
    """Legal or safety words present in the text."""
    return tuple(dict.fromkeys(m[0].lower() for m in _ESCALATION_RE.finditer(text)))


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
    """Priority from anger, reach, repeat contact and whether the brand was addressed."""
    if escalations and (complaint or question):
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


class Analyzer:
    """Scores posts: one VADER instance, one complaint model, one compiled brand matcher."""

    def __init__(
        self,
        terms: BrandTerms | None = None,
        *,
        model: ComplaintModel | None = None,
        complaint_threshold: float | None = None,
        high_reach: int = 10_000,
    ) -> None:
        self.matcher = (terms or BrandTerms()).matcher()
        self.vader = SentimentIntensityAnalyzer()
        self.model = model or ComplaintModel.load()
        self.threshold = complaint_threshold
        self.high_reach = high_reach

    def sentiment(self, text: str) -> Sentiment:
        """VADER's scores for the text."""
        s = self.vader.polarity_scores(text)
        return Sentiment(compound=s["compound"], pos=s["pos"], neu=s["neu"], neg=s["neg"])

    def analyze(
        self,
        text: str,
        *,
        followers: int | None = None,
        repeat_contacts: int = 0,
    ) -> Analysis:
        """Everything analysis concludes about one post."""
        sentiment = self.sentiment(text)
        score = self.model.predict(text, sentiment)
        complaint = (
            score.probability >= self.threshold if self.threshold is not None
            else score.is_complaint
        )
        intent, intent_term = detect_intent(text, complaint=complaint,
                                            compound=sentiment.compound)
        addressed = self.matcher.addresses_brand(text)
        escalations = escalation_terms(text)
        priority, priority_reasons = score_priority(
            complaint=complaint, question=intent is Intent.QUESTION,
            compound=sentiment.compound, shouting=_SHOUTING_RE.search(text) is not None,
            addressed=addressed, followers=followers, repeat_contacts=repeat_contacts,
            escalations=escalations, high_reach=self.high_reach,
        )
        reasons = [f"sentiment:{sentiment.label}({sentiment.compound:+.2f})"]
        verdict = "complaint" if complaint else "not-complaint"
        reasons.append(f"{verdict}(p={score.probability:.2f})")
        reasons += [f"complaint:{r}" for r in score.reasons]
        reasons.append(f"intent:{intent.value}" + (f"({intent_term})" if intent_term else ""))
        reasons += priority_reasons
        return Analysis(
            sentiment=sentiment, complaint=complaint,
            complaint_probability=round(score.probability, 4), intent=intent,
            priority=priority, matched_terms=self.matcher.matched(text), addressed=addressed,
            reasons=tuple(reasons),
        )

    def analyze_mention(self, mention: Mention, *, repeat_contacts: int = 0) -> Analysis:
        """Analyse a stored-to-be mention, using its author's reach."""
        return self.analyze(mention.text, followers=mention.author.followers,
                            repeat_contacts=repeat_contacts)


def brand_terms(settings: Settings) -> BrandTerms:
    """The analysis vocabulary described by `[brand]`."""
    brand = settings.brand
    return BrandTerms(
        name=brand.name, keywords=tuple(brand.keywords), hashtags=tuple(brand.hashtags),
        handles=tuple(brand.all_handles()), exclude=tuple(brand.exclude),
        competitors=tuple((name, tuple(words)) for name, words in brand.competitors.items()),
    )


def make_analyzer(settings: Settings | None) -> Analyzer:
    """An analyzer for the configured brand, or a brand-less one."""
    if settings is None:
        return Analyzer()
    return Analyzer(brand_terms(settings),
                    complaint_threshold=settings.analysis.complaint_threshold,
                    high_reach=settings.analysis.high_reach_followers)


# --- analysis beside the daemon ---------------------------------------------------------------

# (text, author's followers, repeat contacts): what analysis needs of a mention
Post = tuple[str, int | None, int]

# The worker process's analyzer (set once, when the worker starts).
_worker_analyzer: Analyzer | None = None


def _start_worker(analyzer: Analyzer, parent: int) -> None:
    """Set up an analysis worker: its analyzer, and an exit when the daemon is gone.

    A pool's workers would outlive a daemon killed with SIGKILL (they wait on a queue the
    dead parent can no longer close), so each watches its parent and leaves when it changes.
    SIGINT is the daemon's to handle: a Ctrl-C in the terminal reaches the worker too.
    """
    global _worker_analyzer
    _worker_analyzer = analyzer
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _analyze_posts(posts: Sequence[Post]) -> list[Analysis]:
    assert _worker_analyzer is not None, "not an analysis worker"
    return analyze_posts(_worker_analyzer, posts)


def analyze_posts(analyzer: Analyzer, posts: Sequence[Post]) -> list[Analysis]:
    """Analyse posts given as (text, followers, repeat contacts)."""
    return [analyzer.analyze(text, followers=followers, repeat_contacts=repeat)
            for text, followers, repeat in posts]


class AnalysisPool:
    """Analyses posts in worker processes, beside the daemon's event loop and store writer.

    Threads would share one core (analysis is pure Python, so the GIL serialises it with the
    writer); a worker process gives it another. Each worker gets a copy of the analyzer when
    it starts. If a worker dies (the OOM killer, say), that page is analysed in the daemon's
    own process and a fresh pool serves the next.
    """

    def __init__(self, analyzer: Analyzer, workers: int = 1) -> None:
        self.analyzer = analyzer
        self.workers = workers
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the daemon has threads (store, web) that a fork would copy mid-step
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(self.analyzer, os.getpid()))

    async def analyze(self, posts: Sequence[Post]) -> list[Analysis]:
        """The analyses of `posts`, in order."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _analyze_posts, list(posts))
        except BrokenProcessPool:
            log.warning("an analysis worker died; analysing this page in the daemon and "
                        "starting a new worker", extra={"event": "analysis_worker_died"})
            self._executor.shutdown(wait=False)
            self._executor = self._start()
            return await asyncio.to_thread(analyze_posts, self.analyzer, posts)

    def close(self) -> None:
        """Let the workers finish what they were given, then exit (without waiting here)."""
        self._executor.shutdown(wait=False)
