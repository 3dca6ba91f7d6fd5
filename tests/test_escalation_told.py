"""Security told by what the customer saw rather than by its name: a skimmer by its look, a
charge where they have never been, "it wasn't me" in other languages, and an account imitating
ours named in the post. Three phrasings each, and the false friends. In words of their own,
not the labelled streams'."""

from __future__ import annotations

import pytest

from monitor.analysis import Analyzer
from monitor.models import Escalation


@pytest.mark.parametrize("text", [
    # a skimmer, by its look
    "@KestrelBankHelp the cash machine outside Tesco Selby has a bulky grey cover over the "
    "card slot, is that meant to be there?",
    "@KestrelBankHelp the keypad on the ATM at your Hull branch lifts up at one corner, looks "
    "glued on",
    "@KestrelBankHelp weird plastic bit around the card reader at the Ripon machine. It came "
    "off in my hand",
    # a charge where they have never been
    "@KestrelBankHelp £312 spent at a hotel in Lisbon last night on my debit card. I have "
    "never even been to Portugal",
    "@KestrelBankHelp two payments to a taxi firm in Dublin this morning. Never set foot in "
    "Ireland",
    "@KestrelBankHelp my card was used in Marseille at 4am and I haven't been to France since "
    "2019",
    # it wasn't me, in other languages
    "@KestrelBankHelp hay un cargo de 90 libras en mi cuenta de una tienda online y no fui yo",
    "@KestrelBankHelp alguém usou o meu cartão num site de apostas, não fui eu",
    "@KestrelBankHelp quelqu'un a utilisé ma carte à Londres ce matin",
    # an account imitating ours, named in the post
    "@KestrelBankHelp an account called KestrelBank_Refunds says I'm owed £80 and wants my "
    "card details. Is that you?",
    "@KestrelBankHelp is @KestreIBankHelp really you? They DMed me asking for the code",
    "@KestrelBankHelp some profile named KestrelDisputesTeam replied to my tweet asking me to "
    "ring a number",
    # more told in French and by what happened
    "@KestrelBankHelp un virement de 300 € est parti de mon compte vers un certain « M. Dubois ». "
    "Je ne connais pas de M. Dubois.",
    "@KestrelBankHelp six login codes by text overnight. I haven't tried to sign in since Friday",
    "@KestrelBankHelp a £640 payment from Manchester on my card. I'm in Cardiff all week",
    "@KestrelBankHelp there's a Currys order for £900 on my account. Didn't buy a laptop",
    "@KestrelBankHelp a 'Kestrel Support' account on WhatsApp wants my memorable answer",
    # card testing, and a suspicious payment reported in Polish and Spanish
    "@KestrelBankHelp a £0.01 charge from 'AUTH*CHECK' then £310 pending at a shop in Riga. "
    "Is that what I think it is?",
    "@KestrelBankHelp zgłosiłam w oddziale podejrzaną transakcję na 200 funtów, nikt nie "
    "oddzwonił",
    "@KestrelBankHelp tengo una transacción sospechosa de 150 libras en mi cuenta",
    # a scam message pasted as it came, with its link
    "@KestrelBankHelp my neighbour received this text: 'KESTREL: your card is suspended, "
    "verify within 2 hrs at kestrel-cardcheck[.]co'",
    "@KestrelBankHelp got an email saying I've won a Kestrel loyalty prize, claim at "
    "kestrel-rewards.top. Surely not?",
    # doubted, or nearly fallen for
    "@KestrelBankHelp a message says my Kestrel points expire tonight. This is fake right?",
    "@KestrelBankHelp my mum nearly clicked a Kestrel 'security update' link in her inbox",
    # a card descriptor copied from the statement, a card that never left them, codes not
    # asked for, a link pressed, a new device, details changed by someone else, a cheque
    # washed, in English and other languages
    "@KestrelBankHelp what is 'BRF *ZENOLUX LTD' taking £64.20 from my account at 3am?",
    "@KestrelBankHelp apparently I paid for petrol in Dundee. My card was in my wallet in York",
    "@KestrelBankHelp getting verification codes by text and I'm not trying to log in",
    "@KestrelBankHelp j'ai reçu trois codes par SMS sans rien avoir demandé",
    "@KestrelBankHelp I pressed the link in that text about my account before I realised",
    "@KestrelBankHelp a app diz novo dispositivo ligado: Samsung, Porto. Eu tenho iPhone",
    "@KestrelBankHelp got an email saying my phone number changed. Eu não alterei nada",
    "@KestrelBankHelp the cheque I posted to my builder was stolen and washed, check washing "
    "they call it, cashed for £2,900",
    # a seller who took the money and vanished
    "@KestrelBankHelp I paid a seller £260 by bank transfer for concert tickets and she blocked "
    "me straight after. Can you get it back?",
    "@KestrelBankHelp paid £400 deposit on a flat in Leeds, the 'agent' stopped answering and "
    "the listing vanished",
    "@KestrelBankHelp sent £90 for a pram on a selling app, the seller deleted their profile. "
    "What now?",
    "@KestrelBankHelp transferred £180 for festival tickets, the guy stopped replying after I "
    "paid",
    # a caller from "the bank" or "the tax office", a payee check failing, charges disowned in
    # French
    "@KestrelBankHelp ligaram-me a dizer que eram do banco e pediram o código do SMS. Dei o "
    "código 😭",
    "@KestrelBankHelp my gran had a call from 'HMRC' saying she'd be arrested unless she paid "
    "£1,800 today",
    "@KestrelBankHelp paying the roofer and it says the name doesn't match. He says it's his "
    "brother's account?",
    "@KestrelBankHelp deux prélèvements de 9,99 € que je n'ai pas faits, puis un de 240 €",
    # a phone with the app lost, a PIN watched, a payee added by someone else, a code sent to a
    # phone they do not have, a message wearing our logo
    "Left my phone on the train and the Kestrel app is on it. What do I do @KestrelBankHelp",
    "@KestrelBankHelp a man watched me put my PIN in at the Tesco machine and now my card is "
    "gone",
    "@KestrelBankHelp the app says a code went to my new phone. I do not have a new phone",
    "@KestrelBankHelp got a WhatsApp with your logo saying my account is on hold, is it real?",
    # told in Tagalog and Taglish
    "@KestrelBankHelp may ₱8,000 transfer out daw sa account ko. HINDI AKO 'YUN",
    "Biglang nawalan ng signal ang SIM ko, tapos wala nang laman ang Kestrel account ko",
    "Tatay ko binigay daw niya ang code sa tumawag na taga-Kestrel daw 😭",
    "Nagpadala ako ng SAR 2,000 sa 'agent' na partner daw ng Kestrel. Hindi na siya sumasagot",
    # a wallet never set up, a phone nicked; a caller, a payee and a SIM in other languages
    "@KestrelBankHelp just had a £40 apple pay payment in Leeds?? I don't even have apple pay",
    "Phone got nicked on the bus 20 min ago, the Kestrel app is on it @KestrelBankHelp",
    "A minha mãe recebeu uma chamada de alguém que disse ser do Kestrel e fez duas transferências",
    "@KestrelBankHelp w nocy poszedł przelew na 900 €. Nie dodawałem takiego odbiorcy",
    "@KestrelBankHelp Orange confirme qu'une nouvelle SIM a été activée à mon nom à Lyon",
])
def test_security_told_by_what_the_customer_saw_escalates(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert Escalation.SECURITY in a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    # the brand's own main account, not listed in the configuration, is no imitator
    "@KestrelBank my account has been frozen for a week and nobody will say why",
    "@KestrelBank is that really your new logo? Looks like a pigeon",
    # a slot that hurt someone is safety, not a skimmer
    "@KestrelBankHelp the night safe slot at the Leeds branch has a sharp edge sticking out, "
    "cut my hand",
    # a charge in a place the customer was in
    "@KestrelBankHelp why was I charged a foreign fee for a coffee in Paris? I was there, but "
    "your card is meant to be fee-free",
    "@KestrelBankHelp do I need a code to log in on a new phone? I haven't tried yet",
    "Kestrel Bank rated the friendliest bank in a survey by a website I've never heard of",
    # an operator's code with a star is no card descriptor
    "@KestrelBankHelp what's the USSD *737# code to check my balance from a basic phone?",
    # a small amount that is no card testing
    "@KestrelBankHelp why does my savings pot show £0.01 interest for the whole month?",
])
def test_false_friends_of_security_do_not_escalate_it(bank: Analyzer, text: str) -> None:
    a = bank.analyze(text)
    assert Escalation.SECURITY not in a.escalation, a.reasons


