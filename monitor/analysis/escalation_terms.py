"""The escalation kinds' default vocabulary: terms, false friends and phrasings in context.

Terms are matched word by word (see `terms.Lexicon`); a phrasing in context is a regular
expression for what one word cannot say alone ("payments I didn't make", "someone has been
using my card", "my mum passed in March"). Both are written for any industry: the examples
in the tests are phrasings, not a list to match.
"""

from __future__ import annotations

from monitor.models import Escalation

# Words that stand for a relative or someone close, in the phrasings below.
_KIN = (r"(?:mum|mom|mother|mam|mummy|dad|father|daddy|husband|wife|partner|son|daughter|"
        r"brother|sister|nan|nana|nanna|gran|granny|grandma|grandmother|grandad|granddad|"
        r"grandpa|grandfather|aunt|auntie|uncle|child|baby|fianc[eé]e?|boyfriend|girlfriend|"
        r"friend|parents?|in-law|mother-in-law|father-in-law)")
# Money that moves, and the ways in, in the phrasings below.
_MONEY = (r"(?:payments?|transactions?|charges?|withdrawals?|purchases?|transfers?|debits?|"
          r"orders?|spending|spends|logins?|log-?ins?|sign-?ins?|direct debits?|standing orders?"
          r"|loans?|payees?|calls)")
_NOT_ME = (r"(?:(?:i|we)\s+(?:didn't|did not|didnt|never|don't|do not|dont|haven't|have not|"
           r"havent|wasn't|can't)\s+(?:ever\s+)?(?:make|made|authori[sz]e|authori[sz]ed|"
           r"recogni[sz]e|do|did|buy|bought|place|placed|request|requested|approve|approved|"
           r"set up|add|added)|(?:i|we)(?:'ve| have)?\s+never\s+(?:even\s+|ever\s+)?(?:heard of|"
           r"been to|been|visited|rung|called|phoned|travell?ed|used|shopped))")
_HOT_THINGS = (r"(?:charger|charging|hub|router|modem|box|battery|batteries|plug|socket|cable|"
               r"lead|adapter|adaptor|heater|device|phone|handset|laptop|tablet|reader|terminal|"
               r"machine|kettle|toaster|lamp|light|appliance|oven|hob|fridge|tv|telly|console|"
               r"speaker|headphones|earbuds|vape|e-?bike|scooter|candle|blanket|dryer|"
               r"straighteners|hairdryer|wiring|meter|unit|fan|radiator|boiler|cooker|"
               r"microwave|dishwasher|washing machine|extension)")

# An agency named by its initials, in capitals (CFPB, ASA, BBB, DOT), but not the initials
# that are everywhere (DM, ATM, CEO, UK).
_AGENCY = (r"(?!(?-i:DMs?|CEO|CS|UK|US|USA|EU|ATM|PIN|APP|IT|HR|PR|OK|FAQ|FYI|LOL|ASAP|TV|AI|"
           r"API|BTW|IMO|SMS|ID|IDs|CEO|CFO|CTO|VIP|NHS|GP|AM|PM|UTC|GMT|BST|ETA|VPN|URL|PDF|"
           r"FAQs|OTP|CVV|KYC|DD|SO|HQ)\b)(?-i:[A-Z]{2,6}s?)\b")

# Someone who is not the customer, as the subject of what happened to their account.
_SOMEONE = (r"\b(?:someone|somebody|some(?:one|body) else|a stranger|scammers?|fraudsters?|"
            r"criminals?|thie(?:f|ves)|hackers?)(?:\s*'s\s+|\s+has\s+|\s+had\s+|\s+have\s+|"
            r"\s+must have\s+|\s+managed to\s+|\s+is\s+|\s+was\s+|\s+keeps\s+|\s+)")

