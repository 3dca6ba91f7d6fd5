"""Outage incidents as a care team sees them: one incident per outage in any industry, holding
the customers' posts about it and nothing else, and our own posts about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.quality import analyzer_for
from monitor.analysis import Analyzer
from monitor.cases import CaseRules, plan_page
from monitor.models import Action, AnalysedMention, DraftSpec, Mention
from monitor.settings import Settings
from monitor.store import Store
from tests.factories import T0, mention

SHOP = {"name": "Marlow & Co", "industry": "retail", "keywords": ["marlow & co", "marlowco"],
        "handles": {"x": ["MarlowCo", "MarlowCoHelp"]}}
BANK = {"name": "Kestrel Bank", "industry": "banking", "keywords": ["kestrel bank"],
        "handles": {"x": ["KestrelBank"]}}


@pytest.fixture(scope="module")
def shop() -> Analyzer:
    return analyzer_for(SHOP, SHOP["industry"])


@pytest.fixture(scope="module")
def bank() -> Analyzer:
    return analyzer_for(BANK, BANK["industry"])


def _run(tmp_path: Path, brand: dict[str, Any], analyzer: Analyzer,
         posts: list[Mention]) -> Store:
    """Each post through analysis and the planner, one page each as a live source delivers
    them; the store is open for the test to read."""
    rules = CaseRules.from_settings(Settings.model_validate({"brand": brand}))
    store = Store(f"sqlite:///{tmp_path / 'i.db'}")

    def planner(new: list[AnalysedMention], context: object) -> object:
        return plan_page(new, context, rules=rules,  # type: ignore[arg-type]
                         drafter=lambda c, m, a: DraftSpec(text=f"Hi {m.native_id}",
                                                           template="default"))
    for m in posts:
        store.ingest("s", None, [AnalysedMention(m, analyzer.analyze_mention(m))],
                     planner, now=T0)  # type: ignore[arg-type]
    return store


def _case_of(store: Store) -> dict[str, tuple[int | None, str | None]]:
    """Each stored post's case and that case's kind."""
    kinds = {c["id"]: c["kind"] for c in store.list_cases()}
    return {r[0].split(":", 1)[1]: (r[1], kinds.get(r[1])) for r in store.conn.execute(
        "SELECT id, case_id FROM mentions")}


def _five_down() -> list[Mention]:
    """Five Kestrel Bank customers (c0 to c4) saying it is down, a minute apart: an incident."""
    return [mention(str(i), text, author=f"c{i}", minutes=i) for i, text in enumerate([
        "@KestrelBank is it just me or is the app down?",
        "@KestrelBank card declined everywhere, not just me",
        "@KestrelBank app won't load, error 503",
        "@KestrelBank is Kestrel Bank down? can't pay for anything",
        "#kestrelbankdown card declined at the till @KestrelBank"])]


def _one_incident(tmp_path: Path, brand: dict[str, Any], texts: list[str], *,
                  every: int = 3) -> tuple[set[str], dict[str, tuple[int | None, str | None]]]:
    """Posts `texts` (ids "0", "1", ... by customers c0, c1, ..., `every` minutes apart)
    through the brand's own pack: the ids on the one incident they open, and each post's case
    and its kind."""
    posts = [mention(str(i), text, author=f"c{i}", minutes=i * every)
             for i, text in enumerate(texts)]
    store = _run(tmp_path, brand, analyzer_for(brand, brand["industry"]), posts)
    try:
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        case_of = _case_of(store)
    finally:
        store.close()
    return {i for i, (case, _) in case_of.items() if case == incident["id"]}, case_of


@pytest.mark.parametrize("text", [
    "marlowco down? 👀",
    "marlowco.com is just a white page for me now. is it me or them",
    "Love that @MarlowCo sends a last chance email at 7pm and then the entire website falls "
    "over. Masterful.",
    "@MarlowCoHelp will you extend the 30% off if your site's broken? been trying since 7",
])
def test_a_shop_whose_site_is_down_hears_it_as_a_post_to_answer(shop: Analyzer,
                                                                 text: str) -> None:
    a = shop.analyze(text)
    assert a.action is Action.REPLY and a.outage == "down", a.reasons
    assert a.label == "negative", a.reasons


@pytest.mark.parametrize("text", [
    "@MarlowCoHelp payroll for 9 staff due out at 1pm. Is it going to fail?",
    "@MarlowCoHelp the card won't go through at the pharmacy. What do I do",
    "@MarlowCo 30 mins now. Some of us have delivery drivers at the door.",
    "@MarlowCoHelp karta nie przechodzi i aplikacja się nie ładuje. Co się dzieje??",
    "@MarlowCoHelp la tarjeta rechazada y la app no carga",
])
def test_a_customer_failing_in_any_words_is_a_symptom_of_an_outage(shop: Analyzer,
                                                                  text: str) -> None:
    a = shop.analyze(text)
    assert a.action is Action.REPLY and a.outage is not None, a.reasons


@pytest.mark.parametrize("text", [
    "Marlow & Co is back up, order placed, phew. Thanks!",
    "Not one problem with the Marlow & Co website in years, would recommend",
])
def test_a_site_that_works_again_or_never_broke_is_no_outage(shop: Analyzer, text: str) -> None:
    assert shop.analyze(text).outage != "down"


def test_a_checkout_outage_at_a_shop_becomes_one_incident_with_the_symptoms_before_it(
        tmp_path: Path, shop: Analyzer) -> None:
    # retail has no outage intent: the outage is heard in the customers' words
    texts = ["@MarlowCoHelp basket keeps emptying itself when I hit pay. Help",
             "@MarlowCoHelp is the website down? checkout just keeps spinning",
             "marlow & co site giving me a 503 on checkout. tried 3 cards",
             "is marlowco down for everyone or just me?",
             "@MarlowCo checkout is broken, the sale ends at midnight",
             "marlowco down? 👀",
             "@MarlowCoHelp where is my order from last week? #MO-4411 never arrived"]
    posts = [mention(str(i), text, author=f"c{i}", minutes=i * 4) for i, text in enumerate(texts)]
    store = _run(tmp_path, SHOP, shop, posts)
    try:
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        assert incident["priority"] == "urgent"
        case_of = _case_of(store)
        # the first customer, whose post named only a symptom, is in it too
        assert {i for i, (case, _) in case_of.items() if case == incident["id"]} == {
            "0", "1", "2", "3", "4", "5"}
        assert case_of["6"][1] == "customer"  # a late order keeps a case of its own
    finally:
        store.close()


def test_an_outage_takes_a_customer_whose_older_case_is_about_something_else(
        tmp_path: Path, bank: Analyzer) -> None:
    older = mention("0", "@KestrelBank you charged me twice for £89.40 on Saturday, refund it "
                    "please", author="martin", minutes=-2 * 24 * 60)
    down = [mention(str(i), text, author=f"c{i}", minutes=i) for i, text in enumerate([
        "@KestrelBank is it just me or is the app down?",
        "@KestrelBank card declined everywhere, not just me",
        "@KestrelBank app won't load, error 503",
        "@KestrelBank is Kestrel Bank down? can't pay for anything"], start=1)]
    again = mention("9", "@KestrelBank and now my card won't work at all, is Kestrel Bank down?",
                    author="martin", minutes=6, in_reply_to="0", conversation_id="0")
    store = _run(tmp_path, BANK, bank, [older, *down, again])
    try:
        case_of = _case_of(store)
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        assert case_of["9"][0] == incident["id"]
        assert case_of["0"][1] == "customer"  # the double payment stays its own problem
    finally:
        store.close()


def test_our_posts_about_the_outage_join_it_and_a_customer_still_failing_after_the_fix_is_answered(
        tmp_path: Path, bank: Analyzer) -> None:
    down = _five_down()
    status = mention("s1", "We know some customers can't use their cards right now. We're "
                     "working on it.", author="KestrelBank", minutes=8)
    fixed = mention("s2", "Card payments and the app are working again. Sorry for the "
                    "disruption.", author="KestrelBank", minutes=30)
    still = mention("7", "@KestrelBank still declined for me, chip and contactless",
                    author="kyle", minutes=35)
    other = mention("8", "@KestrelBank my mortgage statement shows the wrong rate, can you "
                    "check?", author="rosa", minutes=12, in_reply_to="s1", conversation_id="s1")
    # in the thread of a post the outage took, still failing after the fix: the incident
    again = mention("10", "@KestrelBank card declined again at the petrol station",
                    author="c2", minutes=40, in_reply_to="2", conversation_id="2")
    store = _run(tmp_path, BANK, bank, [*down, status, other, fixed, still, again])
    try:
        case_of = _case_of(store)
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        assert case_of["s1"][0] == incident["id"] and case_of["s2"][0] == incident["id"]
        # a reply under our status post about another problem is a case of its own
        assert case_of["8"][1] == "customer"
        # still failing after the fix: on the incident, which stays resolved, with a reply
        assert case_of["7"][0] == incident["id"]
        assert store.get_case(incident["id"]).status.value == "resolved"
        assert any(d["mention_id"] == "x:7" for d in store.list_drafts(status="pending"))
        assert case_of["10"][0] == incident["id"]
    finally:
        store.close()



def test_symptoms_during_an_outage_join_it_and_market_talk_and_tips_do_not(
        tmp_path: Path) -> None:
    # an app outage at a software company: its customers name only what they see
    brand = {"name": "Quillstack", "industry": "software",
             "keywords": ["quillstack", "$qstk"], "handles": {"x": ["QuillstackHQ"]}}
    texts = ["is quillstack down? getting 502 on the app",
             "quillstack down for everyone? 503 from the EU",
             "@QuillstackHQ can't log in, 'Something went wrong' on every attempt",
             "quillstack won't sync. spinner of doom on desktop and phone",
             "@QuillstackHQ all my Quillstack boards are blank. BLANK.",
             "Anyone else unable to open any Quillstack boards right now?",
             "quillstack is down for me too, 503 on every page",
             "$QSTK down 1.8% this morning as the market digests the news",
             "@ben_desk it was Quillstack's outage, not you. your local copy is fine"]
    members, case_of = _one_incident(tmp_path, brand, texts)
    assert members == {"0", "1", "2", "3", "4", "5", "6"}
    assert case_of["7"][0] is None and case_of["8"][0] is None  # no case at all


def test_an_airline_check_in_outage_gathers_its_symptoms_and_not_a_lost_bag_chaser(
        tmp_path: Path) -> None:
    # airline has no outage intent: a check-in system failing is heard in what passengers see,
    # and "any news?" about a bag is another problem, not a symptom
    brand = {"name": "Skua Air", "industry": "airline", "keywords": ["skua air", "skuaair"],
             "handles": {"x": ["SkuaAir", "SkuaAirHelp"]}}
    texts = ["@SkuaAirHelp is the app down? boarding pass won't load",
             "@SkuaAir online check-in dead and the app dead too. Flight at 8",
             "skua air check-in is down at Aberdeen, desks can't print anything",
             "@SkuaAirHelp the Aberdeen desk says the system shows nothing for my booking",
             "is skua air down for everyone? app just spins",
             "@SkuaAirHelp no trips found in the app and the desk can't see me either",
             "skua air website down too, not just the app",
             "@SkuaAir is it just me or is check-in down? Dyce queue is huge",
             "@SkuaAirHelp my bag from Tuesday's SK22 still hasn't turned up. any news?"]
    members, case_of = _one_incident(tmp_path, brand, texts)
    assert members == {"0", "1", "2", "3", "4", "5", "6", "7"}
    assert case_of["8"][1] == "customer"


def test_an_outage_leaves_out_fees_lost_cards_onlookers_and_whoever_says_it_is_not_that(
        tmp_path: Path) -> None:
    brand = {"name": "Kestrel Bank", "industry": "banking", "keywords": ["kestrel bank"],
             "hashtags": ["kestreldown"], "handles": {"x": ["KestrelBank"]},
             "competitors": {"Norvale": ["norvale", "@NorvaleBank"]}}
    down = ["@KestrelBank is it just me or is the app down?",
            "@KestrelBank card declined everywhere, not just me",
            "@KestrelBank app won't load, error 503",
            "@KestrelBank is Kestrel Bank down? can't pay for anything",
            "#kestreldown card declined at the till @KestrelBank",
            "@KestrelBank internet banking's gone completely here in York"]
    others = [
        # a fee, however it came about, is a fee complaint
        "@KestrelBank you charged me a £25 overdraft fee again this month, the third time",
        # the customer froze their own lost card
        "@KestrelBank left my card on the bus, froze it in the app straight away. How do I "
        "get a new one?",
        # an onlooker's joke and a rival's customer
        "Kestrel Bank's down so half of Leeds is about to discover cash. Godspeed #kestreldown",
        "Norvale customer here, card works fine, thoughts and prayers to the Kestrel lot "
        "#kestreldown",
        # says it is not the outage
        "@KestrelBank I know there's an outage, but my mortgage query has been open since "
        "the 2nd. Still nothing",
    ]
    members, _ = _one_incident(tmp_path, brand, [*down, *others], every=1)
    assert members == {str(i) for i in range(len(down))}


def test_a_customer_still_failing_an_hour_after_the_fix_and_a_vulnerable_one_join_it(
        tmp_path: Path, bank: Analyzer) -> None:
    down = _five_down()
    # a customer the lists call vulnerable, hit by the outage: one of its customers
    frail = mention("5", "@KestrelBank my dad is 88 and stuck at the pharmacy, his card won't "
                    "work and he can't pay for his tablets", author="dora", minutes=7)
    fixed = mention("s2", "All fixed: the app, online banking and card payments are working "
                    "again.", author="KestrelBank", minutes=20)
    late = mention("6", "@KestrelBank your post says it's fixed but the app still won't open "
                   "for me", author="eli", minutes=75)
    french = mention("7", "@KestrelBank l'appli ne marche toujours pas chez moi, c'est réglé ?",
                     author="fabien", minutes=90)
    # hours later a new failure is not the fixed outage's
    later = mention("8", "@KestrelBank card declined again at the garage", author="gus",
                    minutes=20 + 3 * 60)
    store = _run(tmp_path, BANK, bank, [*down, frail, fixed, late, french, later])
    try:
        case_of = _case_of(store)
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        assert {k for k, (case, _) in case_of.items() if case == incident["id"]} >= {
            "0", "1", "2", "3", "4", "5", "s2", "6", "7"}
        assert case_of["8"][0] != incident["id"]
        # the team hears of the vulnerable customer on the incident by name
        texts = [r[0] for r in store.conn.execute(
            "SELECT text FROM notifications WHERE case_id = ?", (incident["id"],))]
        assert any("dora" in t and "vulnerable" in t for t in texts), texts
    finally:
        store.close()


def test_memes_commentary_and_a_rivals_customer_stay_out_of_an_outage(tmp_path: Path) -> None:
    brand = {"name": "Kestrel Bank", "industry": "banking", "keywords": ["kestrel bank"],
             "hashtags": ["kestreldown"], "handles": {"x": ["KestrelBank"]}}
    down = ["@KestrelBank is it just me or is the app down?",
            "@KestrelBank card declined everywhere, not just me",
            "@KestrelBank app won't load, error 503",
            "@KestrelBank is Kestrel Bank down? can't pay for anything",
            "#kestreldown card declined at the till @KestrelBank"]
    others = [
        # a meme, others described, commentary, a skull for laughing, a rival's card working
        "POV: you're on the Kestrel Bank server team at 9:01 on payday #kestreldown",
        "kestrel bank customers at the petrol station rn [gif of a man running away] "
        "#kestreldown",
        "Kestrel Bank going down is a timely reminder that every bank needs a plan B for cards",
        "the kestrel bank outage at lunchtime 💀 #kestreldown",
        "meanwhile my credit union card just worked fine at Tesco #kestreldown",
    ]
    members, _ = _one_incident(tmp_path, brand, [*down, *others], every=1)
    assert members == {str(i) for i in range(len(down))}


def test_a_customer_whose_service_is_back_but_has_another_problem_is_not_the_outage(
        tmp_path: Path, bank: Analyzer) -> None:
    fixed = mention("s2", "All fixed: the app, online banking and card payments are working "
                    "again.", author="KestrelBank", minutes=20)
    twice = mention("6", "@KestrelBank works now, but the shop says my payment went through "
                    "twice. £48.10 still showing two times", author="eli", minutes=40)
    still = mention("7", "@KestrelBank the app still won't open for me", author="fay",
                    minutes=45)
    store = _run(tmp_path, BANK, bank, [*_five_down(), fixed, twice, still])
    try:
        case_of = _case_of(store)
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        assert case_of["7"][0] == incident["id"]
        assert case_of["6"][0] not in (None, incident["id"])
    finally:
        store.close()


def test_after_the_fix_a_reply_in_a_customers_outage_thread_joins_only_if_still_out(
        tmp_path: Path, bank: Analyzer) -> None:
    down = _five_down()
    fixed = mention("s2", "All fixed: the app, online banking and card payments are working "
                    "again.", author="KestrelBank", minutes=20)
    # each customer answers under their own outage post, after our fix
    def under(i: int, text: str, minutes: int) -> Mention:
        return mention(f"r{i}", text, author=f"c{i}", minutes=minutes, in_reply_to=str(i),
                       conversation_id=str(i))
    store = _run(tmp_path, BANK, bank, [*down, fixed,
                 under(0, "@KestrelBank back up but my failed payment to the gas company "
                       "shows as taken?", 30),
                 under(1, "@KestrelBank and now the gym wants a £15 fee for the debit that "
                       "bounced. Who pays that?", 50),
                 under(2, "@KestrelBank still won't load for me, same error", 35),
                 under(3, "@KestrelBank still declining on the train app even now?? everything "
                       "else works again", 40)])
    try:
        case_of = _case_of(store)
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        # not over for them, or the outage itself: the incident's
        assert {case_of[k][0] for k in ("r2", "r3")} == {incident["id"]}
        assert case_of["r0"][0] not in (None, incident["id"])
        assert case_of["r1"][0] not in (None, incident["id"])
    finally:
        store.close()


def test_a_hacker_news_headline_about_the_outage_is_news_and_a_comment_is_a_customer(
        tmp_path: Path, bank: Analyzer) -> None:
    story = mention("hn1", "Kestrel Bank cards and app down across the UK", author="pg_fan",
                    platform="hackernews", minutes=6)
    comment = mention("hn2", "Mine too, card declined at Tesco twenty minutes ago and the app "
                      "won't load", author="ops_dan", platform="hackernews", minutes=7,
                      in_reply_to="hn1", conversation_id="hn1")
    assert bank.analyze_mention(story).action is Action.MONITOR
    assert bank.analyze_mention(comment).action is Action.REPLY
    store = _run(tmp_path, BANK, bank, [*_five_down(), story, comment])
    try:
        case_of = _case_of(store)
        (incident,) = [c for c in store.list_cases() if c["kind"] == "incident"]
        assert case_of["hn1"][0] is None
        assert case_of["hn2"][0] == incident["id"]
    finally:
        store.close()


@pytest.mark.parametrize(("text", "fixed"), [
    ("We know some of you can't log in right now. We're on it. Cards and cash machines are "
     "working normally.", False),
    ("Cards should start working again in the next few minutes, thanks for bearing with us",
     False),
    ("Our 2-Year Fixed Rate ISA opens today at 4.15% AER", False),
    ("Fixed ✅ The app and online banking are back. If you still can't log in, restart the app",
     True),
    ("Resolved: card payments are working normally again. Sorry for the disruption", True),
])
def test_a_status_post_naming_what_still_works_is_not_the_fix(text: str, fixed: bool) -> None:
    from monitor.incidents import announces_fix

    assert announces_fix(text) is fixed


def test_customers_naming_what_fails_make_an_outage_once_two_say_it_is_down(
        tmp_path: Path, bank: Analyzer) -> None:
    """Most customers in an outage say what fails for them, not that the bank is down: five
    of them in half an hour, two saying it is down, are an incident; five failing with only
    one saying so are five cases."""
    failing = ["@KestrelBank my transfer to my sister keeps failing, tried four times",
               "@KestrelBank can't pay my window cleaner, transfer failed three times",
               "@KestrelBank payment to my landlord failed, rent is due today"]
    said_down = ["@KestrelBank is Kestrel Bank down?? transfers failing for me",
                 "@KestrelBank app down for anyone else? can't send money"]

    def incidents(texts: list[str], folder: str) -> int:
        (tmp_path / folder).mkdir()
        posts = [mention(str(i), t, author=f"c{i}", minutes=i * 4) for i, t in enumerate(texts)]
        store = _run(tmp_path / folder, BANK, bank, posts)
        try:
            return sum(c["kind"] == "incident" for c in store.list_cases())
        finally:
            store.close()

    assert incidents([*failing, *said_down], "two") == 1
    assert incidents([*failing, said_down[0], "@KestrelBank my card payment failed at Tesco"],
                     "one") == 0


@pytest.mark.parametrize("text", [
    "my Norvale card hasn't gone down once in 6 years. just saying. #kestreldown",
    "How Kestrel Bank rebuilt its card platform in a year",
    "Kestrel Bank members report app and card payments down across Yorkshire. The bank says "
    "it is investigating.",
])
def test_a_rivals_boast_and_a_headline_are_not_ours_to_answer(bank: Analyzer, text: str) -> None:
    assert bank.analyze(text).action is Action.MONITOR
