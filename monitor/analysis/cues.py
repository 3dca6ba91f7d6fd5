"""Cues of what a post is doing, beyond its words' sentiment: thanks and praise in any
language, what is not happening now, the author's stake, staff and investors' talk, an
outage told about afterwards. Each is a regular expression the analyzer reads (see
`analyzer.Analyzer.analyze_post`), kept here so the analyzer stays a readable size.
"""

from __future__ import annotations

import re

from monitor.analysis.terms import Folded, Lexicon

# Words of praise or thanks (the analyzer's first look for praise).
PRAISE_WORDS = Lexicon([
    "thank*", "thx", "ty", "cheers", "love", "loving", "great", "brilliant", "amazing",
    "excellent", "awesome", "well done", "kudos", "shout out", "shoutout", "impressed",
    "best", "fantastic", "superb", "legend*", "hero*", "top marks", "10/10", "five stars",
    "5 stars", "credit where", "props to", "spot on", "grateful", "appreciate*", "lovely",
    "helpful", "recommend", "gracias", "merci", "danke", "obrigad*", "dziękuj*", "grazie",
    "genial", "génial", "super", "świetn*", "ótimo",
    # applause and approval in emoji and slang: "sorted it in one visit 👏", "chef's kiss"
    # (sarcasm is told apart first: "3 hours on hold 👏" is none)
    "👏", "💯", "chef's kiss", "no notes", "goated", "mvp", "shiok", "terima kasih", "elite",
])
# Praise said in so many words: a shout-out, credit, thanks to someone, a recommendation.
EXPLICIT_PRAISE = Lexicon([
    "shout out", "shoutout", "shout-out", "big up", "credit to", "credit where", "massive credit",
    "huge credit", "thank you to", "thanks to", "no questions asked", "massive thanks",
    "huge thanks", "big thanks",
    "massive thank you", "huge thank you", "big thank you", "kudos", "props to", "hats off",
    "well done", "special mention", "can't fault", "cannot fault", "couldn't fault",
    "above and beyond", "went above", "10/10", "five stars", "5 stars", "worth every penny",
    "worth. every. penny", "highly recommend", "would recommend", "can recommend",
    "that's the tweet", "give them a raise", "give her a raise", "give him a raise",
    "raise please", "pay rise", "nicest", "so helpful", "really helpful", "super helpful",
    "so kind", "so patient", "no complaints", "genuinely good", "genuinely great",
    "actually so good", "so good now", "obsessed", "love my", "loving my", "bless you",
    "bless whoever", "fair play to", "fair play,", "honestly fair play", "fair's fair",
    "sound as a pound", "gotta give it to", "got to give it to", "have to give it to",
    "gotta hand it to", "got to hand it to", "have to hand it to", "w bank", "w app",
    "not bad for a", "not bad at all", "weird flex",
    "doesn't make me want to", "don't make me want to", "never made me want to",
    "never makes me want to", "couldn't have done it without", "could not have done it without",
    "couldn't have done this without",
    "deserves a medal", "deserve a medal", "deserves a raise", "deserves a pay rise", "goated",
    "absolute legend*", "absolute hero*", "got me through", "heroes", "meant a lot",
    "means a lot", "made my day", "muy contenta", "muy contento", "zufrieden mit",
    "bardzo zadowolon*", "muito satisfeit*", "ravie de", "ravi de",
    "me encanta", "gracias a", "merci à", "merci a", "danke an", "obrigado a", "obrigada a",
    "diolch", "gwych", "świetna obsługa", "super freundlich", "no notes", "legend", "unreal",
    "easiest ever", "made my day", "so easy", "😍", "🥰", "❤️", "🤍", "💚", "💙",
    "super freundlich*", "sehr freundlich*", "is fire", "so fire", "absolute fire", "lifesaver",
    "life saver", "muchas gracias", "merci beaucoup", "vielen dank", "muito obrigad*",
    "dziękuję bardzo", "excelente servicio", "servicio excelente", "service au top",
    "toller service", "ótimo atendimento",
    # satisfied, in plain words: "honestly? Fair. That's all I wanted", "someone over there
    # actually reads the forum"
    "that's all i wanted", "that's all i asked for", "all i wanted was an apology",
    "can't complain", "cannot complain", "someone over there actually", "actually listened",
    "actually listens", "actually reads", "actually read the",
    "chef's kiss", "love to see it", "game changer", "game-changer", "so smooth", "seamless",
    "painless", "hassle free", "hassle-free", "big fan", "respect to", "🙌", "🫶",
    "deserve a raise", "deserve a pay rise", "deserves a promotion", "i'm not crying",
    "who are you and what have you done", "is the bomb", "is a bomb", "not today.",
    # a mock complaint about something good: "I hate how easy that was", "I'm annoyed at how
    # nice that was", "who even are you"
    "hate how easy", "hate how quick", "hate how good", "hate how simple", "hate that it worked",
    "annoyed at how nice", "annoyed at how easy", "annoyed at how little", "annoyed at how good",
    "annoyed at how quick", "who even are you", "actually fixed it", "paid off my",
    "killed it today", "absolutely killed it",
    # "who asked you to be nice", "came here to complain and can't find anything", "where am
    # I supposed to put this energy", "feels like magic", "I'll take it"
    "who asked you to be nice", "came here to complain", "came here specifically to complain",
    "put this energy", "feels like magic", "feel like magic", "handled way better",
    "is actually fire", "actually fire.", "stays winning", "así sí",
    "handled much better", "handled better than", "ready to fight", "had a speech prepared",
    # angry yesterday, won over today: "you've redeemed yourselves", "I take back some of it",
    # "Fine. Forgiven."
    "redeemed yourselves", "redeemed yourself", "i take back", "who are you people",
    "didn't even swear", "before i'd even finished", "hasn't broken on me",
    "genuinely impressed", "really impressed", "very impressed", "so impressed",
    "seriously impressed",
])
# Gratitude in so many words (not "someone is having a lovely time on my card").
GRATITUDE = Folded(r"\b(?:thank\w*|thx|ty|cheers|grateful|appreciat\w*|kudos|shout[- ]?out|"
                        r"legends?|heroes|hero|well done|fair play|credit to|"
                        # thanks in Hindi and Urdu, Swahili, Yoruba, Hausa and Igbo, said in
                        # English posts
                        r"shukriya|dhanyavaad|dhanyavad|asante|nagode|daalu|e se gan|"
                        # and in Malay and Indonesian, Tagalog
                        r"terima kasih|makasih|salamat)\b")