DEFAULT_TERMS: dict[Escalation, tuple[str, ...]] = {
    Escalation.SAFETY: (
        "caught fire", "on fire", "set fire", "fire in", "fire at", "fire started",
        "fire broke out", "fire brigade", "fire service", "fire department", "fire engine*",
        "burst into flames", "flames", "smoke", "smoking", "smoked", "sparks", "sparking",
        "sparked", "burning smell", "smell of burning", "smells of burning", "smells burnt",
        "smell burning", "scorch*", "burnt out", "overheat*", "too hot to touch", "melt*",
        "exposed wire*", "exposed cable*", "live wire*", "bare wire*", "loose wire*",
        "fils électriques", "fils qui pendent", "fils dénudés", "câbles dénudés", "cables pelados",
        "cable pelado", "cables colgando", "fios expostos", "fios soltos", "fios desencapados",
        "offene kabel", "freiliegende kabel", "kabel hängen", "odsłonięte przewody",
        "wiszące kable", "wires hanging out", "wires dangling",
        "wires hanging", "wires sticking out", "gas leak", "smell gas", "smell of gas",
        "smells of gas", "carbon monoxide", "co alarm", "electric shock", "shocked me",
        "gave me a shock", "electrocut*", "explod*", "exploded", "blew up", "injur*", "hurt myself",
        "fell on", "fell from", "fell off", "collapsed", "ceiling fell", "came down on",
        "came down in", "came down from", "ceiling tile*", "tile fell", "gave way", "nearly hit",
        "narrowly missed", "could have killed", "could have hurt", "could've killed",
        "could've hurt", "someone will get hurt", "someone's going to get hurt", "shattered",
        "broken glass", "glass everywhere", "shard*", "unsafe", "dangerous", "hazard*", "a&e",
        "ambulance", "paramedic*", "emergency room", "stitches", "hospital with burns",
        "battery swell*", "swollen battery", "swelling battery", "swollen", "hot to touch",
        "live cable*", "cables hanging", "hanging out of the wall", "burst pipe", "water pipe",
        "gas pipe", "water pouring", "pouring through", "open hole", "open manhole", "manhole",
        "no barrier", "unguarded", "warp*", "gone soft", "hit my daughter", "hit my son",
        "hit my head", "hit her head", "hit his head", "on the head", "cut his", "cut her",
        "cut my", "slipped", "fell down", "tripped", "choking", "choke", "choked", "first aid",
        "bleeding", "concussion", "scald*", "burned my", "burnt my", "burns on", "blister*",
        "allergic reaction", "anaphyla*", "epipen", "food poisoning", "poison*", "contaminat*",
        "glass in", "metal in", "mugged", "assaulted", "attacked", "knifepoint", "gunpoint",
        "stuck in the lift", "trapped in the lift", "trapped inside", "fire exit", "fire alarm",
        "evacuat*", "fumes", "toxic fumes", "toxic smell", "sharp edge*", "got a shock",
        "a shock off", "shock from the", "zapped", "tingling", "seriously hurt", "get hurt",
        "gets hurt", "getting hurt", "badly hurt", "knife", "threatening people",
        "threatening customers", "threatening staff", "threatening me", "threatening us",
        "threatened me", "threatened us", "threatened to punch", "threatened to hit",
        "threatened to kill", "threatened to hurt", "threatened to stab", "threatened to attack",
        "threatened to beat", "got violent", "became violent", "turned violent",
        "violent passenger", "violent customer", "got a zap", "a proper zap", "zap off",
        "has burns", "got burns", "with burns", "suffered burns", "burns to", "punched", "punch me",
        "could come down", "might come down", "going to come down", "sagging", "crumbling",
        "throwing up", "vomiting", "undercooked", "got ill", "became ill", "made us ill",
        "made me ill", "made him ill", "made her ill", "fell ill", "flammable", "went up like",
        "caught light", "went up in flames", "allergic", "allergen*", "bare copper",
        "exposed copper", "frayed", "wires everywhere", "wires exposed", "hole in the pavement",
        "hole in the road", "no barrier*", "no cones", "nearly flattened", "nearly ran over",
        "almost ran over", "almost hit", "could have been killed", "could've been killed",
        "fuel leak", "leaking fuel", "fumer", "incendie", "fuego", "humo", "chispas", "incendio",
        "feu", "fumée", "étincelles", "rauch", "funken", "brandgeruch", "fogo", "fumaça", "faíscas",
        "pożar", "dym", "iskr*",
        # falls and knocks, crushing, illness from what we sold
        "bruis*", "went flying", "fractur*", "sprain*", "dislocat*", "nearly fell",
        "almost fell", "nearly went", "crushed", "trapped her", "trapped his", "trapped my",
        "trapped him", "being sick", "been sick", "were all sick", "stomach bug", "diarrh*",
        "salmonella", "e. coli", "e.coli", "listeria", "headaches", "dizzy", "passed out",
        "fainted",
        # glass, things dropped from height; gas and burning in other languages
        "glass all over", "through my windscreen", "through the windscreen",
        "through my windshield", "through the windshield", "split open", "caught alight",
        "huele a gas", "olor a gas", "fuga de gas", "olor a quemado", "odeur de brûlé",
        "odeur de gaz", "fuite de gaz", "sent le brûlé", "gasgeruch", "riecht nach gas",
        "riecht verbrannt", "cheiro a gás", "cheiro de gás", "fuga de gás", "cheiro a queimado",
        "cheiro de queimado", "zapach gazu", "czuć gaz", "swąd", "odore di gas", "fuga di gas",
        "odore di bruciato", "puzza di bruciato", "scintille",
        # cuts, bites, catches, collapses, medical emergencies; in other languages too
        "jagged", "blood all over", "blood everywhere", "gashed", "sliced open", "chipped tooth",
        "chipped his tooth", "chipped her tooth", "chipped my tooth", "broke a tooth",
        "fingers caught", "fingers trapped", "caught his fingers", "caught her fingers",
        "caught my fingers", "chest pain*", "couldn't breathe", "could not breathe",
        "struggling to breathe", "not breathing", "copper showing", "copper's showing",
        "cable's split", "blew over", "blown over", "warm enough that", "fumo", "a derreter",
        "derreteu", "escorreg*", "bateu com a cabeça", "plastica bruciata", "bollente",
        "refermée sur", "kribbelt", "stromschlag", "spadł na", "spadła na", "na głowę",
        "odpadł", "tynk*", "se ven los cables", "cables al aire", "resbal*",
    ),
    Escalation.LEGAL: (
        "solicitor*", "lawyer*", "attorney*", "legal action", "legal advice", "legal team",
        "legal proceedings", "take you to court", "taking you to court", "see you in court",
        "court", "county court", "ccj", "sue", "suing", "sued", "lawsuit", "class action",
        "small claims", "small claim", "money claim", "moneyclaim", "tribunal",
        "letter before action", "letter before claim", "pre-action", "breach of contract",
        "commence proceedings",
        "issue proceedings", "issuing proceedings", "issued proceedings", "court proceedings",
        "courts", "claim form", "mcol", "issued a claim", "issuing a claim", "issue a claim",
        "our counsel", "legal counsel", "my counsel", "no win no fee", "claims firm",
        "claims company", "claims management", "gdpr complaint", "report you to",
        "reporting you to", "formal legal", "abogado",
        "demanda", "avocat", "procès", "anwalt", "klage", "advogado", "processo", "prawnik",
        "pozew",
        "barrister*", "before a judge", "in front of a judge", "the judge", "court hearing",
        "legal route", "legal claim", "take this further legally", "my legal",
        "instructed someone", "instructed a",
        "statutory complaint", "formal complaint to the", "chargeback claim", "arbitration",
        "adr scheme", "alternative dispute", "tribunal", "worth suing",
        "district judge", "n1 form", "the n1", "law centre", "legal centre", "group claim",
        "mise en demeure", "avocate", "courthouse", "file against", "filing against",
        "legal service", "bills by the hour", "deadlock letter", "livro de reclamações",
        "paralegal", "legal aid",
    ),
    Escalation.SECURITY: (
        # implied: a login or a code the customer did not make, a payee or PayID they do not
        # know, their card used without their permission, a caller posing as the bank
        "log-in from", "login from", "logged in from", "signed in from", "logins i didn't",
        "login i didn't", "codes for logins", "code for a login", "codes i didn't ask for",
        "registered to another bank", "never had an account anywhere else",
        "we don't use them", "without my permission", "using my card without",
        "used my card without",
        "pretending to be from", "pretending to be you", "claiming to be from",
        "diciendo que eran", "me pidieron el código", "podając się za", "se faisant passer",
        "kliknąć link",
        "did not authori*", "didn't authori*", "never authori*", "not me", "not my data",
        "not my account", "someone else's", "somebody else's", "another company's",
        "another family's", "another person's", "another user's", "another passenger's",
        "belongs to another", "belongs to someone", "belong to someone", "pretending to be",
        "posing as", "fell for", "talked into", "remote access", "hijacked", "breached", "pwned",
        "haveibeenpwned", "pastebin", "paste site", "dark web", "fake page", "fake site",
        "fake website", "fake text", "fake email", "fake call", "fake refund", "fake profile",
        "fake invoice*", "fraud*", "scam", "scammed", "scammer*", "defrauded", "swindled",
        # the "Hi Mum, new number" message; a seller who vanished with the money
        "hi mum", "hi mom", "hi dad", "new number, phone broke", "seller blocked",
        "seller's blocked", "seller has blocked", "blocked me after i paid", "blocked me after",
        "unauthori*", "didn't authorise", "didn't authorize", "don't recognise", "don't recognize",
        "do not recognise", "do not recognize", "unrecognised", "unrecognized", "never made",
        "wasn't me", "was not me", "weren't me", "were not me", "didn't do this",
        "did not do this", "did none of this",
        "someone is in my account", "someone has access", "asking for my pin", "asked for my pin",
        "asking for my code", "asked for my code", "asking for my password",
        "asked for my password", "fake account*", "impersonat*", "has gone from my",
        "gone from my account", "money has gone", "dmed me asking", "messaged me asking",
        "as the victim", "stolen", "may have been accessed", "been accessed", "entered my card",
        "account is empty", "vaciado", "no he hecho", "ktoś użył", "wyciek", "xss", "in plain text",
        "plain-text password", "new login from", "new sign-in", "unknown device",
        "security vulnerabilit*", "vulnerability in", "security hole", "security flaw",
        "security exploit", "root shell", "telnet", "hacked", "hacker*", "hack", "compromised",
        "account takeover", "account taken over", "taken over my account", "took over my account",
        "someone logged into", "someone accessed", "sim swap*", "phishing", "phished", "smishing",
        "vishing", "spoof*", "cloned", "skimm*", "gave them the code", "gave him the code",
        "gave her the code", "shared the code", "pretending to be you", "pretending to be from",
        "claiming to be from", "claiming to be you", "said they were from", "said he was from",
        "said she was from", "safe account", "identity theft", "stolen identity", "id theft",
        "data breach", "data leak", "breach of my data", "leaked my", "details leaked",
        "data leaked", "someone else's account", "someone else's details", "someone else's data",
        "someone else's order", "another customer's", "other customers' details", "card was stolen",
        "card stolen", "stolen card", "money stolen", "money taken", "emptied my account",
        "drained my account", "wiped out my account", "code i didn't", "code i never",
        "code that i didn't", "fraude", "estafa", "hackeado", "escroquerie", "arnaque", "piraté",
        "betrug", "gehackt", "golpe", "oszust*", "włamanie",
        "robado", "robada", "robaron", "me han robado", "volé", "volée", "gestohlen*",
        "roubad*", "roubaram", "skradzion*", "ukradzion*", "ukradli",
        "isn't mine", "is not mine", "aren't mine", "not mine", "different owner",
        "a different customer's", "different person's", "another person's details",
        "been had", "conned", "ripped off by a fake", "fake ad", "thinking it was you",
        "thought it was you", "thought it was from you", "thinking it was from you",
        "what i thought was", "clicked the link", "clicked on the link", "clicked a link",
        "clicked the text", "clicked it", "almost clicked", "nearly clicked",
        "almost fell for", "nearly fell for", "is this fake", "this is fake right", "fake, right",
        "he blocked me", "he has blocked me", "she blocked me", "she has blocked me",
        "vendor blocked", "vendor has blocked", "breach email", "the breach", "your breach",
        "after the breach", "quoting my", "read my details back", "cleared out my",
        # a scam seen too late; data in the open; someone else's account in mine
        "turned out to be a scam", "turned out it was a scam", "turned out to be fake",
        "turned out to be a fake", "realised it was a scam", "realized it was a scam",
        "realised it was fake", "realized it was fake", "logged in as me", "signed in as me",
        "pretending to be me", "whose account", "different company's", "stranger's",
        # it wasn't me, someone used it, in other languages
        "yo no fui", "no fui yo", "não fui eu", "nao fui eu", "ce n'était pas moi",
        "das war ich nicht", "to nie ja", "alguien usó", "alguien hizo", "alguém usou",
        "alguém fez", "quelqu'un a utilisé", "jemand hat mit meiner",
        "je connais pas de", "je ne connais pas de", "je reconnais pas",
        "no reconozco", "erkenne ich nicht",
        "kenne ich nicht", "podejrzaną transakcj*", "podejrzanej transakcji",
        "transacción sospechosa", "transação suspeita", "transaction suspecte",
        "verdächtige abbuchung", "verdächtige transaktion", "suspicious transaction*",
        "me demander le code", "me demande mon code", "demande mon numéro",
        "me pide el código", "pidiendo el código", "pidiendo mi código", "pediu o código",
        "pedindo o código", "prosi o kod", "prosił o kod", "nach dem code gefragt",
        "did you leak", "you leaked", "been leaked", "got leaked", "was leaked", "were leaked",
        "leaking our", "leaking my", "ransom*", "public github", "public repo",
        "alguém usou", "alguém entrou", "alguém mudou", "não fui eu", "alguien cambió",
        "alguien usó", "alguien entró", "no fui yo", "quelqu'un a utilisé", "quelqu'un a changé",
        "ce n'était pas moi", "ce n'est pas moi", "jemand hat", "war nicht ich",
        "qualcuno ha usato", "qualcuno ha cambiato", "non sono stato io", "ktoś zmienił",
        "ktoś się zalogował", "to nie ja", "nunca he estado", "nunca estive", "jamais été",
        "nie byłem", "nie byłam", "nie zrobiłem", "nunca he comprado", "no reconozco",
        "je ne reconnais pas", "não reconheço", "nie rozpoznaję",
        # safe accounts, couriers and fees that are scams; money that vanished, other languages
        "cuenta segura", "conta segura", "compte sécurisé", "sicheres konto", "bezpieczne konto",
        "release fee", "collect his card", "collect her card", "collect my card", "as evidence",
        "blocked me on everything", "tan-nummer*", "zniknęł*", "desaparecieron",
        "desapareceu", "wpisałam dane", "wpisałem dane", "been tapping my card",
        "someone tapping my card", "someone's tapping my card",
    ),
    Escalation.VULNERABLE: (
        "passed away", "passed last", "died", "death of", "death certificate", "my late",
        "deceased", "next of kin", "estate of", "bereave*", "funeral", "widow*", "probate",
        "executor", "grief", "grieving", "lives alone", "care alarm", "pendant alarm", "no formula",
        "baby formula", "newborn", "last £*", "down to my last", "food money", "screen reader",
        "hearing aid", "relay uk", "accessibility", "large print", "visually impaired",
        "partially sighted", "sight loss", "hard of hearing", "year old mum", "year old dad",
        "year old mother", "year old father", "pensioner", "elderly", "late husband", "late wife",
        "late mum", "late mom", "late dad", "late father", "late mother", "late partner",
        "late son", "late daughter", "cancer", "chemo*", "radiotherapy", "dialysis",
        "terminal illness", "terminal cancer", "terminally ill", "seriously ill", "intensive care",
        "icu", "life support", "diagnosed", "surgery", "medication", "life-saving", "life saving",
        "hospice", "in hospital", "hospitalised", "hospitalized", "dementia", "alzheimer*",
        "stroke", "parkinson*", "epilep*", "seizure*", "heart attack", "heart condition",
        "pacemaker", "oxygen machine", "oxygen supply", "immunocompromised", "shielding",
        "pregnan*", "miscarriage", "i'm disabled", "i am disabled", "disabled son",
        "disabled daughter", "disabled mum", "disabled dad", "disabled husband", "disabled wife",
        "disabled person", "disabled customer", "disability", "disabilities", "wheelchair",
        "housebound", "bedbound", "bed-bound", "blind", "deaf", "carer", "autism", "autistic",
        "learning difficult*", "mental health", "depress*", "anxiety", "panic attack*",
        "can't afford", "cannot afford", "couldn't afford", "can't pay my rent", "can't pay rent",
        "can't pay the rent", "can't pay my bills", "lost my job", "made redundant", "redundancy",
        "food bank", "foodbank", "heat or eat", "heating or eating", "universal credit",
        "on benefits", "bailiff*", "eviction", "evicted", "homeless", "in debt", "into debt",
        "pushing me under", "struggling to pay", "struggling financially", "skint",
        "no money for food", "nothing to eat", "can't feed", "domestic abuse", "domestic violence",
        "financial abuse", "coercive", "abusive partner", "abusive ex", "abusive husband",
        "abusive relationship", "refuge", "suicid*", "end it all", "kill myself", "end my life",
        "want to die", "not worth living", "self harm", "self-harm", "can't cope", "cannot cope",
        "breaking point", "i feel sick", "i felt sick", "feel physically sick",
        "sick to my stomach", "terrified", "frightened", "petrified", "wits end", "wit's end",
        "wits' end", "nowhere to turn", "no one to turn to", "don't know what to do", "desperate",
        "in tears", "see the point anymore", "see the point any more", "no point living",
        "want to disappear", "not in a good place", "in a bad place", "heating and eating",
        "food on the table", "no money left", "behind on rent", "behind on my rent",
        "behind on the rent", "multiple sclerosis", "i have ms", "chronic illness", "chronic pain",
        "flare up", "flare-up", "dyslexia", "dyslexic", "quadriplegic", "paraplegic", "paralysed",
        "paralyzed", "mobility scooter", "assisted delivery", "voiceover", "off sick",
        "long-term sick", "needs oxygen", "medical oxygen", "to control me", "controls the account",
        "controls my", "controlling partner", "without him knowing", "without her knowing",
        "without him being told", "without her being told", "violent relationship",
        "violent partner", "getting away from", "fleeing", "in hiding", "hiding from", "falleció",
        "fallecido", "murió", "décédé", "décès", "verstorben", "gestorben", "faleceu", "falecido",
        "zmarł*",
        # not wanting to live, abuse, hardship, illness said another way
        "better off without me", "not being here", "not be here", "don't want to be here",
        "no reason to live", "can't go on", "cannot go on", "can't take it anymore",
        "can't take any more", "ending it", "haven't eaten", "hits me", "hit me", "beats me",
        "beat me", "abusive", "abuser", "abused", "safe house", "track me", "tracking me",
        "stalking me", "stalker", "get away from him", "get away from her", "got away from",
        "can't make rent", "cannot make rent", "can't make the rent", "can't cover rent",
        "can't cover the rent", "nothing on the gas", "nothing on the electric",
        "nothing on the meter", "no gas", "no electric", "no heating", "terminal diagnosis",
        "diagnosis", "terminal", "palliative", "barely get out of bed", "hospitalisé*",
        "hospitalizado", "hospitalizada", "internado", "internada", "w szpitalu",
        "im krankenhaus", "chimio*", "quimio*", "krebs", "câncer", "cáncer", "rak",
        "autystyczn*", "atak paniki", "crise de panique", "ataque de pánico", "panikattacke",
        "fallecid*", "mort", "morte", "starb",
        # gambling harm, money gone that was needed, someone beside themselves with worry
        "gambling", "gambler", "betting block", "gambling block", "addiction", "addicted",
        "not doing well", "hardship", "beside herself", "beside himself", "beside myself",
        "single mom", "single mum", "single parent", "single dad",
        # not coping, said plainly
        "i'm not ok", "i am not ok", "im not ok", "i'm not okay", "i am not okay", "not coping",
        "can't do this anymore", "can't do this any more", "cannot do this anymore",
        "more of this i can take", "can't take much more", "cut myself", "cutting myself",
        "cut my arms", "cut my wrists", "hurting myself", "my meds", "meds ran out",
        "been crying", "keep crying", "can't walk", "cannot walk", "depresj*", "depresión",
        "dépression", "depressão", "po operacji", "nie mogę chodzić", "nie mam co jeść",
        "stillborn", "lost the baby", "lost our baby", "silla de ruedas", "rollstuhl",
        "cadeira de rodas", "na wózku", "can't stop shaking", "nothing left to sell",
        "oxygen concentrator", "on oxygen", "entre comer", "desempregad*", "desemplead*",
        "arbeitslos", "bezrobotn*", "śmierci", "ledwo się trzymam", "since the funeral",
        "passed at the weekend",
    ),
}

