"""Praise a team acknowledges rather than answers with an apology: praise told in shapes a word
list cannot hold, praise that closes a story of a problem put right, and thanks for a bad
thing spared, which is no sarcasm. Each in words of its own, not the labelled streams'."""

from __future__ import annotations

import pytest

from monitor.analysis import Analyzer
from monitor.models import Action, Escalation


@pytest.mark.parametrize("text", [
    # a kindness that made someone's day
    "The cashier at Kestrel Bank in Ripon gave my daughter a lollipop and a sticker. Made her "
    "entire week",
    # staff who were good to someone
    "Staff at the Kestrel Bank Harrogate branch were so patient with my dad while he sorted "
    "his pension",
    # decent of them, no fight needed
    "Really good of @KestrelBank to move my repayment date when my hours got cut. Didn't even "
    "have to push",
    # grudging, won back
    "Was about to move my salary elsewhere. Kestrel sorted the mix-up with a phone call. Fine. "
    "Consider me won back",
    # plainly useful
    "kestrel bank's new savings pots are genuinely useful, I've put away £300 without noticing",
    # Spanish and Portuguese
    "Lo que más me gustó de Kestrel Bank fue que me atendieron en español. Volveré a la "
    "sucursal sin miedo.",
    "Finalmente um banco que cumpre o que promete: o Kestrel Bank abriu a minha conta num dia.",
    # French, German; praise in shapes: a remembered name, a difference made, why did I wait
    "Bravo à l'agence Kestrel Bank de Lille, compte joint ouvert en une heure. Je recommande.",
    "Kestrel Bank hat mir die Karte in zwei Tagen ersetzt, ohne Stress. Danke!",
    "the Kestrel Bank advisor who rang me back even remembered my dog's name from last time",
    "Kestrel Bank's new round-up savings made a huge difference to my holiday fund",
    "Moved my salary to Kestrel Bank after 9 years elsewhere. No monthly fee. Why did I wait",
    # a figure with a decimal point does not end the opening sentence
    "this Kestrel Bank 4.8% fixed saver is fire ngl, put my bonus straight in",
    # expectations beaten, told as such
    "Kestrel Bank's mortgage adviser rang me to say my fixed rate ends next month and booked "
    "the switch for me. Didn't know banks still did that",
    "Never thought I'd say this but the Kestrel Bank app is nicer than my budgeting app now",
    "Small win: Kestrel Bank dropped the late fee after one polite email. Did not expect that.",
    # praise beside a bad-event word, with a warm emoji: meant
    "Shout out to the Kestrel Bank Thirsk branch for explaining the ISA rules to my gran, "
    "patiently, three times 😊",
    # kind about a mistake that was the customer's own
    "I accused Kestrel Bank of losing my transfer. I'd typed the wrong account. They were "
    "very nice about it",
    # working again, said without "again"
    "@KestrelBankHelp ok it's working. rent paid. crisis averted",
    "@KestrelBankHelp payments going through now 👍",
])
def test_praise_in_shapes_beyond_a_word_list_is_acknowledged(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE and a.label == "positive", a.reasons


@pytest.mark.parametrize("text", [
    # a story of a problem put right, closing on praise
    "@SkuaAir Priya at the Glasgow desk found us seats on the last flight out after the "
    "strike chaos. Absolute legend.",
    "Missed my connection in Oslo, expected a nightmare. @SkuaAirHelp rebooked me before I'd "
    "even reached the desk. Give that agent a medal",
    # no fuss this time
    "After two months of chasing, @SkuaAirHelp paid my delay compensation, no fuss this time. "
    "Thanks Nadia",
])
def test_a_story_that_ends_in_praise_is_acknowledged(airline: Analyzer, text: str) -> None:
    a = airline.analyze(text)
    assert a.action is Action.ACKNOWLEDGE, a.reasons


@pytest.mark.parametrize("text", [
    # thanks for a bad thing spared is no sarcasm
    "Big thanks to @KestrelBank for not charging me interest when my salary came in a day "
    "late. Small thing, real relief",
    "Huge thanks to the Kestrel Bank Selby branch for staying open late so I could pay in the "
    "takings",
    "shout out to kestrel bank for not charging me a single cash withdrawal fee the whole "
    "trip. didn't even know that",
])
def test_thanks_for_a_bad_thing_spared_is_not_sarcasm(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE and a.label == "positive", a.reasons


@pytest.mark.parametrize("text", [
    # still sarcasm: the bad thing happened
    "Big thanks to @KestrelBank for charging me interest when my salary came in a day late",
    "Cancelled my flight for the second time this month. @SkuaAir absolute legends",
    # praise for someone else's conduct is no praise of us when it is a scam being told
    "@KestrelBankHelp a man who says he's from your fraud team wants me to move my savings to "
    "a safe account. He's been very patient with me. Is this right?",
])
def test_praise_words_around_a_problem_still_get_a_reply(bank: Analyzer, airline: Analyzer,
                                                         text: str) -> None:
    a = (airline if "Skua" in text else bank).analyze(text)
    assert a.action is Action.REPLY, a.reasons


@pytest.mark.parametrize("text", [
    "The crew on SK40 walked my nervous daughter down the aisle to meet the pilots after "
    "landing, she was beaming. Thank you @SkuaAir",
    "@SkuaAir the crew on SK12 looked after a poorly passenger in the aisle so calmly, the "
    "whole cabin noticed. Respect.",
])
def test_praise_of_crew_is_not_a_safety_report(airline: Analyzer, text: str) -> None:
    # the escalation model learnt cabin words beside real hazards; in praise with nothing
    # the lists know as a hazard, it is praise
    a = airline.analyze(text)
    assert a.action is Action.ACKNOWLEDGE and not a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    # thanks that close a story, praise in a shape: whatever triage made of the post, the
    # draft thanks and does not apologise
    "@KestrelBankHelp Priya in your complaints team sat with me for an hour over the mortgage "
    "letters last week. Thank you.",
    "@KestrelBankHelp the Leeds branch manager went through my late dad's paperwork and never "
    "once rushed me. Thanks a million",
    # thanks said in Portuguese, for help that came by chat
    "@KestrelBankHelp obrigada pela ajuda no chat ontem, a transferência chegou certinha 🙏",
    # a kindness not asked for, an early arrival, a memory made, coming back
    "The Skua Air crew heard it was our honeymoon and brought us a dessert without us even "
    "asking 🥹",
    "Skua Air landed 20 min early into Sumburgh and the bags were already out. Witchcraft",
    "the Skua Air pilot let my son sit in the cockpit after landing. core memory for him",
    # thanks closing a post in Spanish; a "positive story" told as such
    "Tres años en Leeds y Kestrel Bank nunca me ha dado un problema. Tarjeta nueva en dos "
    "días. ¡Gracias!",
    "Positive story about Kestrel Bank for once: I lost my job in May, told them, and they "
    "paused my loan payments the same week",
    # thanks opening a reply to our agent; thanks in te reo Māori and Tongan; a one-word
    # verdict closing a story
    "@KestrelBankHelp cheers Amir, branch on Saturday it is then. Dad's not thrilled but fine",
    "Kia ora @KestrelBank, ngā mihi to the Napier team who stayed on the phone with my koro "
    "for an hour",
    "Mālō 'aupito @KestrelBank, the money reached Nuku'alofa the same day",
    "Kestrel Bank rang about a £600 payment in Bogotá at 2am, I said no, card cancelled, new "
    "one on the way. Slick.",
    # a kindness in its shape: not made to feel small, a call before they noticed
    "Kestrel's hardship team let me pause two payments while I was on sick leave. Nobody made "
    "me feel like a scrounger. Back at work Monday 💪",
    "Kestrel Bank rang me about a weird charge before I'd even noticed it. Card cancelled, new "
    "one by Friday",
    # a closing "Respekt." in German
    "Kestrel Bank Filiale Leeds: Frau Patel hat mir in 15 Minuten das Konto eröffnet, mit viel "
    "Geduld für meine Fragen. Respekt.",
    # thanks for help in the chat, the card working again, in Polish
    "@KestrelBankHelp Dziękuję za szybką pomoc na czacie, karta znowu działa 👍",
    # wonder and mock complaints
    "Sent €2k from Kestrel to my landlord and it was there before I'd put my phone down. "
    "Instant transfers still feel like magic",
    "I was ready to fight. I had a speech prepared. Kestrel refunded the £25 fee in 3 minutes. "
    "where am I supposed to put this energy now",
    # praise in the young's words: "actually fire", "stays winning", "así sí", a pint owed, a
    # bereavement team that "didn't make me say it twice"
    "the new Kestrel app update is actually fire 🔥 Face ID finally works on my old phone",
    "@KestrelBankHelp chat refunded both takeaways already and a new card's on the way. "
    "kestrel stays winning 🏆",
    "@KestrelBank me devolvieron los 40€ que me cobraron dos veces, en menos de un día. Así sí 👏",
    "the Kestrel 'this looks like a scam' pop-up stopped my nan sending £600. I owe whoever "
    "designed that screen a pint",
    "@KestrelBankHelp the bereavement team were so kind this morning. they didn't make me say "
    "it twice. thank you",
    # a bad thing denied, warmly
    "Not a sponsored post (as if Kestrel could afford one 😂) but Kestrel's easy access rate "
    "beats the big lot and the app doesn't hate me",
])
def test_a_draft_to_thanks_that_close_a_post_does_not_apologise(bank: Analyzer,
                                                                airline: Analyzer,
                                                                text: str) -> None:
    from monitor.models import Case, CaseStatus, Priority
    from responders.drafts import situation_of
    from tests.factories import T0, mention

    post = mention("1", text, author="ailbhe")
    analysis = (airline if "Skua" in text else bank).analyze(text)
    case = Case(id=1, author_id="x:ailbhe", platform="x", status=CaseStatus.OPEN,
                intent=analysis.intent, priority=Priority.NORMAL, opened_at=T0, updated_at=T0)
    situation = situation_of(case, post, analysis)
    assert situation.thanked or situation.acknowledge, analysis.reasons


