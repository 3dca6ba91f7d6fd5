"""What a post says, and what the team should do about it.

    terms.py       the brand's terms and term lists as people write them
    analyzer.py    one post: sentiment, complaint, intent, triage, escalation, priority
    triage.py      reply / acknowledge / monitor / spam, impersonators, spam signals
    escalation.py  safety, legal, security, vulnerable: terms, false friends, context
    intents.py     the explainable scorer over an industry pack's intents
    sentiment.py   the brand-aware label (sarcasm, complaints in neutral words)
    language.py    the language of a post the platform did not label
    pool.py        worker processes that analyse beside the daemon
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.analysis.analyzer import Analyzer, Post
from monitor.analysis.escalation import EscalationRules
from monitor.analysis.pool import AnalysisPool, analyze_posts
from monitor.analysis.terms import BrandTerms, TermMatcher
from monitor.packs import load_pack

if TYPE_CHECKING:
    from monitor.settings import Settings

__all__ = ["AnalysisPool", "Analyzer", "BrandTerms", "Post", "TermMatcher", "analyze_posts",
           "brand_terms", "make_analyzer"]


def brand_terms(settings: Settings) -> BrandTerms:
    """The analysis vocabulary described by `[brand]`."""
    brand = settings.brand
    return BrandTerms(
        name=brand.name, keywords=tuple(brand.keywords), hashtags=tuple(brand.hashtags),
        handles=tuple(brand.all_handles()), exclude=tuple(brand.exclude),
        competitors=tuple((name, tuple(words)) for name, words in brand.competitors.items()),
    )


def make_analyzer(settings: Settings | None) -> Analyzer:
    """An analyzer for the configured brand (its pack, intents and escalation terms), or a
    brand-less one."""
    if settings is None:
        return Analyzer()
    pack = load_pack(settings.brand.industry).with_overrides(
        {name: table.model_dump(exclude_none=True) for name, table in settings.intents.items()})
    escalation = EscalationRules(
        extra_terms={k.value: v.terms for k, v in settings.escalation.items()},
        extra_exclude={k.value: v.exclude for k, v in settings.escalation.items()},
        regulators=pack.regulators)
    return Analyzer(brand_terms(settings), pack=pack, escalation=escalation,
                    complaint_threshold=settings.analysis.complaint_threshold,
                    high_reach=settings.analysis.high_reach_followers)
