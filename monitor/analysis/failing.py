"""Words of a service failing: for everyone (an outage, in several languages), for the author
("keeps crashing", "won't let me", the error on the screen), back again, and the author's own
voice in another language, where the English cues cannot read it. The analyzer reads them
(see `analyzer.Analyzer.analyze_post`); kept here so the analyzer stays a readable size.
"""

from __future__ import annotations

import re

from monitor.analysis.terms import Folded

# A service failing for everyone, whatever the symptom (the pack's outage intent).
SERVICE_DOWN = Folded(
    r"\b(?:is|are)\s+(?:\w+\s+){0,3}(?:down|offline)\b"
    # (not a place: "the bank at Athlone is under water down by the boat club")
    r"(?!\s+(?:by|the|to|near|from|there|here|stream|river|road|street|under)\b)"
    r"|\bdown\s+(?:for\s+(?:everyone|anyone|me|ages|hours)|again|everywhere)\b"
    r"|\b(?:site|website|app|checkout|online banking|service|services|network|system|systems|"
    r"server|servers|payments|card payments|cards)(?:'s|’s)?\s+(?:is\s+|are\s+|has\s+been\s+|"
    r"have\s+been\s+|still\s+|all\s+)?(?:down|offline|not loading|failing|not working|broken)\b"
    r"|\b(?:anyone|anybody|everyone)\s+else\b[^.!?\n]{0,40}?\b(?:down|not working|declin\w*|"
    r"can't|cannot|unable|no (?:signal|service|internet|wifi|connection)|outage|offline|"
    r"having (?:issues|"
    r"problems|trouble)|getting (?:errors?|declined)|won't|errors?)\b"
    r"|\b(?:anyone|anybody|everyone)\s+else\s*\?"
    # "anyone else getting 'Transaction could not be processed' right now?", "tell me it's on
    # your side", the error page's words: "Service temporarily unavailable"
    r"|\b(?:anyone|anybody|everyone)\s+else\b[^.!?\n]{0,100}?\b(?:right now|at the moment|"
    r"just now)\s*\?|\b(?:anyone|anybody|everyone)\s+else\s+getting\s*[\"“'«]"
    r"|\b(?:is it|it's|its|it is|is this|problem|issue|fault)\s+(?:on\s+)?(?:your|ur) "
    r"(?:side|end)\b|\bservice (?:temporarily )?unavailable\b"
    r"|\bnot just (?:me|you)\b|\bis it (?:just )?me\b|\bsame here\b|\bsomething went wrong\b"
    r"|\bsame (?:for|with) me\b"
    r"|\b(?:error|http)\s*50[0234]\b|\b50[0234]\s+(?:error|bad gateway|service unavailable)\b"
    r"|\b(?:app|site|website|page|checkout)\s*[:=-]\s*50[0234]\b"
    r"|\b(?:won't|wont|will not|isn't|is not|not)\s+(?:load|loading)\b"
    r"|\b(?:site|website|app|checkout|system|systems|servers?)\s+(?:has\s+|just\s+)?(?:fallen|falls|fell"
    r"|crashed|crashing)(?:\s+over)?\b|\b(?:white|blank) (?:page|screen)\b"
    r"|\bspinning\b|#\w*down\b|\b50[234]\b|\b(?:won't|wont|will not)\s+open\b"
    r"|\bdeclined\s+(?:everywhere|again|too)\b|\bwon't work at all\b|\bwon't work anywhere\b"
    r"|\bse ha ca[ií]do\b|\bca[ií]d[oa]\b|\bnie dzia[lł]a\b"
    r"|\bausgefallen\b|\ben panne\b|\bfora do ar\b|\bno funciona\b|\bfunktioniert nicht\b"
    r"|\bne fonctionne (?:pas|plus)\b|\bn[aã]o funciona\b"
    r"|\bf[äa]llt (?:\w+ ){0,2}aus\b|\b(?:ainda )?est[áa] fora\b")
