"""Cues of what a post is doing, beyond its words' sentiment: thanks and praise in any
language, what is not happening now, the author's stake, staff and investors' talk, an
outage told about afterwards. Each is a regular expression the analyzer reads (see
`analyzer.Analyzer.analyze_post`), kept here so the analyzer stays a readable size.
"""

from __future__ import annotations

import re

# Gratitude in so many words (not "someone is having a lovely time on my card").
GRATITUDE = re.compile(r"\b(?:thank\w*|thx|ty|cheers|grateful|appreciat\w*|kudos|shout[- ]?out|"
                        r"legends?|heroes|hero|well done|fair play|credit to)\b", re.IGNORECASE)
# Thanks and praise said outright in another language ("Danke @Bank, die Abbuchung wurde
# erstattet", "Adoro o app"), unless it is thanks for nothing.
FOREIGN_PRAISE = re.compile(
    r"^\W*(?:@\w+\s+)*(?:danke|vielen dank|gracias|muchas gracias|merci|obrigad[oa]|muito "
    r"obrigad[oa]|dziękuję|dzięki|grazie|tack|bedankt|dank je)\b|\b(?:adoro|j'adore|ich liebe|"
    r"uwielbiam|me encanta|una maravilla|é uma maravilha|maravilhos[oa]|wunderbar|genial|"
    r"génial|perfekt|perfecto|parfait|perfeito|świetn\w*|super(?:be)?|excelente|excellent|"
    r"¡gracias|gracias a|merci à|danke an|grazie a)\b", re.IGNORECASE)
FOREIGN_NOT_THANKS = re.compile(
    r"\b(?:por nada|pour rien|für nichts|por nada|za nic|per niente|todavía|toujours pas|immer "
    r"noch|ainda não|nadal|ancora)\b", re.IGNORECASE)
# What is not happening now: a hypothetical ("if they ever ... I'd sue"), a question about
# cover ("what protection do I get if"), a fraud check that was the customer ("it was me"),
# a memory ("my late gran always said", "a few years back"). `said_outside` checks the deciding
# words are not also said outside it.
NOT_NOW = re.compile(
    r"\b(?:if|in case|suppose|imagine)\b[^.!?\n]{0,40}?\b(?:ever|i'd|i would|id)\b[^.!?\n]{0,60}"
    r"|\b(?:what (?:protection|cover|happens)|do (?:i|you) get (?:the money|my money|it) back|"
    r"would i get|does \w+(?: \w+)? (?:refund|cover|protect))\b[^.!?\n]{0,90}"
    # (what someone always said takes its whole sentence)
    r"|\b(?:years ago|years back|a few years back|the death of me|not that i can't afford|"
    r"killed my weekend|died halfway|died mid)\b[^.!?\n]{0,80}"
    r"|[^.!?\n]{0,80}\balways said\b[^.!?\n]{0,80}",
    re.IGNORECASE)
# A fraud check that was the customer all along: "it was me buying concert tickets".
WAS_ME = re.compile(r"\b(?:it|that|this) was (?:just |actually |only |definitely )?me\b",
                     re.IGNORECASE)


def said_outside(words: list[str], text: str) -> bool:
    """Whether any of the deciding words is said outside the not-now spans of the text."""
    rest = NOT_NOW.sub(" ", text).lower()
    before = text.lower()
    for w in words:
        w = w.split(": ", 1)[-1] if w.startswith("model ") else w
        first = w.split(", ")[0].lower()
        if first in rest or first not in before:
            return True
    return False


# Relief that thanks no one ("thank god", "thankfully").
RELIEF = re.compile(r"\bthank(?:s)?\s+(?:god|goodness|heavens?|christ|fuck|f\*+k|the lord|"
                     r"my lucky stars)\b|\bthankfully\b", re.IGNORECASE)

# A step the author has taken ("claim submitted", "we have instructed solicitors").
OWN_STEP = re.compile(r"\b(?:filed|submitted|lodged|issued|instructed|drafted|sent off|"
                       r"started proceedings|put in a claim)\b", re.IGNORECASE)
