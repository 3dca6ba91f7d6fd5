"""Ingest: a page of new mentions, their authors, cases and drafts, and the cursor, in one
transaction; and what the case planner may know of the store while it plans.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitor.models import (
    AnalysedMention,
    Case,
    DraftSpec,
    Mention,
    Rejected,
    iso,
    parse_iso,
)
from monitor.store.base import chunks, dumps, qmarks
from monitor.store.cases import case_from_row, case_values
from monitor.store.mentions import MentionsStore
from monitor.store.notifications import NotificationsStore
from monitor.store.quarantine import hold_rows
from monitor.store.queue import PRIORITY_RANK


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What the case planner may know about the store, read inside the ingest transaction."""

    next_case_id: int
    # every case the page may touch, by id
    cases: dict[int, Case]
    # author id -> id of that author's most recent case
    latest_case_by_author: dict[str, int]
    # mention id -> case id, for the posts that new mentions reply to
    case_of_mention: dict[str, int]
    # (platform, conversation id) -> case id
    case_of_conversation: dict[tuple[str, str], int]
    # case ids with a reply draft awaiting a decision
    pending_draft: frozenset[int]
    # outage complaints stored in the cluster window before the page, in customer cases:
    # (mention id, author id, created at, case id), oldest first
    # (mention, author, time, case, whether it says the service is down: else a symptom)
    recent_outage: tuple[tuple[str, str, datetime, int, bool], ...] = ()
    # the open incident that new outage complaints join, if any (its Case is in `cases`)
    incident_id: int | None = None
    # the page's authors with a reply draft awaiting a decision in that incident
    incident_pending_authors: frozenset[str] = frozenset()
    # the saved replies in use, for the drafter to offer (id, intent, language, text, words)
    saved_replies: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class Plan:
    """What the planner decided for a page of new mentions; the store writes it as one unit."""

    case_of: dict[str, int | None] = field(default_factory=dict)  # mention id -> case id
    new_cases: list[Case] = field(default_factory=list)
    updated_cases: list[Case] = field(default_factory=list)
    drafts: list[tuple[int, Mention, DraftSpec]] = field(default_factory=list)
    # stored mentions (and their drafts) the plan moves to another case: an incident's posts
    moved: dict[str, int] = field(default_factory=dict)
    # (case id, reason, text): webhook notifications, queued at most once per case and reason
    notifications: list[tuple[int, str, str]] = field(default_factory=list)
    # the customer posted again on a case whose reply is still pending: that draft is written
    # again for their newest post (case id, the post, the new draft)
    refreshed: list[tuple[int, Mention, DraftSpec]] = field(default_factory=list)
    # incidents whose state changed (our fix post resolved them): their waiting drafts are
    # written again by `redraft(case, post, stored analysis columns)`
    redraft_incidents: list[Case] = field(default_factory=list)
    redraft: Callable[[Case, Mention, Mapping[str, Any]], DraftSpec] | None = None
    # a customer's follow-up on their escalated case ("called, claim opened, will I get the
    # $2,900 back?"): the case's kinds it does not name itself, stored on the post too
    carried: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest transaction wrote."""

    received: int
    stored: int
    cases_opened: int
    drafts_created: int
    quarantined: int = 0  # the page's items held in the quarantine


Planner = Callable[[Sequence[AnalysedMention], CaseContext], Plan]


class IngestStore(MentionsStore, NotificationsStore):
    """Writes pages of mentions; keeps the sources' cursors."""

    def get_cursor(self, source: str) -> str | None:
        """Where `source` should resume, or None to start from the beginning."""
        row = self.conn.execute("SELECT cursor FROM cursors WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, source: str, cursor: str, *, now: datetime) -> None:
        """Record where a job that is not a platform source got to (digests, alerts)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO cursors (source, cursor, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, "
                "updated_at = excluded.updated_at",
                (source, cursor, iso(now)),
            )

    def ingest(
        self,
        source: str,
        cursor: str | None,
        items: Sequence[AnalysedMention],
        planner: Planner,
        *,
        now: datetime,
        advance_cursor: bool = True,
        cluster_window: timedelta = timedelta(minutes=30),
        fixed_window: timedelta = timedelta(hours=2),
        rejected: Sequence[Rejected] = (),
    ) -> IngestResult:
        """Store a page of mentions, their cases and drafts, and the source's cursor, atomically.

        A mention already stored is skipped (however often it is fetched), so replaying a page
        after a crash repeats nothing. The cursor moves in the same transaction as the data it
        covers, so a crash between pages loses nothing either. `cluster_window` is how far
        back the planner needs to see outage complaints (`[cases] outage_cluster_window`),
        `fixed_window` how long a fixed incident still takes customers failing after the fix
        (`[cases] incident_quiet`).
        `rejected` items of the page are held in the quarantine in the same transaction.
        """
        # the same post twice in one page: the first one counts (as a later fetch would skip
        # it); the adapter reports the second
        first: dict[str, AnalysedMention] = {}
        for item in items:
            first.setdefault(item.mention.id, item)
        unique = list(first.values())
        with self.transaction() as conn:
            known = self.known_mention_ids(i.mention.id for i in unique)
            new = [i for i in unique if i.mention.id not in known]
            context = self._case_practice_context(
                new, self._case_context(new), cluster_window=cluster_window,
                fixed_window=fixed_window) if new else None
            plan = planner(new, context) if context is not None else Plan()
            self._write_authors(new, now)
            # One statement per page, not per case: on PostgreSQL each is a round trip, and
            # executemany pipelines them.
            rows = [case_values(case) for case in plan.new_cases]
            if rows:
                conn.executemany(f"INSERT INTO cases ({','.join(rows[0])}) "
                                 f"VALUES ({qmarks(len(rows[0]))})",
                                 [list(r.values()) for r in rows])
            self._write_mentions(source, new, plan, now)
            # Only the columns the plan changed (every index on another column stays put),
            # one executemany per set of columns rather than a statement per case: on
            # PostgreSQL each statement is a round trip, and executemany pipelines them.
            updates: dict[tuple[str, ...], list[list[Any]]] = {}
            for case in plan.updated_cases:
                stored = context.cases.get(case.id) if context else None
                values = {k: v for k, v in case_values(case).items() if stored is None
                          or getattr(case, k) != getattr(stored, k)}
                values.pop("id", None)
                if values:
                    updates.setdefault(tuple(values), []).append([*values.values(), case.id])
            for columns, batch in updates.items():
                conn.executemany(
                    f"UPDATE cases SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?",
                    batch)
            if plan.drafts:
                cases = dict(context.cases) if context else {}
                cases.update((c.id, c) for c in (*plan.new_cases, *plan.updated_cases))
                self._write_drafts(plan.drafts, now, cases=cases, sentiment={
                    i.mention.id: i.analysis.label for i in new})
            if plan.refreshed:
                self._refresh_drafts(plan.refreshed, now)
            if plan.redraft_incidents and plan.redraft is not None:
                self._redraft_incidents(plan.redraft_incidents, plan.redraft)
            self._write_case_practice(plan, now)
            hold_rows(conn, source, rejected, now)
            if advance_cursor:
                conn.execute(
                    "INSERT INTO cursors (source, cursor, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, "
                    "updated_at = excluded.updated_at",
                    (source, cursor, iso(now)),
                )
        return IngestResult(
            received=len(items), stored=len(new), cases_opened=len(plan.new_cases),
            drafts_created=len(plan.drafts),
        )

    def _case_context(self, new: Sequence[AnalysedMention]) -> CaseContext:
        conn = self.conn
        authors = sorted({i.mention.author.id for i in new})
        latest: dict[str, int] = {}
        for chunk in chunks(authors):
            rows = conn.execute(
                "SELECT author_id, max(id) FROM cases "
                f"WHERE author_id IN ({qmarks(len(chunk))}) GROUP BY author_id",
                chunk,
            )
            latest.update({r[0]: r[1] for r in rows})
        parents = sorted({
            f"{i.mention.platform}:{i.mention.in_reply_to}" for i in new if i.mention.in_reply_to
        })
        case_of_mention: dict[str, int] = {}
        for chunk in chunks(parents):
            rows = conn.execute(
                "SELECT id, case_id FROM mentions "
                f"WHERE case_id IS NOT NULL AND id IN ({qmarks(len(chunk))})",
                chunk,
            )
            case_of_mention.update({r[0]: r[1] for r in rows})
        conversations = sorted({
            (i.mention.platform, i.mention.conversation_id)
            for i in new if i.mention.conversation_id
        })
        case_of_conversation: dict[tuple[str, str], int] = {}
        by_platform: dict[str, list[str]] = {}
        for platform, conversation in conversations:
            by_platform.setdefault(platform, []).append(conversation)
        # a statement per platform and 500 conversations, not per conversation: on PostgreSQL
        # each is a round trip
        for platform, in_platform in by_platform.items():
            for chunk in chunks(in_platform):
                rows = conn.execute(
                    "SELECT conversation_id, max(id) FROM cases WHERE platform = ? "
                    f"AND conversation_id IN ({qmarks(len(chunk))}) GROUP BY conversation_id",
                    (platform, *chunk))
                case_of_conversation.update({(platform, r[0]): r[1] for r in rows})
        case_ids = sorted(set(latest.values()) | set(case_of_mention.values())
                          | set(case_of_conversation.values()))
        cases: dict[int, Case] = {}
        pending: set[int] = set()
        for ids in chunks(case_ids):
            marks = qmarks(len(ids))
            rows = conn.execute(f"SELECT * FROM cases WHERE id IN ({marks})", ids)
            cases.update({r["id"]: case_from_row(r) for r in rows})
            pending.update(self._awaiting_reply(ids))
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM cases").fetchone()[0]
        return CaseContext(
            next_case_id=next_id, cases=cases, latest_case_by_author=latest,
            case_of_mention=case_of_mention, case_of_conversation=case_of_conversation,
            pending_draft=frozenset(pending),
            saved_replies=self._saved_for_planner(),
        )

    def _saved_for_planner(self, limit: int = 500) -> tuple[dict[str, Any], ...]:
        """The saved replies in use, newest first: what the drafter may offer."""
        rows = self.conn.execute(
            "SELECT id, intent, language, text, words FROM saved_replies "
            "WHERE retired_at IS NULL ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return tuple({**dict(r), "words": json.loads(r["words"] or "[]")} for r in rows)

    def _awaiting_reply(self, case_ids: Sequence[int]) -> list[int]:
        """Which of these cases have a reply draft pending. EXISTS stops at the first: an
        outage incident can hold a hundred thousand pending drafts, and reading them all
        (as SELECT DISTINCT case_id did) made every page slower as the incident grew."""
        return [r[0] for r in self.conn.execute(
            f"SELECT id FROM cases WHERE id IN ({qmarks(len(case_ids))}) AND EXISTS ("
            "SELECT 1 FROM drafts INDEXED BY drafts_pending_reply WHERE drafts.case_id = "
            "cases.id AND drafts.status = 'pending' AND drafts.kind = 'reply')",
            list(case_ids))]

    def _write_authors(self, new: Sequence[AnalysedMention], now: datetime) -> None:
        stamp = iso(now)
        rows = {
            i.mention.author.id: (
                i.mention.author.id, i.mention.author.platform, i.mention.author.native_id,
                i.mention.author.handle, i.mention.author.display_name,
                i.mention.author.followers, stamp, stamp,
            )
            for i in new
        }
        self.conn.executemany(
            "INSERT INTO authors (id, platform, native_id, handle, display_name, followers, "
            "first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET handle = excluded.handle, "
            "display_name = coalesce(excluded.display_name, authors.display_name), "
            "followers = coalesce(excluded.followers, authors.followers), "
            "last_seen_at = excluded.last_seen_at",
            list(rows.values()),
        )

    def _write_mentions(
        self, source: str, new: Sequence[AnalysedMention], plan: Plan, now: datetime
    ) -> None:
        fetched = iso(now)
        rows = []
        for item in new:
            m, a = item.mention, item.analysis
            carried = plan.carried.get(m.id, [])
            reasons = [*a.reasons, *(f"escalation:{k}(on the case)" for k in carried)]
            rows.append((
                m.id, m.platform, m.native_id, source, m.url, m.author.id, m.text,
                m.lang or a.lang,
                iso(m.created_at), fetched, dumps(list(a.matched_terms)), m.in_reply_to,
                m.conversation_id, dumps(m.metrics), a.sentiment.compound, a.sentiment.pos,
                a.sentiment.neu, a.sentiment.neg, a.label, int(a.complaint),
                a.complaint_probability, a.intent, a.priority.value,
                dumps(reasons), plan.case_of.get(m.id), dumps(m.raw),
                a.action.value, dumps([*(k.value for k in a.escalation), *carried]),
                int(a.impersonation),
                a.vader_label, a.outage,
            ))
        self.conn.executemany(
            "INSERT INTO mentions (id, platform, native_id, source, url, author_id, text, lang, "
            "created_at, fetched_at, matched_terms, in_reply_to, conversation_id, metrics, "
            "compound, pos, neu, neg, sentiment, is_complaint, complaint_probability, intent, "
            "priority, reasons, case_id, raw, action, escalation, impersonation, vader_label, "
            f"outage) VALUES ({qmarks(31)})",
            rows,
        )

    def _refresh_drafts(self, refreshed: Sequence[tuple[int, Mention, DraftSpec]],
                        now: datetime) -> None:
        """Write a case's pending reply again for the customer's newest post. A draft a person
        already changed keeps their text, flagged so they see the customer posted since.
        The reads and the writes go as a statement or two for the page, not one per case (on
        PostgreSQL, each is a round trip)."""
        # each case's newest pending reply to that author (VALUES names its columns column1,
        # column2, ... in both databases), then those drafts
        probe = ("SELECT v.column1, (SELECT d.id FROM drafts d JOIN mentions p "
                 "ON p.id = d.mention_id WHERE d.case_id = v.column2 AND d.status = 'pending' "
                 "AND d.kind = 'reply' AND p.author_id = v.column3 ORDER BY d.id DESC LIMIT 1) "
                 "FROM (VALUES {rows}) AS v")
        found: list[tuple[Mention, DraftSpec, Any]] = []
        for chunk in chunks(refreshed, 100):
            marks = ", ".join(f"({n}, ?, ?)" for n in range(len(chunk)))
            latest = [(n, draft_id) for n, draft_id in self.conn.execute(
                probe.format(rows=marks),
                [v for case_id, m, _ in chunk for v in (case_id, m.author.id)])
                if draft_id is not None]
            ids = sorted({draft_id for _, draft_id in latest})
            if not ids:
                continue
            drafts = {r["id"]: r for r in self.conn.execute(
                "SELECT id, text, original_text, flags FROM drafts "
                f"WHERE id IN ({qmarks(len(ids))})", ids)}
            found += [(chunk[n][1], chunk[n][2], drafts[draft_id])
                      for n, draft_id in sorted(latest)]
        flagged: list[tuple[str, int]] = []
        rewritten: list[tuple[Any, ...]] = []
        for m, spec, row in found:
            if row["text"] != row["original_text"]:
                flags = [*json.loads(row["flags"]), "customer posted again since your edit"]
                flagged.append((dumps(list(dict.fromkeys(flags))), row["id"]))
                continue
            rewritten.append((m.id, spec.text, spec.text, spec.template, dumps(list(spec.flags)),
                              dumps(list(spec.candidates)), spec.language, int(spec.by_hand),
                              row["id"]))
        if flagged:
            self.conn.executemany("UPDATE drafts SET flags = ? WHERE id = ?", flagged)
        if rewritten:
            self.conn.executemany(
                "UPDATE drafts SET mention_id = ?, text = ?, original_text = ?, template = ?, "
                "flags = ?, candidates = ?, language = ?, by_hand = ? WHERE id = ? "
                "AND status = 'pending'", rewritten)

    def _redraft_incidents(self, incidents: Sequence[Case],
                           redraft: Callable[[Case, Mention, Mapping[str, Any]], DraftSpec]
                           ) -> None:
        """Write an incident's waiting drafts again for its new state ("it's fixed"); a draft
        a person has changed keeps their words."""
        for case in incidents:
            rows = self.conn.execute(
                "SELECT d.id, d.mention_id, m.lang, m.escalation, m.action, m.sentiment "
                "FROM drafts d JOIN mentions m ON m.id = d.mention_id WHERE d.case_id = ? "
                "AND d.status = 'pending' AND d.kind = 'reply' AND d.text = d.original_text "
                "ORDER BY d.id", (case.id,)).fetchall()
            for row in rows:
                spec = redraft(case, self.load_mention(row["mention_id"]), dict(row))
                self.conn.execute(
                    "UPDATE drafts SET text = ?, original_text = ?, template = ?, flags = ?, "
                    "candidates = ?, language = ? WHERE id = ? AND status = 'pending'",
                    (spec.text, spec.text, spec.template, dumps(list(spec.flags)),
                     dumps(list(spec.candidates)), spec.language, row["id"]))

    def _used_wordings(self, drafts: Sequence[tuple[int, Mention, DraftSpec]],
                       now: datetime) -> set[tuple[str, str]]:
        """Which of the page's candidate wordings a reply on the same platform had in the last
        day: one statement per 100 wordings, not one per wording, so that PostgreSQL answers
        a page in a round trip or two."""
        wanted = sorted({(m.platform, text) for _, m, spec in drafts
                         if len(spec.candidates) >= 2 for text in spec.candidates})
        since = iso(now - timedelta(hours=24))
        # `text || ''`, not `text`: SQLite would put the constant into `substr(text, ...)`
        # and no longer match the index's expression, reading every draft on the platform
        # (1.6 ms a draft at 5,000 drafts, growing with the store)
        # VALUES names its columns column1, column2, ... in both databases
        probe = ("SELECT v.column1 FROM (VALUES {rows}) AS v WHERE EXISTS (SELECT 1 FROM drafts d "
                 "WHERE d.platform = v.column2 AND substr(d.text, 1, 200) = v.column3 "
                 "AND d.text || '' = v.column4 AND d.created_at >= ? "
                 "AND d.status IN ('pending', 'approved', 'posting', 'posted'))")
        used: set[tuple[str, str]] = set()
        for chunk in chunks(wanted, 100):
            params: list[Any] = []
            for platform, text in chunk:
                params += [platform, text[:200], text]
            rows = ", ".join(f"({n}, ?, ?, ?)" for n in range(len(chunk)))
            used.update(chunk[r[0]] for r in self.conn.execute(probe.format(rows=rows),
                                                               [*params, since]))
        return used

    @staticmethod
    def _unique_wording(spec: DraftSpec, platform: str, taken: set[tuple[str, str]]
                        ) -> DraftSpec:
        """The draft with, first, a wording no reply on that platform has had in the last day
        (X refuses duplicate posts, and customers notice copy-paste). `taken`: the wordings
        used in that day and by this page's drafts so far."""
        if len(spec.candidates) < 2:
            taken.add((platform, spec.text))
            return spec
        for text in spec.candidates:
            if (platform, text) not in taken:
                taken.add((platform, text))
                rest = tuple(c for c in spec.candidates if c != text)
                return replace(spec, text=text, candidates=(text, *rest))
        taken.add((platform, spec.text))
        return spec

    def _write_drafts(self, drafts: Sequence[tuple[int, Mention, DraftSpec]],
                      now: datetime, *, cases: Mapping[int, Case] | None = None,
                      sentiment: Mapping[str, str] | None = None) -> None:
        """Insert pending drafts. With their cases (as the plan left them) and their posts'
        sentiment, each row carries its queue keys from the start; SQLite's insert trigger
        then has nothing to do (it fills them only for rows inserted without a team), which
        spares every new draft an UPDATE through six partial indexes."""
        cases, sentiment = cases or {}, sentiment or {}
        rows = []
        stamp = iso(now)
        taken = self._used_wordings(drafts, now)
        for case_id, m, spec in drafts:
            spec = self._unique_wording(spec, m.platform, taken)
            case = cases.get(case_id)
            keys = ((PRIORITY_RANK.get(case.priority.value, 3), iso(case.sla_due_at) or "",
                     case.intent, case.team) if case is not None
                    else (3, "", None, None))
            rows.append((case_id, m.id, m.platform, spec.text, spec.text, spec.template,
                         dumps(list(spec.flags)), stamp, *keys, sentiment.get(m.id),
                         dumps(list(spec.candidates)), spec.language, int(spec.by_hand)))
        self.conn.executemany(
            "INSERT INTO drafts (case_id, mention_id, platform, text, original_text, template, "
            "status, flags, created_at, priority_rank, sla_due_at, intent, team, sentiment, "
            "candidates, language, by_hand) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def _case_practice_context(self, new: Sequence[AnalysedMention], base: CaseContext, *,
                               cluster_window: timedelta,
                               fixed_window: timedelta) -> CaseContext:
        """Add what case practice needs to the planner's context: the authors' cases by their
        posts too (an incident holds other authors' posts), recent outage complaints, the open
        incident, and the cases merged into it."""
        conn = self.conn
        latest = dict(base.latest_case_by_author)
        authors = sorted({i.mention.author.id for i in new})
        for chunk in chunks(authors):
            rows = conn.execute(
                "SELECT author_id, max(case_id) FROM mentions WHERE case_id IS NOT NULL "
                f"AND author_id IN ({qmarks(len(chunk))}) GROUP BY author_id",
                chunk,
            )
            for author, case_id in rows:
                latest[author] = max(case_id, latest.get(author, 0))
        times = [i.mention.created_at for i in new]
        recent = tuple(
            (r[0], r[1], parse_iso(r[2]), r[3], bool(r[4])) for r in conn.execute(
                "SELECT m.id, m.author_id, m.created_at, m.case_id, "
                "(m.intent = 'outage' OR m.outage = 'down') FROM mentions m "
                "CROSS JOIN cases c ON c.id = m.case_id WHERE (m.action = 'reply' "
                "OR (m.action IS NULL AND m.is_complaint = 1)) "
                "AND (m.intent = 'outage' OR m.outage IS NOT NULL) "
                "AND m.created_at >= ? AND m.created_at <= ? "
                "AND c.kind = 'customer' ORDER BY m.created_at, m.id",
                (iso(min(times) - cluster_window), iso(max(times))),
            )
        )
        # the incident that is open, or was fixed lately ("your post says it's fixed??")
        row = conn.execute(
            "SELECT id FROM cases WHERE kind = 'incident' "
            "AND (status IN ('open', 'waiting', 'escalated') "
            "OR (status = 'resolved' AND resolved_at >= ?)) ORDER BY id DESC LIMIT 1",
            (iso(min(times) - max(cluster_window, fixed_window)),),
        ).fetchone()
        incident_id = row[0] if row else None
        cases = dict(base.cases)
        wanted = set(latest.values()) | {r[3] for r in recent}
        if incident_id is not None:
            wanted.add(incident_id)
        while wanted - set(cases):  # and the incidents that merged cases point at
            ids = sorted(wanted - set(cases))
            for id_chunk in chunks(ids):
                rows = conn.execute(
                    f"SELECT * FROM cases WHERE id IN ({qmarks(len(id_chunk))})", id_chunk)
                cases.update({r["id"]: case_from_row(r) for r in rows})
            wanted = {c.merged_into for c in cases.values() if c.merged_into is not None}
        pending = set(base.pending_draft)
        extra = sorted(set(cases) - set(base.cases))
        for id_chunk in chunks(extra):
            pending.update(self._awaiting_reply(id_chunk))
        incident_pending: set[str] = set()
        for chunk in chunks(authors if incident_id is not None else []):
            incident_pending.update(r[0] for r in conn.execute(
                "SELECT DISTINCT m.author_id FROM mentions m "
                "CROSS JOIN drafts d INDEXED BY drafts_mention ON d.mention_id = m.id "
                "WHERE d.case_id = ? AND d.status = 'pending' AND d.kind = 'reply' "
                f"AND m.author_id IN ({qmarks(len(chunk))})",
                (incident_id, *chunk),
            ))
        return replace(
            base, cases=cases, latest_case_by_author=latest, pending_draft=frozenset(pending),
            recent_outage=recent, incident_id=incident_id,
            incident_pending_authors=frozenset(incident_pending),
        )

    def _write_case_practice(self, plan: Plan, now: datetime) -> None:
        """Move stored posts (and their drafts) an incident took over; queue notifications."""
        conn = self.conn
        for mention_id, case_id in plan.moved.items():
            conn.execute("UPDATE mentions SET case_id = ? WHERE id = ?", (case_id, mention_id))
            # the queue keys are copied from the case, as the insert trigger does
            conn.execute(
                "UPDATE drafts SET case_id = c.id, priority_rank = CASE c.priority "
                "WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, "
                "sla_due_at = coalesce(c.sla_due_at, ''), intent = c.intent, team = c.team "
                "FROM cases c WHERE c.id = ? AND drafts.mention_id = ?",
                (case_id, mention_id),
            )
        for case_id, reason, text in plan.notifications:
            self.queue_notification(case_id, reason, text, now=now)