# Thanks and praise said outright in another language ("Danke @Bank, die Abbuchung wurde
# erstattet", "Adoro o app"), unless it is thanks for nothing.
FOREIGN_PRAISE = Folded(
    r"^\W*(?:@\w+\s+)*(?:danke|vielen dank|gracias|muchas gracias|merci|obrigad[oa]|muito "
    r"obrigad[oa]|dziękuję|dzięki|grazie|tack|bedankt|dank je)\b|\b(?:adoro|j'adore|ich liebe|"
    r"uwielbiam|me encanta|una maravilla|é uma maravilha|maravilhos[oa]|wunderbar|genial|"
    r"génial|perfekt|perfecto|parfait|perfeito|świetn\w*|super(?:be)?|excelente|excellent|"
    r"¡gracias|gracias a|merci à|danke an|grazie a|loben|großes lob|ein lob an|parabéns|"
    r"felicitaciones|felicidades|brawo|terima kasih|mèsi|est top|c'est top|au top|die beste|"
    r"der beste|das beste|el mejor|la mejor|le meilleur|la meilleure|o melhor|a melhor|"
    r"najlepsz\w*)\b"
    # thanks that close the post ("... nouvelle carte en 10 minutes. Merci !", "Muito obrigado
    # pela ajuda 🙌"), and "est 🔥"
    r"|\b(?:merci|gracias|danke|obrigad[oa]|dziękuj\w*|dzięki|grazie|mèsi)(?: beaucoup| mil| "
    r"muito| schön| bardzo| mille fois)?(?: (?:pour|pela|pelo|por|für|za) [^.!?\n]{0,40})?"
    r"[\s!.🙏🙌❤️👏]*$|\b(?:est|c'est|es|ist|é|jest)\b[^.!?\n]{0,20}🔥")