# Phrasings in context, as regular expressions (case-insensitive): what a single term would
# find too often out of context.
CONTEXT: dict[Escalation, tuple[str, ...]] = {
    Escalation.SAFETY: (
        # doors that closed on someone; a fuel or chemical smell; a unit about to topple
        r"\bdoors?\b[^.!?\n]{0,30}?\b(?:closed|shut|slammed|trapped|crushed)\s+(?:\w+\s+)?on\b",
        r"\b(?:fuel|petrol|diesel|chemical|burning|gas|electrical|bleach|ammonia)\s+(?:smell|"
        r"stink|stench|odou?r|fumes)\b",
        r"\b(?:shelv\w*|shelf|unit|rack|display|sign|pole|wall|ceiling|cabinet|wardrobe|"
        r"mirror|tv stand)\b[^.!?\n]{0,40}?\b(?:leaning|wobbl\w*|unstable|about to (?:fall|"
        r"topple|come down)|propped up|toppl\w*|tipp(?:ed|ing) over)\b",
        # an allergic customer who reacted; a blocked exit; a seat belt that won't fasten
        r"\ballerg\w*[^.!?\n]{0,60}?\b(?:reacted|reaction|hospital|ambulance|swell\w*|"
        r"couldn't breathe|epipen)",
        r"\b(?:emergency|fire)\s+(?:exits?|doors?|escapes?)\b[^.!?\n]{0,60}?\b(?:blocked|wedged|"
        r"padlock\w*|locked|chained|obstructed|bolted|tied)|\b(?:blocked|wedged|padlocked|locked|"
        r"chained)\s+(?:the\s+|an\s+)?(?:emergency|fire)\s+(?:exit|door)",
        r"\bseat\s?belts?\b[^.!?\n]{0,30}?\b(?:broken|doesn't|won't|wouldn't|didn't|not work)",
        # the charger got really hot; the hub is smoking; the plug sizzled
        r"\b" + _HOT_THINGS + r"s?\b[^.!?\n]{0,40}?\b(?:got|gets|getting|was|is|are|were|became|"
        r"goes|"
        r"going|went|runs|running|be|feels|feel|felt)\s+(?:\w+\s+){0,2}(?:hot|boiling|scorching|"
        r"roasting)\b",
        r"\b" + _HOT_THINGS + r"s?\b[^.!?\n]{0,40}?\b(?:sizzl\w*|crackl\w*|fizz\w*|bang(?:ed)?|"
        r"hiss\w*|smok\w*|spark\w*|melt\w*|charred|bulg\w*)\b",
        # smells like burning plastic; a smell of electrics
        r"\bsmell\w*\s+(?:\w+\s+){0,2}(?:like\s+|of\s+)?(?:\w+\s+)?(?:burn\w*|melt\w*|"
        r"electrical|electrics|gas|smoke|fumes|plastic)\b",
        # my son was hurt; she was injured; he got scalded
        r"\b(?:was|were|got|been|has been|have been)\s+(?:badly\s+|seriously\s+|really\s+)?"
        r"(?:hurt|injured|electrocuted|scalded)\b",
        r"\bbroke\s+(?:my|his|her|their)\s+(?:arm|leg|wrist|ankle|nose|tooth|teeth|hip|"
        r"finger|toe|foot|hand)\b",
        # the ceiling panel came down; the shelf came off the wall
        r"\b(?:ceiling|shelf|shelves|shelving|display|sign|panel|door|pole|cabinet|"
        r"railing|handrail|escalator|roof|wall|mirror|rack|frame|tray table|overhead bin|"
        r"locker|step|steps|stair|stairs|banister|bannister)\b[^.!?\n]{0,50}?\b(?:came down|"
        r"came off|came away|came loose|fell|collapsed|"
        r"gave way|crashed down|toppled|(?:is\s+)?(?:coming down|coming in|caving in|"
        r"collapsing|falling in|falling down))\b",
        # a cable left across the pavement; a pole leaning over the road
        r"\b(?:cables?|wires?|poles?)\s+(?:\w+\s+){0,3}(?:across|lying|dangling|hanging|"
        r"leaning|spilling|sticking out|poking out|everywhere)\b",
        # a spanner dropped through a windscreen; a dressing gown that caught from a candle
        r"\b(?:dropped|fell|falling|flew|came flying|came off)\b[^.!?\n]{0,60}?\b(?:windscreen|"
        r"windshield|(?:on|onto|hit|hitting|into)\s+(?:my|his|her|a|the|our)\s+(?:head|car|"
        r"child|kid|son|daughter|baby|pram|buggy))\b",
        r"\bcaught\s+(?:from|off|on)\s+(?:a|the)\s+(?:candle|tealight|flame|hob|heater|fire|"
        r"spark|match|lighter|cigarette)",
        r"\bsplit\s+(?:my|his|her|their|our)\s+(?:[\w']+\s+)?(?:forehead|head|lip|chin|eyebrow|"
        r"finger|hand|knee|face|nose)\b",
        r"\b(?:huele|olía|sent|smells?|riecht|cheira|pachnie|puzza|odora)\b[^.!?\n]{0,20}?\b"
        r"(?:gas|gás|gaz|gazu|quemado|brûlé|verbrannt|queimado|bruciato)\b",
    ),
    Escalation.LEGAL: (
        # a complaint lodged with an agency by its initials, in any country: "complaint
        # lodged with the ASA", "BBB complaint filed", "going to the CFPB", "reporting them
        # to the CMA" (the initials are matched in capitals, and common ones are left out)
        r"\b(?:complaints?|reports?|cases?|claims?|disputes?|grievances?)\s+(?:\w+\s+){0,2}?"
        r"(?:filed|lodged|submitted|raised|made|sent|opened|registered|going in|in|is|is now|"
        r"'s|'s now|are)\s+(?:with|to|at)\s+(?:the\s+)?" + _AGENCY,
        r"\b(?:filed|lodged|submitted|raised|made|sent|opened|issued|put in|logged)\s+"
        r"(?:a|an|my|our)\s+(?:formal\s+)?" + _AGENCY + r"\s+(?:complaint|claim|report|case)",
        _AGENCY + r"\s+(?:complaint|report|case|claim|dispute)s?\s+(?:\w+\s+)?(?:filed|lodged|"
        r"submitted|made|sent|raised|opened|registered|going in|is in|in|done)\b",
        r"\b(?:reporting|reported|report|escalating|escalated|escalate|taking|took|take|going|"
        r"gone|went|referred|referring|refer|writing|wrote|complained|complaining|complain|filed|"
        r"filing|file|lodged|lodging|lodge|submitted|contacted|contacting|contact)\b"
        r"[^.!?\n]{0,40}?\b(?:to|with)\s+the\s+(?-i:(?:[A-Z][a-z]+\s+)?)" + _AGENCY,
        # straight to the ombudsman; taking it to the regulator
        r"\b(?:straight|going|go|escalat\w+|taking (?:it|this|them|you)|take (?:it|this|them|you)|"
        r"off|referr\w+|report\w*)\s+(?:it\s+|this\s+)?to\s+the\s+(?:\w+\s+)?(?:ombudsman|"
        r"regulator)\b",
        # a claim a firm is preparing; a friend in law who says there's a case
        r"\b(?:claim|action|case)\b[^.!?\n]{0,40}?\b(?:being prepared|prepared by|drawn up|"
        r"being drafted|being filed|going to court)\b",

        r"\b(?:have|got|has|there's|there is|i've|we've)\s+(?:got\s+)?(?:a\s+)?"
        r"(?:really\s+|very\s+)?"
        r"(?:solid|strong|good|decent|clear|watertight)\s+(?:legal\s+)?case\b"
        r"|\b(?:contract|consumer|employment|property|tort)\s+law(?:yer)?\b",
    ),
    Escalation.SECURITY: (
        # someone in another country is logged into my account right now
        r"\b(?:someone|somebody|a stranger)\b[^.!?\n]{0,40}?\b(?:is|was|has been|are|were)\s+"
        r"(?:still\s+)?(?:logged|logging|signed|signing)\s+(?:in|into|on)\b",
        # the password on my account was changed at 3am
        r"\b(?:email|e-mail|password|phone number|mobile number|2fa|pin|passcode|recovery "
        r"email)\b[^.!?\n]{0,40}?\b(?:was|were|has been|have been|got|been)\s+changed\b",
        # a flight I never booked; invoices we never sent; refunds none of us processed
        r"\b(?:i|we|none of us|nobody on the team|no one here|nobody here)(?:'ve|'d|\s+have|"
        r"\s+had)?\s+"
        r"(?:never|didn't|did not|definitely didn't|definitely did not|haven't)\s+(?:\w+\s+)?"
        r"(?:booked|ordered|sent|created|processed|set up|set it up|authori[sz]ed|placed|"
        r"added|opened|applied for|did it|do it|did that|do that|redeemed|transferred|bought|"
        r"purchased|paid for|signed up for|subscribed to)\b",
        # a message the customer doubts: "got a text saying my account is locked, is this you?"
        r"\b(?:texts?|emails?|e-mails?|calls?|messages?|dms?|letters?|sms|voicemails?|links?)\b"
        r"[^!?\n]{0,140}?\bis\s+(?:this|it|that)\s+(?:really\s+)?(?:you|legit|real|genuine|"
        r"from you|one of yours|a scam)\b",
        # a caller who said he was from the bank
        r"\b(?:caller|called|rang|call|text|message|guy|man|woman|someone|somebody|bloke)\b"
        r"[^.!?\n]{0,30}?\b(?:said|saying|claimed|claiming)\s+(?:he|she|they|it)\s+(?:was|were|"
        r"is|are)\s+(?:from|with|calling from)\b"
        r"|\b(?:caller|guy|man|woman|someone|somebody|bloke)\b[^.!?\n]{0,40}?\b(?:saying|said|"
        r"claiming|claimed)\s+(?:he's|she's|they're|he is|she is|they are)\s+(?:from|with)\b",
        r"\b(?:from|by|called|calling itself)\s+[\"“]\w",
        # a message pasted as received, urging something, with its link: "got this SMS today:
        # 'your a/c will be blocked, update PAN: sarus-kyc[.]in'"
        r"\b(?:got|received|getting|receiving|forwarded)\s+(?:\w+\s+){0,3}(?:sms|texts?|"
        r"messages?|emails?|whatsapps?|mails?)\b(?=[^\n]{0,240}?\b(?:block\w*|suspend\w*|"
        r"expir\w*|verify|update|kyc|reward\w*|prize|click|bonus|locked|deactivat\w*)\b)"
        r"[^\n]{0,240}?(?:\[\.\]|\(\.\)|https?://|www\.|\b[a-z0-9-]+\.(?:top|xyz|info|link|"
        r"site|online|click|live|in|ng|ke|co|com|net)\b)",
        # money, points or miles gone
        r"\b(?:transferred|wired|moved|sent|withdrawn)\s+out\s+of\s+(?:my|our)\b",
        r"\b(?:points|miles|avios|balance|savings|credit|vouchers?)\s+(?:\w+\s+){0,3}(?:wiped|"
        r"vanished|disappeared|drained|emptied|gone to zero|gone to £0|are gone|is gone|"
        r"have gone|has gone)\b(?!\s+(?:up|down|through|out of date|over))",
        # credentials changed, a new device, an ex who still has the login
        r"\b(?:email|e-mail|password|phone number|mobile number|2fa|two-factor|pin|passcode|"
        r"security questions?)(?:'s|\s+has|\s+have|\s+had|\s+was|\s+were|\s+got)\s+(?:been\s+)?"
        r"(?:changed|switched off|turned off|disabled|removed|reset)\b(?![^.!?\n]{0,20}\b(?:by me|"
        r"myself))",
        r"\bnew\s+(?:device|login|log-in|sign-in|phone|esim|sim|payee)\s+(?:\w+\s+){0,3}"
        r"(?:registered|added|activated|connected|appeared|set up|logged in|signed in|"
        r"logging in|signing in|logged on)\b",
        r"\b(?:my|our)\s+(?:abusive\s+|violent\s+)?(?:ex|ex-husband|ex-wife|ex-partner|stalker|"
        r"abuser)\b[^.!?\n]{0,60}?\b(?:logging|logged|login|log-in|password|access|"
        r"pretending|rang you|called you|got my|has my|knows every|track)",
        r"\b(?:hiding from|in hiding|refuge)\b[^!?\n]{0,80}?\b(?:login|log-in|password|access|"
        r"address|account)",
        # payments I didn't make; logins we never authorised
        r"\b" + _MONEY + r"\b[^.!?\n]{0,50}?\b" + _NOT_ME + r"\b",
        # I never authorised this transfer; didn't make these payments
        r"\b(?:didn't|did not|didnt|never|don't|do not|dont|haven't|have not)\s+"
        r"(?:authori[sz]e|authori[sz]ed|recogni[sz]e|approve|approved|request|requested)\s+"
        r"(?:\w+\s+){0,3}" + _MONEY + r"\b",
        r"\b(?:didn't|did not|didnt|never)\s+(?:make|made|place|placed|do|did)\s+(?:these|those|"
        r"this|that|any of (?:these|those|the|them))\s+(?:\w+\s+)?" + _MONEY + r"\b",
        # a line I never opened; cards we didn't ask for
        r"\b(?:accounts?|lines?|cards?|contracts?|loans?|credit cards?|sims?|numbers?)\s+"
        r"(?:that\s+)?(?:i|we)\s+(?:never|didn't|did not|haven't|have not)\s+(?:open|opened|"
        r"take out|took out|taken out|apply for|applied for|ask for|asked for|set up)\b",
        # my card was used in Lagos; someone opened lines in my name
        r"\bcards?\s+(?:was|were|has been|have been|had been|being|is being|got)\s+used\b",
        r"\b(?:opened|opening|taken out|took out|added|adding|applied|set up|registered|"
        r"ordered|someone|somebody)\b[^.!?\n]{0,40}?\b(?:in|under)\s+my\s+name\b",
        # clicked the link and put in my card details (phished)
        r"\b(?:link|text|email|message|site|website|page|call|caller|form)\b[^!?\n]{0,80}?\b"
        r"(?:put|entered|typed|gave|filled in|input|handed over|read out)\s+(?:in\s+)?(?:my|"
        r"the|our|all my|all of my|them my|him my|her my)\s+(?:\w+\s+)?(?:card|passcode|"
        r"password|pin|code|details|login|security|bank|account number)",
        # suspicious transactions, strange logins, unknown payee
        r"\b(?:suspicious|strange|weird|unknown|unusual|mystery|dodgy|odd|unfamiliar)\s+"
        r"(?:\w+\s+)?(?:payments?|transactions?|withdrawals?|transfers?|logins?|log-?ins?|"
        r"sign-?ins?|activity|payees?|devices?|purchases?)\b",
        # someone has been using my card; someone got into my account; someone's ordered
        _SOMEONE + r"(?:been\s+)?(?:used|using|use|accessed|accessing|access|hacked|hacking|"
        r"cloned|stole|stolen|emptied|drained|withdrew|withdrawn|spent|spending|hijacked|ported|"
        r"run up|ran up|redeemed|downloaded|deleted|placed|made|bought|purchased)\b",
        _SOMEONE + r"(?:trying to\s+|tried to\s+)?(?:got|gotten|get|getting|logged|logging|log|"
        r"broken|broke|break|signed|signing|sign)\s+(?:in|into|in to)\b",
        _SOMEONE + r"(?:took|taken|moved|transferred|changed|opened|ordered|applied for|added|"
        r"set up|taken out|upgraded|booked)\s+(?:\w+\s+){0,3}(?:money|£|\$|€|account|card|"
        r"loan|payee|password|email|number|details|pin|funds|savings|credit|orders?|phones?|"
        r"iphones?|tvs?|flights?|tickets?|bookings?|name|address|lines?|contracts?)",
        # money vanished from my account
        r"\b(?:vanished|disappeared|gone|missing|wiped)\s+(?:\w+\s+)?(?:from|out of)\s+"
        r"(?:my|our|his|her)\s+(?:\w+\s+)?(?:account|card|balance|savings|wallet|isa)\b",
        # a loan taken out in my name
        r"\b(?:loan|credit card|card|account|contract|phone|mortgage|overdraft|credit|"
        r"order)s?\s+(?:\w+\s+)?(?:taken out|opened|applied for|set up|registered|placed|"
        r"ordered)\s+in\s+my\s+name\b",
        # my email and password were changed, not by me
        r"\b(?:email|e-mail|password|phone number|mobile number|number|address|pin|passcode|"
        r"details)\s+(?:has|have|had)?\s*(?:been|was|were|got)\s+changed\b[^.!?\n]{0,40}?"
        r"\b(?:not me|wasn't me|without|didn't|never|someone|locked)",
        # my account was hacked / compromised / accessed
        r"\b(?:my|our)\s+(?:\w+\s+)?(?:account|card|email|profile|login|details)\s+"
        r"(?:has\s+|have\s+|had\s+)?(?:been\s+|was\s+|got\s+|were\s+)?(?:hacked|"
        r"compromised|breached|accessed|taken over|cloned|skimmed|hijacked|emptied|drained|"
        r"cleared out)\b",
        r"\b(?:my|our)\s+(?:\w+\s+)?account(?:'s|\s+has|\s+was)\s+(?:been\s+)?(?:emptied|"
        r"drained|cleared out|wiped)\b",
        # a text/call/email from "you" asking for details
        r"\b(?:texts?|calls?|emails?|messages?|dms?|voicemails?|letters?)\s+(?:\w+\s+){0,2}"
        r"(?:from|saying it was from|claiming to be)\s+[\"'“‘]?(?:you|your bank|the bank|"
        r"your team|your fraud team|your security team)\b[^.!?\n]{0,60}?\b(?:asking|asked|"
        r"wanted|wants|told me to|telling me to|said to|gone|lost|took)\b",
        # a skimmer on a cash machine
        r"\b(?:something|a (?:plastic |metal )?(?:cover|device|thing|bit))\b[^.!?\n]{0,40}?\b"
        r"(?:stuck|attached|glued|fitted|sitting)\s+(?:over|on|to|onto|in)\s+(?:the\s+)?"
        r"(?:card slot|"
        r"keypad|card reader|slot)",
        # asked for the card number and CVV; a number ported away; someone else's boarding pass
        r"\b(?:asking|asked|asks|wants|wanted|requesting|requested|demanding)\s+(?:me\s+)?"
        r"(?:for\s+|to\s+(?:send|give|share|confirm|read out)\s+)?(?:my|our|the|his|her|their)\s+"
        r"(?:full\s+|long\s+)?(?:card\s+(?:number|details|no)|cvv|cvc|security code|"
        r"security answer|memorable (?:word|answer)|pin|"
        r"passcode|password|one[- ]time|otp|2fa|verification code|login|log-in|bank details|"
        r"online banking|seed phrase|recovery phrase)",
        r"\b(?:number|line|sim|esim)(?:'s|\s+has|\s+was|\s+had|\s+is|\s+got)?\s+(?:been\s+)?"
        r"(?:moved|ported|transferred|switched)\s+(?:out|away|over|to\s+(?:another|a different|"
        r"a new|some other))\b",
        r"\b(?:wasn't|was not|weren't|isn't|is not)\s+(?:actually\s+|really\s+)?(?:from\s+)?"
        r"(?:you|the bank|your bank|your team|them|(?-i:[A-Z][\w&]*(?:\s[A-Z&][\w&]*)?))"
        r"\s+at\s+all\b",
        r"\b(?:showed|shows|showing|show|see|seeing|saw|displayed|displaying|pulled up|"
        r"opened)\s+(?:me\s+)?(?:\w+\s+){0,3}?(?:someone|somebody|a stranger|another|"
        r"a different|a completely different|other (?:people|customers|users|passengers)|"
        r"strangers?)(?:'s|\s+(?:else's|called|person's|customer's|user's|company's|"
        r"passenger's|family's|people's|business's|firm's))",
        # a skimmer told by its look: "a chunky plastic thing over the card slot, looks glued
        # on and it wiggles"
        r"\b(?:card slot|keypad|card reader|pin pad)\b[^.!?\n]{0,80}?\b(?:looks? glued|"
        r"glued on|loose|wiggl\w*|comes off|came off|sticking out|looks fake|bulky|chunky|"
        r"stuck on|clipped on|doesn't look right)"
        r"|\b(?:chunky|bulky|fake|loose|weird|plastic) (?:\w+ )?(?:thing|bit|cover|piece|device|"
        r"attachment)\b[^.!?\n]{0,30}?\b(?:over|on|around)\s+(?:the\s+)?(?:card slot|keypad|"
        r"card reader|pin pad|slot)\b",
        # a charge where the customer has never been: "a $749 charge from a store in Phoenix.
        # I've never been to Arizona"
        r"\b(?:charges?|payments?|transactions?|purchases?|debits?|withdrawals?|spent|spend|"
        r"used|bought)\b[^!?\n]{0,160}?\b(?:never (?:even )?been (?:to|in|near)|never set foot "
        r"in|never visited|haven't been (?:to|in)|have not been (?:to|in))\b",
        # money to a name the customer never heard of: "a $39.99 debit from a company I've
        # never heard of"
        r"\b(?:charges?|payments?|debits?|transactions?|merchant|company|companies|payee)\b"
        r"[^!?\n]{0,80}?\bnever heard of\b|\bnever heard of\b[^!?\n]{0,80}?\b(?:charg\w*|"
        r"payments?|debit\w*|taken|came out|took)\b",
        # card testing and penny deposits: "a €0.01 payment to 'VRFY*SERVICE' and then €240
        # pending", "a $0.01 deposit with a weird message in the reference"
        r"(?:[£$€]\s?0[.,]01|0[.,]01\s?(?:€|eur|usd|gbp)|\b(?:1p|one penny|one cent|1 cent))\b"
        r"[^.!?\n]{0,40}?\b(?:payments?|charges?|transactions?|deposits?|debits?)\b",
        # codes arriving for logins the customer never tried
        r"\b(?:codes?\b[^.!?\n]{0,30}\b(?:texted|sent|arriv\w+|coming|by text|by sms|via text|"
        r"via sms)|(?:got|getting|received|"
        r"receiving|had|keep getting)\b[^.!?\n]{0,30}\bcodes?)\b[^!?\n]{0,80}?\b(?:haven't|"
        r"have not|didn't|did not|never) (?:even )?(?:tried|asked|requested|logged|signed)\b",
        # a charge from one place while the customer is in another: "a $1,150 charge ... from
        # Calgary. I'm in Ottawa"; "Didn't buy a TV"
        r"\b(?:charges?|payments?|purchases?|transactions?|withdrawals?)\b[^!?\n]{0,80}?\bfrom\s+"
        r"(?-i:[A-Z][a-z]+)[^!?\n]{0,30}?\bi'?m (?:in|at|home in)\s+(?-i:[A-Z][a-z]+)"
        r"|(?:^|[.!?]\s+)(?:didn't|did not|never) (?:buy|order|book|make|send|authori[sz]e) "
        r"(?:a|an|any|that|this|those|these|the)\b",
    ),
    Escalation.VULNERABLE: (
        # my mum passed; our dad died in March
        r"\b(?:my|our|his|her)\s+(?:\w+\s+)?" + _KIN + r"\s+(?:\w+\s+)?(?:passed|died|"
        r"has died|just died|was killed|lost (?:her|his|their) (?:battle|fight))\b",
        r"\blost\s+my\s+(?:\w+\s+)?" + _KIN + r"\b(?!'s|s\b)",
        r"\bsince\s+(?:my\s+\w+|he|she|they)\s+(?:passed|died)\b",
        # my 84-year-old mum; she's in her 90s
        r"\b(?:[6-9]\d|1[01]\d)[- ]?(?:year|yr)s?[- ]old\s+(?:\w+\s+)?" + _KIN + r"\b",
        r"\b" + _KIN + r"(?:'s|\s+is|\s+who is|\s+who's|\s+is now)\s+(?:[6-9]\d|1[01]\d)\b",
        # a baby: "with a six month old"
        r"\b(?:a|an|my|our|her|his|with a|have a|had a)\s+(?:\d+|one|two|three|four|five|six|seven|"
        r"eight|nine|ten|eleven)[- ]?(?:month|week)s?[- ]old\b",
        r"\bin\s+(?:her|his|their|my)\s+(?:80s|90s|eighties|nineties)\b",
        r"\b(?:she's|he's|she is|he is)\s+(?:[7-9]\d|1[01]\d)\b(?![%.,:/]\d|\s*(?:%|quid|pounds|"
        r"dollars|euros|minutes|mins|hours|days|mbps|gb))",
        # can't buy food; choose between heating and eating
        r"\b(?:can't|cannot|couldn't|can not|unable to)\s+(?:\w+\s+)?(?:buy|pay for|afford)\s+"
        r"(?:\w+\s+){0,2}(?:food|nappies|medicine|prescriptions?|groceries|heating|formula)\b",
        r"\b(?:can't|cannot|couldn't)\s+pay\s+(?:my|the|our)\s+rent\b",
        r"\bchoos\w*\s+between\s+(?:\w+\s+){0,2}(?:heating|eating|food|rent|bills)\b",
        # £3.20 until payday; it's food or the broadband
        r"[£$€]\s?\d+(?:\.\d\d)?\s+(?:left\s+)?(?:until|till|til|to last)\b",
        r"\b(?:it's|its|it is)\s+(?:food|eating|heating|rent)\s+or\s+(?:the\s+)?\w+",
        # "that's $144 I don't have"
        r"[£$€]\s?\d[\d,.]*\s+(?:that\s+)?(?:i|we)\s+(?:don't|do not|didn't|just don't)\s+have\b",
    ),
}