# "Same in Cork.": the place told with its capital (apart from SERVICE_DOWN, which reads
# lower-cased text).
SAME_IN_PLACE = re.compile(r"^\W*(?i:same) in [A-Z][a-z]+\b")
# The same, said as gone or dead: "internet's gone completely", "wifi has gone", "app and card
# both gone here", "went off 20 min ago", "aware of a problem in your area", "is this the big
# outage" (looked for apart, only where one of `GONE_HINTS` is in the post).
SERVICE_GONE = Folded(
    r"\b(?:internet|wifi|wi-fi|broadband|signal|data|app|service|network|banking)(?:'s| has| "
    r"have| is| are)? (?:\w+ ){0,3}(?:(?:gone|dead|off)\b(?!:| (?:to|for|of|with|from|on|the|"
    r"now|today))|out\b(?!:| (?:to|for|of|with|from|on|the|now|today|here|there)))"
    # ("the app dev team really out here shipping dark mode": slang, not a service out)
    r"|\b(?:went|gone) off (?:\d+|an|a few|about|just|this)\b|\baware of (?:a|an|the) "
    r"(?:problem|issue|fault|outage) in (?:your|my|the|our) area\b|\bthe big outage\b|"
    r"\bis (?:this|it) the outage\b|\bnie ma internetu\b|\bno hay (?:internet|señal|red)\b|"
    r"\bpas d'internet\b|\bkein internet\b|\bsem internet\b|\bsin internet\b")
GONE_HINTS = ("gone", "dead", " out", "went off", "aware of", "outage", "internet")


# Words one of which a post saying a service is down must have (a quick test before the
# pattern above).
DOWN_HINTS = ("down", "offline", "working", "broken", "load", "failing", "else", "just me",
               "same here", "went wrong", "50", "spinning", "declined", "at all", "anywhere",
               "open", "is it me", "fall", "fell", "crash", "white", "blank",
               "caíd", "caid", "funciona", "dział", "dzial", "ausgefallen", "panne",
               "fora do ar", "fonctionne", "same for", "same with", "same in", "fällt", "fallt",
               "está fora", "esta fora", "right now", "at the moment", "just now", "your side",
               "your end", "ur side", "ur end", "unavailable")
OUTRIGHT = re.compile(r"down|offline|just me|everywhere|ca[ií]d|panne|fora do ar|ausgefallen|"
                       r"50[234]", re.IGNORECASE)


# "it's working again": a post about an outage that is over, not one going on.
BACK = re.compile(r"\b(?:working again|works again|back up|back online|back to normal|"
                   r"(?:is|it's|its|all) (?:fixed|sorted|resolved)|restored|recovered for (?:me|us)"
                   r")\b", re.IGNORECASE)
# Something of the brand's not working for the author, in any industry: a problem even when
# no intent of the pack is named ("basket keeps emptying itself when I hit pay").
MALFUNCTION = Folded(
    r"\bkeeps?\s+(?:on\s+)?(?:crashing|freezing|failing|declining|erroring|emptying|logging me out|"
    r"kicking me out|timing out|spinning|crashing|saying|telling me|asking me|rejecting)\b"
    r"|\b(?:won't|wont|wouldn't|will not) let me\b|\b(?:doesn't|does not|isn't|is not|not) "
    r"work(?:ing)?\b|\berror (?:message|code)\b|\bglitch\w*|\b(?:crash(?:es|ed))\b|"
    # (not the customer freezing their own card: "froze it in the app first thing")
    r"\bfroze\b(?! (?:it|my|the card|the account|them))|\bfrozen\b(?<!i frozen)"
    r"(?<!i've frozen)(?<!card frozen)"
    # the error a screen shows: "'We're unable to process your request at this time.'"
    r"|\bunable to process\b|\bsomething went wrong\b|\bplease try again later\b|"
    r"\bservice (?:is )?(?:temporarily )?unavailable\b|\btechnical difficult(?:y|ies)\b|"
    r"\bjust (?:spins|keeps loading|hangs)\b")