# Praise in shapes a word list cannot hold: "made my son's whole day", "were lovely to my
# nervous 6 year old", "proper decent of them to", "didn't even have to argue", "fine, you can
# stay", "actually useful", "a real relief" (see `praise_said`: not when negated).
_PRAISE_SAID = Folded(
    r"\bmade (?:my|our|his|her|their|the kids'?|the) (?:\w+(?:'s|s'|’s)? )?(?:whole |entire )?"
    r"(?:day|week|month|year|morning|evening|night|christmas|birthday)\b"
    r"|\b(?:was|were|is|are|been) (?:so |really |very |super |absolutely |incredibly |just |"
    r"genuinely |nothing but )?(?:lovely|brilliant|amazing|fantastic|great|wonderful|kind|"
    r"patient|helpful|excellent|superb|fab|class|ace|gems?|stars?|angels?|a star|a gem|an angel)"
    r" (?:to|with) (?:me|us|my|our|him|her|them|the kids?|everyone)\b"
    r"|\b(?:proper |very |really |so |pretty |dead )?(?:decent|good|kind|nice|sound|classy|"
    r"generous|thoughtful) of (?:you|them|him|her|@\w+|\w+(?: \w+)?)(?: to\b|\s*[.!]|\s*$)"
    r"|\b(?:didn't|did not|never|don't|didnt) (?:even )?(?:have|need|had) to (?:argue|chase|fight|"
    r"beg|push|ask twice|explain twice|wait|repeat (?:myself|ourselves))\b"
    r"|\bcould get used to (?:this|that|it)\b|\b(?<![a-z] )rare\s*[.!]*\s*$"
    # expectations beaten, fast: "expected a battle", "actually meant it", "unlocked my account
    # in 4 minutes", "on the mat by Tuesday"
    r"|\bexpect(?:ed|ing) (?:a |an )?(?:battle|fight|nightmare|faff|hassle|war|ordeal|runaround)\b"
    r"|\bactually meant it\b|\b(?:sorted|fixed|unlocked|replaced|refunded|approved|done|"
    r"delivered|arrived|resolved|reissued|reset) (?:\w+ ){0,4}(?:in|within) (?:about |just |under |"
    r"less than )?(?:\d+|two|three|four|five|ten|twenty) (?:minutes|mins|seconds|secs)\b"
    r"|\byou can stay\b|\bconsider me (?:won back|a fan|impressed|converted)\b|"
    r"\b(?:won|win|wins|winning) me (?:back|over)\b|\bi'?ll stay\b|\bi'm staying\b"
    r"|\b(?:actually|genuinely|legit|surprisingly|properly) (?:damn |so |really |very |super )?"
    r"(?:useful|nice|decent|good|great|helpful|lovely|brilliant|impressive|painless|excellent|"
    r"fast|quick|speedy|efficient|smooth|easy|seamless)\b(?! (?:if|when|but|until|for once))"
    r"|\b(?:big|such a|what a|huge|massive|real) relief\b|\breal ones\b"
    # "the new app is 🔥🔥" (a 🔥 alone also sells odds and loans)
    r"|\b(?:is|are|was|were) (?:so |absolutely |actually |literally )?🔥"
    r"|\bgive (?:that|this|the|these|those) (?:\w+ )?(?:man|woman|lady|guy|girl|person|team|crew|"
    r"agent|teller|chap|lad|lass|people|folks?) (?:a |an )?(?:raise|pay rise|promotion|medal|"
    r"bonus|award)\b"
    r"|\b(?:honestly|genuinely|so|very|how) refreshing\b|\brefreshing(?: honestly| tbh| to see)?"
    r"\s*(?:[.!]|$)|\bgood though\b"
    # expectations beaten, told as such: "didn't know banks still did that", "did not expect
    # that.", "never thought I'd say this", "small things matter", "rare these days"
    r"|\b(?:didn't|did not|never) (?:know|think|realise|realize) (?:\w+ ){0,2}still (?:did|do|"
    r"does) (?:that|this)\b|\b(?:didn't|did not|never) expect(?:ed)? (?:that|this|it)\s*(?:[.!]|$)"
    r"|\b(?:didn't|did not|never) expect(?:ed)? (?:\w+ ){1,3}to be (?:this|so|that) \w+"
    # a kindness not asked for, an early arrival, a memory made: "without us even asking",
    # "landed 25 min early", "core memory unlocked", "we'll be back", "que experiência!"
    r"|\bwithout (?:us|me) even asking\b|\bdidn't even (?:have to )?ask\b"
    r"|\b(?:landed|arrived|got in) (?:\d+ ?min(?:ute)?s? |an hour )?early\b|\bcore memory\b"
    r"|\b(?:we'll|we will|i'll|i will) (?:definitely )?be back\b|\beasily bought\b"
    r"|\b(?:que|what an?) (?:experiência|experiencia|experience)\s*!|\bchegamos antes\b"
    r"|\b(?:was|were) (?:so |really |very |super |incredibly |genuinely )?(?:nice|lovely|kind|"
    r"decent|good|sound|gracious) about it\b|\bis what i (?:would|'d) say if\b"
    r"|^\W*(?:a )?(?:positive|good news|happy) (?:story|experience|review)\b"
    r"|\bnever thought i'?d (?:say|be saying)\b|\bsmall (?:win|wins|things (?:like this )?"
    r"matter)\b|\b(?:it's |its )?(?:the )?little things\W*$|\brare these days\b"
    r"|\bwhat have you done with my\b|\byou (?:have|'ve got|got) "
    r"a gem\b"
    # in other languages: "finalmente uma companhia que cumpre", "lo que más me gustó",
    # "volveré a volar con ellos", "nos ayudó con todo"
    r"|\bque cumpre\b|\bcumpr(?:e|iu|en|ió) (?:o|lo) (?:que )?promet|\blo que más me gustó\b|"
    r"\b(?:me|nos) (?:gustó|encantó)\b|\bvolver(?:é|emos) a (?:volar|comprar|elegir|pedir)|"
    r"\bvoltarei\b|\bvoltaremos\b|\bje reviendrai\b|\bnous reviendrons\b|"
    r"\b(?:nos|me) ayud(?:ó|aron) con todo\b|\bajudaram(?:-me|-nos)? (?:com|muito|em tudo)|"
    r"\bgostei muito\b|\bj'ai adoré\b|\bhat (?:mir|uns) (?:sehr )?gefallen\b|"
    r"\bpodobało (?:mi|nam) się\b"
    # "she even remembered my kid's name", "without me having to ask twice", "small thing,
    # huge difference", "easiest thing I've done all year", "why did I wait", "bookmarking
    # this moment", "a bank doing that", "I'm calm now"
    r"|\beven remembered\b|\bwithout (?:me )?having to (?:ask|chase|push|argue|fight|beg)\b|"
    r"\b(?:made )?(?:a |such a |all the )?(?:huge|big|real|massive|world of) difference\b|"
    r"\beasiest (?:\w+ ){0,3}(?:i've|i have|i've ever|ever)\b|\bwhy did(?:n't)? i wait\b|"
    r"\bshould(?:'ve| have) (?:switched|moved|joined|done this) (?:years|ages|sooner|earlier)\b|"
    r"\b(?:bookmarking|screenshotting|framing) this\b|\bnever thought i'?d (?:say|see)\b|"
    r"\ba (?:bank|company|airline|shop|provider|telco|business) doing that\b|"
    r"\bi'?m calm now\b|\brant over\b|\b(?:was|were) (?:so |really |very |just )?(?:lovely|"
    r"brilliant|amazing|fantastic|wonderful|kind|patient|helpful)\b(?! (?:until|but|except|"
    r"when|if|at first))"
    # French, Spanish, Portuguese and German: "bravo à l'équipe", "chapeau à", "je recommande",
    # "ohne Stress", "sin estrés", "on progresse"
    r"|\bbravo (?:à|a)\b|\bchapeau (?:à|a|bas)\b|\bje (?:vous |le |la )?recommande\b|"
    r"\b(?:ohne|sin|sans|sem) (?:stress|estrés|estresse)\b|\bon progresse\b|"
    r"\brecomiendo\b|\brecomendo\b|\bpolecam\b|\bempfehle\b"
    # "expected a fight, got a refund", "classy to the end", "what a man", "I'm not moving"
    r"|\b(?:expected|braced for|ready for|thought it'?d be|was expecting) a (?:fight|battle|"
    r"nightmare|war|long wait|runaround)\b|\bclassy (?:to the end|move|touch|as ever|as always)\b|"
    r"\bclass act\b|\bwhat a (?:man|woman|"
    r"lad|legend|star|team|gent|gem)\b|\bi'?m not (?:moving|leaving|going anywhere|switching)\b"
    r"|\bthanks a million\b|\b(?:all is|you're|you are|you're all) forgiven\b|"
    r"(?:^|[.!]\s*)forgiven\b|\b(?:valeu|nota (?:10|dez)|muy agradecid[oa]|muito agradecid[oa]|"
    r"me trat(?:a|ou|aram) (?:muito )?bem|me trataron (?:muy )?bien|(?:muito )?mais fácil do que|"
    r"va volando)\b"
    # "I was wrong about them", "actually clear", "didn't even ask for it", "fair dos", "the
    # sort of thing you remember", "stayed twenty minutes past closing"
    r"|\bi was wrong about\b|\b(?:actually|genuinely|surprisingly) (?:clear|usable|readable|"
    r"fast|quick|easy|simple|fine)\b|\b(?:didn't|did not) (?:even )?ask for it\b|"
    r"\bwithout (?:me )?(?:even )?asking\b|\bfair dos\b|\b(?:the|that) sort of thing you "
    r"remember\b|\bthat's how (?:it's|you) do(?:ne| it)\b|\bstayed (?:\w+ ){0,3}(?:past|after) "
    r"(?:closing|hours)\b"
    # a closing "Respect." / "Massive respect to the crew"
    r"|(?:^|[.!?]\s+)(?:massive |huge |big |total |much |all the )?"
    r"(?:respect|respekt|respeto|szacun)(?: to (?:them|you|her|him|the \w+|\w+))?\s*[.!🙏👏]*\s*$"
    # "nobody made me feel like a deadbeat", "called before I'd even noticed", "we love a
    # queen"
    r"|\b(?:nobody|no one|never|didn't|did not) (?:once )?(?:made|make) (?:me|us) feel (?:like )?"
    r"(?:a|an|stupid|small|silly|judged|rushed|bad)\b|\bbefore (?:i|i'd|i had|we|we'd) even "
    r"(?:noticed|realised|realized|asked|known|knew)\b"
    r"|\bwe love (?:a|an) (?:queen|king|legend|icon)\b"
    # "I owe whoever designed that screen a pint", "why is your app so good"
    r"|\bi owe (?:whoever|you|them|the \w+|\w+) (?:\w+ ){0,3}(?:a|an) (?:pint|drink|beer|coffee|"
    r"cake|hug)\b|\bwhy is (?:your|the|this) (?:\w+ )?so good\b"
    # a one-word verdict as a sentence of its own: "Back to sleep. Slick.", "Marvellous."
    r"|(?:^|[.!?]\s+)(?:slick|marvell?ous|smooth|seamless|impressive|flawless|superb|"
    r"faultless|painless|class|top notch|first class|spot on|not mad)\s*(?:[.!🙏👏👌]+|$)"
    # thanks in te reo Māori, Samoan, Tongan and Fijian: "ngā mihi nui ki a Hemi", "Mālō
    # 'aupito!", "fa'afetai tele lava", "vinaka vakalevu"
    r"|\bng[āa] mihi\b|\bmihi nui\b|\btino pai\b|\bka pai\b|\bm[āa]l[ōo] ['’]?aupito\b|"
    r"\bfa['’]?afetai\b|\bvinaka\b")
