"""Turns a case and the post that needs an answer into a reply draft in the brand's voice.

The composer (`responders/compose/`) writes the draft and its candidates from the facts of the
post and the case; a brand's own `[voice.templates]` entry for an intent or escalation kind
takes that key over, as before (its template sees the same facts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from monitor.analysis.analyzer import asks, praises
from monitor.analysis.cues import (
    FOREIGN_NOT_THANKS,
    FOREIGN_PRAISE,
    GRATITUDE,
    failed_beside,
    praise_said,
    put_right,
    still_wrong,
)
from monitor.analysis.sentiment import thanks_for_a_fix
from monitor.analysis.terms import Folded
from monitor.cases import escalation_kinds
from monitor.models import (
    PRAISE,
    Action,
    Analysis,
    Case,
    CaseKind,
    CaseStatus,
    DraftSpec,
    Mention,
)
from monitor.packs import load_pack
from monitor.settings import Settings
from responders.compose.composer import Composer, Situation
from responders.compose.facts import waited
from responders.saved import fill, nearest, words_of
from responders.voice import Voice, first_name


def voice_from_settings(settings: Settings) -> Voice:
    """The brand voice described by the `[voice]` section."""
    return Voice(
        brand=settings.brand.name,
        tone=settings.voice.tone,
        sign_off=settings.voice.sign_off,
        banned_phrases=tuple(settings.voice.banned_phrases),
        templates={str(k): v for k, v in settings.voice.templates.items()},
        code_reminder=(settings.voice.code_reminder if settings.voice.code_reminder is not None
                       else load_pack(settings.brand.industry).code_reminder),
    )


def situation_of(case: Case, mention: Mention, analysis: Analysis) -> Situation:
    """Where the conversation stands when this post is answered."""
    kinds = tuple(dict.fromkeys([*(k.value for k in analysis.escalation),
                                 *escalation_kinds(case.escalation)]))
    contacts = max(1, case.customer_effort) if case.first_response_at is None else 1
    after_reply = (case.first_response_at is not None
                   and mention.created_at >= case.first_response_at)
    incident = ""
    fixed_at = ""
    if case.kind is CaseKind.INCIDENT:
        if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            incident = "resolved"
            fixed_at = _clock(case.resolved_at)
        else:
            incident = "ongoing"
    head = mention.text[:4_000]  # what analysis read of the post
    asked = asks(head)
    return Situation(
        intent=case.intent, escalation=kinds, contacts=contacts,
        waited=waited(case.opened_at, mention.created_at) if contacts > 1 else "",
        after_our_reply=after_reply, escalated=case.status is CaseStatus.ESCALATED,
        incident=incident, fixed_at=fixed_at,
        # they told us earlier on this case that they had messaged us
        already_dmed=case.dmed_at is not None and case.dmed_at <= mention.created_at,
        acknowledge=analysis.action is Action.ACKNOWLEDGE,
        put_right=analysis.action is Action.ACKNOWLEDGE and put_right(head),
        asked=asked,
        at_risk=_AT_RISK.search(head) is not None,
        # (thanks, and the problem goes on: "thanks for the quick reply! ...but it's still
        # stuck at 99%" is answered, not thanked)
        thanked=analysis.action is Action.REPLY and not any(
            r.startswith("sarcasm(") for r in analysis.reasons) and not still_wrong(head) and (
            analysis.label == "positive" or praises(head, explicit=True)
            or thanks_for_a_fix(head)
            or (analysis.sentiment.compound >= 0.3 and praises(head))
            # a story that ends well, told warmly: "the money worries team rang me back within
            # an hour and set up a payment plan"
            # thanks in so many words, with no complaint ("Thank you, properly.")
            or (GRATITUDE.search(head) is not None
                and analysis.complaint_probability < 0.5)
            # praise in one of its shapes ("were lovely to my son"), or thanks that close the
            # post ("... talked me down from a meltdown last week. Thank you.")
            or praise_said(head) is not None
            # thanks said outright in another language ("obrigada pela ajuda de ontem")
            or (analysis.lang not in (None, "en")
                and FOREIGN_PRAISE.search(head) is not None
                and FOREIGN_NOT_THANKS.search(head) is None)
            # warm words with nothing failing: whatever made it a reply, no apology
            or (analysis.sentiment.compound >= 0.5 and analysis.outage is None
                and not failed_beside(head))
            or (GRATITUDE.search(_closing(head)) is not None
                and not asked)
            # thanks opening a reply, with no "but" or "still" after it: "thanks Tom, Post
            # Office and a Tuesday visit it is then"
            or _OPENS_WITH_THANKS.match(head) is not None
            # thanks closing a post in another language ("... en 10 minutos. ¡Gracias!")
            or (analysis.lang not in (None, "en") and not asked
                and _THANKS_LAST.search(head) is not None
                and FOREIGN_NOT_THANKS.search(head) is None)
            or ((analysis.sentiment.compound >= 0.2 or analysis.complaint_probability < 0.2)
                and analysis.complaint_probability < 0.5
                and _ENDED_WELL.search(head) is not None)))


_OPENS_WITH_THANKS = re.compile(
    r"(?:@\S+\s+)*(?:thanks|thank you|cheers|ta|thx|ty)\b(?!\s+for nothing)"
    r"(?![^.!?\n]*\b(?:but|still|however|yet|though)\b)", re.IGNORECASE)
_THANKS_LAST = re.compile(r"\b(?:gracias|merci|danke|obrigad[oa]|dziękuj\w*|dzięki)\W*$",
                         re.IGNORECASE)


def _closing(text: str) -> str:
    """The post's last sentence."""
    return re.split(r"(?<=[.!?\n])\s+", text.strip())[-1]


