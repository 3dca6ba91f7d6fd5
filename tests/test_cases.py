"""Case planning: one problem is one case; threads join; our replies count; routing works."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.case_rules import CaseRules, route
from monitor.cases import escalation_reasons, plan_page
from monitor.incidents import outage_cluster
from monitor.models import Case, CaseStatus, DraftSpec, Priority
from monitor.ratings import parse_rating
from monitor.settings import Settings
from monitor.sla import sla_state
from monitor.store import Store
from tests.factories import T0, analysed, mention

SETTINGS = Settings.model_validate({
    "brand": {"name": "Brightwave", "keywords": ["brightwave"],
              "handles": {"x": ["BrightwaveHelp"]}},
    "routing": {"default_team": "care", "teams": {
        "billing": {"intents": ["billing"], "terms": ["refund"]},
        "network": {"intents": ["outage"]},
    }},
})
RULES = CaseRules.from_settings(SETTINGS)


def drafter(case, m, a):  # type: ignore[no-untyped-def]
    return DraftSpec(text=f"reply to {m.native_id}", template=case.intent)


def planner(new, context):  # type: ignore[no-untyped-def]
    return plan_page(new, context, rules=RULES, drafter=drafter)


@pytest.fixture
def store(db_url: Callable[..., str]) -> Store:
    s = Store(db_url())
    yield s
    s.close()


def test_three_posts_by_one_customer_make_one_case_with_one_pending_draft(store: Store) -> None:
    posts = [analysed(mention(str(i), author="dana", minutes=i * 30)) for i in range(3)]
    store.ingest("s", "1", posts[:1], planner, now=T0)
    store.ingest("s", "2", posts[1:], planner, now=T0)
    (case,) = store.list_cases()
    assert case["mention_count"] == 3 and case["customer_effort"] == 3
    assert store.count("drafts") == 1
    assert store.count("mentions", "case_id = ?", [case["id"]]) == 3


def test_a_reply_in_the_thread_joins_even_when_it_is_not_a_complaint(store: Store) -> None:
    store.ingest("s", None, [analysed(mention("10", author="eli"))], planner, now=T0)
    follow = mention("11", "any update on this?", author="eli", minutes=9 * 24 * 60,
                     in_reply_to="10", conversation_id="10")
    store.ingest("s", None, [analysed(follow, complaint=False, intent="other")], planner,
                 now=T0)
    assert store.count("cases") == 1
    assert store.get_mention("x:11")["case_id"] == store.get_mention("x:10")["case_id"]


def test_our_reply_marks_first_response_and_a_new_complaint_gets_a_new_draft(
        store: Store) -> None:
    store.ingest("s", None, [analysed(mention("20", author="fay"))], planner, now=T0)
    store.decide_draft(1, approve=True, actor="ann", now=T0)
    ours = mention("21", "Sorry Fay, DM us", author="BrightwaveHelp", minutes=5,
                   in_reply_to="20", conversation_id="20")
    again = mention("22", "still down", author="fay", minutes=60, in_reply_to="21",
                    conversation_id="20")
    store.ingest("s", None, [analysed(ours, complaint=False), analysed(again)], planner, now=T0)
    (case,) = store.list_cases()
    assert case["first_response_at"].startswith("2026-11-18T07:05")
    # our reply made it `waiting`; the customer's complaint after it makes it ours again
    assert case["status"] == CaseStatus.OPEN.value
    assert case["mention_count"] == 2 and case["customer_effort"] == 1
    assert [d["mention_id"] for d in store.list_drafts(status="pending")] == ["x:22"]


def test_praise_opens_no_case_and_other_customers_get_their_own(store: Store) -> None:
    store.ingest("s", None, [
        analysed(mention("30", "love it", author="gus"), complaint=False, intent="praise"),
        analysed(mention("31", author="hal")),
        analysed(mention("32", "me too", author="ivy", in_reply_to="31", conversation_id="31")),
    ], planner, now=T0)
    cases = {c["author"]: c for c in store.list_cases()}
    assert set(cases) == {"hal", "ivy"}
    assert store.get_mention("x:30")["case_id"] is None


def test_an_old_case_outside_the_window_is_not_joined(store: Store) -> None:
    store.ingest("s", None, [analysed(mention("40", author="jo"))], planner, now=T0)
    later = mention("41", author="jo", minutes=8 * 24 * 60)
    store.ingest("s", None, [analysed(later)], planner, now=T0)
    assert store.count("cases") == 2


def test_priority_rises_with_a_worse_post_and_pulls_the_sla_in(store: Store) -> None:
    store.ingest("s", None, [analysed(mention("50", author="kim"))], planner, now=T0)
    worse = analysed(mention("51", author="kim", minutes=10), priority=Priority.URGENT)
    store.ingest("s", None, [worse], planner, now=T0)
    (case,) = store.list_cases()
    assert case["priority"] == "urgent"
    assert case["sla_due_at"].startswith((T0 + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M"))


def test_routing_prefers_terms_then_intent_then_default() -> None:
    assert route("outage", "I want a refund for the outage", RULES) == "billing"
    assert route("outage", "no internet", RULES) == "network"
    assert route("bug", "app crashes", RULES) == "care"


def test_resolved_case_is_reopened_by_a_new_complaint_in_the_window(store: Store) -> None:
    store.ingest("s", None, [analysed(mention("60", author="lee"))], planner, now=T0)
    context = store._case_context([analysed(mention("61", author="lee", minutes=60))])
    case = context.cases[1]
    resolved = replace(case, status=CaseStatus.RESOLVED, resolved_at=T0 + timedelta(minutes=30))
    context = replace(context, cases={1: resolved})
    plan = planner([analysed(mention("61", author="lee", minutes=60))], context)
    assert plan.new_cases == []
    assert plan.updated_cases[0].status is CaseStatus.OPEN
    assert plan.updated_cases[0].resolved_at is None


FIRST = {p: d for p, d in zip(Priority, [timedelta(minutes=15), timedelta(hours=1),
                                         timedelta(hours=4), timedelta(hours=24)], strict=True)}
RESOLVE = {p: d * 8 for p, d in FIRST.items()}


def _case(**changes: object) -> Case:
    base = Case(id=1, author_id="x:dana", platform="x", status=CaseStatus.OPEN,
                intent="outage", priority=Priority.HIGH, opened_at=T0, updated_at=T0,
                sla_due_at=T0 + timedelta(hours=1))
    return replace(base, **changes)


@pytest.mark.parametrize(("minutes", "state"), [(0, "ok"), (47, "ok"), (48, "at_risk"),
                                                (59, "at_risk"), (60, "breached")])
def test_first_response_sla_states(minutes: int, state: str) -> None:
    now = T0 + timedelta(minutes=minutes)
    assert sla_state(_case(), now=now, first_response=FIRST, resolution=RESOLVE)[0] == state


def test_after_the_first_response_the_resolution_target_applies() -> None:
    answered = _case(first_response_at=T0 + timedelta(minutes=5))
    state, due = sla_state(answered, now=T0 + timedelta(hours=7), first_response=FIRST,
                           resolution=RESOLVE)
    assert (state, due) == ("at_risk", T0 + timedelta(hours=8))
    resolved = _case(status=CaseStatus.RESOLVED)
    assert sla_state(resolved, now=T0 + timedelta(days=9), first_response=FIRST,
                     resolution=RESOLVE)[0] == "met"


@pytest.mark.parametrize(("text", "rating"), [
    ("5", 5), ("@BrightwaveHelp 4/5, thanks", 4), ("3 stars", 3), ("★★★★", 4),
    ("I'd give you a 2 out of 5 honestly", 2), ("five stars!", 5), ("1", 1),
    ("still down after 3 days", None), ("paid £5 for nothing", None), ("2 hours later...", None),
    ("between 3 and 4", None), ("yes all working now", None), ("100 Mbps now, 5", 5),
    ("went through on the 3rd try, thx", None), ("the 2nd card they sent works", None),
    ("5 working days and still no refund of the duplicate payment. I've DMed twice, rung once",
     None),
    ("Honestly the whole thing took ages but the agent was lovely, I'd give it a 4 out of 5", 4),
])
def test_ratings_are_read_from_replies(text: str, rating: int | None) -> None:
    assert parse_rating(text) == rating


def test_outage_cluster_needs_enough_posts_inside_the_window() -> None:
    times = [T0 + timedelta(minutes=m) for m in (0, 2, 3, 5, 9)]
    assert outage_cluster(times, now=T0 + timedelta(minutes=9), window=timedelta(minutes=10),
                          size=5)
    assert not outage_cluster(times, now=T0 + timedelta(minutes=12),
                              window=timedelta(minutes=10), size=5)


def test_escalation_reasons() -> None:
    legal = analysed(mention("1"), priority=Priority.URGENT).analysis
    legal = replace(legal, reasons=("priority:escalation(solicitor)",))
    assert escalation_reasons(legal, followers=10, high_reach=10_000) == [
        "escalation(solicitor)"]
    plain = analysed(mention("2")).analysis
    assert escalation_reasons(plain, followers=50_000, high_reach=10_000) == [
        "high-reach author (50000 followers)"]
    assert escalation_reasons(plain, followers=50, high_reach=10_000) == []


# --- case practice: the planner's newer rules, without the pipeline -------------------------


def _resolve(store: Store, case_id: int, minutes: float) -> None:
    store.resolve_case(case_id, actor="ann", now=T0 + timedelta(minutes=minutes),
                       follow_up=timedelta(hours=24))


def test_our_reply_alone_leaves_the_case_waiting_but_an_escalated_case_stays_escalated(
        store: Store) -> None:
    store.ingest("s", None, [
        analysed(mention("70", author="amy")),
        analysed(mention("71", author="bo"), priority=Priority.URGENT),
    ], planner, now=T0)
    store.conn.execute("UPDATE cases SET status = 'escalated' WHERE author_id = 'x:bo'")
    ours = [analysed(mention(n, "DM us", author="BrightwaveHelp", minutes=5, in_reply_to=p,
                             conversation_id=p), complaint=False) for n, p in (("72", "70"),
                                                                                ("73", "71"))]
    store.ingest("s", None, ours, planner, now=T0)
    assert {c["author"]: c["status"] for c in store.list_cases()} == {
        "amy": "waiting", "bo": "escalated"}


def test_thanks_or_a_rating_in_a_resolved_thread_do_not_reopen_it(store: Store) -> None:
    store.ingest("s", None, [analysed(mention("80", author="cy"))], planner, now=T0)
    _resolve(store, 1, 60)
    thanks = mention("81", "thanks, all good now", author="cy", minutes=90, in_reply_to="80",
                     conversation_id="80")
    rating = mention("82", "5", author="cy", minutes=100, in_reply_to="80", conversation_id="80")
    store.ingest("s", None, [analysed(thanks, complaint=False, intent="praise"),
                             analysed(rating, complaint=False, intent="other")],
                 planner, now=T0)
    (case,) = store.list_cases()
    assert (case["status"], case["csat"], case["mention_count"]) == ("resolved", 5, 3)
    assert case["csat_at"].startswith("2026-11-18T08:40")


def test_a_rating_before_resolution_is_not_csat(store: Store) -> None:
    store.ingest("s", None, [analysed(mention("85", author="di"))], planner, now=T0)
    store.ingest("s", None, [analysed(mention("86", "5 days and counting", author="di",
                                              minutes=5))], planner, now=T0)
    assert store.list_cases()[0]["csat"] is None


def test_an_answered_case_stays_its_own_when_an_incident_forms(store: Store) -> None:
    store.ingest("s", None, [analysed(mention("90", author="ed"))], planner, now=T0)
    store.ingest("s", None, [analysed(mention("91", "DM us", author="BrightwaveHelp", minutes=1,
                                              in_reply_to="90", conversation_id="90"),
                                      complaint=False)], planner, now=T0)
    store.ingest("s", None, [analysed(mention(str(92 + i), author=f"c{i}", minutes=2 + i))
                             for i in range(4)], planner, now=T0)
    (incident,) = store.list_cases(status="escalated")
    assert (incident["kind"], incident["author"]) == ("incident", "c0")
    assert incident["mention_count"] == 4  # the four unanswered customers' posts
    (ed,) = [c for c in store.list_cases() if c["author"] == "ed"]
    assert (ed["kind"], ed["merged_into"], ed["status"]) == ("customer", None, "waiting")
    assert store.count("mentions", "case_id = ?", [incident["id"]]) == 4


def test_a_customer_who_posted_twice_goes_whole_into_an_incident_formed_in_one_page(
        store: Store) -> None:
    # Found by the crash suite: moving a customer's first post emptied their new case, so
    # their second post stayed on a case that was never written, and the page failed for good.
    page = [analysed(mention("1", author="ann")), analysed(mention("2", author="ann"))]
    page += [analysed(mention(str(10 + i), author=f"c{i}", minutes=1)) for i in range(4)]
    store.ingest("s", "c1", page, planner, now=T0)
    (incident,) = store.list_cases()
    assert (incident["kind"], incident["author"], incident["mention_count"]) == (
        "incident", "ann", 6)
    assert store.count("mentions", "case_id = ?", [incident["id"]]) == 6
    assert store.get_cursor("s") == "c1"


def test_escalation_reasons_are_merged_into_one_list() -> None:
    from monitor.cases import _merge_reasons

    assert _merge_reasons(["escalation(small claims, ombudsman)"],
                          ["escalation(ofcom, small claims)", "high-reach author (9 followers)"]
                          ) == ("escalation(small claims, ombudsman, ofcom); "
                                "high-reach author (9 followers)")


def test_sla_met_reads_cases_and_rows() -> None:
    from monitor.sla import sla_met

    assert sla_met(_case(first_response_at=T0 + timedelta(minutes=59)),
                   first_response=FIRST) is True
    row = {"priority": "high", "opened_at": "2026-11-18T07:00:00Z",
           "first_response_at": "2026-11-18T08:01:00Z"}
    assert sla_met(row, first_response={"high": timedelta(hours=1)}) is False
    unanswered = {**row, "first_response_at": None}
    assert sla_met(unanswered, first_response=FIRST) is None
    assert sla_met(unanswered, first_response=FIRST, now=T0 + timedelta(hours=2)) is False


def test_sla_policy_reads_a_draft_rows_case_columns() -> None:
    from monitor.sla import SlaPolicy

    policy = SlaPolicy(FIRST, RESOLVE)
    row = {"case_status": "open", "priority": "high", "case_opened_at": "2026-11-18T07:00:00Z",
           "case_first_response_at": None, "sla_due_at": "2026-11-18T08:00:00.000000Z"}
    assert policy.of_row(row, T0 + timedelta(minutes=50), prefix="case_") == {
        "sla_state": "at_risk", "sla_due": "2026-11-18T08:00:00.000000Z"}


def test_a_follow_up_on_an_escalated_case_carries_its_kind_and_a_new_problem_does_not(
        tmp_path, bank) -> None:  # type: ignore[no-untyped-def]
    """The customer's own follow-up on their fraud case ("called, claim opened, when do I get
    it back?") is part of that security matter wherever it is listed, and says why; another
    customer's post, and our own reply, carry nothing."""
    import json

    from monitor.models import AnalysedMention

    rules = CaseRules.from_settings(Settings.model_validate(
        {"brand": {"name": "Kestrel Bank", "handles": {"x": ["KestrelBankHelp"]}}}))
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    posts = [
        mention("1", "@KestrelBankHelp someone used my card in Lisbon last night, £640 gone. I'm "
                "in Leeds", author="ines"),
        mention("2", "@ines sorry to hear this, please call the number on your card",
                author="KestrelBankHelp", minutes=5, in_reply_to="1", conversation_id="1"),
        mention("3", "@KestrelBankHelp called, claim opened. When will the money be back?",
                author="ines", minutes=30),
        mention("4", "@KestrelBankHelp when will the money from my refund be back?",
                author="otto", minutes=31),
    ]
    try:
        for m in posts:
            store.ingest("s", None, [AnalysedMention(m, bank.analyze_mention(m))],
                         lambda new, context: plan_page(
                             new, context, rules=rules,
                             drafter=lambda c, m, a: DraftSpec(text="Hi", template="default")),
                         now=T0)
        rows = {r[0].split(":", 1)[1]: (json.loads(r[1]), json.loads(r[2]))
                for r in store.conn.execute("SELECT id, escalation, reasons FROM mentions")}
    finally:
        store.close()
    assert rows["1"][0] == ["security"]
    assert rows["3"][0] == ["security"] and "escalation:security(on the case)" in rows["3"][1]
    assert rows["2"][0] == [] and rows["4"][0] == []