# A service failing for the author ("declined", "won't load"), or asking when it will be back:
# during an outage, one of its customers whatever symptom they name.
FAILING = Folded(
    r"\b(?:declin\w*|not working|won't work|wont work|doesn't work|isn't working|can't (?:log|"
    r"get|pay|use|access|send|make|buy|check ?out)|cannot (?:log|get|pay|use|access|send|make)|"
    r"(?:couldn't|could not) (?:log|pay|use|access|send|buy|check ?out)|something (?:breaks|broke)|"
    r"failed|failing|error\w*|down|won't load|not loading|spinning|crash\w*|50[0234]|"
    r"(?:service |temporarily )?unavailable|bounced|bouncing|(?:transfer|payment) won't go|"
    r"won't (?:sync|open|connect)|not syncing|unable to|blank|spinner|reconnecting|vanished|"
    r"white screen|logged me out|kicked me out|"
    # "check-in dead, app dead", "the system shows nothing", "no trips found", "can't find my
    # booking", agents "writing on paper"
    r"(?:app|site|website|check-in|system|systems|online banking|portal|card machine|terminal)"
    r"(?:'s| is)? dead|shows nothing|no (?:trips|bookings|accounts) found|"
    r"can't find (?:my|our) (?:booking|account|reservation|trip|payment)|on paper|"
    r"nothing works|how long (?:is|will) (?:this|it)|how long(?=\s*\?)|when will (?:it|this|you) "
    r"be (?:back|fixed|sorted)|back up yet|fixed yet|no funciona|nie dzia[lł]a|"
    r"funktioniert nicht|ne fonctionne|ne marche (?:toujours |encore )?(?:pas|plus)|"
    r"n[aã]o funciona|"
    # "is it going to fail?", "card won't go through", "30 mins now", and the same in Polish,
    # Spanish, French, German and Portuguese ("karta nie przechodzi", "no carga")
    r"fail|(?:won't|will not|wouldn't|isn't|is not|not|doesn't|didn't) (?:going )?go(?:ing)? "
    r"through|\d+\s*(?:mins?|minutes|hours?|hrs?) now|nie przechodzi|nie [lł]aduje|odrzucon\w*|"
    r"no carga|no pasa|rechazad\w*|denegad\w*|ne charge pas|ne passe pas|refus[ée]e?s?|"
    r"l[äa]dt nicht|geht nicht durch|abgelehnt|n[aã]o carrega|n[aã]o passa|recusad\w*)\b")
# Asking for news: an outage's symptom only from a customer with no other problem named ("any
# news?" about a lost bag is not the outage).
WHEN_BACK = re.compile(
    r"\bany (?:update|news|eta)\b|\beta\s*\?", re.IGNORECASE)
# The author speaking of their own matter in Spanish, French, German, Portuguese or Polish.
FOREIGN_VOICE = Folded(
    r"\b(?:mi|mis|yo|tengo|no puedo|me han|je|j'|mon|ma|mes|moi|ich|mein\w*|mir|mich|eu|meu|"
    r"minha|meus|minhas|não consigo|nao consigo|mój|moja|moje|mnie|mam|nie mogę|jestem|"
    # Italian and Dutch
    r"mio|mia|miei|mie|sono|siamo|abbiamo|non riesco|non posso|mi hanno|ci hanno|ik|mijn|"
    r"wij|ons|onze)\b")
# Something failing, said in Spanish, French, German, Portuguese or Polish ("die App lädt
# nicht", "la tarjeta no funciona").
FOREIGN_FAILING = Folded(
    r"\b(?:funktioniert (?:\w+ ){0,4}(?:nicht|nirgends)|l[äa]dt nicht|geht nicht|kaputt|"
    r"abgelehnt|no funciona|no carga|no pasa|rechazad\w*|ne (?:fonctionne|marche|charge|passe) "
    r"(?:toujours |encore )?(?:pas|plus|nulle part)|refus[ée]e?s?|"
    r"n[aã]o (?:funciona|carrega|passa)|recusad\w*|nie dzia[lł]a|"
    r"nie [lł]aduje|nie przechodzi|odrzucon\w*"
    # "zeigt ... nicht an", "geht gar nichts", "o sistema caiu", "não abre", "fuori uso",
    # "no puedo entrar", "en panne", "está caído"
    r"|zeigt (?:\w+ ){0,4}nicht(?: mehr)? an|geht (?:gar )?nichts(?: mehr)?|st[üu]rzt ab|"
    r"(?:o )?sistema caiu|caiu|n[aã]o abre|n[aã]o consigo (?:entrar|pagar|aceder|acessar)|"
    r"fuori uso|non funziona|non va|non si apre|non carica|"
    r"no (?:puedo|me deja) (?:entrar|pagar|acceder|iniciar)|no (?:abre|entra)|"
    r"est(?:á|a) ca[ií]d[oa]|en panne|ne s'ouvre pas|impossible de (?:me connecter|payer|"
    r"retirer)|werkt niet|doet het niet|ligt eruit|storing"
    # te reo Māori: "kua mate te taupānga" (the app is dead), "kāore e taea te utu" (can't pay)
    r"|kua mate|k[āa]ore e taea)\b")