_NOT_BEFORE = re.compile(r"\b(?:not|never|no longer|hardly|wish|if only)\b[^.!?\n]{0,12}$|"
                         r"n't\s*(?:\w+\s*)?$", re.IGNORECASE)


def praise_said(text: str) -> str | None:
    """Praise said in one of `_PRAISE_SAID`'s shapes, unless negated before it ("not actually
    useful") — the matched words, or None."""
    for m in _PRAISE_SAID.finditer(text):
        if _NOT_BEFORE.search(m.string[max(0, m.start() - 24):m.start()]) is None:
            return m.group(0)
    return None


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
# A warning to everyone: "PSA: if your bank's 'fraud team' calls asking for a code, hang up".
PSA_OPENING = re.compile(r"^\W*(?:psa|heads up|reminder|public service announcement|friendly "
                         r"reminder|warning|(?:⚠️\s*)?(?:[\w&'-]+ ){1,3}(?:members|customers|"
                         r"users|cardholders|account holders)\s*[:,])", re.IGNORECASE)
# Something that happened, told in a warning: "Got an SMS saying ...", "a friend lost their
# number this way this week" (a report to answer, not only advice).
EVENT_TOLD = re.compile(r"\b(?:got|received|lost|stole|stolen|took|taken|happened|this week|"
                        r"today|yesterday|last night|just now|this morning)\b", re.IGNORECASE)