# Bodies a customer may take a complaint to (with each pack's regulators): named in a post
# that does not speak for its author ("the Ofcom complaints table", "CAA punctuality figures")
# they are commentary, so unlike the other legal terms they need the customer's voice.
LEGAL_BODIES: tuple[str, ...] = (
    "ombudsman", "ombudsman's", "regulator", "trading standards", "citizens advice", "ico",
    "information commissioner", "data protection authority", "dpc", "cnil", "attorney general",
    "consumer protection", "privacy commissioner", "commissaire à la protection de la vie privée",
    "aepd", "garante privacy",
)

# False friends, removed from the text before a kind's terms are looked for.
DEFAULT_EXCLUDE: dict[Escalation, tuple[str, ...]] = {
    Escalation.SAFETY: (
        "fire the", "fire him", "fire her", "fire them", "fire whoever", "fire someone",
        "fire your", "fire my", "fired", "is fire", "was fire", "so fire", "straight fire",
        "on fire today", "on fire this", "killing it", "smoke and mirrors", "smoke screen",
        "smokescreen", "melting pot", "hot deal", "holy smokes", "blew up my phone",
        "blowing up my phone", "explode with", "my head exploded", "mind blown",
        "dangerously good", "hurt my feelings", "melted my heart", "smoking hot",
        "exploding with notifications", "up in smoke", "emergency takeoff", "fire sale",
        "firewall", "fire tv", "fire stick", "firestick", "kindle fire", "cut off", "cut my losses",
        "cut my contract", "cut my bill", "cut my hair", "price cut", "cut the price",
        "slipped my mind", "slipped through", "tripped up", "poison chalice",
        "fell for", "fall for", "falling for", "almost fell for", "nearly fell for",
        "poisoned chalice", "attacked by ads", "trapped in a contract",
        "trapped in this contract", "trapped in my contract", "feel trapped",
        "evacuate the premises of my patience", "shocked me how", "shocked me that",
        "shocked me with", "injury to insult", "insult to injury", "melted down",
        "meltdown", "dangerous game", "collapsed in price", "prices collapsed",
        "share price collapsed", "shares collapsed", "smoke alarm", "smoke alarms",
        "smoke detector", "smoke detectors", "threatening letter*", "threatening email*",
        "threatening to cut", "threatened to cut", "threatening to cancel", "threatened to cancel",
        "smoke signal*", "send smoke", "threatening to disconnect", "threatened to disconnect",
        "threatening to close",
        "threatened to close", "zap to", "zapier", "burns a hole", "burns me",
        "cut myself", "cut my arms", "cut my wrists",
        # the meme, not an assault: "I feel attacked and seen"
        "feel attacked", "felt attacked", "feeling attacked", "feel so attacked",
        "personally attacked", "feel personally attacked", "attacked and seen",
    ),
    Escalation.LEGAL: (
        "food court", "court yard", "courtyard", "tennis court", "basketball court", "court side",
        "courtside", "legal tender", "is that legal", "is this legal",
        "legally obliged to tell you", "sue me", "legal age", "worth suing",
        "conveyancing solicitor",
        "our solicitor needs", "solicitor says", "solicitor said", "solicitor is waiting",
        "solicitors are waiting", "solicitor's waiting", "conveyancing", "my solicitor for the",
        "my solicitor needs", "my solicitor has asked", "my solicitor asked", "solicitor needs",
        "payment to my solicitor", "deposit to my solicitor", "power of attorney", "lasting power",
        "lpa", "worth suing? lol", "court of public opinion", "courting", "'s a solicitor",
        "'s a lawyer", "is a solicitor", "is a lawyer", "'s a barrister",
        # no legal step: "the first one that didn't need a lawyer to decode"
        "didn't need a lawyer", "don't need a lawyer", "no need for a lawyer",
        "without a lawyer", "without needing a lawyer", "need a lawyer to understand",
        "need a lawyer to decode", "need a lawyer to read",
    ),
    Escalation.SECURITY: (
        "scam of a", "is a scam", "is a total scam", "what a scam", "such a scam",
        "scam prices", "scam price", "it's a scam", "its a scam", "absolute scam",
        "daylight robbery", "fraud prevention", "not a scam", "is this a scam",
        "fraud team called", "fraud team rang", "fraud team were", "fraud team was",
        "stopped a scam", "stopped the scam", "spotted the scam", "thought i'd been hacked",
        "thought i was hacked", "thought i'd been scammed", "fraud line", "fraud team had",
        "hacked off", "life hack", "lifehack", "hack for", "hack to", "stole the show",
        "hacked together", "hacked up a", "hack together", "not me being", "is it just me",
        "stolen my heart", "stole my heart", "stolen my time", "stolen hours",
        "fraud protection", "esto es una estafa", "es una estafa", "das ist betrug",
        "ist betrug", "betrug am kunden", "c'est une arnaque", "isto é um golpe",
        "é um golpe", "to oszustwo", "è una truffa",
    ),
    Escalation.VULNERABLE: (
        # a screen that dazzles, not sight loss
        "blind me", "blinds me", "blinded me", "blinding me", "blinding at", "snow blind",
        # a terminal that is a place or a machine, not an illness
        "the terminal", "terminal 1", "terminal 2", "terminal 3", "terminal 4", "terminal 5",
        "card terminal", "payment terminal", "pos terminal", "bus terminal", "ferry terminal",
        "terminal building", "airport terminal", "terminal window", "terminal app",
        "died laughing", "nearly died", "i died", "i'm dead", "im dead", "dying to", "dying for",
        "phone died", "battery died", "router died", "app died", "it died", "hub died", "box died",
        "death by a thousand", "death stare", "death trap", "has died during", "broadband has died",
        "sim died", "line died", "line has died", "internet died", "wifi died", "connection died",
        "laptop died", "card died", "tv died", "box has died", "router has died", "phone has died",
        "signal died", "reader died", "terminal died", "machine died", "screen died",
        "service died", "crying laughing", "crying with laughter", "for crying out loud",
        "crying shame", "blind spot", "turned a blind eye", "stroke of luck", "stroke of genius",
        "nearly had a heart attack", "almost had a heart attack", "gave me a heart attack",
        "heart attack when", "heart attack at the price", "desperate for a", "desperate for an",
        "can't afford to miss", "can't afford to lose", "perks and benefits", "depressing",
        "cancer research", "surgery hours", "gp surgery", "dental surgery", "blind date", "blinds",
        "deafening", "deaf ears", "my late delivery", "my late order", "my late payment",
        "my late parcel", "my late refund", "my late flight", "my late train", "my late fee",
        "my late charge", "the death of me", "death of me", "funeral for my",
        "know what to do with this", "know what to do with myself",
    ),
}