# A court case reported, not brought: "Skylark sued over refunds", "class action against".
LEGAL_NEWS = re.compile(
    r"\b(?:sued by|sued over|sued for|is suing|are suing|faces?|facing|hit with|lawsuit (?:filed|"
    r"against|claims|alleges)|class[- ]action|court (?:rules|ruled|hears|heard|told)|judge "
    r"(?:rules|ruled)|ruling|settle[sd]?|settlement|alleg\w+|accused|accuses|charged with|"
    r"investigat\w+|probe|inquiry|enquiry|according to|customers (?:are|have been)|"
    r"(?:has|have) been (?:fined|ordered|told))\b", re.IGNORECASE)

_FIRST_PERSON = r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|myself|we|we're|we've|(?-i:[Uu]s)|our)\b"
# The author in the first person, however short the post ("I have 20 minutes of edits").
SPEAKS_AS_I = re.compile(_FIRST_PERSON, re.IGNORECASE)
# The author's stake in a problem, however short the post: any first person ("sent me a £180
# bill"), or a sentence opening on what they did or suffered ("Been waiting 10 days",
# "Spent £600 on", "Ordered Monday", "Can't pay suppliers").
STAKE = re.compile(
    _FIRST_PERSON
    + r"|(?:^|[.!?]\s+|\n)\s*(?:been|spent|paid|ordered|bought|waited|waiting|tried|trying|"
    r"called|rang|emailed|got|had|lost|can't|cant|cannot|couldn't|still|booked|returned|sent|"
    r"charged|day \d+|week \d+|\d+(?:st|nd|rd|th)? (?:day|week|time|attempt))\b",
    re.IGNORECASE)
# A story that ends well: "support actually fixed my wifi", "finally got full fibre",
# "they just matched the deal".
PUT_RIGHT = re.compile(r"\b(?:fixed|sorted|resolved|matched|refunded|finally got|finally "
                        r"arrived|came through|turned up|all good|works now|working now)\b",
                        re.IGNORECASE)
# It went well, said plainly or wryly: "nothing's broken", "works every single time", "got
# through in 2 minutes", "problem fixed" (see `went_well`: not when a "but" or a negation turns
# it, or a malfunction is named too).
WENT_WELL = re.compile(
    r"\bnothing(?:'s|’s| is| was| has| went| got)? (?:been |is |was )?(?:broken|broke|wrong|"
    r"crashed|failed|lost)\b"
    r"|\b(?:no|zero|not a single|not one) (?:issues|problems|glitch(?:es)?|hiccups?|hitch(?:es)?"
    r"|bugs|dramas?|faff|fuss)(?=\s*(?:[.!,;:)]|$|(?:at all|whatsoever|so far)\b))"
    r"|\bworks? (?:every (?:single )?time|perfectly|flawlessly|like a (?:charm|dream)|a treat|"
    r"beautifully|without (?:a hitch|fail))\b|\b(?:it |that |which )?just works\b"
    r"|\bnever (?:fails|let me down|lets me down|once let me down)\b"
    r"|\bwithout (?:a|any) (?:hitch|hiccup|glitch|problem|issue)s?\b"
    r"|\bgot through in (?:\d+|a few|under|less than|about|seconds)\b"
    r"|\b(?:problem|issue|it all|all) (?:fixed|solved|sorted|resolved)(?=\s*[.!]|\s*$)",
    re.IGNORECASE)
_TURNED = re.compile(r"\b(?:but|except|apart from|other than|until|till|unless|however|though|"
                     r"used to|before the|anymore|any more)\b|\?", re.IGNORECASE)
_NEGATED_BEFORE = re.compile(r"\b(?:not|never|no longer|hardly|rarely|wish|if|when|would|"
                             r"should)\b[^.!?\n]{0,12}$|n't\s*$", re.IGNORECASE)


# Something that failed, told beside it: "didn't go out on the 15th. It's been running for 2
# years without a hitch."
_FAILED = re.compile(r"\b(?:didn't|did not|hasn't|has not|haven't|have not|wasn't|weren't|won't|"
                     r"can't|cannot|couldn't|isn't|doesn't|failed|missing|never (?:arrived|came|"
                     r"went|turned up))\b", re.IGNORECASE)