# Someone else's situation judged a scam: "Scam, 100%.", "that's a scam", "classic scam".
SCAM_VERDICT = re.compile(r"\b100% (?:a )?scam\b|\bscam,? 100%|\b(?:that's|thats|this is|it's|"
                          r"its|definitely|def|sounds like|classic|textbook) (?:a )?scam\b"
                          # or the steps to report it: "call the fraud line with her today and
                          # file a police report"
                          r"|\b(?:file|make) a (?:police )?report\b|\bask for it by name\b"
                          r"|\bcall (?:the|your) (?:bank'?s )?fraud (?:line|team)\b",
                          re.IGNORECASE)
# A hard time told as past: "when I was skint in December", "this time last year".
HARD_TIME_PAST = re.compile(r"\b(?:when|while) (?:i|we) (?:was|were)\b|\b(?:this time )?last "
                            r"(?:year|winter|summer|christmas)\b|\byears? ago\b|\bback then\b",
                            re.IGNORECASE)
# A fraud check that was the customer all along: "it was me buying concert tickets".
WAS_ME = Folded(r"\b(?:it|that|this) was (?:just |actually |only |definitely )?me\b"
                r"|\b(?<!pas )(?<!n')(?<!ne )c'(?:était|est) (?:bien )?moi\b"
                r"|\b(?<!no )(?<!não )(?<!nao )(?:era|fui) (?:yo|eu)\b"
                r"|\bdas war ich\b(?! nicht)|\bto (?:byłem|byłam) ja\b")


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
WENT_WELL = Folded(
    r"\bnothing(?:'s|’s| is| was| has| went| got)? (?:been |is |was )?(?:broken|broke|wrong|"
    r"crashed|failed|lost)\b"
    r"|\b(?:no|zero|not a single|not one) (?:issues|problems|glitch(?:es)?|hiccups?|hitch(?:es)?"
    r"|bugs|dramas?|faff|fuss)(?=\s*(?:[.!,;:)]|$|(?:at all|whatsoever|so far|this time)\b))"
    r"|\bworks? (?:every (?:single )?time|perfectly|flawlessly|like a (?:charm|dream)|a treat|"
    r"beautifully|without (?:a hitch|fail))\b|\b(?:it |that |which )?(?:just|actually) works\b"
    r"|\bnever (?:fails|let me down|lets me down|once let me down)\b"
    r"|\bwithout (?:a|any) (?:hitch|hiccup|glitch|problem|issue)s?\b"
    r"|\bnever had (?:a|one|any|a single) (?:problem|issue|fault|hiccup|outage)s?\b"
    r"|\brock solid\b|\b(?:hasn't|has not|never) missed a beat\b"
    r"|\bgot through in (?:\d+|a few|under|less than|about|seconds)\b"
    r"|\b(?:problem|issue|it all|all) (?:fixed|solved|sorted|resolved)(?=\s*[.!,]|\s*$)"
    # put right since they posted: "the charge has dropped off", "that did the trick"
    r"|\b(?:has|have|had|it's|it has) dropped off\b|\b(?:that|this) (?:worked|did the trick)\b"
    r"|\b(?:it's|its|it is|all|everything(?:'s| is)?) (?:working|back to normal) again\b"
    r"|\b(?:working|works|back up|back) again for (?:me|us)\b"
    # "card works again", "working now, paid", "back up for me too", "back up." and "went
    # through on the second go": the outage over for them
    r"|\b(?:working|works) (?:now|again)\b|\bback up (?:now|for (?:me|us))\b"
    r"|(?:^|[.!\n]\s*)(?:@\w+\s+)*(?:(?!(?:to|i|we|you|please|pls|can|will|should|must|need)"
    r"\b)[\w.']+\s+){0,3}back up(?=\s*(?:[.!,]|$))"
    r"|\b(?:went|gone) through (?:now|on the|at \d|in the end|finally|first time)\b"
    r"|\bcrisis over\b"
    r"|\ball good now\b|\bignore my (?:rant|last (?:post|tweet|message)|complaint)\b"
    # "ok it's working.", "transfers going through now", "crisis averted"
    r"|\b(?:it's|its|it is|everything's|everything is|app's|app is) working(?: now| fine)?"
    r"(?=\s*(?:[.!,]|$))|\b(?:transfers?|payments?|cards?|it|everything|money) (?:is |are )?"
    r"going through (?:now|again|fine)\b|\bcrisis averted\b"
    r"|\bredeemed yourselves?\b|\bi take (?:it all |some of it |it |that )?back\b"
    # put right before it hurt: "waived my late fee before I'd even asked", "blocked it before I
    # even saw the SMS"
    r"|\bwaived (?:my|the|a|our) (?:\w+ )?(?:fee|charge|interest|penalty)\b"
    r"|\b(?:stopped|blocked|caught|flagged|declined) (?:it|the \w+) before\b")
