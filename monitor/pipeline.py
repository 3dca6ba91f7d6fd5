"""mention -> analysis -> store -> case -> draft: one page at a time, atomically."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from monitor.analysis import Analyzer, TermMatcher
from monitor.cases import CaseRules, Drafter, plan_page
from monitor.models import AnalysedMention, Mention, Page
from monitor.store import AsyncStore, CaseContext, IngestResult, Plan, Store


def relevant(mentions: Iterable[Mention], *, matcher: TermMatcher,
             languages: Sequence[str]) -> list[Mention]:
    """The mentions worth keeping: not excluded, and in a wanted language when one is known."""
    wanted = {lang.lower() for lang in languages}
    return [
        m for m in mentions
        if not matcher.excluded(m.text)
        and (not wanted or not m.lang or m.lang.lower().split("-")[0] in wanted)
    ]


def analyse(mentions: Sequence[Mention], *, analyzer: Analyzer,
            prior: dict[str, int]) -> list[AnalysedMention]:
    """Analyse each mention; repeat contact counts the author's earlier posts, stored or not."""
    seen: Counter[str] = Counter()
    out = []
    for mention in sorted(mentions, key=lambda m: m.created_at):
        author = mention.author.id
        analysis = analyzer.analyze_mention(
            mention, repeat_contacts=prior.get(author, 0) + seen[author]
        )
        seen[author] += 1
        out.append(AnalysedMention(mention, analysis))
    return out


class Pipeline:
    """Takes pages from sources and stores them with their cases and drafts."""

    def __init__(
        self,
        store: AsyncStore,
        *,
        analyzer: Analyzer,
        rules: CaseRules,
        drafter: Drafter,
        languages: Sequence[str] = (),
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.rules = rules
        self.drafter = drafter
        self.languages = tuple(languages)
        self.clock = clock

    def planner(self, new: Sequence[AnalysedMention], context: CaseContext) -> Plan:
        """The case plan for a page, computed inside the store's transaction."""
        return plan_page(new, context, rules=self.rules, drafter=self.drafter)

    async def ingest(self, source: str, page: Page, *,
                     advance_cursor: bool = True) -> IngestResult:
        """Store one page and advance the source's cursor past it, all or nothing.

        A backfill passes `advance_cursor=False`: its pages are history, and the live cursor
        must not move (least of all backwards)."""
        keep = relevant(page.mentions, matcher=self.analyzer.matcher, languages=self.languages)

        def lookup(store: Store) -> tuple[set[str], dict[str, int]]:
            known = store.known_mention_ids(m.id for m in keep)
            return known, store.mentions_by_author({m.author.id for m in keep})

        known, prior = await self.store.read(lookup) if keep else (set(), {})
        fresh = [m for m in keep if m.id not in known]
        analysed = await asyncio.to_thread(analyse, fresh, analyzer=self.analyzer, prior=prior)
        now = self.clock()
        result = await self.store.write(
            lambda s: s.ingest(source, page.next_cursor, analysed, self.planner, now=now,
                               advance_cursor=advance_cursor,
                               cluster_window=self.rules.outage_cluster_window)
        )
        return IngestResult(
            received=len(page.mentions), stored=result.stored,
            cases_opened=result.cases_opened, drafts_created=result.drafts_created,
        )