def went_well(text: str) -> str | None:
    """Words saying the service worked or was put right, unless turned ("works perfectly until
    ...", "never works perfectly") — the matched words, or None."""
    if _FAILED.search(text) is not None:
        return None
    for m in WENT_WELL.finditer(text):
        if _NEGATED_BEFORE.search(text[max(0, m.start() - 30):m.start()]) is not None:
            continue
        if _TURNED.search(text, m.end()) is not None:
            continue
        return m.group(0)
    return None


SARCASM_MARK = re.compile(r"🙃|🙄|😒|🤡|\bcool cool\b|\blovely\.|\bfascinating\b", re.IGNORECASE)
# Asking the world what it thinks, not for help: "anyone else think the logo looks like ...",
# "am I the only one who finds the ads creepy".
OPINION = re.compile(
    r"\b(?:anyone|anybody|does anyone|does anybody|am i the only one)\s+(?:else\s+)?(?:who\s+)?"
    r"(?:think|thinks|find|finds|love|loves|hate|hates|like|likes|notice|noticed|reckon|seen|"
    r"watch|watched)\b|\bis it (?:just )?me or (?:is|are|has|have|does|do)\b(?![^.!?\n]{0,50}"
    r"\b(?:down|not working|can't|won't|declin\w*|error|fail\w*|crash\w*|load\w*|broken|slow)\b)",
    re.IGNORECASE)

# Staff speaking of their work ("first week as a backend engineer at", "12 years at X today",
# "proud of my team"), and job ads.
STAFF = re.compile(
    r"\bfirst (?:day|week|month|shift)(?: done)?\s+(?:as|at)\b|\b(?:first|last|my|another) "
    r"(?:day|week|month|shift|year)(?: done)? (?:on|in|with) the (?:\w+ ){1,2}team at\b|"
    r"\b\d+\s+years?\s+(?:at|with)\s+"
    r"[^.!?\n]{0,30}\btoday\b|\bwork anniversary\b|\bstarted as an?\b|\b(?:proud of|love) "
    r"(?:my|our) team\b|\bmy team (?:today|at)\b|\b(?:job|role|position|vacancy) (?:going|"
    r"open|opening|available) at\b|\bwe(?:'re| are) hiring\b"
    r"|\btraining (?:the |our |some )?new (?:hires|starters|joiners|staff|recruits|colleagues)\b",
    re.IGNORECASE)
# A joke told to the timeline, not to us: a dialogue meme ("me: i'll save money this month /
# the app at 11pm: you've spent $212"), "me opening the app on a monday like", "I feel attacked"
# (see the analyzer: not when something is failing or it is said to us).
JOKE = re.compile(
    r"(?:^|[\n.!?]\s*|\s)me:\s[^\n]{0,200}?\b[\w' ]{2,30}:\s|(?:^|[\n.!?]\s*|\s)[\w' ]{2,30}:\s"
    r"[^\n]{0,200}?\bme:\s|^\W*me (?:opening|checking|looking at|when|after|trying|every time)\b"
    r"|\bi feel (?:personally )?(?:attacked|seen|called out|judged)\b|\bstop judging me\b",
    re.IGNORECASE)
# Investors' talk: a cashtag ("$HRBR down 1.8%").
CASHTAG = re.compile(r"(?<![\w$])\$[A-Z]{2,5}\b")
# An outage told about after the event: "lasted 40 minutes", "was caused by", "down for ~40
# minutes this morning".
PAST_OUTAGE = re.compile(
    r"\b(?:lasted|suffered (?:a|an)|blamed (?:a|an|the|it on|on)|(?:was|were) caused by|caused by "
    r"a|post-?mortem|post mortem|root cause|incident report)\b|\(\s*~?\d+\s*(?:min|mins|minutes|"
    r"hrs?|hours?)\s*\)"
    r"|\bdown for (?:around |about |~|nearly |almost |over )?\d+\s*(?:minutes|mins|hours|hrs)\b"
    r"|\b~?\d+[- ]?minute (?:outage|disruption)", re.IGNORECASE)
