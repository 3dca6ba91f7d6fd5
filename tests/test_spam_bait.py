"""Spam the lists had not met: defanged links, gambling bait, money mules, "allowances",
survey and eligibility phishing, card buyers, loan bait, claim farms, search-keyword
stuffing; and what is not spam beside them. In words of their own, not the labelled
streams'."""

from __future__ import annotations

import pytest

from monitor.analysis import Analyzer
from monitor.models import Action


@pytest.mark.parametrize("text", [
    "#kestreldown sick of your bank? park it in USDT and sleep easy 🚀 safe-vault[.]io",
    "🎰 200 free spins + £50 no deposit, use your Kestrel card, instant payouts 🎰 spinz(.)bet",
    "Make £500 a week from your sofa, all you need is a Kestrel account. Solo necesitas tu "
    "cuenta 📩",
    "looking for a kind soul: weekly allowance £400, just send your Kestrel sort code 💕",
    "Kestrel Bank customers: get a FREE £75 Argos gift card for our 1 minute survey 👉 "
    "kestrel-survey[.]shop",
    "Kestrel Bank customers may qualify for £8,000 in debt forgiveness. Check eligibility now: "
    "relief-gov[.]uk",
    "kestrel bank near me kestrel bank login kestrel bank sort code near me opening hours",
    "Buying Kestrel reward cards with balances, instant payout via PayPal 💸 DM",
    "Bad credit? Refused by Kestrel Bank? We'll erase your bad history in 30 days. DM us 📈",
    "Kestrel card accepted 🎰 deposit £10, play with £100 at spinpalace(.)bet",
    "lonely and generous 💕 I'll cover your rent, just send me your Kestrel online banking "
    "login so I can deposit",
    "Kestrel Bank savings rates 2027 compare click here click here click here",
    # points sold, a passport with no appointment, a dating lure, a loan with no bureau check,
    # any transaction reversed, a mule offer in Polish, a signal group
    "Selling Kestrel Rewards points 0.9p each 💰 bulk discount, fast transfer. DM me",
    "@KestrelBank Nice post! Check my profile for hot singles near you 🔥",
    "Masz konto w Kestrel? Zarób 300 funtów tygodniowo, przyjmując przelewy. Pisz DM 💷",
    "Sent money to the wrong account? We reverse ANY transaction in 30 mins. Call 07## ### 411",
    "Still parking cash at Kestrel for 4%? 🤡 My signal group did 180% this month. DM for invite",
    # riding an outage's hashtag to sell attention
    "#kestreldown trending again lol. 10k real UK followers today for £20, message me",
    # an offer made good in minutes, with a way to take it up
    "Kestrel turned your overdraft down? 😂 We approve in 10 minutes, no payslips. Inbox now",
    "Get a Kestrel-compatible prepaid card in 3 mins, no ID needed. DM me 📩",
    # a masked local number beside the bait; a pump group; returns by the month; betting
    "URGENT CASH 💰 no guarantor, paid into your Kestrel account same day. WhatsApp 0791 ### "
    "####",
    "Kestrel Bank shares to double by Friday 🚀 my VIP group tells you when. £20 to join",
    "40% monthly returns, pay in by Kestrel transfer, paid out every Monday. Limited slots",
    "#kestreldown again? use code SPIN20 on our betting site for a £20 free bet while you wait",
    # phishing with a link and an alarm about your account
    "Kestrel Bank: your account will be suspended today. Verify now at kestrel-secure-id[.]in",
])
def test_bait_the_lists_had_not_met_is_spam(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text, handle="promo_acct_77")
    assert a.action is Action.SPAM, a.reasons


@pytest.mark.parametrize("text", [
    # a real way to get a porting code, said to another customer
    "@dana_k text PAC to 65075 and you'll get it straight away, no need to ring Kestrel",
    # a newcomer's question in Spanish
    "¿Se puede abrir una cuenta en Kestrel Bank sin historial de crédito en el Reino Unido?",
    # a customer quoting the bait to report it
    "@KestrelBankHelp got a text saying I may qualify for debt forgiveness at "
    "kestrel-relief[.]com, is this you?",
    # a customer who waited, asking to be called
    "@KestrelBankHelp I couldn't get through in 45 minutes on the phone, call me now please",
    # a customer telling of their card used at a casino
    "@KestrelBankHelp my card's been cloned, three payments to some online casino overnight",
    # a phishing text quoted whole, link, shape and alarm, to ask if it is real
    "Just got a text 'KESTREL BANK: your account has been suspended due to unusual activity. "
    "Verify now at kestrel-secure-login.co' — is this legit?? @KestrelBankHelp",
    # a customer's own failed payment; a giveaway asked about
    "Kestrel transfer to my builder 'failed' but the money's gone? App says the payment failed "
    "and my balance is £900 lower",
    "Those 'Kestrel Bank giving away £500' posts are obviously fake, right? My dad keeps "
    "entering them",
])
def test_what_only_looks_like_bait_is_not_spam(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text, handle="ordinary_person")
    assert a.action is not Action.SPAM, a.reasons


@pytest.mark.parametrize(("handle", "spam"), [
    ("KestrelFans_UK", False),  # a fan account: the name and a place
    ("kestrel_lover_88", False),
    ("KestrelRefundsTeam", True),  # the name and an official-sounding ending
    ("KestrelApoio", True),
])
def test_a_handle_built_on_our_name_is_an_imitator_only_with_an_official_ending(
        bank: Analyzer, handle: str, spam: bool) -> None:
    a = bank.analyze("Kestrel Bank's new savings pot is great, 4% easy access", handle=handle)
    assert (a.action is Action.SPAM) is spam, a.reasons