_TURNED = re.compile(r"\b(?:but|except|apart from|other than|until|till|unless|however|though|"
                     r"used to|before the|anymore|any more|not letting)\b|\?",
                     re.IGNORECASE)
_NEGATED_BEFORE = re.compile(r"\b(?:not|never|no longer|hardly|rarely|wish|if|when|would|"
                             r"should)\b[^.!?\n]{0,12}$|n't\s*$", re.IGNORECASE)


# Something that failed, told beside it: "didn't go out on the 15th. It's been running for 2
# years without a hitch."
# (a bad thing denied is praise: "the app doesn't hate me", "a dark mode that doesn't blind
# me", "didn't crash once")
_DENIED_BAD = (r"(?! (?:even |once |ever )?(?:hate|blind|suck|crash|freeze|lag|judge|hurt|break|"
               r"bite|disappoint|make me (?:want to )?(?:cry|scream)|make me (?:say|repeat|grovel|"
               r"explain|chase|beg|jump))\w*)")
_FAILED = re.compile(r"\b(?:(?:didn't|did not)(?! (?:even )?(?:have|need) to|"
                     r" (?:even )?ask for it| (?:know|expect|think|realise|realize)\b)"
                     + _DENIED_BAD + r"|hasn't|has not|"
                     r"haven't|have not|wasn't|weren't|won't|isn't|doesn't" + _DENIED_BAD + r"|"
                     # (praise in a negative's words: "cannot fault them", "can't thank them
                     # enough", "couldn't have been kinder")
                     r"(?:can't|cannot|couldn't)(?! (?:fault|complain|thank|praise|recommend|"
                     r"find anything|find a (?:single )?(?:thing|fault|problem)|"
                     r"speak (?:highly|more highly)|have (?:been|asked|done))\b)|"
                     r"failed|missing|never (?:arrived|came|went|turned up))\b", re.IGNORECASE)


# thanks for our reply, and the problem goes on: "thanks for the quick reply! ...but updated and
# it's still stuck at 99%"
_STILL_WRONG = re.compile(
    r"\bbut\b[^.!?]*\bstill\b(?!\s*(?:[.!,]|$))|\bstill (?:stuck|not|no|broken|waiting|"
    r"nothing|(?:can't|cannot)(?! (?:quite |really )?believe)|won't|doesn't|isn't|hasn't|haven't|"
    r"failing|down|declin\w*|pending|missing|showing|the same)"
    r"\b|\b(?:happened|doing it|same thing|declined|failed) again\b", re.IGNORECASE)


def still_wrong(text: str) -> bool:
    """Whether the post says the problem goes on, whatever thanks are in it."""
    return _STILL_WRONG.search(text) is not None


def failed_beside(text: str) -> bool:
    """Whether the post tells of something that failed ("didn't arrive", "still missing")."""
    return _FAILED.search(text) is not None


# Something the brand did for the customer: "rebooked our whole family", "refunded all 4
# charges", "let me change my flight for free".
DONE_FOR_US = Folded(
    r"\b(?:rebooked|refunded|reimbursed|repaid|paid (?:me|us|my|our|out|back)|sorted|fixed|"
    r"replaced|waived|reversed|approved|helped|let (?:me|us)|got (?:me|us)|found (?:me|us|my|our)|"
    r"upgraded|stayed open|stayed late|stayed (?:\w+ ){0,3}(?:past|after) (?:closing|hours)|"
    r"talked (?:me|us) through|walked (?:me|us) through|called (?:me|us) back|paid me|"
    r"gave (?:me|us)|"
    r"set (?:me|us) up|set up (?:a|an|my|our) (?:\w+ )?plan|froze (?:the|my|all) (?:interest|"
    r"charges|fees))"
    r"\b")


# Something put right for them, told as done: "had it unblocked in like 2 minutes", "they've
# clawed back another $6,200", "rang this afternoon to check it worked"
REMEDIED = re.compile(
    r"\b(?:un(?:blocked|locked|froze|frozen|suspended)|reinstated|restored|reimbursed|"
    r"reversed|recovered|clawed (?:it |some |most |all )?back|credited|put (?:it|that|this|"
    r"things|everything) right|(?:rang|called|phoned|texted) (?:me |us |her |him )?(?:back|"
    r"(?:\w+ ){0,3}to check)|followed (?:it )?up|checked (?:in|up) on)\b"
    r"|\b(?:in|within|under) (?:like |about |just |only |barely |literally )?(?:\d+|two|three|"
    r"five|ten|a few|a couple of) (?:min|mins|minutes|seconds|secs)\b", re.IGNORECASE)


_STILL = re.compile(r"\b(?:still|the rest|todavía|toujours|immer noch|ainda|nadal|wciąż)\b",
                    re.IGNORECASE)


def remedied(text: str) -> bool:
    """Whether the post tells of something put right for them (`REMEDIED`), and nothing still
    wrong ("2 of the 3 debits have been reversed. One still outstanding")."""
    return REMEDIED.search(text) is not None and _STILL.search(text) is None


