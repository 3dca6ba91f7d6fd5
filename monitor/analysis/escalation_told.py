"""Security told by what the customer saw or did, in their words rather than ours: a card
descriptor they do not know, codes they did not ask for, a card that never left them, a
link they pressed, a cheque washed, a new device, details changed that they did not change,
in six languages. Kept apart from `escalation_terms`, which holds the lists' core; the two
are read as one list (see `EscalationRules`)."""

from __future__ import annotations

from monitor.models import Escalation

TOLD: dict[Escalation, tuple[str, ...]] = {
    Escalation.SECURITY: (
        # the card never left them
        "card was in my wallet", "card is in my wallet", "card was in my pocket",
        "card never left", "card is still with me", "card was still with me",
        "still have my card", "card is right here", "cartão tá aqui comigo",
        "cartão está comigo", "tengo la tarjeta conmigo", "la tarjeta la tengo yo",
        "j'ai toujours ma carte", "karte ist bei mir", "karta jest przy mnie",
        # codes they did not ask for; a log-in they are not making
        "not trying to log in", "wasn't trying to log in", "i'm not logging in",
        "nicht angefordert", "sans rien avoir demandé", "sans l'avoir demandé",
        "sin haberlo pedido", "sin pedirlo", "sem ter pedido", "sem eu pedir",
        "nie prosiłam o", "nie prosiłem o",
        # a link pressed, details typed in
        "pressed the link", "tapped the link", "opened the link", "clicked on it",
        "kliknęłam", "kliknąłem", "wpisałam login", "wpisałem login", "cliquei no link",
        "hice clic en el enlace", "di clic en el enlace", "j'ai cliqué sur le lien",
        "auf den link geklickt",
        # details changed that they did not change; a new device
        "eu não alterei", "no lo cambié", "je n'ai rien changé", "ich habe nichts geändert",
        "nic nie zmieniałam", "nic nie zmieniałem", "telefonnummer wurde geändert",
        "nouvel appareil", "nuevo dispositivo", "novo dispositivo", "neues gerät",
        "nowe urządzenie", "how they got in", "how did they get in", "how someone got in",
        # money sent to a seller or an "investment" that was a scam; a cheque washed
        "instagram seller", "facebook seller", "marketplace seller", "ghosted me after",
        # the seller, landlord or ticket "reseller" gone with the money: the listing vanished,
        # the profile deleted, silence once paid
        # (not "the listing is gone" alone: a shop's product taken down)
        "deleted the listing", "deleted the ad", "deleted their profile", "deleted his profile",
        "deleted her profile", "stopped answering after i paid", "stopped replying after i paid",
        "stopped responding after i paid", "went quiet after i paid", "never sent the tickets",
        "tickets never came", "tickets never arrived", "stopped answering and the listing",
        "bitcoin investment", "crypto investment", "inversión en bitcoin",
        "inversión en cripto", "investimento em bitcoin", "check washing", "washed check",
        "washed cheque", "check was stolen", "cheque was stolen", "robó un cheque",
        "robaron un cheque", "kill this card", "kill my card",
        # the card in their hand while it is used elsewhere
        "card is in my hand", "card's in my hand", "card in my hand", "card is still in my hand",
        "i've never been to", "i have never been to", "never been to", "nowhere near",
        # a purchase or withdrawal they did not make, a shop they do not know, a suspicious
        # message or log-in, someone taken in: French, Spanish, German, Portuguese, Polish
        "jamais fait", "pas fait cet achat", "j'ai pas fait", "je n'ai pas fait",
        "je n'ai pas faits", "je n'ai pas faites", "j'ai pas faits",
        # a caller from "the bank" or "the tax office" wanting a code or money today:
        # "disseram que eram do banco e pediram o código", "HMRC saying he'd be arrested"
        "dizer que eram do", "disseram que eram do", "pediram o código", "dei o código",
        "passei o código", "call from hmrc", "hmrc saying", "call from the irs", "irs saying",
        "tax office saying", "police will arrest", "will be arrested", "would be arrested",
        "arrest warrant", "arrested unless", "unless he pays", "unless she pays",
        "unless he paid", "unless she paid", "unless i pay today",
        # a phone with the banking app lost; a PIN watched; a payee or phone added by someone
        # else; a link pressed in Portuguese; a message wearing our logo
        "left my phone on", "lost my phone", "phone was stolen", "phone got stolen",
        "phone's been stolen", "phone has been stolen", "watched me put my pin",
        "watched me enter my pin", "saw my pin", "saw me put my pin", "tried to add a new payee",
        "added a new payee", "new payee i didn't", "new payee i did not",
        "don't have a new phone", "do not have a new phone", "haven't got a new phone",
        "cliquei", "pus os dados", "coloquei os dados", "really from you", "with your logo",
        "using your logo", "on whatsapp saying", "on whatsapp asking",
        # a card given to a scam; the overpaid buyer's "send back the extra"
        # (not "sparked when I put my card in"; not a mortgage overpayment)
        "card in on it", "her card details in", "his card details in", "entered her card",
        "entered his card", "sent him back", "sent her back", "overpaid me",
        "send back the difference", "sent back the difference",
        # Tagalog and Taglish: "hindi ako 'yun", "wala nang laman ang account ko", "na-scam",
        # "binigay ko 'yung code", a SIM that lost signal; the code given, in English and Polish
        "hindi ako yun", "hindi ako 'yun", "di ako yun", "hindi ko ginawa", "hindi ko kilala",
        "wala nang laman", "na-transfer out", "nabiktima", "na-scam", "nascam", "naloko",
        "ninakaw", "nanakaw", "na-hack", "nahack", "binigay ko na", "binigay ko ang",
        "binigay ko 'yung", "binigay ko yung", "nabigay ko na", "binigay daw niya ang",
        "nawalan ng signal", "iba na ang registered", "hindi na ma-withdraw",
        "i gave the code", "gave the code", "gave them the otp", "gave the otp",
        "sent them the code", "lower than it should be", "kliknęła", "wpisała dane",
        "wpisał dane", "la conocí en una app", "lo conocí en una app",
        # an "agent" or "recruiter" gone quiet with the money: "hindi na siya sumasagot"
        "hindi na sumasagot", "hindi na siya sumasagot", "hindi na rin siya sumasagot",
        "placement fee", "page is gone", "page was deleted", "the recruiter had",
        # a wallet they never set up; a phone "nicked"; the caller, payee, SIM and listing in
        # Portuguese, Polish, French, German and Spanish
        "don't even have apple pay", "don't have apple pay", "don't even have google pay",
        "don't have google pay", "phone got nicked", "phone was nicked", "nicked my phone",
        "disse ser do", "disseram ser do", "nunca lá estive", "nunca estive lá",
        "nie dodawałem", "nie dodawałam", "nie zleciłem", "nie zleciłam", "nie znam gościa",
        "nouvelle sim a été activée", "nouvelle carte sim", "ist die person weg",
        "anuncio ha desaparecido", "no contesta y el anuncio", "verification payment",
        "ist das echt", "casi me pillan", "casi caigo", "the long number",
        "three digits on the back", "3 digits on the back",
        # a payee whose name the bank's check says is wrong
        "says the name doesn't match", "payee name doesn't match",
        "name doesn't match the account",
        "pas autorisé", "carte verrouillée", "verrouillé ma carte", "verrouiller ma carte",
        "activité suspecte", "connexion depuis", "lien louche", "courriel louche",
        "texto louche", "message louche", "s'est fait avoir", "se sont fait avoir",
        "fait arnaquer", "hameçonnage", "fraudeur*", "compte piraté", "usurpation",
        "que no hice", "yo no hice", "no hice esa*", "no hice este*", "no autoricé",
        "me estafaron", "enlace sospechoso",
        "mensaje sospechoso", "actividad sospechosa", "suplantación", "me hackearon",
        "den ich nicht kenne", "die ich nicht kenne", "das ich nicht kenne", "nicht von mir",
        "nicht getätigt", "nicht autorisiert", "unbekannte abbuchung*", "betrüger*",
        "verdächtige aktivität", "verdächtiger link", "wie sperre ich",
        "que não fiz", "não fiz essa*", "não fiz esse*", "não autorizei", "clonaram",
        "cartão clonado", "golpista*",
        "caí num golpe", "caí no golpe", "link suspeito", "atividade suspeita",
        "mensagem suspeita", "ktoś wypłacił", "ktoś zapłacił", "ktoś przelał", "nie robiłam",
        "nie robiłem", "nieautoryzowan*", "podejrzany link", "podejrzany sms",
        "podejrzane logowanie", "zhakowan*", "wyłudz*",
        # asking whether what they got is a scam; a log-in from a device not theirs
        "scam right", "scam, right", "new device login", "login from a new device",
        "new device signed in", "new device added",
        # a link that looks wrong, a scam call's script, the fake-check and business-account
        # payment scams, someone posing as family in Spanish and Portuguese
        "link looks off", "link looks dodgy", "link looks weird", "link looks fake",
        "link looks sus", "link looks suspicious", "ssn was suspended", "ssn is suspended",
        "press 1", "mailed me checks", "mailed me a check", "sent me a check to deposit",
        "sent the money on", "send the money on", "fake check", "fake cheque",
        "need a business account", "upgrade to a business account", "haciéndose pasar",
        "se hizo pasar", "fazendo-se passar", "se fez passar", "gab sich als",
        "será cerrada", "será bloqueada", "será suspendida", "confirmar mis datos",
        "confirme mis datos", "confirmo mis datos", "será encerrada", "será bloqueada",
        # the grandparent scam; a payment request that is no refund
        "was in jail", "in jail and needed", "needed bail", "bail money", "grandparent scam",
        "almost accepted", "nearly accepted", "money request from",
        # a wallet or phone stolen in the words of Australia and Britain; a tap they did not
        # make; a fraud alert asking them to confirm a purchase
        "wallet got nicked", "wallet was nicked", "card got nicked", "bag got nicked",
        "phone got pinched", "wallet got pinched", "bag got pinched", "card got pinched",
        "definitely didn't do", "definitely didn't make", "asking me to confirm a",
        # an invoice whose bank details changed (the supplier never did); details changed by
        # someone else; gift cards bought for a caller
        "new bank details", "changed their bank details", "bank details had changed",
        "bank details have changed", "never changed banks", "updated bank details",
        "whoever changed my", "someone changed my", "somebody changed my", "buying gift cards",
        "gift cards over the phone", "pay in gift cards", "paid in gift cards",
        "microsoft support",
        # in French (Québec's too), Portuguese and Spanish: a card copied at the pump, "it wasn't
        # me", never authorised, a fake adviser, details changed; bail for a relative
        "copié ma carte", "carte copiée", "carte clonée", "c'est pas moi", "ce n'est pas moi",
        "jamais autorisé", "jamais autorisés", "jamais autorisée", "faux conseiller",
        "fausse conseillère", "téléphone a été modifié", "courriel a été modifié",
        "adresse a été modifiée", "fiança", "fianza",
    ),
    # a customer in distress, disabled, old or out of work, in the other languages
    Escalation.VULNERABLE: (
        "en larmes", "en pleurs", "fauteuil roulant", "personne âgée", "malentendant*",
        "malvoyant*", "handicapé*", "au chômage", "perdu mon emploi", "llorando",
        "persona mayor", "tercera edad", "discapacidad", "perdí mi trabajo", "in tränen",
        "unter tränen", "schwerbehindert*", "meinen job verloren", "chorando", "idosa", "idoso",
        "deficiência", "perdi o emprego", "perdi meu emprego", "płaczę", "we łzach",
        "niepełnosprawn*", "straciłem pracę", "straciłam pracę", "hasn't eaten",
        # Tagalog: out of work, can't pay any more, savings gone on a hospital stay
        "natanggal ako sa trabaho", "natanggal po ako sa trabaho", "nawalan ng trabaho",
        "nawalan ako ng trabaho", "hindi ko na kaya", "hindi ko na po kaya", "naubos ang ipon",
        "hospital bill", "hospital bills",
        "has not eaten",
        # shaking still; living on a pension; an illness come back; a death in the feminine
        "still shaking", "can't stop shaking", "hands are shaking",
        "on the age pension", "on the pension", "on a pension", "cancer's back", "cancer is back",
        "cancer came back", "cancer has come back", "décédée", "décédés", "fallecida",
        "falecida", "zmarła", "zmarł",
        # Tagalog words of not wanting to live: "sana hindi na lang ako nagising" (I wish I
        # had not woken up), "ayoko nang mabuhay", "gusto ko nang mamatay"
        "hindi na lang ako nagising", "hindi na ako magising", "ayoko nang mabuhay",
        "ayoko na mabuhay", "ayaw ko nang mabuhay", "gusto ko nang mamatay",
        "gusto ko na mamatay", "sana mamatay na lang ako",
        # medicine they cannot get: "card declined at the pharmacy picking up my insulin"
        "picking up my insulin", "need my insulin", "need insulin", "can't get my insulin",
        "pay for my insulin", "pay for insulin", "without my insulin", "without insulin",
        "pay for my prescription", "can't get my prescription", "pay for my medication",
        "can't get my medication", "heart medication",
    ),
    # a hazard told in Tagalog: "may spark at amoy sunog", "nakalaylay na kable", "umuusok"
    Escalation.SAFETY: (
        "amoy sunog", "may spark", "nag-spark", "nagspark", "nakalaylay na kable",
        "nakuryente", "umuusok", "nasusunog",
    ),
}


