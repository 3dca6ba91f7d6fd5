"""mention -> analysis -> store -> case -> draft: one page at a time, atomically."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.analysis import AnalysisPool, Analyzer, Post, TermMatcher, analyze_posts
from monitor.cases import CaseRules, Drafter, plan_page
from monitor.models import AnalysedMention, Mention, Page, Rejected
from monitor.quarantine import mention_rejected
from monitor.store import AsyncStore, CaseContext, IngestResult, Plan, Store, StoreUnavailable

log = logging.getLogger("brandbot.pipeline")


def relevant(mentions: Iterable[Mention], *, matcher: TermMatcher,
             languages: Sequence[str]) -> list[Mention]:
    """The mentions worth keeping: not excluded, and in a wanted language when one is known."""
    wanted = {lang.lower() for lang in languages}
    return [
        m for m in mentions
        if not matcher.excluded(m.text)
        and (not wanted or not m.lang or m.lang.lower().split("-")[0] in wanted)
    ]


def posts_to_analyse(mentions: Sequence[Mention], *,
                     prior: dict[str, int]) -> list[tuple[Mention, Post]]:
    """Mentions oldest first, each with what analysis needs; repeat contact counts the
    author's earlier posts, stored or not."""
    seen: Counter[str] = Counter()
    out = []
    for mention in sorted(mentions, key=lambda m: m.created_at):
        author = mention.author.id
        out.append((mention, Post.of(mention,
                                     repeat_contacts=prior.get(author, 0) + seen[author])))
        seen[author] += 1
    return out


def analyse(mentions: Sequence[Mention], *, analyzer: Analyzer,
            prior: dict[str, int]) -> list[AnalysedMention]:
    """Analyse each mention, oldest first, in this process."""
    posts = posts_to_analyse(mentions, prior=prior)
    analyses = analyze_posts(analyzer, [post for _, post in posts])
    return [AnalysedMention(m, a) for (m, _), a in zip(posts, analyses, strict=True)]


def analyse_apart(mentions: Sequence[Mention], *, analyzer: Analyzer, prior: dict[str, int]
                  ) -> tuple[list[AnalysedMention], list[Rejected]]:
    """Analyse each mention on its own: those analysis fails on are rejected, not the page."""
    done: list[AnalysedMention] = []
    rejected: list[Rejected] = []
    for mention, post in posts_to_analyse(mentions, prior=prior):
        try:
            done.append(AnalysedMention(mention, analyzer.analyze_post(post)))
        except Exception as exc:  # noqa: BLE001 - a poison item, held for an operator
            rejected.append(mention_rejected(mention, exc))
    return done, rejected