# What we did that put it right, in the customer's words.
_ENDED_WELL = re.compile(
    r"\b(?:rang me back|called me back|got back to me|sorted (?:it|me|everything)|set up a|"
    r"within (?:an|the) hour|same day|in minutes|in (?:two|ten|five|\d+) minutes|fixed it|"
    r"refunded|waived|came through|went (?:above|the extra mile)|"
    r"(?:gave|given|sent) me (?:a |an )?(?:\S+ ){0,2}(?:credit|refund|goodwill|gesture|voucher))\b",
    re.IGNORECASE)


# Words that put money or an account at risk, whatever the intent ("my card", "a code").
_AT_RISK = Folded(
    r"\b(?:fraud\w*|scam\w*|stolen|hack\w*|phish\w*|one[- ]time code|passcode|pin|password|"
    r"security code|verification code|suspicious|don't recognise|don't recognize|didn't make|"
    r"not mine|someone (?:used|took|has|got)|unauthori[sz]ed|compromised|locked out|"
    r"new device|sim swap\w*|fake (?:text|call|email|site|account)|met online|romance|"
    r"bloque\w*|blocked my account|froze my account|frozen account|lost (?:my |a )?card|"
    # an account locked or held: "the locked account", "the hold on my account", "account on
    # hold"; and card testing: "a €0.01 payment to 'VRFY*SERVICE'"
    r"locked account|(?:account|a/c|acct) (?:is |was |got |has been |have been |been |is being )?"
    r"(?:locked|held|on hold|frozen|blocked|restricted|suspended)|"
    r"hold on (?:my|the|our) account|(?:[£$€]\s?0[.,]01|0[.,]01\s?(?:€|eur|usd|gbp))|"
    # contact details changed, the way into an account: "change-of-address form", "my new
    # phone number", "cambiar mi número de teléfono", "mudança de morada"
    r"change[- ]of[- ]address|change (?:my |the |our )?(?:address|phone number|mobile number|"
    r"number|email)|(?:my |the )?new (?:phone |mobile )?number|cambiar (?:mi |el )?(?:número|"
    r"teléfono|dirección|correo)|número nuevo|mudança de morada|alterar (?:a |o )?(?:morada|"
    r"número|email)|changement d'adresse|changer (?:mon |d')(?:adresse|numéro)|zmian\w* adresu|"
    r"adresse ändern|adressänderung|telefonnummer|handynummer|gesperrt|zablokowa\w*|"
    r"logged me out|locked me out|"
    # an account frozen, closed or gone dormant, whoever did it: "froze everything", "closed
    # my mam's savings account", "reactivate my dormant account"
    r"(?:froze|frozen|closed|restricted|suspended) (?:[\w'’]+ ){0,3}(?:account|accounts|"
    r"everything)|dormant account|reactivat\w*|"
    r"card (?:was |is |got )?(?:lost|missing|taken)|wallet|login|log in|sign in|account access|"
    r"verify|verification|identity|id check|kyc|aadhaar|pan card|bvn|nin|ssn|national id|"
    r"id card|hardware token|token|almost clicked|nearly clicked|is this fake|fake,? right|"
    r"blocked me|"
    # how an account is got into, and how fraudsters get at it: "2FA codes never arrive",
    # "face ID stopped working", "card was cloned", "a dodgy text with a link"
    r"2fa|two[- ]factor|otp|authenticator|memorable (?:word|information)|security questions?|"
    r"face ?id|fingerprint|passkey|card ?reader|won't let me (?:in|log|sign)|"
    r"(?:can't|cannot|can not|couldn't) get in(?:to)?|device (?:is )?not recogni[sz]ed|"
    r"(?:logged|signed) in from|log-?in from|(?:leave|left|went out of|came out of) my account|"
    r"cloned|skimm\w*|spoof\w*|smish\w*|vish\w*|(?:dodgy|suspicious|fake|weird) (?:text|link|"
    r"call|email|e-mail|website|site|number)s?|"
    # can't get into the account, in Spanish, French, German and Portuguese
    r"no puedo (?:entrar|acceder)|(?:impossible de|je n'arrive pas à) (?:me connecter|accéder)|"
    r"(?:kann mich nicht|komme nicht) (?:mehr )?(?:anmelden|einloggen|rein)|"
    r"não consigo (?:entrar|acessar|aceder)|"
    # the details an account is taken over with
    r"(?:change|changing|update|updating) (?:my|the|our) (?:\w+ )?(?:address|phone number|"
    r"mobile number|email address|email|number|details)|"
    # payments or access the customer disowns, money gone, details asked for
    r"(?:didn't|did not|never|not) authori[sz]\w*|someone's been|someone has been|not me|"
    r"wasn't me|weren't me|never made|don't know (?:these|this|what|who)|unknown (?:payment|"
    r"transaction|charge)s?|gone from my|(?:money|savings|balance) (?:has |have )?(?:gone|"
    r"disappeared|vanished)|emptied|drained|card details|cvv|whatsapp|telegram|"
    r"impersonat\w*|pretending|desbloque\w*|débloqu\w*|entsperr\w*|odblok\w*|legit|"
    r"(?:email|e-mail|text|message|call|letter)s?\s+['\"‘“]from|"
    # the bank closing, freezing or restricting the account, or access to the money lost
    r"(?:you|you've|you have|they|they've|bank|is|are|has|have)\s+(?:\w+\s+)?(?:closed|closing|"
    r"froze|frozen|freezing|restricted|restricting|suspended|blocked|locked)\s+(?:my|our)\b|"
    r"(?:my|our|the) (?:\w+ )?account (?:will be |is being |is |has been |was |got |being )"
    r"(?:closed|frozen|restricted|suspended|blocked|locked)|account (?:closure|review)|"
    r"(?:without|no|lost|can't get|cannot get) access to (?:my|our)|power of attorney|"
    r"verificaci\w*|vérification|verifizier\w*|weryfikac\w*|verificaç\w*|"
    # money taken or disputed, details asked for: "taken after my phone was robbed", "disputing
    # these ATM withdrawals", "some account wants my card number"
    r"robbed|(?:was|were|been|got) taken|taken from my|disput\w*\s+(?:\S+\s+){0,3}"
    r"(?:withdrawals?|transactions?|payments?|charges?|debits?)|"
    # "just had $600 taken out in Perth", "€240 withdrawn from my account"
    r"(?:had|has|have|got) (?:[£$€₹₦]\s?)?[\d.,]+k? (?:\w+ )?(?:taken|withdrawn|stolen)|"
    r"taken out (?:in|at|of)\b|\bdisputes?\b|"
    # card details typed in; an account closed, locked or limited in other words and languages;
    # "is this real?"
    r"the long number|(?:3|three) digits on the back|(?:you're|youre|you are) (?:\w+ )?(?:closing|"
    r"freezing|blocking) (?:my|our)|account(?:'s| is| was| has been| got) (?:been )?(?:locked|"
    r"frozen|blocked|closed)|compliance|cuenta (?:está )?(?:limitada|bloqueada|congelada)|"
    r"rekening (?:\w+ ){0,2}bevroren|konto (?:\w+ ){0,3}gekündigt|conto (?:\w+ )?(?:s?bloccato)|"
    r"is this real|ist das echt|casi me pillan|casi caigo|"
    # Tagalog: nearly taken in, blocked, money to be returned, taken by a scam
    r"muntik na|naka-?(?:block|lock)|na-?(?:block|lock)|maibalik|naibalik|na-?scam|naloko|"
    r"nabiktima|hindi ko kilala|police report|crime reference|reported it to (?:the )?police|"
    r"confirmation of payee|name (?:doesn't|does not|didn't) match|"
    r"card(?:'s| has| is| was)? (?:been )?(?:blocked|frozen|stopped|suspended)|security checks?|"
    r"adresse (?:\w+ ){0,4}(?:aktualisiert|geändert)|zmieni\w* (?:numer|adres|e-?mail)|"
    r"\d[\d.,]*k? (?:was |were )?(?:taken|withdrawn) (?:from|out of) my|"
    r"card number|account number|(?:wants|wanted|asking for|asked for|asked me for) my|"
    # opening an account or proving who they are: the documents and details fraudsters want
    # ("the form wants a utility bill", "upgrade from tier 1 to tier 3", "my BRP or eVisa")
    r"open(?:ing)? (?:a|an|my|his|her|their|our) (?:\w+ )?account|passport|proof of (?:address|"
    r"id|identity)|utility bill|tier [1-3]|brp|e-?visa|work permit|(?:my|his|her|the) "
    r"(?:id )?documents?|signature|(?:the|my|his|her|your|an?) id\b|"
    r"freigeschaltet|freischalt\w*|"
    r"abrir (?:una |uma )?(?:cuenta|conta)|pasaporte|passaporte|permiso de trabajo|documentos?|"
    r"ouvrir un compte|passeport|pièce d'identité|konto (?:zu )?eröffnen|reisepass|ausweis|"
    r"(?:otworzyć|założyć) konto|paszport|dowód osobisty|"
    # their details shown to someone else: a data leak
    r"shown to (?:someone|somebody|another|other)|sent to (?:someone|somebody) else|"
    # the same in Spanish, French, German, Portuguese and Polish
    r"fraude|estafa\w*|contraseña|cuenta bloqueada|robad\w*|arnaque\w*|escroquer\w*|"
    r"mot de passe|compte bloqué|vol[ée]e?|betrug\w*|passwort|konto gesperrt|gestohlen|"
    r"golpe|senha|conta bloqueada|roubad\w*|oszust\w*|hasł\w*|zablokowan\w*|logowani\w*|"
    r"zalogować|skradzion\w*|kradzież\w*)\b")


