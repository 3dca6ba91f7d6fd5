"""What a care lead leaves alone and what they answer, at the edges the new streams found:
staff talking about their work, job ads, jokes that say so, a "this vs that?" asked of the
timeline, a general warning, a valuation multiple, a news report of an outage; and a failure
told in another language, or only by the error on the screen, which is answered. In words of
their own, not the labelled streams'."""

from __future__ import annotations

import pytest

from monitor.analysis import Analyzer
from monitor.models import Action


@pytest.mark.parametrize("text", [
    # staff talking about their work
    "Skua Air flight attendant here: to the family in row 3 who brought us chocolates, you "
    "made a long day",
    "cashier at Kestrel Bank here (opinions my own): no, I can't waive the fee because you "
    "asked nicely",
    "Been a Skua Air pilot for 11 years and today was my last landing. What a ride",
    # a job ad
    "Skua Air ground crew recruitment: open days in Aberdeen on 3 May. Apply via the careers "
    "site",
    # a joke that says so
    "my nan just called Skua Air 'the flying shed' at the gate and I cannot stop laughing",
    # a comparison asked of the timeline
    "Kestrel Bank vs Norvale for a student account? Norvale gives a railcard but Kestrel has "
    "the better app",
    # a general warning, nothing that happened
    "PSA: if a 'Kestrel Bank' text says your card is frozen, don't tap the link. Open the app "
    "yourself.",
    # a valuation multiple is no ticker hype
    "$KSTL at 7x earnings after the results. Cheap for a bank that size",
    # a news report of an outage
    "Skua Air's booking site down across the UK this morning, travellers report failed "
    "check-ins. The airline says it is working on a fix.",
    # a warning to other customers, a rival's customer gloating, a joke on oneself, staff in
    # other words and languages, a report that blames
    "⚠️ Kestrel Bank customers: a fake email saying your card is suspended is going around. "
    "Kestrel never emails links to verify cards.",
    "Kestrel down again? Meanwhile at @NorvaleBank my card works fine 😌 #kestreldown",
    "spent so much on Kestrel's app this month it should come with a warning label (this is a "
    "me problem)",
    "I work at a Kestrel Bank branch. No, we can't waive the overdraft fee on the spot. Love, "
    "your teller",
    "Je travaille au centre d'appels de Kestrel Bank. Soyez gentils avec nous aujourd'hui 🙏",
    "Kestrel Bank blames a supplier's update for Monday's card outage, the lender's second this "
    "year",
    "Everyone moaning about #kestreldown while my Norvale card just paid for lunch no bother 😎",
])
def test_what_a_care_lead_leaves_alone(bank: Analyzer, airline: Analyzer, text: str) -> None:
    a = (airline if "Skua" in text else bank).analyze(text, handle="someone_else")
    assert a.action is Action.MONITOR, a.reasons


@pytest.mark.parametrize("text", [
    # a failure in another language, not addressed to us
    "Die Skua Air App lädt meine Buchung nicht, und am Schalter in Aberdeen geht gar nichts.",
    "Il sito di Skua Air è fuori uso da stamattina, non riesco a fare il check-in.",
    "A app da Kestrel Bank não abre desde as 8h, o sistema caiu outra vez.",
    "No puedo pagar con la tarjeta de Kestrel Bank en ningún sitio, tengo la compra en la caja.",
    # the error on the screen
    "Kestrel Bank app: 'Something went wrong. Please try again later.' For the fourth time. "
    "Bills due today.",
])
def test_a_failure_told_in_another_language_or_by_its_error_is_answered(
        bank: Analyzer, airline: Analyzer, text: str) -> None:
    a = (airline if "Skua" in text else bank).analyze(text, handle="someone_else")
    assert a.action is Action.REPLY, a.reasons