@pytest.mark.parametrize(("text", "kind"), [
    ("@KestrelBankHelp le distributeur de la succursale de Lille a des fils électriques qui "
     "pendent à hauteur d'enfant", "safety"),
    ("@KestrelBankHelp en el cajero de la calle Mayor hay cables pelados colgando", "safety"),
    ("@KestrelBankHelp noted. I'm sending all of this to the Privacy Commissioner as well",
     "legal"),
])
def test_other_kinds_told_in_more_words_escalate(bank: Analyzer, text: str, kind: str) -> None:
    a = bank.analyze(text)
    assert Escalation(kind) in a.escalation, a.reasons


def test_a_document_that_did_not_need_a_lawyer_is_no_legal_threat(bank: Analyzer) -> None:
    a = bank.analyze("Kestrel Bank's new loan terms are the first I've read that didn't need a "
                     "lawyer to decode")
    assert Escalation.LEGAL not in a.escalation, a.reasons


def test_smoke_signals_are_a_figure_of_speech(bank: Analyzer) -> None:
    a = bank.analyze("@KestrelBankHelp sent my details twice about the payment I didn't make. "
                     "Do I need to send smoke signals?")
    assert Escalation.SAFETY not in a.escalation and Escalation.SECURITY in a.escalation, (
        a.reasons)


