"""Who talks about an outage without suffering it: an onlooker's joke or meme, a rival's
customer gloating, someone who says they are not our customer or that their problem is not the
outage, a word to the brand's other customers, an outage told about after the event. The
analyzer reads these before it counts a post as a customer the service is down for (an
incident gathers only those). Kept apart from `cues`, which holds the rest of the analysis's
phrasings."""

from __future__ import annotations

from monitor.analysis.terms import AnyOf, Folded

# A joke told to the timeline, not to us: a dialogue meme ("me: i'll save money this month /
# the app at 11pm: you've spent $212"), "me opening the app on a monday like", "I feel attacked"
# (see the analyzer: not when something is failing or it is said to us).
JOKE = AnyOf(Folded(
    # (the dialogue, looked for only in a post with a "me:" in it)
    r"(?:^|[\n.!?]\s*|\s)me:\s[^\n]{0,200}?\b[\w' ]{2,30}:\s|(?:^|[\n.!?]\s*|\s)[\w' ]{2,30}:\s"
    r"[^\n]{0,200}?\bme:\s", hints=("me:",)), Folded(
    r"^\W*me (?:opening|checking|looking at|when|after|trying|every time)\b"
    r"|\bi feel (?:personally )?(?:attacked|seen|called out|judged)\b|\bstop judging me\b"
    # a joke that says so: "I can't stop laughing", "I'll see myself out"
    r"|\b(?:can't|cannot|couldn't) stop laughing\b|\bi'?ll see myself out\b|\bdad joke\b|🥁"
    # "(this is a me problem)", "X customers this morning discovering cash exists"
    r"|\b(?:this is|it's|that's) a me problem\b|\b(?:this morning|today|rn|right now) "
    r"discovering\b"
    # a meme ("POV: you're the IT guy at 8:59", "[gif of homer backing into a hedge]"); others
    # described ("customers refreshing the app every 4 seconds", "the
    # whole timeline is people stranded at tills", "a core memory for every office worker")
    r"|^\W*pov\b|\[\s*gif\b|\(gif\)|\blike it owes them\b|\bthe (?:whole )?timeline is\b"
    r"|\b(?:customers|users|people|everyone|half (?:of )?(?:the )?\w+|every \w+ (?:worker|"
    r"customer|user)) (?:are |is |rn |right now |at the \w+ )?(?:refreshing|stranded|panicking|"
    r"queuing|queueing|discovering|finding out|learning|realising|realizing)\b"
    r"|\bcore memory for (?:every|all|half)\b"))
# Commentary on the outage as a thing in the world, by someone it did not strike: "a nice
# reminder that cashless Singapore has single points of failure", "the third big debit outage
# at a Canadian bank this year", a skull for laughing.
COMMENTARY = Folded(
    r"💀|\b(?:a |another |timely |nice |good )?reminder that\b|\bsingle points? of failure\b"
    r"|\b(?:second|third|fourth|fifth|another) (?:big |major |massive )?(?:\w+ )?outage (?:at|for|"
    r"this|in)\b")
# Gloating from a rival's customer: "over here at @Rival tapping my card like nothing's wrong",
# "glad I switched", "this is why I left".
GLOAT = Folded(
    r"\b(?:over here (?:at|with|on)|meanwhile (?:at|over at|with|on)|glad i(?:'m| am) (?:with|at|"
    r"on)|so glad i (?:switched|left|moved)|this is why i(?:'m| am)? (?:left|switched|moved|"
    r"with|bank with)|laughs in|"
    r"cries in|smug(?:ly)? (?:at|with|on)|thoughts and prayers|godspeed)\b"
    r"|\b(?:mean)?while my [\w&' ]{2,25}? (?:card|app|bank|account) (?:just |still )?"
    r"(?:works?|worked|paid|pays|went through)\b|\bno bother\b"
    r"|\b(?:works?|working) (?:just )?fine (?:here|for me)\b"
    r"|\b(?:my|mine)(?: \w+)? (?:card |app )?works (?:just )?fine\b|\bjust saying\b"
    r"|\b(?:hasn't|has not|never) (?:once )?gone down\b")
# Someone saying they are not our customer: "Not with Corrib myself but ...", "not a Dunlin
# customer".
NOT_A_CUSTOMER = Folded(
    r"\bnot (?:with|a customer of|banking with|on|a member of) [\w&' ]{2,30}? myself\b|"
    # "watching Prairie Lark customers in my feed report declines": others described
    r"\bwatching (?:\w+ ){1,4}(?:customers|users|members) (?:in|on|report|melt|lose|go)\w*\b|"
    # "Not even with Merlin Bank but watching my timeline melt down"
    r"^\W*not (?:even )?(?:with|banking with|a customer of) [\w&' ]{2,30}? but\b|"
    r"\bnot (?:a|an) [\w&'-]+ (?:customer|member|user)\b|\bnot even (?:a|an) [\w&'-]+ "
    r"(?:customer|member|user)\b")
# The author says their problem is not the outage: "not the outage:", "I know there's an outage,
# but mine's been going on since the 1st", "unrelated to this morning's issue".
NOT_THE_OUTAGE = Folded(
    r"\bnot (?:the|about the|related to the|to do with the) (?:outage|issue|problem|app thing)\b|"
    r"\b(?:nothing to do with|unrelated to|not related to|separate from|apart from) (?:the|this|"
    r"your|today's|this morning's|whatever's going on)\b[^.!?\n]{0,30}?(?:outage|issue|problem|"
    r"this morning|going on)|\bi know (?:there'?s|there is|you have|you've got) (?:an|a|the) "
    r"(?:outage|issue|problem)[^.!?\n]{0,20}?\bbut\b|\bnot related to whatever\b")
# Speaking to the brand's other customers, not to the brand: a shop telling its queue, a
# community warning ("if you're a Finch customer in our queue", "heads up all Finch users",
# "to any Finch customers").
TO_CUSTOMERS = Folded(
    r"\bif you bank with\b|^\W*(?:⚠️\s*)?(?:[\w&'-]+ ){1,3}(?:members|customers|users|"
    r"cardholders|account holders)\s*:|"
    r"\b(?:if you(?:'re| are) (?:a|an|with)|if (?:any|all) of you (?:are|bank with)|attention,?|"
    r"calling all|to (?:all|any|every) (?:our |my )?(?:fellow )?) (?:[\w'&.-]+ ){0,3}?"
    r"(?:customers?|users?|members?|account holders?|cardholders?)\b")
# An outage told about after the event: "lasted 40 minutes", "was caused by", "down for ~40
# minutes this morning".
PAST_OUTAGE = Folded(
    r"\b(?:lasted|suffered (?:a|an)|blamed (?:a|an|the|it on|on)|(?:was|were) caused by|caused by "
    r"a|post-?mortem|post mortem|root cause|incident report)\b|\(\s*~?\d+\s*(?:min|mins|minutes|"
    r"hrs?|hours?)\s*\)"
    r"|\bdown for (?:around |about |~|nearly |almost |over )?\d+\s*(?:minutes|mins|hours|hrs)\b"
    r"|\b~?\d+[- ]?minute (?:outage|disruption)|\b(?:hour|day|minute)-long (?:outage|disruption)"
    r"|\bsuffer(?:s|ed)? (?:a |an )?(?:[\w-]+ ){0,3}(?:outage|disruption|glitch)"
    r"|\b\d+\s*(?:minutes|mins|hours|hrs) of (?:\w+ )?(?:outage|downtime|disruption)\b")