@dataclass(frozen=True, slots=True)
class Prepared:
    """A page and its new mentions, analysed: ready for `Pipeline.commit`."""

    page: Page
    analysed: list[AnalysedMention]
    rejected: tuple[Rejected, ...] = ()  # the page's posts analysis failed on


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
        pool: AnalysisPool | None = None,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        # analysis in worker processes (None: in a thread of this one)
        self.pool = pool
        self.rules = rules
        self.drafter = drafter
        self.languages = tuple(languages)
        self.clock = clock

    def planner(self, new: Sequence[AnalysedMention], context: CaseContext) -> Plan:
        """The case plan for a page, computed inside the store's transaction."""
        return plan_page(new, context, rules=self.rules, drafter=self.drafter)

    async def prepare(self, page: Page, *,
                      in_flight: Sequence[AnalysedMention] = ()) -> Prepared:
        """Filter and analyse a page's new mentions, before (and apart from) storing them.

        `in_flight` is the page being stored meanwhile (the poller analyses the next page while
        the last is written): its mentions count as seen, and as their authors' earlier posts.
        """
        keep = relevant(page.mentions, matcher=self.analyzer.matcher, languages=self.languages)

        flying = [i.mention for i in in_flight]

        def lookup(store: Store) -> tuple[set[str], dict[str, int]]:
            known = store.known_mention_ids(m.id for m in keep)
            # The page in flight may be committed before or after this read: leave it out of
            # the stored counts, and add it below, so it counts once either way.
            return known, store.mentions_by_author({m.author.id for m in keep},
                                                   excluding=[m.id for m in flying])

        known, prior = await self.store.read(lookup) if keep else (set(), {})
        known |= {m.id for m in flying}
        for m in flying:
            prior[m.author.id] = prior.get(m.author.id, 0) + 1
        fresh = [m for m in keep if m.id not in known]
        try:
            if self.pool is None or not fresh:
                analysed = await asyncio.to_thread(analyse, fresh, analyzer=self.analyzer,
                                                   prior=prior)
                return Prepared(page, analysed)
            posts = posts_to_analyse(fresh, prior=prior)
            analyses = await self.pool.analyze([post for _, post in posts])
            return Prepared(page, [AnalysedMention(m, a)
                                   for (m, _), a in zip(posts, analyses, strict=True)])
        except Exception:  # noqa: BLE001 - one post broke analysis: find it, keep the rest
            log.warning("analysis failed on a page; analysing its posts one by one",
                        exc_info=True, extra={"event": "page_split"})
            done, rejected = await asyncio.to_thread(analyse_apart, fresh,
                                                     analyzer=self.analyzer, prior=prior)
            return Prepared(page, done, tuple(rejected))

    def close(self, *, wait: bool = False) -> None:
        """Let go of the analysis workers, if any (with `wait`, once they have exited)."""
        if self.pool is not None:
            self.pool.close(wait=wait)

    async def commit(self, source: str, prepared: Prepared, *,
                     advance_cursor: bool = True) -> IngestResult:
        """Store a prepared page and advance the source's cursor past it, all or nothing.

        A page the store refuses for something other than being unavailable (a poison item:
        a lone surrogate, a year 9999, 10^30 followers) is stored post by post instead: the
        good ones go in, each bad one is held in the quarantine with its error and payload,
        and the cursor moves on, so one bad item never stops a source."""
        now = self.clock()
        page = prepared.page
        rejected = (*page.rejected, *prepared.rejected)
        window = self.rules.outage_cluster_window
        try:
            result = await self.store.write(
                lambda s: s.ingest(source, page.next_cursor, prepared.analysed, self.planner,
                                   now=now, advance_cursor=advance_cursor,
                                   cluster_window=window, fixed_window=self.rules.incident_quiet,
                                   rejected=rejected))
        except StoreUnavailable:
            raise
        except Exception:  # noqa: BLE001 - a poison item: store the page post by post
            log.warning("source %s: a page could not be stored; storing its posts one by one",
                        source, exc_info=True, extra={"source": source, "event": "page_split"})
            return await self._commit_apart(source, prepared, rejected, advance_cursor)
        held = len(rejected)
        return IngestResult(
            received=len(page.mentions), stored=result.stored,
            cases_opened=result.cases_opened, drafts_created=result.drafts_created,
            quarantined=held,
        )

    async def _commit_apart(self, source: str, prepared: Prepared,
                            rejected: Sequence[Rejected], advance_cursor: bool
                            ) -> IngestResult:
        now = self.clock()
        window = self.rules.outage_cluster_window
        held = list(rejected)
        stored = cases = drafts = 0
        for item in prepared.analysed:
            try:
                one = await self.store.write(
                    lambda s, item=item: s.ingest(  # type: ignore[misc]
                        source, None, [item], self.planner, now=now, advance_cursor=False,
                        cluster_window=window, fixed_window=self.rules.incident_quiet))
            except StoreUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - this is the poison item
                held.append(mention_rejected(item.mention, exc))
                log.warning("source %s: %s quarantined: %s", source, item.mention.id,
                            held[-1].error, extra={"source": source, "event": "quarantined"})
                continue
            stored += one.stored
            cases += one.cases_opened
            drafts += one.drafts_created
        page = prepared.page
        await self.store.write(lambda s: s.ingest(
            source, page.next_cursor, [], self.planner, now=now,
            advance_cursor=advance_cursor, cluster_window=window,
            fixed_window=self.rules.incident_quiet, rejected=held))
        return IngestResult(received=len(page.mentions), stored=stored, cases_opened=cases,
                            drafts_created=drafts, quarantined=len(held))

    async def ingest(self, source: str, page: Page, *,
                     advance_cursor: bool = True) -> IngestResult:
        """Store one page and advance the source's cursor past it, all or nothing.

        A backfill passes `advance_cursor=False`: its pages are history, and the live cursor
        must not move (least of all backwards)."""
        return await self.commit(source, await self.prepare(page),
                                 advance_cursor=advance_cursor)
