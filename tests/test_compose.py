"""The draft composer: facts, stages, escalations, languages and candidates.

The phrase files (responders/compose/phrases/<language>.toml) are checked whole here: every
variant of every part renders with the facts a reply may use, and every reply fits on X.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from monitor.models import Mention
from monitor.packs import PACK_NAMES, load_pack
from monitor.store import Store
from responders.compose.composer import LANGUAGES, Composer, Situation, phrases
from responders.compose.facts import (
    already_dmed,
    find_amount,
    find_date,
    find_reference,
    mask,
    post_facts,
)
from tests.factories import T0, mention

COMPOSER = Composer(brand="Brightwave", sign_off="^Sam")
INTENTS = sorted({name for pack in PACK_NAMES for name in load_pack(pack).names})


def _compose(situation: Situation, text: str = "", *, lang: str = "en", name: str = "Dan",
             platform: str = "x", seed: str = "1", tone: str = "friendly") -> list[str]:
    composer = COMPOSER if tone == "friendly" else Composer(brand="Brightwave", tone=tone,
                                                           sign_off="^Sam")
    return list(composer.compose(situation, text=text, name=name, handle="dan",
                                 platform=platform, language=lang, team="care", case_id=7,
                                 seed=seed).candidates)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_phrase_file_renders_and_fits_on_x(lang: str) -> None:
    assert phrases(lang) is not None, f"no phrases for {lang}"
    worst = ("@Brightwave I've DMed you four times about the £1,234.56 double charge on 26 "
             "October, order MC-4479011, at the Leeds branch, Hub 3")
    situations = [Situation(i) for i in INTENTS] + [
        Situation(i, contacts=4, waited="3 days", already_dmed=True) for i in INTENTS] + [
        Situation("other", escalation=(k,)) for k in ("safety", "security", "legal",
                                                      "vulnerable")] + [
        Situation("outage", incident="ongoing"),
        Situation("outage", incident="resolved", fixed_at="08:04"),
        Situation("outage", incident="resolved", fixed_at="08:04", already_dmed=True),
        Situation("praise", acknowledge=True),
        Situation("billing", acknowledge=True, put_right=True)]
    for situation, tone, seed in itertools.product(situations, ("friendly", "formal"), "abc"):
        out = _compose(situation, worst, lang=lang, name="Maximilian", seed=seed, tone=tone)
        assert out, (situation, tone)
        for text in out:
            assert len(text) <= 280, (situation, tone, text)
            assert "{{" not in text and "{%" not in text, text


def test_facts_are_taken_out_of_the_post_and_card_numbers_are_masked() -> None:
    assert find_amount("they took £1,200.50 twice") == "£1,200.50"
    assert find_amount("me cobraron 40 euros") == "40 €"
    assert find_date("ordered on the 26th of October, still nothing") == "26 October"
    assert find_reference("order MC-4479011 never came") == "MC-4479011"
    assert find_reference("my card 4929 1234 5678 9012 was charged") == ""
    assert mask("4929 1234 5678 9012") == "••••9012"
    facts = post_facts("@Brightwave I've already DMed you my account number",
                       rules=(), default_issue="your bill")
    assert facts.already_dmed and facts.issue == "your bill"


@pytest.mark.parametrize("text", [
    "DMs sent, still nothing", "sent you a private message yesterday", "check DMs please",
    "dm sent", "replied to your DM with my sort code", "messaged your help account on Monday",
    "I've emailed three times", "DMed @KestrelHelp this morning", "Details are in the DM",
    "as per my DM", "gave all my details over the phone already", "sent yall a dm",
    "my DM from Friday still unanswered", "Dm’d you",
    "still no answer to my DM", "day two of my DM being ignored", "the DM team said 5-10 days",
    "have you checked your DMs? Sent you everything you asked for",
    "I have now sent the certificate to you three times",
    "Ich habe gestern eine DM geschickt",
    "I gave all her details on the phone on Tuesday",
    "I've sent Dad's death certificate twice now through your secure messages",
    "your colleague asked me to DM, I did yesterday at 4pm",
    "Habe euch schon am Montag per DM alles geschickt",
    "ya os mandé todo por mensaje privado el lunes",
    "DMing you now from here", "Police report filed, called your fraud line",
    "I emailed complaints@ on the 2nd", "Filled in your online contact form twice",
    "I've explained to 4 different people on the phone",
    "dropped you a DM an hour ago with my details", "shot you guys a message yesterday",
    "Pinged you on Messenger this morning, nobody replied", "Messaged on Tuesday, no reply",
    "slid into your DMs with the order number", "Ive sent the screenshots over DM",
    "Used the live chat yesterday and got nowhere", "the chat team have my reference already",
    "Raised it through the in-app chat already", "Déjà envoyé en MP, toujours rien",
    "Habe euch schon geschrieben, keine Antwort", "Te chamei no direct ontem",
    "Napisałem do was wczoraj na priv", "Os he enviado un mensaje privado con mis datos",
    "I did DM you yesterday, no reply", "details sent via DM", "pls check dm",
    "I've written to you twice", "spoke to someone on the phone on Monday, still nothing",
    "I've been emailing for a week", "submitted a complaint online 3 weeks ago",
    "your agent Sarah has all my info already", "already did that", "message sent!",
    "done ✅ sent", "just sent them over", "I raised a chargeback in the app last week",
    "I've sent you 3 DMs", "spent an hour on the phone to you yesterday",
    "hab euch eine DM geschickt",
    "we went to the branch yesterday and opened the fraud case",
    "I've filled in the fraud affidavit and sent it to the email your fraud team gave",
    "3 weeks ago I went into the Polokwane branch to stop it",
    "j'ai déjà appelé deux fois et envoyé un mail",
    "I've been cut off three times now when they transfer me to home loans",
    "Complaint against you lodged with the ombudsman this morning",
    "as I said to your colleague on the phone Friday", "I've given the death certificate at the "
    "branch twice", "posted my signed loan docs back on the 1st by courier",
    "I sent a form on your website on the 25th", "I've been sent the same form three times",
    "Já tentei duas vezes pelo chat do app e ninguém responde",
    "Please make it stop, I've sent the death certificate twice",
    "I was told in branch on Saturday I'd get a call", "spoke to someone on chat, they said "
    "escalate to the branch", "your colleague Dave told me on Friday the hold would be lifted",
    "I've told you three times already by phone that I want to close my account",
])
def test_a_customer_who_already_wrote_to_us_is_heard_in_any_words(text: str) -> None:
    assert already_dmed(text)


@pytest.mark.parametrize("text", [
    "can I DM you?", "please DM me", "should I send a DM?", "how do I DM you",
    "I will DM you", "your DMs are closed",
    "someone called 'Kestrel Help' just messaged me on WhatsApp",
    "please call me back", "I will call you tomorrow",
    "Wrote a review of the new card", "Contacted my MP about this",
    "I tried the chat but it says unavailable", "¿Os escribo por privado?",
    "my friend spoke to your team and got a refund, can I?",
    "the app says message sent but nothing arrives", "I've sent it to the wrong account, help",
    "how do I raise a complaint?", "I want to make a complaint", "where do I send the form?",
])
def test_asking_how_to_write_to_us_is_not_having_written(text: str) -> None:
    assert not already_dmed(text)


# --- what a reviewer reads -------------------------------------------------------------------

def _one(situation: Situation, text: str = "", **kwargs: object) -> str:
    return _compose(situation, text, **kwargs)[0]  # type: ignore[arg-type]


def test_two_customers_with_different_problems_get_different_specific_replies() -> None:
    debit = _one(Situation("billing"), "@Brightwave you took two direct debits of £45.99")
    speed = _one(Situation("speed"), "@Brightwave paying for Fibre 500 and getting 38, slow "
                 "every evening")
    assert "double charge" in debit and "£45.99" in debit
    assert "slow" in speed and "£45.99" not in speed and debit != speed


def test_a_customer_who_already_messaged_us_is_never_asked_to_dm_again() -> None:
    for seed in "abcdef":
        text = _one(Situation("billing", contacts=4, waited="3 days", already_dmed=True),
                    "I've DMed you twice and chased four times", seed=seed)
        assert not re.search(r"\b(?:DM|message) us\b|send us a DM", text), text
        owned = re.search(r"chase|wait|come back", text, re.I)  # owns the wait first
        assert owned is not None and owned.start() < 40, text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_customer_saying_it_is_sorted_hears_glad_and_thanks_in_their_language(
        lang: str) -> None:
    apology = re.compile(r"\b(?:sorry|apolog\w*|lo sentimos|désolés?|leid|desculp\w*|"
                         r"przepraszamy)\b", re.IGNORECASE)
    dm = re.compile(r"\b(?:dm|md|mp|direktnachricht)\b", re.IGNORECASE)
    seen = set()
    for seed in "abcdef":
        text = _one(Situation("billing", acknowledge=True, put_right=True), "all sorted, thanks",
                    lang=lang, seed=seed)
        assert not apology.search(text) and not dm.search(text), text
        seen.add(text)
    # not the praise thank-you: a glad-it's-sorted, in more than one wording
    praise = {_one(Situation("praise", acknowledge=True), lang=lang, seed=s) for s in "abcdef"}
    assert len(seen) > 1 and not seen & praise


def test_safety_security_legal_and_vulnerable_replies_follow_care_practice() -> None:
    safety = _one(Situation("equipment", escalation=("safety",)), "Hub 3 melting, burning smell")
    assert re.search(r"999|emergency", safety)
    assert safety.index("999" if "999" in safety else "emergency") < safety.index("DM")
    security = _one(Situation("fraud", escalation=("security",)), "payments I didn't make")
    assert re.search(r"freeze|block", security) and "never" in security
    legal = _one(Situation("billing", escalation=("legal",)), "my solicitor will be in touch")
    assert not re.search(r"sorry|apolog|mistake|fault", legal, re.I) and len(legal) < 180
    vulnerable = _one(Situation("cancellation", escalation=("vulnerable",)),
                      "cancel my late dad's account")
    assert not re.search(r"leave|offer|deal|runaround", vulnerable, re.I), vulnerable


def test_an_incident_reply_says_it_is_fixed_and_asks_if_they_are_still_affected() -> None:
    ongoing = _one(Situation("outage", incident="ongoing"))
    fixed = _one(Situation("outage", incident="resolved", fixed_at="08:04"))
    assert "08:04" in fixed and "?" in fixed and "08:04" not in ongoing
    assert re.search(r"engineer|working on|on it", ongoing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_incident_fixed_never_asks_a_customer_who_messaged_us_to_dm(lang: str) -> None:
    ask = re.compile(r"\b(?:dm|md|mp)\b", re.IGNORECASE)
    for seed in "abcdef":
        fixed = _one(Situation("outage", incident="resolved", fixed_at="08:04",
                               already_dmed=True), lang=lang, seed=seed)
        assert "08:04" in fixed and not ask.search(fixed), fixed
    # (to everyone else it still says where to go if they are still affected)
    assert ask.search(_one(Situation("outage", incident="resolved", fixed_at="08:04"),
                           lang=lang))


def test_locked_out_during_an_outage_still_hears_how_to_stay_safe() -> None:
    from responders.drafts import _AT_RISK

    text = "@Brightwave can't pay, can't log in, can't transfer. Lunch is off I suppose"
    assert _AT_RISK.search(text)
    for incident in ("ongoing", "resolved"):
        reply = _one(Situation("outage", incident=incident, fixed_at="13:20", at_risk=True),
                     text)
        assert re.search(r"never share|never ask", reply, re.IGNORECASE), reply
        plain = _one(Situation("outage", incident=incident, fixed_at="13:20"), text)
        assert not re.search(r"never share|never ask", plain, re.IGNORECASE), plain


def test_replies_are_written_in_the_post_language_or_flagged_for_translation() -> None:
    spanish = COMPOSER.compose(Situation("billing"), text="me cobrasteis dos veces 40 euros",
                               name="Ana", handle="ana", platform="x", language="es",
                               team="care", case_id=1, seed="1")
    assert spanish.language == "es" and "Ana" in spanish.candidates[0]
    assert re.search(r"\b(?:hola|gracias|lo sentimos|sentimos)\b", spanish.candidates[0], re.I)
    italian = COMPOSER.compose(Situation("billing"), text="mi avete addebitato due volte",
                               name="Luca", handle="luca", platform="x", language="it",
                               team="care", case_id=1, seed="1")
    assert italian.language == "en"
    assert any(f.startswith("needs_translation") for f in italian.flags)


def test_three_wordings_of_the_same_reply_and_nothing_of_the_post_echoed() -> None:
    hostile = ("<script>alert(1)</script> '; DROP TABLE drafts; -- card 4929 1234 5678 9012 "
               "{{ 7*7 }} order MC-4479011")
    out = _compose(Situation("billing"), hostile)
    assert len(set(out)) == 3
    for text in out:
        assert "<script>" not in text and "DROP" not in text and "49" not in text
        assert "4929" not in text and "5678" not in text


# --- drafts in the store: written anew, never the same twice -----------------------------------

def _pipeline(tmp_path: Path) -> tuple[Store, Any]:
    from monitor.analysis import Analyzer, BrandTerms
    from monitor.cases import CaseRules, plan_page
    from monitor.models import AnalysedMention
    from monitor.settings import Settings
    from responders.drafts import Drafter, voice_from_settings

    settings = Settings.model_validate({"brand": {
        "name": "Brightwave", "keywords": ["brightwave"], "handles": {"x": ["BrightwaveHelp"]}},
        "voice": {"sign_off": "^Sam"}})
    analyzer = Analyzer(BrandTerms(name="Brightwave", keywords=("brightwave",),
                                   handles=("BrightwaveHelp",)))
    rules = CaseRules.from_settings(settings)
    drafter = Drafter(voice_from_settings(settings))
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")

    def ingest(*posts: Mention) -> None:
        items = [AnalysedMention(m, analyzer.analyze_mention(m)) for m in posts]
        store.ingest("s", None, items, lambda new, ctx: plan_page(new, ctx, rules=rules,
                                                                 drafter=drafter), now=T0)
    return store, ingest


def test_a_pending_draft_is_written_again_when_the_customer_posts_again(tmp_path: Path) -> None:
    store, ingest = _pipeline(tmp_path)
    try:
        ingest(mention("1", "@BrightwaveHelp you charged me twice this month, £45.99 each"))
        (first,) = store.list_drafts(status="pending")
        assert re.search(r"DM us|send us a DM", first["text"], re.I)
        ingest(mention("2", "@BrightwaveHelp I've DMed you my details, still nothing after two "
                       "days", minutes=2 * 24 * 60))
        (again,) = store.list_drafts(status="pending")
        assert again["id"] == first["id"] and again["mention_id"] == "x:2"
        assert not re.search(r"\bDM us\b|send us a DM", again["text"]), again["text"]
        assert re.search(r"chase|wait|come back", again["text"], re.I)
    finally:
        store.close()


def test_no_two_pending_replies_on_a_platform_share_a_text(tmp_path: Path) -> None:
    from dataclasses import replace

    from monitor.models import Author

    store, ingest = _pipeline(tmp_path)
    try:
        # four customers all called Sam, with the same problem, in one page and the next
        sams = [replace(mention(str(i), "@BrightwaveHelp my broadband is down, no internet",
                                author=f"s{i}", minutes=i),
                        author=Author("x", f"s{i}", f"s{i}", display_name="Sam Jones"))
                for i in range(4)]
        ingest(*sams[:2])
        ingest(*sams[2:])
        texts = [d["text"] for d in store.list_drafts(status="pending")]
        assert len(texts) == 4 and all(t.startswith(("Hi Sam", "Hello Sam")) for t in texts)
        assert len(set(texts)) == 3  # three wordings, then a repeat only when all are used
    finally:
        store.close()


def test_a_saved_reply_is_offered_for_a_similar_post_with_its_facts(tmp_path: Path) -> None:
    from responders.queue import save_reply

    store, ingest = _pipeline(tmp_path)
    try:
        ingest(mention("1", "@BrightwaveHelp you charged me twice for broadband this month, "
                       "£45.99 each", author="dana"))
        (draft,) = store.list_drafts(status="pending")
        store.decide_draft(draft["id"], approve=True, actor="ann", now=T0,
                           text="Hi dana, that double broadband charge of £45.99 is on us to "
                                "fix: we've refunded it today. ^Sam")
        save_reply(store, draft["id"], user="ann", now=T0)
        (saved,) = store.saved_replies()
        assert "{{ name }}" in saved["text"] and "{{ amount }}" in saved["text"]
        ingest(mention("2", "@BrightwaveHelp charged twice for my broadband again, £30 taken "
                       "twice", author="eli"))
        (fresh,) = [d for d in store.list_drafts(status="pending") if d["author"] == "eli"]
        offered = [c for c in fresh["candidates"] if "on us to fix" in c]
        assert offered == ["Hi eli, that double broadband charge of £30 is on us to fix: "
                           "we've refunded it today. ^Sam"]
        # a post about something else is not offered it
        ingest(mention("3", "@BrightwaveHelp my router keeps dropping wifi", author="fay"))
        (other,) = [d for d in store.list_drafts(status="pending") if d["author"] == "fay"]
        assert not any("on us to fix" in c for c in other["candidates"])
    finally:
        store.close()


def test_when_our_fix_post_resolves_an_incident_its_waiting_drafts_say_it_is_fixed(
        tmp_path: Path) -> None:
    store, ingest = _pipeline(tmp_path)
    try:
        ingest(*[mention(str(i), "@BrightwaveHelp broadband down, no internet at all",
                         author=f"c{i}", minutes=i) for i in range(6)])
        waiting = store.list_drafts(status="pending")
        assert len(waiting) >= 5
        assert not any("07:45" in d["text"] for d in waiting)
        ingest(mention("99", "Update: the broadband outage is fixed and all services are "
                       "restored. Sorry for the disruption.", author="BrightwaveHelp",
                       minutes=45))
        after = store.list_drafts(status="pending")
        incident = [d for d in after if d["kind"] == "reply" and "07:45" in d["text"]]
        assert len(incident) >= 5, [d["text"] for d in after]
        assert all("?" in d["text"] for d in incident)  # are you still affected?
    finally:
        store.close()


@pytest.mark.parametrize(("text", "lang", "step"), [
    ("@Brightwave someone has used my card at a shop in Leeds. I've DMed you four times about "
     "the £1,234.56 on 26 October, still waiting after three days",
     "en", r"never share|keep your password"),
    ("@Brightwave ktoś zalogował się na moje konto i zmienił hasło", "pl", r"nie udostępniaj"),
])
def test_money_at_risk_keeps_its_protect_step_in_a_short_reply_and_any_language(
        text: str, lang: str, step: str) -> None:
    from responders.drafts import _AT_RISK

    at_risk = _AT_RISK.search(text) is not None
    reply = _one(Situation("billing", contacts=4, waited="3 days", already_dmed=True,
                           at_risk=at_risk), text, lang=lang)
    assert re.search(step, reply, re.IGNORECASE), reply
    assert len(reply) <= 280


@pytest.mark.parametrize(("text", "intent"), [
    ("@Brightwave my 2FA codes stopped arriving after I changed phones, can't get into the app",
     "app"),
    ("@Brightwave face ID stopped working and now it wants my memorable word, which I forgot",
     "other"),
    ("@Brightwave got a dodgy text saying my card is frozen with a link to 'unfreeze' it",
     "card"),
    ("@Brightwave my card was cloned at a cash machine in Leeds", "card"),
    ("@Brightwave no puedo entrar en la app desde ayer", "app"),
    ("@Brightwave I cannot get into the app since my phone fell in the bath, new phone says "
     "device not recognised", "app"),
    ("@Brightwave the app says I logged in from Jakarta at 4:12am. I was asleep", "app"),
    ("@Brightwave impossible de me connecter à mon compte", "other"),
    ("@Brightwave ich kann mich nicht mehr anmelden", "app"),
    ("@Brightwave não consigo entrar na conta", "other"),
    # an account frozen or restricted, however it is said; the identity checks that open one
    ("@Brightwave why has my a/c been frozen?? can't pay the nursery", "payments"),
    ("@Brightwave my account been restricted since Monday, nobody explains why", "other"),
    ("@Brightwave the KYC update keeps failing at the selfie step", "app"),
    ("@Brightwave Mein Konto ist seit gestern gesperrt", "other"),
    ("@Brightwave zablokowaliście mi konto i nikt nie odpisuje", "other"),
    ("@Brightwave the update logged me out and now it wants ID I don't have", "app"),
    # the account frozen, closed or dormant, whoever did it
    ("@Brightwave since Dad died the bank has frozen everything, even Mum's own wages",
     "closure"),
    ("@Brightwave you closed my gran's old savings account without telling her", "other"),
    ("@Brightwave can I reactivate a dormant account from abroad?", "question"),
    # opening an account and proving who they are: the documents fraudsters want
    ("@Brightwave trying to open a joint account online, it wants proof of address but all my "
     "bills are in my partner's name", "question"),
    ("@Brightwave does my passport need to be in date for the app's ID check?", "question"),
    ("@Brightwave quiero abrir una cuenta pero no tengo pasaporte, solo el DNI", "question"),
    ("@Brightwave my new residence permit came through, how do I update my documents?",
     "other"),
    # money taken by someone else
    ("@Brightwave just had $420 taken out at a casino in Vegas. I'm in Ohio", "card"),
    ("@Brightwave €75 was withdrawn from my account overnight, what is this", "payments"),
    ("@Brightwave card's been blocked for 'security checks' and I'm at the till", "card"),
    ("@Brightwave the payee check says the name doesn't match, do I still send it?", "payments"),
    ("@Brightwave meine Adresse ist in der App aktualisiert, aber die Karte kam nicht", "card"),
    ("@Brightwave próbuję zmienić numer telefonu w aplikacji i ciągle błąd", "app"),
    ("@Brightwave 2 araw na, wala pa ring update sa dispute ko", "other"),
    ("@Brightwave salamat po, muntik na. Naka-block na card ko", "card"),
    ("@Brightwave I may have typed in the long number and the 3 digits on the back 😬", "card"),
    ("@Brightwave you're closing my account in 60 days and won't say why", "closure"),
    ("@Brightwave la cuenta está limitada y no puedo hacer transferencias", "other"),
    ("@Brightwave ist das echt mit den 50 € Entschädigung? brightwave-refunds.eu", "question"),
])
def test_ways_into_an_account_and_at_it_bring_the_protect_step(text: str, intent: str) -> None:
    from responders.drafts import _AT_RISK

    assert _AT_RISK.search(text) is not None, text
    reply = _one(Situation(intent, at_risk=True), text)
    assert re.search(r"never share|never ask|keep your password", reply, re.I), reply


def test_thanks_for_a_stopped_fraud_keeps_the_reminder_that_we_never_ask_for_codes() -> None:
    reply = _one(Situation("fraud", acknowledge=True), "@Brightwave fraud team stopped it, "
                 "thank you!")
    assert re.search(r"never", reply) and not re.search(r"sorry|apolog", reply, re.I), reply


@pytest.mark.parametrize("text", [
    "@Brightwave mortgage team finally called, new rate locked in. Thank you for chasing, Kate.",
    "Refund landed this morning. Seven weeks, but it's here. Thanks for chasing in the end.",
    "Today's small joy: Brightwave's chat answered in a minute and didn't call me 'hun' once.",
])
def test_thanks_that_asks_for_nothing_gets_thanks_and_no_errand(text: str) -> None:
    from monitor.analysis.analyzer import asks

    reply = _one(Situation("loans_mortgages", thanked=True, asked=asks(text)), text)
    assert re.search(r"thank", reply, re.IGNORECASE), reply
    assert not re.search(r"\bDM\b|postcode|sorry", reply), reply


def test_thanks_with_a_question_still_gets_the_next_step() -> None:
    from monitor.analysis.analyzer import asks

    text = "@Brightwave thanks for sorting the card! Can you tell me when the new PIN arrives?"
    reply = _one(Situation("card", thanked=True, asked=asks(text)), text)
    assert re.search(r"thank", reply, re.IGNORECASE) and re.search(r"\bDM\b", reply), reply


@pytest.mark.parametrize("text", [
    "@Brightwave day 4, still no call back on SR55120934. Is anyone there?",
    "@Brightwave this is my third complaint about the same engineer no-show",
])
def test_a_service_request_number_or_a_third_complaint_is_not_sent_to_dms(text: str) -> None:
    from monitor.analysis.contacted import already_dmed
    from responders.compose.facts import find_reference

    dmed = already_dmed(text)
    assert dmed or find_reference(text), text
    reply = _one(Situation("customer_service", contacts=2), text)
    assert not re.search(r"\b(?:DM|message) us\b|send us a DM", reply, re.IGNORECASE), reply


@pytest.mark.parametrize("lang", ["en", "es", "de"])
def test_a_reference_in_the_post_is_the_detail_we_would_have_asked_for(lang: str) -> None:
    text = ("@Brightwave disputed a charge three weeks ago, the form just says submitted and "
            "nobody has contacted me. Case number 88213004.")
    for seed in "abc":
        reply = _one(Situation("billing"), text, lang=lang, seed=seed)
        assert "88213004" in reply, reply
        assert not re.search(r"\b(?:DM|MD|message) us\b|send us a DM|envíanos|schreib uns",
                             reply, re.IGNORECASE), reply


@pytest.mark.parametrize("text", [
    "@Brightwave got a letter saying my account will be closed in 30 days. No reason given.",
    "@Brightwave you closed our business account and held £11k for six weeks",
    "@Brightwave six weeks without access to my wages",
    "@Brightwave I have power of attorney for my dad and it's still 'not on the system'",
    "@Brightwave the app won't let me change my address without a driving licence",
])
def test_an_account_closed_or_out_of_reach_gets_the_protect_step(text: str) -> None:
    from responders.drafts import _AT_RISK

    reply = _one(Situation("customer_service", at_risk=_AT_RISK.search(text) is not None), text)
    assert re.search(r"never share|never ask", reply, re.IGNORECASE), reply


@pytest.mark.parametrize("text", [
    "@Brightwave my husband died in January. I've rung twice about closing his account and "
    "nobody has called me back.",
    "@Brightwave filled in your online complaint form on the 2nd. Auto-reply said 5 days. "
    "It's been 9.",
    "@Brightwave gave your fraud team my details on the phone Tuesday about the $700 I didn't "
    "spend and nobody called back",
    "@Brightwave sent the letter through the secure upload on Friday like you asked",
])
def test_a_customer_who_called_emailed_or_used_a_form_is_not_sent_to_dms(text: str) -> None:
    assert already_dmed(text), text
    for seed in "abc":
        reply = _one(Situation("billing"), text, seed=seed)
        assert not re.search(r"\b(?:DM|message) us\b|send us a DM|a DM\b|in DM", reply), reply
        assert re.search(r"nothing|no need", reply), reply


_PROTECT_STEP = re.compile(
    r"never share|never ask|freeze|block|change your password|keep your password|congela|"
    r"bloquea|nunca compart|bloque[zr]|ne partagez|sperr|teile niemals|bloqueie|nunca partilh|"
    r"nunca compartilh|zablokuj|nie udostępniaj|zmień hasło|never give|keep .{0,20}private|"
    r"do not share|don't share|jamais|niemals|nunca|nigdy", re.IGNORECASE)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_money_or_an_account_at_risk_gets_the_protect_step_on_every_path(lang: str) -> None:
    situations = [
        Situation("account", contacts=3, waited="2 days"), Situation("data_privacy"),
        Situation("fraud"), Situation("account_access", already_dmed=True),
        Situation("billing", at_risk=True, thanked=True, asked=False),
        Situation("billing", at_risk=True, thanked=True, escalation=("vulnerable",)),
        Situation("outage", at_risk=True, incident="ongoing"),
        Situation("outage", at_risk=True, incident="resolved", fixed_at="08:04"),
        Situation("card", at_risk=True, escalation=("legal",))]
    for situation, tone, seed in itertools.product(situations, ("friendly", "formal"), "abc"):
        reply = _one(situation, "@Brightwave can't log in", lang=lang, seed=seed, tone=tone)
        assert _PROTECT_STEP.search(reply), (situation, tone, reply)


@pytest.mark.parametrize("text", [
    "@Brightwave I was told on Saturday the hold on my account would be lifted. Still held",
    "@Brightwave DMed you about the locked account two days ago, can't pay my bills",
    # contact details changed: the way into an account
    "@Brightwave I filled in the change of address form in March and letters still go to my "
    "old flat",
    "@Brightwave ¿por qué tengo que ir a la oficina para cambiar mi número de teléfono?",
    "@Brightwave já pedi duas vezes a mudança de morada e nada",
])
def test_an_account_locked_or_held_brings_the_protect_step(text: str) -> None:
    from monitor.models import Case, CaseStatus, Priority
    from responders.drafts import situation_of
    from tests.factories import analysis

    case = Case(id=1, author_id="x:dan", platform="x", status=CaseStatus.OPEN,
                intent="customer_service", priority=Priority.NORMAL, opened_at=T0,
                updated_at=T0)
    situation = situation_of(case, mention("1", text, author="dan"),
                             analysis(intent="customer_service"))
    assert situation.at_risk, text


def test_details_shown_to_someone_else_bring_the_protect_step() -> None:
    from responders.drafts import _AT_RISK

    text = ("Had a letter: I'm one of the members whose details were shown to someone else. "
            "Complaint filed with the ICO")
    assert _AT_RISK.search(text) is not None
    reply = _one(Situation("data_privacy", escalation=("legal", "security"), at_risk=True), text)
    assert re.search(r"never share|never ask|keep your password", reply, re.I), reply


# --- the code reminder: a bank's reply that asks for a DM says we never ask for codes ---------

_REMINDER = re.compile(r"never ask for (?:your )?PINs?|never share your PIN|nunca te los pediremos|"
                       r"nous ne les demandons jamais|wir fragen nie|nunca os pedimos|"
                       r"nigdy o nie nie prosimy", re.IGNORECASE)


def _bank(**voice: Any) -> Any:
    from monitor.settings import Settings
    from responders.drafts import voice_from_settings

    return voice_from_settings(Settings.model_validate({
        "brand": {"name": "Brightwave", "keywords": ["brightwave"], "industry": "banking"},
        "voice": {"sign_off": "^Sam", **voice}}))


def test_a_banks_reply_asking_for_a_dm_says_we_never_ask_for_codes() -> None:
    assert _bank().code_reminder and not Composer(brand="B").code_reminder
    bank = Composer(brand="Brightwave", sign_off="^Sam", code_reminder=True)
    for intent, text, lang in [
            ("payments", "my transfer to mum still hasn't arrived after 3 days", "en"),
            ("fees", "why was I charged a £25 fee on Tuesday??", "en"),
            ("app", "the app crashes every time I open statements", "en"),
            ("card", "mi tarjeta no funciona en ningún cajero", "es"),
            ("payments", "mon virement n'est toujours pas arrivé", "fr")]:
        for platform in ("x", "mastodon", "reddit"):
            out = bank.compose(Situation(intent), text=text, name="Ana", handle="ana",
                               platform=platform, language=lang, team=None, case_id=1,
                               seed=text).candidates
            assert out and all(_REMINDER.search(t) for t in out), (intent, platform, out)
            # it closes the reply, after the request to DM, and still fits on X
            assert all(_REMINDER.search(t).start() > t.find("DM") for t in out if "DM" in t)
            assert all(len(t) <= 280 for t in out) or platform != "x"
        # a telecom's or a shop's reply stays as it was
        plain = _compose(Situation(intent), text, lang=lang)
        assert not any(_REMINDER.search(t) for t in plain), plain


def test_the_reminder_is_not_said_twice_nor_where_no_dm_is_asked() -> None:
    bank = Composer(brand="Brightwave", sign_off="^Sam", code_reminder=True)

    def out(situation: Situation, text: str = "my card was used in Lisbon, not by me") -> list[str]:
        return list(bank.compose(situation, text=text, name="Ana", handle="ana",
                                 platform="mastodon", language="en", team="fraud",
                                 case_id=1, seed="7").candidates)

    never = re.compile(r"\bnever\b", re.IGNORECASE)
    # the security step already says it, so does an account-access reply's own request
    for situation in (Situation("fraud", escalation=("security",)), Situation("account_access"),
                      Situation("payments", at_risk=True)):
        for text in out(situation):
            assert len(never.findall(text)) <= 2 and not (
                _REMINDER.search(text) and re.search(r"never share (?:a|your) password", text,
                                                     re.I)), text
    # praise, a holding reply from the legal team, a bereaved customer: no request to DM, no
    # reminder
    for situation in (Situation("praise", acknowledge=True), Situation("other", escalation=(
            "legal",)), Situation("closure", escalation=("vulnerable",))):
        assert not any(_REMINDER.search(t) for t in out(situation, "thank you Jo!")), situation


def test_a_brand_can_turn_the_code_reminder_on_or_off() -> None:
    assert not _bank(code_reminder=False).code_reminder
    from monitor.settings import Settings
    from responders.drafts import voice_from_settings

    shop = voice_from_settings(Settings.model_validate({
        "brand": {"name": "Marlow", "keywords": ["marlow"], "industry": "retail"},
        "voice": {"code_reminder": True}}))
    assert shop.code_reminder


@pytest.mark.parametrize(("text", "asks_dm"), [
    # thanks, and the problem goes on: not a thank-you and nothing else, the next step
    ("@BrightwaveHelp thanks for the quick reply! ...but restarted the hub like you said and "
     "it's still stuck on the orange light", True),
    # thanks for our DM: the conversation is in DMs already, so no request for one
    ("@BrightwaveHelp thanks for the DM yesterday but the router's still dropping every hour. "
     "Working from home on 4G", False),
])
def test_thanks_with_the_problem_still_there_gets_the_next_step(tmp_path: Path, text: str,
                                                                asks_dm: bool) -> None:
    store, ingest = _pipeline(tmp_path)
    try:
        ingest(mention("1", text))
        (draft,) = store.list_drafts(status="pending")
        assert not re.search(r"thank you, that's really kind", draft["text"]), draft["text"]
        asked = re.search(r"\bDM us\b|send us a DM|drop us a DM", draft["text"], re.I)
        assert bool(asked) is asks_dm, draft["text"]
    finally:
        store.close()
