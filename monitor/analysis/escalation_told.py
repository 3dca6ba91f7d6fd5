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
        "bitcoin investment", "crypto investment", "inversión en bitcoin",
        "inversión en cripto", "investimento em bitcoin", "check washing", "washed check",
        "washed cheque", "check was stolen", "cheque was stolen", "robó un cheque",
        "robaron un cheque", "kill this card", "kill my card",
    ),
}


# Phrasings in context, each after its trigger words (as `escalation_terms.TRIGGERS` and
# `CONTEXT`, paired): a card descriptor quoted from a statement ("'SQ *GLOWHAUS LLC'", "PAYPAL
# *KWIKDIGI"), which people copy out when they do not know it.
TOLD_CONTEXT: dict[Escalation, tuple[tuple[tuple[str, ...], str], ...]] = {
    Escalation.SECURITY: (
        (("*",), r"(?-i:\b[A-Z]{2,10}\s?\*\s?[A-Z][A-Z0-9.'&-]{2,})"),
    ),
}