def thanks_to_close(closing: str, text: str) -> bool:
    """Whether the post ends in thanks after telling what we did for them ("Sam rang: they've
    clawed back another $6,200 ... Thank you, seriously.")."""
    return GRATITUDE.search(closing) is not None and (
        DONE_FOR_US.search(text) is not None or remedied(text))


def went_well(text: str) -> str | None:
    """Words saying the service worked or was put right, unless turned ("works perfectly until
    ...", "never works perfectly") — the matched words, or None."""
    if _FAILED.search(text) is not None:
        return None
    for m in WENT_WELL.finditer(text):  # (positions are the lower-cased text's: m.string)
        if _NEGATED_BEFORE.search(m.string[max(0, m.start() - 30):m.start()]) is not None:
            continue
        if m.start() and m.string[m.start() - 1] in "'\"‘“":
            continue  # our words quoted back: "your 'working again' tweet is lying"
        if _TURNED.search(m.string, m.end()) is not None:
            continue
        return m.group(0)
    return None


# It works now, in the customer's words, beyond what `cues.PUT_RIGHT` knows: "that worked",
# "the charge has dropped off", "back to normal", in Spanish, French, German, Portuguese and
# Polish too.
_WORKS_NOW = Folded(
    r"\b(?:that|it|this|which) (?:worked|did it|did the trick)\b|\bback (?:up|on|online|to "
    r"normal)\b|\b(?:working|works) again\b|\bdropped off\b|\ball (?:sorted|good|fixed|done)\b|"
    r"\bgone through\b|\bgoing through (?:now|again)\b|\bcrisis averted\b|"
    r"\bno longer (?:need|an issue|a problem)\b|"
    r"\bya (?:funciona|está)|\bresuelto\b|\bça (?:marche|fonctionne)|\bréglé\b|"
    r"\bfunktioniert (?:wieder|jetzt)|\bgeklappt\b|\berledigt\b|\bjá (?:funciona|está)|"
    r"\bresolvid[oa]\b|\bjuż działa|\bdziała już|\bzałatwion\w*|\bznowu działa|\bdziała znowu|"
    r"\bfunciona de nuevo|\bfonctionne à nouveau|\bfunciona de novo|\bvoltou a funcionar"
    # "resolveram o problema", "lo resolvieron", "ils ont résolu", "haben es gelöst", "war
    # heute schon da", "finalmente consegui", "rozwiązali"
    r"|\bresolv(?:eram|ieron|ió|eu)\b(?<!no resolveram)(?<!não resolveram)(?<!no resolvieron)"
    r"(?<!não resolveu)(?<!no resolvió)|\bont résolu\b(?<!pas résolu)|\bgelöst\b(?<!nicht gelöst)"
    r"|\bschon da\b|\bfinalmente consegui\b|\brozwiązal[iy]\b(?<!nie rozwiązali)"
    r"(?<!nie rozwiązaly)"
    # it arrived: "a transferência chegou", "llegó", "est arrivé", "ist angekommen", "dotarł"
    r"|\bchegou\b(?<!não chegou)(?<!nao chegou)|\bllegó\b(?<!no llegó)|\best arrivée?\b|"
    r"\bangekommen\b(?<!nicht angekommen)|\bdotarł[ao]?\b(?<!nie dotarł)")


def put_right(text: str) -> bool:
    """Whether the post says the problem is put right now ("all sorted, thanks")."""
    return (PUT_RIGHT.search(text) is not None or _WORKS_NOW.search(text) is not None
            or went_well(text) is not None or remedied(text))


SARCASM_MARK = re.compile(r"🙃|🙄|😒|🤡|\bcool cool\b|\blovely\.|\bfascinating\b", re.IGNORECASE)
# Asking the world what it thinks, not for help: "anyone else think the logo looks like ...",
# "am I the only one who finds the ads creepy".
OPINION = re.compile(
    r"\b(?:anyone|anybody|does anyone|does anybody|am i the only one)\s+(?:else\s+)?(?:who\s+)?"
    r"(?:think|thinks|find|finds|love|loves|hate|hates|like|likes|notice|noticed|reckon|seen|"
    r"watch|watched)\b|\bis it (?:just )?me or (?:is|are|has|have|does|do)\b(?![^.!?\n]{0,50}"
    r"\b(?:down|not working|can't|won't|declin\w*|error|fail\w*|crash\w*|load\w*|broken|slow)\b)",
    re.IGNORECASE)

# An opinion offered to the timeline as such, or asked of it: "Unpopular opinion: ...", "hot
# take", "not a criticism", "hear me out", "which would you pick?", "appreciation thread".
TAKE = Folded(r"\b(?:unpopular|controversial|hot|spicy) (?:opinion|take)\b|"
              r"\bnot a (?:criticism|complaint|dig)\b|\bhear me out\b"
              # asking the timeline to choose, a thread for the timeline
              r"|\bwhich (?:would|should|do|did) (?:you|y'all|you all|people|everyone) "
              r"(?:pick|choose|go for|go with|recommend|prefer)\b"
              r"|\bappreciation (?:thread|post)\b|^\W*(?:opinion|column|op-ed):"
              r"|\bwhich (?:one )?is better\b"
              r"|\banyone (?:done|tried) both\b"
              # "Skylark vs Gannet Air for Edinburgh to Dublin?"
              r"|^\W*[\w&' ]{2,30}\s(?:vs\.?|versus)\s[^.!?\n]{2,60}\?")