def test_falling_for_a_scam_is_no_fall(bank: Analyzer) -> None:
    a = bank.analyze("@KestrelBankHelp an account called KestreIHelp asked my gran for her card "
                     "number. She nearly fell for it")
    assert Escalation.SECURITY in a.escalation and Escalation.SAFETY not in a.escalation, (
        a.reasons)


@pytest.mark.parametrize("text", [
    # a purchase or withdrawal they did not make, a shop they do not know, told in French,
    # Spanish, German, Portuguese and Polish; the card in their hand while it is used
    "@KestrelBankHelp il y a un paiement de 230 € chez un marchand en Lettonie que j'ai jamais "
    "fait",
    "@KestrelBankHelp hay un cargo de 89 € en mi tarjeta que yo no hice, ¿qué hago?",
    "@KestrelBankHelp drei Zahlungen an einen Händler, den ich nicht kenne. Bitte helfen",
    "@KestrelBankHelp tem duas compras no meu cartão que não fiz, em Lisboa, eu moro no Porto",
    "@KestrelBankHelp ktoś wypłacił 800 zł z mojego konta w nocy",
    "@KestrelBankHelp four charges from a casino in Malta overnight. The card is in my hand "
    "right now",
    "@KestrelBankHelp reçu un texto louche avec un lien pour « débloquer » mon compte",
])
def test_fraud_told_in_the_customers_own_words_and_languages_escalates(bank: Analyzer,
                                                                      text: str) -> None:
    a = bank.analyze(text)
    assert Escalation.SECURITY in a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    # a fraud check that was the customer, in other languages: no fraud
    "@KestrelBankHelp vous avez bloqué ma carte pour « activité suspecte » à Rome. C'était moi, "
    "en vacances!",
    "@KestrelBankHelp me bloquearon la tarjeta por actividad sospechosa pero era yo comprando "
    "billetes",
])
def test_a_check_that_was_the_customer_is_no_fraud_in_other_languages(bank: Analyzer,
                                                                      text: str) -> None:
    a = bank.analyze(text)
    assert Escalation.SECURITY not in a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    "@KestrelBankHelp je suis en larmes au guichet, on refuse de me donner mon propre argent",
    "@KestrelBankHelp uso silla de ruedas y el cajero de la sucursal está demasiado alto",
    "@KestrelBankHelp my nan (88) was talked into moving £6,000 by a caller who said he was "
    "from you",
    "@KestrelBankHelp straciłam pracę i nie dam rady spłacić raty w tym miesiącu",
])
def test_distress_disability_and_old_age_in_more_words_are_vulnerable(bank: Analyzer,
                                                                      text: str) -> None:
    a = bank.analyze(text)
    assert Escalation.VULNERABLE in a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    "Got a text from 'KESTREL-BANK' saying my account is suspended, verify at "
    "kestrel-secure[.]com. Scam right? Haven't clicked anything",
    "@KestrelBankHelp 'new device login' from Lagos at 2.15am. I was asleep in Hull",
    "@KestrelBankHelp now the fake account is asking for my mum's PIN in the replies",
])
def test_a_customer_asking_about_a_scam_message_is_a_report_not_spam(bank: Analyzer,
                                                                     text: str) -> None:
    from monitor.models import Action

    a = bank.analyze(text)
    assert a.action is Action.REPLY and Escalation.SECURITY in a.escalation, a.reasons


@pytest.mark.parametrize("text", [
    "@KestrelBankHelp the payment terminal in the café declines contactless but works with PIN",
    "Does the Kestrel Bank business account come with a card terminal or do I buy one?",
    "Kestrel Bank's outage shows card rails need real redundancy",
])
def test_terminals_and_a_systems_redundancy_are_no_hardship(bank: Analyzer, text: str) -> None:
    assert Escalation.VULNERABLE not in bank.analyze(text).escalation


