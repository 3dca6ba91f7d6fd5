"""A customer who says they have already reached us, in any of the ways people say it, is
never asked to DM again, and a post to us saying only that ("sent", "DMed, cheers") is a step
on the case that a person answers, not a post to leave alone. In words of its own, not the
labelled streams'."""

from __future__ import annotations

import pytest

from monitor.analysis import Analyzer
from monitor.analysis.contacted import already_dmed
from monitor.models import Action


@pytest.mark.parametrize("text", [
    "It's been 8 weeks since we sent you the grant of probate and Mum's account is still open",
    "The form I posted to you in March had every detail you asked for",
    "I was promised a call back by Thursday about the remortgage. Nothing",
    "Sent the message with my claim number an hour ago, any news?",
    "Left three voicemails for the mortgage team this week",
    "Week two of waiting on my chargeback for the sofa that never came",
    "I reported it to the staff at the Leeds counter on Friday",
    "The teller told me the card would be posted within 5 days. It's been 12",
    "Your upload page keeps rejecting the payslip. Resubmitted it three times",
    "@KestrelBankHelp sent. Please hurry, rent is due",
    "@KestrelBankHelp mensagem enviada, obrigado",
    "Ho già scritto due volte al servizio clienti e niente",
    "We were at the Selby branch for an hour and they opened the fraud case for us",
    "j'ai parlé à quelqu'un au service client hier, dossier ouvert, et toujours rien",
    "I sent my sort code and the amount in a DM this morning",
    "Gave the chat bot my account number, then the agent, then the supervisor",
    "@KestrelBankHelp sent: my name, postcode and the reference from Monday",
    "@KestrelBankHelp statement sent privately, it's still showing someone else's account",
    "The engineer said a new router would be posted. That was nine days ago",
    "still nothing on my complaint since Tuesday, and it's the third time I've asked",
    "Every phone call gives me a different date for the refund",
    "Put a complaint in at the Kendal branch yesterday and they've given me a reference number",
    "já enviei o formulário duas vezes e nada",
    "This is my fourth complaint about the same missing transfer",
    "@KestrelBankHelp all done, check DM",
    "Sent you a chat message this morning and the bot keeps looping me back to the FAQ",
    "@KestrelBankHelp you told me to DM you, did that, still nothing",
    "No answer on the remortgage. I even phoned on Friday and was told to wait",
    "I've been 35 minutes on the phone to report my card lost",
    "Second time I've asked in the chat why my ISA transfer is stuck",
    "Tried to call 3 times this morning and got cut off each time",
    "Claim opened on Monday, still no money back",
    "Threatened to complain and suddenly I got a callback",
    "@KestrelBankHelp calling you now from my work phone",
    "My solicitor has written to Kestrel Bank twice about the account",
    "Just following up on my email from Tuesday about the mortgage redemption figure",
    "une heure d'attente ce matin, 50 minutes d'attente hier",
    "Fourth time asking: when will the card arrive?",
    "I've complained twice already about the branch closing early",
    # on hold now, told by a team of ours, a bot met
    "Card stopped at the till. On hold 25 mins now and counting",
    "Your disputes team say it was 'authorised' because I used chip and PIN",
    "used the 'chat with us' button, it's a bot that only says 'I didn't understand that'",
    "@KestrelBankHelp we called this morning and they put a note on Mum's account",
    # Tagalog and Taglish
    "@KestrelBankHelp nag-DM na po ako kahapon, wala pang sagot",
    "@KestrelBankHelp tumawag na rin ako sa hotline, naka-hold lang",
    "3 araw na walang sagot sa DM ko @KestrelBankHelp. Hello??",
    # told on the phone, been calling, emailed someone twice
    "@KestrelBankHelp is there a fee for the new card? Nobody mentioned one on the phone",
    "Been calling Kestrel Bank's mortgage line for two days. Either engaged or it rings out",
    "@KestrelBankHelp emailed the business team twice and called, still no payout",
    # the in-app chat, in English, French, Polish and Dutch
    "@KestrelBankHelp froze it now, in the chat with ye",
    "@KestrelBankHelp been sat in the in-app chat for 2 hours. 'we usually reply in 5 minutes'",
    "@KestrelBankHelp j'ai déjà écrit dans le chat de l'appli mais pas de réponse",
    "@KestrelBankHelp piszę na czacie od 40 minut i nikt nie odpowiada",
    "Rekening bevroren. Al drie keer gechat, niemand reageert @KestrelBankHelp",
])
def test_every_way_of_saying_we_already_have_it_is_heard(text: str) -> None:
    assert already_dmed(text)


@pytest.mark.parametrize("text", [
    "I sent it to the wrong account by mistake, can you help me get it back?",
    "My complaint is that the app logs me out every five minutes",
    "Desk agents are the best part of flying, honestly",
    "Não consegui entrar na app hoje",
    "Can you put a hold on my card while I look for it?",
    "The team say it's the best bank in town, and I agree",
    "they called my wife and booked her an appointment, that's how you fix things. thanks",
    "pag-open ko ng app, iba na ang registered email ko",
    "Ask in the app chat with the times and what it cost you, they refunded mine",
    "@KestrelBankHelp I'd like to chat with someone about a mortgage, who do I ask?",
])
def test_what_is_no_contact_with_us_is_not_heard_as_one(text: str) -> None:
    assert not already_dmed(text)


@pytest.mark.parametrize("text", [
    "@KestrelBankHelp done, it's in your inbox",
    "@KestrelBankHelp sent!",
    "@KestrelBankHelp DM'd you the screenshot, ta",
    "@KestrelBankHelp the account number is on the letter I sent you last month. You have it.",
])
def test_a_post_to_us_saying_it_has_been_sent_gets_a_reply(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.REPLY, a.reasons


@pytest.mark.parametrize("text", [
    "@KestrelBankHelp rang this morning, sorted in ten minutes and the fee refunded. Thanks!",
    "Obrigada @KestrelBank, resolveram tudo pelo chat em cinco minutos. Assim sim!",
])
def test_thanks_for_a_fix_that_came_by_chat_or_phone_is_acknowledged(bank: Analyzer,
                                                                      text: str) -> None:
    a = bank.analyze(text)
    assert a.action is Action.ACKNOWLEDGE, a.reasons


@pytest.mark.parametrize("text", [
    "The adviser I spoke to on Tuesday said the refund was approved. Where is it?",
    "Card was blocked at the petrol station, had to ring from the forecourt to get it back on",
    "Two calls today, both dropped after half an hour on hold",
    "Still waiting for the callback the fraud team promised on Friday",
    "j'attends toujours le rappel du service des prêts depuis lundi",
    "sigo esperando la llamada que me prometieron ayer",
])
def test_a_call_made_or_a_callback_awaited_is_a_contact(text: str) -> None:
    assert already_dmed(text)


@pytest.mark.parametrize("text", [
    # a branch named with its street, not a visit on a day
    "Shout out to Aisha at the Kestrel Bank branch on Briggate, patience of a saint",
    "The man at the desk was calling for backup, not us",
])
def test_a_branch_by_its_street_or_someone_else_calling_is_no_contact(text: str) -> None:
    assert not already_dmed(text)


@pytest.mark.parametrize("text", [
    "@KestrelBankHelp card frozen and I'm on the phone to the fraud team now",
    "@KestrelBankHelp on the phone from my husband's mobile now, they've blocked it",
    "Had a call from Kestrel Bank this morning about the breach, still not good enough",
])
def test_on_the_phone_with_us_or_called_by_us_is_a_contact(text: str) -> None:
    assert already_dmed(text)