# Phrasings in context, each after its trigger words (as `escalation_terms.TRIGGERS` and
# `CONTEXT`, paired): a card descriptor quoted from a statement ("'SQ *GLOWHAUS LLC'", "PAYPAL
# *KWIKDIGI"), which people copy out when they do not know it.
TOLD_CONTEXT: dict[Escalation, tuple[tuple[tuple[str, ...], str], ...]] = {
    Escalation.SECURITY: (
        (("*",), r"(?-i:\b[A-Z]{2,10}\s?\*\s?[A-Z][A-Z0-9.'&-]{2,})"),
    ),
    # a parent or grandparent of 75 or more, their age in brackets: "my dad (81) just sent"
    Escalation.VULNERABLE: (
        (("(",), r"\b(?:mum|mom|mother|mam|dad|father|gran\w*|grand\w*|nan|nana|aunt\w*|uncle|"
                 r"neighbou?r)(?:\s+[A-Z][a-z]+)?\s*\((?:7[5-9]|8\d|9\d|10\d)\)"),
    ),
}


# False friends kept apart from `escalation_terms.DEFAULT_EXCLUDE`, read with it: redundancy
# that is a system's, not a job lost ("card rails need real redundancy").
TOLD_EXCLUDE: dict[Escalation, tuple[str, ...]] = {
    Escalation.VULNERABLE: (
        "real redundancy", "need redundancy", "needs redundancy", "no redundancy",
        "lack of redundancy", "network redundancy", "redundancy in the", "built-in redundancy",
        "more redundancy", "proper redundancy",
        # a payment terminal, an airport's: no illness
        "payment terminal", "card terminal", "the terminal", "a terminal", "terminal w",
        "terminal de", "terminal at", "terminal in", "terminals",
        # laughing, not dead: "I'm deceased 💀"
        "i'm deceased", "im deceased", "i am deceased", "i'm dead", "im dead", "i'm dying",
        "im dying", "i'm crying", "im crying",
        # a machine that died: "the Eftpos terminal at the café died Thursday"
        "terminal died", "machine died", "reader died", "phone died", "phone's died",
        "battery died", "battery's died", "laptop died", "router died", "screen died",
        "app died", "car died", "charger died", "tablet died", "ipad died", "it died",
    ),
    # a face swollen from treatment is no swollen battery; deposit insurance is no legal step
    Escalation.SAFETY: (
        # a timeline or a person melting down is no melting kit; nor is patience on fire
        "patience is on fire", "patience is literally on fire",
        "melt down", "melting down", "meltdown", "meltdowns", "having a melt",
        "face swollen", "swollen from", "swollen face", "swollen feet", "swollen ankles",
        "swollen legs", "swollen glands",
    ),
    Escalation.LEGAL: (
        # an attorney under a power of attorney, for a parent: no lawyer
        "i'm his attorney", "i'm her attorney", "i am his attorney", "i am her attorney",
        "as his attorney", "as her attorney", "attorney access", "enduring attorney",
        "fdic insured", "fdic-insured", "fdic insurance", "insured by the fdic",
        "fscs protected", "fscs-protected", "fscs protection", "covered by the fscs",
    ),
}