@pytest.mark.parametrize(("text", "kind"), [
    ("@KestrelBankHelp is kestrel-secure-help one of yours? the link looks off", "security"),
    ("got a 'Kestrel Bank' voicemail saying my SSN was suspended and to press 1", "security"),
    ("@KestrelBankHelp took a work-from-home job, they mailed me checks to deposit and I sent "
     "the money on by transfer. Now the checks bounced", "security"),
    ("@KestrelBankHelp sold my sofa online, the buyer says I need a business account to "
     "receive his payment and sent me a link", "security"),
    ("@KestrelBankHelp a mi abuelo le llamó alguien haciéndose pasar por mi tío y le mandó "
     "800 libras", "security"),
    ("@KestrelBankHelp me llegó un correo: mi cuenta será bloqueada si no confirmo mis datos",
     "security"),
    ("@KestrelBankHelp card declined at the chemist picking up my insulin, I need it tonight",
     "vulnerable"),
    ("@KestrelBankHelp my grandad got a call saying my brother was in jail and needed bail, "
     "he sent £3,000", "security"),
    ("@KestrelBankHelp my aunt got a money request from 'HMRC Refunds' in the app and nearly "
     "accepted it", "security"),
])
def test_scams_by_their_script_and_medicine_out_of_reach_escalate(bank: Analyzer, text: str,
                                                                 kind: str) -> None:
    assert Escalation(kind) in bank.analyze(text).escalation


@pytest.mark.parametrize(("text", "kind"), [
    ("the Kestrel Bank app roasting my spending 💀 £90 on coffee. I'm deceased", "vulnerable"),
    ("@KestrelBankHelp back up, got my insulin. thanks for fixing it fast", "vulnerable"),
    ("@KestrelBankHelp the selfie check fails, my face is swollen from the steroids", "safety"),
    ("Is Kestrel Bank FDIC insured? My gran wants to move her savings", "legal"),
])
def test_slang_treatment_and_deposit_insurance_are_no_escalation(bank: Analyzer, text: str,
                                                                 kind: str) -> None:
    assert Escalation(kind) not in bank.analyze(text).escalation


def test_steps_to_report_a_scam_told_to_someone_else_are_advice(bank: Analyzer) -> None:
    from monitor.models import Action

    for text in ["Call the fraud line with her today and file a police report. Kestrel Bank "
                 "has a scam refund policy, ask for it by name.",
                 # an opinion's "I think" is no stake of the author's
                 "Call the fraud line with him today and file a police report. I think Kestrel "
                 "Bank refunds scam victims now, ask for it by name."]:
        a = bank.analyze(text)
        assert a.action is Action.MONITOR and not a.escalation, a.reasons


@pytest.mark.parametrize(("text", "kind"), [
    # stolen in Australian and British words; details changed by someone else; an invoice
    # whose bank details changed; gift cards bought for a caller
    ("@KestrelBankHelp my wallet got nicked on the tram, Kestrel card in it, and there's a "
     "£60 contactless at a chippy I definitely didn't make", "security"),
    ("@KestrelBankHelp phone got pinched at the festival and your app is on it. what do i do",
     "security"),
    ("@KestrelBankHelp I can't log in and whoever changed my email is still in there",
     "security"),
    ("@KestrelBankHelp we paid the builder's invoice to their new bank details and the builder "
     "says they never changed banks. £8,000 gone", "security"),
    ("@KestrelBankHelp Dad (80) has been buying gift cards over the phone for a man who says "
     "he's from his broadband company", "security"),
    ("@KestrelBankAide quelqu'un a copié ma carte au guichet, trois retraits à Lyon, c'est pas "
     "moi!", "security"),
    ("@KestrelBankHelp minha avó pagou a 'fiança' do meu primo por telefone, ele nunca foi "
     "preso", "security"),
    # shaking still, a pension too small, an illness come back, a death in French
    ("@KestrelBankHelp I gave the caller my code an hour ago and I'm still shaking",
     "vulnerable"),
    ("@KestrelBankHelp £12 fee on my account. I'm on the pension, that's my heating money",
     "vulnerable"),
    ("@KestrelBankHelp the cancer's back and I can't work. Can my loan payments pause?",
     "vulnerable"),
    ("@KestrelBankAide ma sœur est décédée en mai et vous lui envoyez encore des relevés",
     "vulnerable"),
    ("@KestrelBankHelp my neighbour Joan (88) was told to move her savings to a 'safe account'",
     "vulnerable"),
])
def test_more_ways_of_telling_a_fraud_or_hardship_escalate(bank: Analyzer, text: str,
                                                            kind: str) -> None:
    a = bank.analyze(text)
    assert Escalation(kind) in a.escalation, a.reasons


def test_an_attorney_for_a_parent_is_no_lawyer(bank: Analyzer) -> None:
    a = bank.analyze("@KestrelBankHelp I'm her attorney since Mum's stroke. Can I get a card "
                     "on her account for the shopping?")
    assert Escalation.LEGAL not in a.escalation, a.reasons