@pytest.mark.parametrize("text", [
    "Kestrel Bank sorted a standing order mess in one call. Expected a fight, got a refund.",
    "Eight years on Kestrel Bank and never had a single problem. The new fees are annoying but "
    "I'm not moving.",
    "Kestrel Bank's app has been rock solid since the spring update, even on my ancient phone",
    "Shout out to Kestrel Bank's student account, no fees at all. Saved me a fortune",
    "Valeu @KestrelBankHelp, resolveram o meu cartão num dia. Atendimento nota 10",
    "Muy agradecida con Kestrel Bank, me devolvieron la comisión sin preguntas",
    "The Kestrel Bank advisor explained the remortgage options twice, no rush at all. What a "
    "woman.",
    "last week I said I'd close my Kestrel account. Today they refunded the charge and rang "
    "to apologise. Fine. Forgiven.",
    "OK, I was wrong about Kestrel Bank. Grumbled about the new app for weeks but the savings "
    "screen is actually clear.",
    "Kestrel Bank sent my nan a card for her 95th. Very nice of them.",
    "Kestrel Bank refunded the £40 for the mix-up before I'd complained. Didn't even ask for it. "
    "Fair dos.",
    "The Kestrel Bank manager in Kendal stayed half an hour past closing so my dad could sign. "
    "That's the sort of thing you remember.",
])
def test_more_shapes_of_praise_are_acknowledged(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE, a.reasons


def test_a_one_word_classy_after_a_failure_is_sarcasm(bank: Analyzer) -> None:
    a = bank.analyze("@KestrelBankHelp my overdraft limit was cut and the letter arrived a week "
                     "after. Classy.")
    assert a.action is Action.REPLY, a.reasons


@pytest.mark.parametrize(("text", "feeling"), [
    # 🔥 is praise to the people who post it, a thumbs up and a heart are warm
    ("Kestrel Bank's new savings screen 🔥🔥", "not negative"),
    ("moved my salary to Kestrel Bank 👍", "positive"),
    ("Kestrel Bank staff in Ripon ❤️", "positive"),
    # thanks in Swahili and Hindi, said in an English post
    ("@KestrelBankHelp new card arrived this morning, asante sana", "positive"),
    ("@KestrelBankHelp got the letter I needed for my visa, shukriya", "positive"),
    # and a fire is still a fire: nothing about the emoji makes it good news
    ("@KestrelBankHelp the cash machine on Bridge St is smoking 🔥🔥", "not positive"),
])
def test_emoji_and_loan_words_mean_what_they_mean_on_social_media(
        bank: Analyzer, text: str, feeling: str) -> None:
    label = bank.analyze(text).label
    assert label != feeling.split()[-1] if feeling.startswith("not") else label == feeling


@pytest.mark.parametrize("text", [
    # thanks for being shut out of the account
    "thanks @KestrelBank for the new 'secure' login that locked me out. can't get at my own "
    "money",
    # sarcasm stays sarcasm with its own marks, whatever else is beside it
    "Shout out to @KestrelBank for charging me twice for the same coffee 🙃",
    "Love that Kestrel Bank's app logged me out three times today 🙄",
])
def test_sarcasm_is_a_complaint_whatever_praise_is_beside_it(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.REPLY and a.label == "negative", a.reasons


def test_praise_said_as_a_counterfactual_is_heard_as_praise() -> None:
    # the words are a complaint's, so the post may still get a reply; its draft thanks them
    from monitor.analysis.cues import praise_said

    assert praise_said("@KestrelBankHelp worst bank in Yorkshire... is what I would say if "
                       "you hadn't just sorted my card in five minutes") is not None


@pytest.mark.parametrize("text", [
    # applause and approval in emoji: one 👏 after a story, "is 🔥", 💯
    "The Kestrel Bank teller in Selby sorted my gran's lasting power of attorney in one go, "
    "after two other banks turned us away 👏",
    "@KestrelBank the new budgeting tab is 🔥🔥",
    "Kestrel Bank moving my direct debits over for me in a day 💯",
    # a telling, not a question: "can we talk about how ..."
    "Can we talk about how the Skua Air cabin crew sang happy birthday to my grandad over the "
    "tannoy. Whole plane joined in. The little things",
    # a bad thing made the best of; a concession, not a wait
    "Shoutout to the Skua Air lounge in Kirkwall, proper scones and a view of the harbour. best "
    "place in Orkney to be delayed",
    "Kestrel Bank posted my son a card when he passed his driving test. Generic, mind, but "
    "still. Nice of them.",
    # thanks for help through a hard time now past: no escalation for a crisis that is over
    "Positive story: when I was out of work last winter Kestrel Bank froze the interest on my "
    "loan and set up a plan I could afford. Cannot fault them.",
])
def test_praise_in_emoji_asides_and_stories_is_acknowledged(bank: Analyzer, airline: Analyzer,
                                                            text: str) -> None:
    a = (airline if "Skua" in text else bank).analyze(text)
    assert a.action is Action.ACKNOWLEDGE and not a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    # the same marks beside a failure stay complaints
    "3 hours on hold with @KestrelBankHelp today 👏",
    "@KestrelBankHelp app down again 🔥🔥 can't pay for anything",
    "Can we talk about how @KestrelBankHelp charged me £35 for a payment that bounced anyway?",
    # a hard time going on now stays escalated, thanks or not
    "@KestrelBankHelp I've just lost my job and can't make this month's loan payment. Thanks "
    "for the help last time, I need it again",
])
def test_the_same_marks_beside_a_failure_are_no_praise(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.REPLY, a.reasons


@pytest.mark.parametrize("text", [
    # a question in brackets is an aside, not a question to us
    "Shout out to the man at the Kestrel Bank Leeds branch (Tom, I think?) who stayed with my "
    "mum until the taxi came. She was so grateful",
    # thanks for chasing, a kindness not expected, no questions asked, could get used to it
    "@KestrelBankHelp money's in! thank you Ruth for actually chasing it 🙏",
    "@KestrelBankHelp they paused the fees and gave me two months. didn't expect a bank to be "
    "this kind about it. thank you",
    "@KestrelBankHelp swapped my card abroad at midnight, no questions asked. legends",
    "Kestrel Bank sorted my pension transfer in one call. Didn't have to repeat myself once. "
    "Could get used to this.",
    # praise closed by thanks, or said in another language's words for "the best", "top", "🔥"
    "@KestrelBankHelp Le virement est arrivé en cinq minutes, carte débloquée. Merci beaucoup !",
    "Ehrlich, Kestrel Bank ist die beste Bank, die ich je hatte. Karte in zwei Tagen da.",
    "Sinceramente el servicio de Kestrel Bank es el mejor, me atendieron en cinco minutos",
    "l'appli Kestrel Bank est rendue 🔥 depuis la mise à jour",
])
def test_more_praise_in_asides_closings_and_other_languages_is_acknowledged(
        bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE and not a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    # the same words beside a failure, or thanks for nothing, stay replies
    "@KestrelBankHelp le virement n'est toujours pas arrivé. Merci pour rien",
    "@KestrelBankHelp the adviser (Tom?) said it would be sorted by Friday. It's Tuesday. "
    "Still nothing",
])
def test_closings_and_asides_beside_a_failure_stay_replies(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.REPLY, a.reasons


@pytest.mark.parametrize("text", [
    "@KestrelBankHelp fair play, the broken cash machine on Briggate was fixed by lunchtime",
    "@KestrelBankHelp honestly fair play, you owned the outage and had it fixed in 30 mins",
    "Kestrel Bank's app team really out here shipping budgeting pots that actually work. Respect",
])
def test_fair_play_and_out_here_are_praise_not_an_outage(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE and a.outage != "down", a.reasons


@pytest.mark.parametrize("text", [
    # expectations beaten, told by the speed; a rhetorical "who are you"; slang and idiom
    "Took my dad into Kestrel Bank Ripon to add me to his account, expected a battle. Done in "
    "15 minutes and they made him laugh. Twice.",
    "@KestrelBankHelp reset my online banking in under 5 minutes on a Sunday. Who are you, "
    "a tech company?",
    "kestrel bank's savings pots lowkey elite ngl, the round-ups actually work",
    "Kestrel Bank said no fees on the student account and actually meant it. W bank",
    "Gotta give it to Kestrel Bank, last year the app was a mess, lately it's been smooth",
    "@KestrelBank switched my fixed rate in the app in three taps. Sound as a pound",
])
def test_praise_told_by_speed_slang_and_idiom_is_acknowledged(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE and not a.escalation, a.reasons


def test_praise_of_us_given_as_advice_to_someone_else_is_left_alone(bank: Analyzer) -> None:
    a = bank.analyze("@meg_r don't bother with the Kestrel Bank app for this, the branch sorted "
                     "mine in 5 mins")
    assert a.action is Action.MONITOR, a.reasons


@pytest.mark.parametrize("text", [
    # something put right, told as done, with the trouble in it: no sarcasm, no complaint
    "Shout out to Kestrel Bank: card got blocked at a petrol station in Porto, rang the number "
    "on the back and a woman called Inês had it unblocked in like 3 minutes. Road trip saved",
    "Priya from @KestrelBank rang: they've recovered £1,900 of the £2,400 I lost. Never thought "
    "I'd see a penny of it. Thank you, truly.",
    "@KestrelBankHelp your web chat reinstated my direct debits in ten minutes after the "
    "switch lost them all. Thanks Dev",
])
def test_a_trouble_put_right_told_with_thanks_is_acknowledged(bank: Analyzer,
                                                               text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE, a.reasons
    assert not any(r.startswith("sarcasm(") for r in a.reasons)


@pytest.mark.parametrize("text", [
    # put right in part: the rest still needs us
    "@KestrelBankHelp 2 of the 3 card payments have been reversed. The £18.40 one is still "
    "outstanding. Sent the DM again 🙄",
    "@KestrelBankHelp thanks, you froze what was left in his account. The rest is gone and my "
    "dad won't stop crying",
])
def test_a_trouble_put_right_in_part_is_still_answered(bank: Analyzer, text: str) -> None:
    assert bank.analyze(text).action is Action.REPLY, bank.analyze(text).reasons


def test_not_wanting_to_live_said_in_tagalog_is_vulnerable(bank: Analyzer) -> None:
    a = bank.analyze("@KestrelBankHelp naubos lahat ng pera ni nanay sa scam. Sabi niya "
                     "ayoko nang mabuhay. Ano pong gagawin namin?")
    assert Escalation.VULNERABLE in a.escalation, a.reasons