# Words that must be in a post (lower-cased) for each phrasing above to be tried, in the same
# order: one of the words, or, for a tuple of tuples, one word of each (a scan for literal
# words costs a fraction of a regular expression's).
_NEG = ("n't", "never", "not ", "didnt", "dont", "havent")
_MONEY_WORDS = ("payment", "transaction", "charge", "withdrawal", "purchase", "transfer",
                "debit", "order", "spending", "spends", "login", "log-in", "log in", "sign-in",
                "sign in", "loan", "payee")
_KIN_WORDS = ("mum", "mom", "mother", "mam", "dad", "father", "husband", "wife", "partner",
              "son", "daughter", "brother", "sister", "nan", "gran", "aunt", "uncle", "child",
              "baby", "fianc", "friend", "parent", "in-law")
Triggers = tuple[str, ...] | tuple[tuple[str, ...], ...]
TRIGGERS: dict[Escalation, tuple[Triggers, ...]] = {
    Escalation.SAFETY: (
        ("door",), ("smell", "stink", "stench", "odour", "odor", "fumes"),
        ("leaning", "wobbl", "unstable", "about to", "propped", "toppl", "tipped", "tipping"),
        ("allerg",), ("exit", "door", "escape"), ("belt",),
        ("hot", "boiling", "scorching", "roasting"),
        ("sizzl", "crackl", "fizz", "bang", "hiss", "smok", "spark", "melt", "charred", "bulg"),
        ("smell",), ("hurt", "injured", "electrocuted", "scalded"), ("broke ",),
        ("came ", "fell", "collapsed", "gave way", "crashed", "toppled", "coming", "caving",
         "collapsing", "falling"),
        ("across", "lying", "dangling", "hanging", "leaning", "spilling", "sticking",
         "poking", "everywhere"),
        (("dropped", "fell", "falling", "flew", "flying", "came off"),
         ("windscreen", "windshield", "head", "car", "child", "kid", "son", "daughter", "baby",
          "pram", "buggy")),
        (("caught",), ("candle", "tealight", "flame", "hob", "heater", "fire", "spark", "match",
                       "lighter", "cigarette")),
        ("split",),
        # it smells of gas (huele a gas, ça sent le brûlé, riecht nach Gas)
        ("huele", "olía", "sent", "smell", "riecht", "cheira", "pachnie", "puzza", "odora"),
    ),
    Escalation.LEGAL: (
        ("complaint", "report", "case", "claim", "dispute", "grievance"),
        ("complaint", "report", "case", "claim"),
        ("complaint", "report", "case", "claim", "dispute"),
        (("to the", "with the"),
         ("report", "escalat", "taking", "took", "take", "going", "gone", "went", "refer",
          "writing", "wrote", "complain", "filed", "filing", "file", "lodg", "submitted",
          "contact")),
        ("ombudsman", "regulator"),
        ("being prepared", "prepared by", "drawn up", "being drafted", "being filed",
         "going to court"),
        (" case", " law"),
    ),
    Escalation.SECURITY: (
        (("someone", "somebody", "stranger"), ("logged", "logging", "signed", "signing")),
        ("changed",),
        (_NEG, ("booked", "ordered", "sent", "created", "processed", "set up", "set it up",
                "authori", "placed", "added", "opened", "applied", "did it", "do it", "did that",
                "do that", "redeemed", "transferred", "bought", "purchased", "paid for",
                "signed up", "subscribed")), ("is this", "is it", "is that"),
        ("said", "saying", "claimed", "claiming"),
        ('"', "“"),
        (("sms", "text", "message", "email", "whatsapp", "mail"),
         ("[.]", "(.)", "http", "www.", ".top", ".xyz", ".info", ".link", ".site", ".online",
          ".click", ".live", ".in", ".ng", ".ke", ".co", ".com", ".net")),
        ("out of",), ("wiped", "vanished", "disappeared", "drained", "emptied", "gone"),
        ("changed", "switched off", "turned off", "disabled", "removed", "reset"), ("new ",),
        ("my ex", "our ex", "ex-", "stalker", "abuser"), ("hiding", "refuge"),
        (_NEG + ("i've never", "we've never"), _MONEY_WORDS),
        (_NEG, ("authori", "recogni", "approve", "request"), _MONEY_WORDS),
        (_NEG, ("these", "those", "this", "that", "any of"), _MONEY_WORDS),
        (_NEG, ("open", "take out", "took out", "taken out", "apply", "applied", "ask for",
                "asked for", "set up")), ("used",), ("my name",),
        ("put", "entered", "typed", "gave", "filled", "input", "handed", "read out"),
        ("suspicious", "strange", "weird", "unknown", "unusual", "mystery", "dodgy", "odd",
         "unfamiliar"),
        ("someone", "somebody", "stranger", "scammer", "fraudster", "criminal", "thie",
         "hacker"),
        ("someone", "somebody", "stranger", "scammer", "fraudster", "criminal", "hacker"),
        ("someone", "somebody", "stranger", "scammer", "fraudster", "criminal", "hacker"),
        ("vanished", "disappeared", "gone", "missing", "wiped"), ("my name",), ("changed",),
        ("hacked", "compromised", "breached", "accessed", "taken over", "cloned", "skimmed",
         "hijacked", "emptied", "drained", "cleared out"),
        ("emptied", "drained", "cleared out", "wiped"),
        ("from", "claiming"),
        (("stuck", "attached", "glued", "fitted", "sitting"), ("slot", "keypad", "reader")),
        (("asking", "asked", "asks", "wants", "wanted", "requesting", "requested", "demanding"),
         ("card", "cvv", "cvc", "security code", "security answer", "memorable", "pin",
          "passcode", "password", "one-time",
          "one time", "otp", "2fa", "verification", "login", "log-in", "bank details",
          "online banking", "seed", "recovery")),
        (("moved", "ported", "transferred", "switched"),),
        ("at all",),
        (("someone", "somebody", "stranger", "another", "different", "other "),),
        ("slot", "keypad", "reader", "pin pad"),
        (("never been", "never even been", "never set foot", "never visited", "haven't been",
          "have not been"),),
        ("never heard of",),
        ("0.01", "0,01", "1p", "one penny", "one cent", "1 cent"),
        ("code",),
        ("i'm in", "im in", "i'm at", "didn't buy", "didn't order", "didn't book",
         "didn't make", "didn't send", "did not", "never buy", "never order"),
    ),
    Escalation.VULNERABLE: (
        ("passed", "died", "killed", "lost her", "lost his", "lost their"), ("lost my",),
        ("since",), ("year", "yr"), _KIN_WORDS, ("month old", "month-old", "months old",
                                                  "week old", "week-old", "weeks old"),
        ("80s", "90s", "eighties", "nineties"), ("she's", "he's", "she is", "he is"),
        ("can't", "cannot", "couldn't", "can not", "unable"),
        ("rent",), ("between",), ("until", "till", "til", "to last"), (" or ",),
        (("£", "$", "€"), ("have",)),
    ),
}