# What may name an account in a post: an @handle, or a word shaped like one (an underscore, a
# digit, a capital inside it: "Bank_Help", "Bank24", "BankAyuda"), not a hashtag.
HANDLE_LIKE = re.compile(r"(?<![\w#@])@\w[\w.]{2,}\w|(?<![\w#@])(?=[\w]*(?:_|\d|[a-z][A-Z]))"
                          r"[A-Za-z][\w]{4,}")
# Words that tell of an account approaching the author or being doubted: "some account called",
# "is that really you?", "asking for my code", "messaging me", "la cuenta ... es de ustedes".
IMITATOR_TOLD = Folded(
    r"\b(?:account|handle|profile|page|someone|somebody|cuenta|conta|compte|konto|perfil)\s+"
    r"(?:called|named|calling itself)|\bcalled\s+@?\w|\bis (?:that|this|it) (?:really |"
    r"actually |even )?(?:you|yours|legit|real|genuine|official)\b|\bfake\b|\bimpersonat\w*|"
    r"\bcapital (?:i|l)\b|\b(?:asking|asked|wants|wanted|pidiendo|pide|pediu|pedindo|demande)\b"
    r"|\b(?:messag\w*|dm'?e?d|dming|contacted|replied to|texted|emailed) me\b|\breplied\b|"
    r"\bes de ustedes\b|\bé de vocês\b|\bc'est vous\b|\bseid ihr das\b|\bto wy\b|\bscam\w*")
# Staff speaking of their work ("first week as a backend engineer at", "12 years at X today",
# "proud of my team"), and job ads.
STAFF = Folded(
    r"\bfirst (?:day|week|month|shift)(?: done)?\s+(?:as|at)\b|\b(?:first|last|my|another) "
    r"(?:day|week|month|shift|year)(?: done)? (?:on|in|with) the (?:\w+ ){1,2}team at\b|"
    r"\b\d+\s+years?\s+(?:at|with)\s+"
    r"[^.!?\n]{0,30}\btoday\b|\bwork anniversary\b|\bstarted as an?\b|\b(?:proud of|love) "
    r"(?:my|our) team\b|\bmy team (?:today|at)\b|\b(?:job|role|position|vacancy) (?:going|"
    r"open|opening|available) at\b|\bwe(?:'re| are) hiring\b"
    r"|\btraining (?:the |our |some )?new (?:hires|starters|joiners|staff|recruits|colleagues)\b"
    r"|\bday \d+ (?:of|at) my (?:internship|new job|placement|grad scheme|apprenticeship)\b"
    # "working the Merlin phones on payday ... please be nice to us"
    r"|\bworking the (?:\w+ )?(?:phones|phone lines|tills|counter|front desk)\b"
    r"|\bplease be nice to (?:us|our staff|the staff)\b"
    r"|\bmy (?:internship|placement|apprenticeship) (?:at|on|with)\b"
    # "Gannet Air pilot here", "teller at X here (not speaking for the bank)", "crew chat:",
    # "been a cabin crew for 6 years and today was my last flight", "working a call center on a
    # morning like this"
    r"|\b(?:pilot|teller|cabin crew|crew member|flight attendant|cashier|call cent(?:er|re) "
    r"agent|agent|advis[oe]r|employee|staff member|engineer)(?: at [\w&' ]{2,30})? here\b"
    r"|\bnot speaking for (?:the|my) (?:bank|company|employer|airline|firm|shop|store)\b|"
    r"\bopinions (?:are )?my own\b|\blove this job\b|^\W*crew (?:chat|life|diaries)\b|"
    r"\bworking (?:a|the|in a|in the) (?:bank )?(?:call cent(?:er|re)|check-in desk)\b|"
    r"\bbeen an? (?:[\w&']+ ){0,3}(?:cabin crew|pilot|teller|flight attendant|cashier) for\b|"
    r"\blove, your (?:teller|cashier|agent|banker|crew|pilot)\b|"
    r"^\W*(?:i )?work (?:at|in) (?:a|the) (?:[\w&']+ ){1,3}(?:branch|store|shop|"
    r"call cent(?:er|re)|contact cent(?:er|re))\b"
    # in French, Spanish, Portuguese, German and Polish: "je travaille au centre d'appels de"
    r"|\bje travaille (?:au|à la|à l'|chez|dans|pour)\b|\btrabajo (?:en|para) (?:el|la|un|una)?\b|"
    r"\btrabalho (?:no|na|em|para)\b|\bich arbeite (?:bei|im|in der|für)\b|\bpracuję (?:w|dla)\b")
# Investors' talk: a cashtag ("$HRBR down 1.8%").
# "$HRBR", or a ticker in brackets moving: "Merlin Bank (MRLN) -2.1%", "(LON:TDW) +3%"
CASHTAG = re.compile(r"(?<![\w$])\$[A-Z]{2,5}\b|\((?:(?:LON|LSE|NYSE|NASDAQ|ASX|TSX|NZX|JSE):)?"
                     r"[A-Z]{2,5}\)\s*[+\-−–]\s?\d")