def _clock(at: datetime | None) -> str:
    return at.strftime("%H:%M") if at is not None else ""


class Drafter:
    """Writes a case's replies and follow-ups; a draft that breaks a voice rule is flagged, not
    cut."""

    def __init__(self, voice: Voice, *, teams: dict[str, str] | None = None) -> None:
        self.voice = voice
        self.composer = Composer(brand=voice.brand, tone=voice.tone, sign_off=voice.sign_off,
                                 teams=teams, code_reminder=voice.code_reminder)
        self.saved: Sequence[Mapping[str, Any]] = ()

    def offer_saved(self, saved: Sequence[Mapping[str, Any]]) -> None:
        """The team's saved replies in use, offered as candidates for similar posts."""
        self.saved = saved

    def _saved_candidate(self, composed: Any, situation: Situation, mention: Mention,
                         name: str) -> str | None:
        """The nearest saved reply for this post with its facts filled in, if one fits."""
        if not self.saved or situation.escalation or situation.incident:
            return None
        values = {**composed.facts, "name": name}
        for _, saved in nearest(self.saved, intent=situation.intent,
                                language=composed.language, words=words_of(mention.text)):
            text = fill(str(saved["text"]), values)
            if text and not self.voice.check(text, mention.platform):
                return text
        return None

    def __call__(self, case: Case, mention: Mention, analysis: Analysis) -> DraftSpec:
        situation = situation_of(case, mention, analysis)
        if situation.acknowledge:
            key = self.voice.template_for(PRAISE, ("acknowledge",))
        else:
            key = self.voice.template_for(situation.intent, situation.escalation)
        name = first_name(mention.author)
        composed = self.composer.compose(
            situation, text=mention.text, name=name, handle=mention.author.handle,
            platform=mention.platform, language=analysis.lang, team=case.team,
            case_id=case.id, seed=mention.id)
        if key in self.voice.own_templates:
            # the brand wrote this one itself: it wins, with the facts as variables
            rendered = self.voice.render(key, author=mention.author, platform=mention.platform,
                                         case_id=case.id, team=case.team,
                                         facts=composed.facts)
            return DraftSpec(text=rendered.text, template=rendered.template,
                             flags=rendered.flags, candidates=(rendered.text,),
                             language="en")
        text = composed.candidates[0]
        flags = (*composed.flags, *self.voice.check(text, mention.platform))
        candidates = composed.candidates
        saved = self._saved_candidate(composed, situation, mention, name)
        if saved is not None and saved not in candidates:
            # a person's own wording for a post like this one, second in line
            candidates = (candidates[0], saved, *candidates[1:])[:3]
        return DraftSpec(text=text, template=composed.template, flags=flags,
                         candidates=candidates, language=composed.language)

    def follow_up(self, case: Case, mention: Mention) -> DraftSpec:
        """The check-in after a case was resolved (template `follow_up`: it asks for a 1-5
        rating, which the planner reads back as the case's CSAT)."""
        rendered = self.voice.render(
            "follow_up", author=mention.author, platform=mention.platform, case_id=case.id,
            team=case.team,
        )
        return DraftSpec(text=rendered.text, template=rendered.template, flags=rendered.flags)
