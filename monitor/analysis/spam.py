"""Spam: scams, phishing, bait and bots, told apart from customers reporting them.

A post's spam score adds up signals (2 or more is spam), and `reasons` name them:
- strong phrases (giveaways, phishing calls to action, fund-recovery and trading bait,
  promo-code farms, follower and SEO sellers, off-platform payment);
- a look-alike site (a hyphenated host carrying the brand's name or an official-sounding
  word), a link, a shortened link, a phone number, tag stuffing, crypto tickers with hype;
- weaker words that add up (crypto, WhatsApp, "DM me", "free").
A customer telling us about a scam ("I got a text ... is this you?") takes most of it off.
Instructions meant for a bot ("ignore all previous instructions") are spam on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.analysis.spam_model import SpamModel
from monitor.analysis.terms import Lexicon

_STRONG_SPAM = Lexicon([
    "airdrop", "giveaway", "give away", "free crypto", "crypto bot", "trading bot",
    "trading signals", "forex signals", "100x", "1000x", "presale", "pre-sale", "token launch",
    "guaranteed returns", "guaranteed profit", "results guaranteed", "double your money", "turn £*",
    "turn $*", "passive income", "recover your funds", "recover your money", "recover lost funds",
    "recover your lost", "recover stolen", "fund recovery", "funds recovery", "recovery expert",
    "recovery specialist", "hire a hacker", "hack any account", "spell caster", "no credit check",
    "loan approved", "instant loan", "get £* today", "cash today", "link in bio", "check my bio",
    "dm me to start", "dm for promo", "promo code in bio", "onlyfans", "follow for follow", "f4f",
    "claim your prize", "claim your reward", "you have won", "you've won", "winner selected",
    "verify your account", "account will be suspended", "account has been suspended",
    "account will be locked", "account has been limited", "confirm your details here",
    "no credit checks", "bad credit ok", "bad credit welcome", "same day cash", "cash loans",
    "instant cash", "got all my money back", "got my money back in", "recovered my",
    "recovered all", "100% genuine", "totally legit", "connect your wallet", "claim your",
    "claim in", "loyalty bonus", "free when you switch", "signup bonus", "sign-up bonus",
    "exclusive bonus", "exclusive signup", "removes restrictions",
        "money mule", "receiving a payment", "kindly fill", "fill this form", "earn £*",
    "earn $*", "£* free", "$* free", "giving away", "free flights", "follow back",
    "followforfollow", "followback", "#followback", "real followers", "get followers",
    "seed phrase", "24 words", "verify wallet", "verify your wallet", "buy backlinks",
    "free shipping worldwide", "90% off", "you've been selected", "selected to win",
    "held at our depot", "confirm delivery details", "update billing details",
    "confirm payment details", "will be cancelled unless", "re-activate now", "reactivate now",
    "avoid disconnection", "learn how", "dm me to learn", "robot de trading", "gagnez", "zarabiaj",
    "link w bio", "lien en bio", "enlace en bio", "you may be owed", "no-obligation",
    "50% off for life", "recovered mine", "cheap accounts", "send your card number",
    "envíe su número de tarjeta", "datos bancarios", "coordonnées bancaires",
    "usuario y contraseña", "bank login", "promo codes", "discount codes", "voucher codes",
    "coupon*", "working codes", "working code", "verified codes", "all verified", "codes updated",
    "mystery box", "rt + follow", "rt and follow", "retweet and follow", "rt & follow",
    "copy-trading", "copy trading", "returned to sender", "redelivery fee", "reschedule within",
    "parcel is held", "parcel is on hold", "customs fee", "pay the fee", "unpaid fee",
    # fees reversed by an "insider", money multiplied: "I work in a bank back office and can
    # reverse interest and fees for a small fee", "screenshots in bio"
    "for a small fee", "many happy clients", "happy clients", "bank insider", "screenshots in bio",
    "proof in bio", "usdt pool", "crypto pool", "investment pool",
    "free spins", "bonus spins", "no paperwork", "we lend up to", "lend to anyone",
    "doesn't want you to know", "don't want you to know", "this one trick", "free webinar",
    # selling attention, links and accounts
    "real followers", "active followers", "followers in", "grow your followers", "guest post*",
    "real * followers", "buy followers", "cheap followers", "followers today", "followers cheap",
    "quality backlinks", "backlinks for", "backlink service*", "sell backlinks", "do-follow",
    "dofollow", "first page of google", "google first page",
    "seo expert", "seo services", "seo issues", "seo errors", "verified reviews", "5-star reviews",
    "five-star reviews", "buy reviews", "fresh leads", "email list", "lifetime licen*",
    "licencia de por vida", "vitalícia", "free download", "iptv", "cracked version", "cracked apk",
    "pro cracked", "crack download", "free gift card", "claim your gift card",
    "work from home opportunity", "earn from home", "replica", "replicas", "#reps", "1:1 quality",
    "factory direct", "factory prices", "precios de fábrica", "wholesale price*", "wholesale deal*",
    "price list",
    "dm for price*", "dm for catalog*", "dm for a quote", "dm for pricing", "dm for the invite",
    # fund "recovery", fake helplines, romance bait, trading incomes, wallets and codes
    "recover funds", "recover your funds", "recover lost funds", "recovered funds",
    "funds recovery", "recover your money", "recover lost money", "customer care number",
    "customer service number", "helpline number", "support number uk", "text me on whatsapp",
    "message me on whatsapp", "add me on whatsapp", "i want to know you", "hello dear",
    "lonely engineer", "make £* a month", "making £* a month", "make $* a month",
    "earn £* a month", "earn £* a week", "a month from my kitchen", "from my kitchen table",
    "dm me '*'", "dm me \"*", "reply with your sort code", "reply with your account",
    "reply with your card", "to celebrate * followers", "we're giving", "connect wallet",
    "connect your wallet", "mint live", "nft mint", "% apy", "apy", "stake $*",
    "gift card generator", "code generator", "no survey", "unlimited codes", "unlimited £*",
    "account for sale", "accounts for sale", "full kyc", "kyc done", "kyc verified",
    "ask me how",
    # money for nothing, off-platform payment
    "send £* get", "send $* get", "flip", "earn while you sleep", "easy work",
    "no experience needed", "sin experiencia", "sem experiência", "bez doświadczenia",
    "per transfer", "serious people only", "bank transfer only", "crypto only", "paypal amigos",
    "paypal friends", "friends and family", "via pix", "pagamento via pix", "pix na hora", "bizum",
    "chama no zap", "chama no direct", "chama no telegram", "escríbeme al dm",
    "escríbeme por whatsapp", "escríbenos por whatsapp", "pregúntame por dm", "hit me up",
    "comment '*'", "follow me for", "reply and follow", "share this post", "udostępnij", "partagez",
    "comparte", "compartilhe",
    # phishing calls to action and compensation bait
    "you could be owed", "could be owed", "owed up to", "entitled to £*", "entitled to €*",
    "check if you qualify", "in 60 seconds", "in 30 seconds", "30-second survey",
    "complete our survey", "answer 3 questions", "answer three questions", "reconfirm your",
    "to avoid cancellation", "to avoid permanent", "avoid losing", "verify your identity",
    "verify your card", "verifying your card", "update your billing", "update billing",
    "confirm your address and pay", "arrange redelivery", "pay the outstanding", "recovery portal",
    "connect your metamask", "metamask", "wallet address", "front and back", "pin to verify",
    "gift cards for cash", "buying * gift cards", "selling * miles", "miles for £*",
    "corporate discount", "agencia autorizada", "approval guaranteed", "guaranteed approval",
    "remove negative marks", "credit repair", "kredyt bez", "bez bik", "gagnez", "gano", "ganhe",
    "zarabiaj", "récupère vos fonds", "recupera tu dinero", "recupere seu dinheiro", "traced my",
    "reverse my payment", "got my money back", "got it all back", "got all my money",
    "recovered my", "she got my", "he got my", "they got my", "alpha group", "signals group",
    # points sold, a passport without an appointment, a dating lure, a loan with no bureau
    # check, any transaction "reversed", a money mule in Polish
    "signal group", "dm for invite", "bulk discount", "passport in 24h", "passport in 24 hours",
    "hot singles",
    "no crb check", "reverse any transaction", "zarób",
    "join our free discord", "insiders", "next leg", "calls printing", "not financial advice",
    "nfa", "copy my trades", "my mentor", "mentor @*", "wellness biz", "not mlm", "travel club",
    "holiday club", "free upgrades", "free premium", "unlimited data trick", "free broadband",
    "internet gratis",
    # gambling bait, money mules, "allowances", survey and "eligibility" phishing, card
    # buyers, loan bait, claim farms
    "free chips", "casino chips", "no deposit", "no-deposit", "lock of the week", "locks of the",
    "instant payout*", "betting tips", "sure bets", "sure bet", "jackpot", "only need your",
    "solo necesitas", "just need your account", "use your bank account", "rent your account",
    "gana $*", "gana €*", "ganar dinero", "ganhe r$*", "weekly allowance", "sugar daddy",
    "sugar mommy", "sugar baby", "allowance of", "zelle tag", "cashapp tag", "cash app tag",
    "send your $*", "minute survey", "gift card for our", "for our survey", "for a quick survey",
    "with balances", "regardless of credit", "we say yes", "préstamo rápido",
    "préstamos rápidos", "empréstimo rápido", "you may qualify",
    "check eligibility", "check your eligibility", "debt forgiveness", "debt relief program",
    "federal program", "check if you're affected", "check if you are affected",
    "see if you're affected", "upload your passport", "upload your id", "we'll do the rest",
    "we do the rest", "from any airline", "any bag from", "erase your bad", "erase your credit",
    "fix your credit", "100% legal", "play with $*", "play with £*",
    "click here click here", "pay your bills every", "so i can deposit",
    # betting promos, pump groups, loan-shark and job-fee bait, miracle men
    "free bet", "free bets", "betting site", "premium group", "vip group", "no collateral",
    "no guarantor", "no interview", "monthly returns", "weekly returns", "daily returns",
    "we fix all", "we approve in", "100% result", "100% results", "solves all", "baba ji",
])
# Instructions to a bot hidden in a post: never a customer's question.
_INJECTION = Lexicon([
    "ignore all previous instructions", "ignore previous instructions",
    "ignore the above instructions", "disregard previous instructions", "disregard all previous",
    "you are now in", "system prompt", "developer mode",
])
# Someone promoting an account that "recovers" money or trades for you.
_PROMOTED = re.compile(
    r"\b(?:contact|dm|message|reach out to|reach|text|whatsapp|write to|follow)\s+(?:him|her|"
    r"them)?\s*(?:on\s+\w+\s+)?@\w*(?:recover|hack|crypto|invest|profit|trad|fx|signal|mentor|"

    r"wealth|coin|fund|asset|loan)\w*|@\w*(?:recover|hacker|profit|mentor|signals)\w*\b[^.!?\n]{0,60}?"
    r"\b(?:got|get|recovered|made|earned|helped)", re.IGNORECASE)
_SOFT_SPAM = Lexicon([
    "crypto", "bitcoin", "btc", "ethereum", "eth", "usdt", "binance", "nft", "web3", "forex",
    "invest", "investment", "profit", "earn", "whatsapp", "telegram", "wa.me", "t.me", "click here",
    "click the link", "limited time", "act now", "dm me", "inbox me", "send me a message",
    "contact him", "contact her", "contact them on", "reach out to", "expert", "legit", "testimony",
    "helped me recover", "card number", "cvv", "security code", "full card", "pin number",
    "one time passcode", "otp", "bonus", "deals", "offers", "review", "best rates", "find out here",
    "sign up", "signup", "ref", "loans", "loan", "cash", "free", "dm us now", "dm now", "hurry",
    "before midnight", "dm me", "dm for", "dm 📩", "inbox", "telegram @*", "on telegram",
    "on snapchat", "on ig", "whatsapp +*", "only * left", "spots left", "today only",
    "limited to the first", "don't miss out", "gratis", "gratuit", "darmow*", "selling", "for sale",
    "cheap", "cheaper", "half price", "% off", "50x", "40x", "12x", "10x", "x100", "legit",
    "100% safe", "pode confiar", "can show proof", "testimonials", "thank me later", "check out my",
    "check my page", "my profile", "my page", "my blog", "in my highlights", "🤑", "📲", "📩",
    "⭐⭐⭐⭐⭐", "💰", "💸", "📈", "🚀", "🎁", "👉", "➡️", "great post", "nice post",
])
_SHORT_LINK = re.compile(r"\b(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl|cutt\.ly|rb\.gy|is\.gd|"
                         r"forms\.gle|linktr\.ee)/", re.IGNORECASE)
_REPORTING = re.compile(
    r"\b(?:i(?:'ve)? (?:got|received|had|just got|been sent) (?:a|an|this|the same|that|these) "
    r"(?:\w+ )?(?:text|email|e-mail|call|message|dm|letter|sms|link|voicemail)|is (?:this|it|that) "
    r"(?:actually |really )?(?:legit|real|you|them|genuine|from you|one of yours)|is this a scam|"
    r"looks like (?:a )?(?:scam|phishing)|don't click|do not click|pretending to be|"
    r"claiming to be|report(?:ed|ing)? (?:it|this|them|the account)|fake account|"
    # "Got an SMS from 'BANK' saying ... Scam right? Haven't clicked anything."
    r"scam,? right|(?:haven't|have not|didn't|did not|not) click(?:ed|ing)?|"
    # "those giveaway posts are obviously fake, right?"
    r"(?:obviously|clearly|surely|definitely) (?:fake|a scam|scams)|fake,? right)\b"
    r"|(?:^|[.!?]\s+|@\w+\s+)(?:just )?(?:got|received|been sent) (?:a|an|this|the same|that|"
    r"these) (?:\w+ )?(?:text|email|e-mail|call|message|dm|letter|sms|voicemail)\b",
    re.IGNORECASE)
_WARNING = re.compile(r"\b(?:beware|warning|heads up)\b", re.IGNORECASE)
# Someone warning others about scams: not a scam.
_PSA = re.compile(
    r"\b(?:psa|be careful|don't fall for|do not fall for|almost fell for|nearly fell for|"
    r"(?:are|were|is) (?:all )?(?:bots|scammers|fake|scams?|a scam)\b|recovery scam(?:mer)?s|"
    r"will never (?:text|call|email|dm|message|ask)|never asks? (?:you )?for|ignore (?:all )?"
    r"(?:the|these|those|any) [^.!?\n]{0,40}?(?:replies|messages|accounts|dms)|to anyone reading)",
    re.IGNORECASE)
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|net|org|biz|xyz|io|co|info|top|site|"
                  r"online|click|link|ru|cn|ly|gl|gy|gd|ee|store|win|shop|live|vip|club|icu|"
                  r"app|me|uk|help|pl|fr|es|de|pt|cc|gg|ai|eu|us|ca|au|nz|za|ie|in|tk|ml|ws|su|"
                  r"bet|casino|money|loan|cash)\b/?", re.IGNORECASE)
_DEFANGED = re.compile(r"\[\.\]|\(\.\)|\[dot\]|\(dot\)", re.IGNORECASE)
_PHONE = re.compile(r"\+\d[\d ()-]{8,}\d")
# A local number, or one masked in a screenshot's text: "0903 ### ####", "97170 xxxxx".
_LOCAL_PHONE = re.compile(r"\b0\d{3}[ -]?(?:\d{3}|#{3}|x{3})[ -]?(?:\d{4}|#{4}|x{4})\b|"
                          r"\b\d{4,5}[ -]?(?:x{4,6}|#{4,6})(?!\w)", re.IGNORECASE)
# An offer made good in minutes, the way an advert words it ("Get ₦50k in 5 minutes", "We
# approve in 3 minutes", "a virtual card in 2 mins"), with a way to take it up.
_QUICK_OFFER = re.compile(
    r"\b(?:get(?! through)|gets|we (?:approve|fix|offer|give|pay|sell|buy|recover|unlock|sort)|"
    r"recruiting|"
    r"hiring)\b[^.!?\n]{0,60}?\bin (?:\d+|a few|under \d+) ?(?:mins?|minutes|hrs?|hours)\b",
    re.IGNORECASE)
_CALL_TO_ACT = re.compile(r"\b(?:dm|inbox|whatsapp|call|text|message)(?: us| me)? (?:now|today|"
                          r"asap)\b|\bdm me\b|\b(?:whatsapp|call|text) (?:\+?\d|0\d)",
                          re.IGNORECASE)
# a link to a made-up official-sounding site: "brand-account-secure.com/login"
_LOOKALIKE_LINK = re.compile(
    r"\b[\w-]*-(?:secure|verify|verification|login|account|confirm|claim|claims|refund|"
    r"restore|support|help|billing|pay|payment|parcel|delivery|redeliver|bags|rewards|"
    r"compensation|eu261|care|bonus|outlet|sale|deals|promo|codes|discount|vip|giveaway|winner|"
    r"prize|gift|rewards?|offers?|survey|spin|check|breach|escape|relief|gov|lockz?|bets?|"
    r"casino|slots?|free|cash|loans?)[\w-]*\.(?:com|co|info|net|org|app|help|online|site|xyz|"
    r"top|uk|biz|shop|store|win|live|vip|club|icu|link|io|us|me|bet|cc)\b", re.IGNORECASE)


# A crypto or stock ticker with hype: "$JETX just did a 40x", "$FNCH about to rip 🚀".
_TICKER_HYPE = re.compile(
    r"(?<![\w$])\$[A-Z]{2,6}\b[^\n]{0,80}?(?:🚀|\brip\b|\bmoon|"
    # (not a valuation: "at 9x earnings")
    r"\b\d+x\b(?! (?:earnings|sales|revenue|book|ebitda|p/?e|forward|trailing))|\bgains?\b|"
    r"\bholders\b|\bloading\b|\bpump|\bcalls print|\bentry\b|\bjoin\b)"
    r"|(?:🚀|\b\d+x\b)[^\n]{0,80}?(?<![\w$])\$[A-Z]{2,6}\b")
# "BRAND: your account ..." / "[Brand] a new payee ..." — a text message's shape, on social
_SMS_SHAPE = re.compile(r"^\s*(?:\[[^\]]{2,30}\]|[A-Z][A-Za-z&' ]{1,28}:)\s")
# A call to act on a link: verify, confirm, claim, pay, update, check, enter
_LINK_ACTION = re.compile(
    r"\b(?:verify|confirm|reconfirm|claim|pay|update|restore|unlock|install|download|"
    r"qualify|enter|visit|tap|click|log ?in|sign ?in|get paid)\b[^\n]{0,80}?"
    r"(?:https?://|www\.|\b[\w-]+\.(?:com|net|org|co|uk|info|help|online|site|xyz|top|win|"
    r"shop|store|link|click|app|ai|me|ly|gd|pl|fr|es|de|pt|cc|gg|live|vip|in|ng|ke|za|au|nz|"
    r"ca|ie|us|eu|io|ru|cn|tk|ml|icu|club|biz|bet|loan|cash|money)\b)",
    re.IGNORECASE)
# Phishing's alarm in the second person, with a way to contact the sender: "your account has
# been flagged for suspicious activity, DM us now", "lost money to a broker? message us".
_ALARM = re.compile(
    r"\byour\s+(?:\w+\s+)?(?:account|card|funds|wallet|money|payments?|access|profile|order|"
    r"parcel|booking|refund|savings)s?\b[^.!?\n]{0,60}?\b(?:has|have|is|are|was|were|will|may)\s+"
    r"(?:\w+\s+){0,2}(?:locked|suspended|compromised|frozen|restricted|flagged|blocked|hacked|"
    r"on hold|closed|limited|at risk|deactivated|disabled|breached|exposed)\b"
    r"|\b(?:lost|lose|losing)\s+(?:money|funds|crypto|savings|your savings|£|\$|€)[^.!?\n]{0,40}?\?"
    r"|\b(?:been|got|get|were)\s+scammed\s*\?", re.IGNORECASE)
_CONTACT_US = re.compile(
    r"\b(?:dm|message|contact|text|write to|reach out to|reach|inbox|call)\s+(?:us|me|our\s+\w+)\b"
    r"|\b(?:telegram|whatsapp|signal app|wa\.me|t\.me)\b|\bwe (?:can )?(?:help you )?"
    r"(?:recover|get (?:it|your money|your funds) back)", re.IGNORECASE)
# Talking like the brand's support team ("DM us", "our support team will") in a reply to a
# customer, from an account that is not ours (ours never reach spam scoring).
_SUPPORT_VOICE = re.compile(
    r"\b(?:dm|message|contact|inbox|write to|text|email)\s+us\b|\bsend us (?:a |your )|"
    r"\bour (?:support|help|care|customer service|customer care|recovery|technical|resolution|"
    r"claims) (?:team|desk|department|agents?|specialists?)\b|\bsorry for the inconvenience\b"
    r"|\bwe(?:'ll| will| can) (?:assist|help you|resolve|sort|fix|recover)\b", re.IGNORECASE)
_LEADING_HANDLES = re.compile(r"^(?:\s*@[\w.]+)+")
# The author speaking of their own account or money ("my account", "I"): a customer.
_OWN_MATTER = re.compile(r"\b(?:my|i|i'm|i've|me)\b", re.IGNORECASE)
_HOST = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}\b", re.IGNORECASE)


_INJECTED = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|your\s+|any\s+|the\s+|my\s+)?"
    r"(?:previous|prior|above|earlier|existing|other)\s+(?:instructions|rules|prompts?|guidelines|"
    r"directives)\b"
    r"|\b(?:previous|prior|your)\s+(?:rules|instructions|guidelines)\s+(?:are|have been)\s+"
    r"(?:void|updated|changed|revoked|replaced)\b"
    r"|\[\s*system\b|<\s*/?\s*(?:instruction|system|post|prompt)\b|^\s*(?:@\w+\s+)*system\s*:"
    r"|\bnote\s+to\s+(?:the\s+|any\s+|all\s+)?(?:assistant|llm|ai|bot|model)s?\b"
    r"|\b(?:any|every)\s+(?:llm|ai|bot|model)s?\s+reading\s+this\b"
    r"|\bdear\s+\w+\s+(?:ai|bot|assistant)\b|\bhey\s+\w+\s+bot\b"
    r"|\bunrestricted\s+(?:assistant|ai|mode)\b|\bnew\s+policy\s+from\s+your\s+devs\b"
    r"|\b(?:your|the)\s+(?:guidelines|instructions)\s+(?:have been|were)\s+updated\b",
    re.IGNORECASE)
# Talking about prompt injection is not doing it.
_ABOUT_INJECTION = re.compile(r"\bprompt[- ]?inject\w*|\bjailbreak\w*", re.IGNORECASE)


_INJECTION_HINTS = ("instruction", "ignore", "disregard", "forget", "override", "system",
                    "assistant", "llm", "model", " ai", "bot", "polic", "prompt", "rules",
                    "guidelines", "<", "[", "you are now", "unrestricted", "developer")


def injected(text: str) -> bool:
    """Whether the post carries instructions meant for a bot ("ignore all previous
    instructions"), rather than talking about such attempts."""
    lower = text.lower()
    if not any(hint in lower for hint in _INJECTION_HINTS):
        return False
    return ((bool(_INJECTION.search(text)) or _INJECTED.search(text) is not None)
            and _ABOUT_INJECTION.search(text) is None)


def spam_signals(text: str, brand_words: Iterable[str] = (),
                 model: SpamModel | None = None) -> tuple[float, list[str]]:
    """How spam-like a post is (2 or more: spam) and the signals that said so.
    `brand_words` (the brand's name and handles, lower-case, no spaces) find look-alike
    sites: a hyphenated host carrying the brand's name ("brand-outlet.store"); `model`, when
    given, adds 2 when it is sure (see `spam_model`)."""
    reasons: list[str] = []
    score = 0.0
    # what a phishing message quoted by a customer has too: its link, its shape, its alarm
    quoted = 0.0
    words = tuple(w for w in brand_words if len(w) >= 5)
    if "[" in text or "(" in text:
        # a defanged link is still a link: "btc-escape[.]io", "bet-lockz(.)co"
        text = _DEFANGED.sub(".", text)
    strong = _STRONG_SPAM.find(text)
    if strong:
        score += 2.0 + 0.5 * (len(strong) - 1)
        reasons += [f"'{t}'" for t in strong[:2]]
    # the costlier signals only where they can be: links need a dot, tickers a dollar sign
    linked = "." in text and _URL.search(text) is not None
    if linked and (_LOOKALIKE_LINK.search(text) or (words and any(
            "-" in host and any(w in _fold(host) for w in words)
            for host in _HOST.findall(text)))):
        score += 1.5
        quoted += 1.5
        reasons.append("look-alike link")
    if linked and _LINK_ACTION.search(text):
        score += 0.8
        quoted += 0.8
        reasons.append("asks to act on a link")
    if linked and _SMS_SHAPE.match(text):
        score += 1.0
        quoted += 1.0
        reasons.append("a text message's shape")
    if "$" in text and _TICKER_HYPE.search(text):
        score += 2.0
        reasons.append("ticker hype")
    soft = _SOFT_SPAM.find(text)
    if soft:
        score += 0.6 * min(len(soft), 3)
        reasons += [f"'{t}'" for t in soft[:2]]
    if linked and (strong or soft):
        score += 0.8
        quoted += 0.8
        reasons.append("link")
        if _SHORT_LINK.search(text):
            score += 0.6
            quoted += 0.6
            reasons.append("short link")
    if "@" in text and _PROMOTED.search(text):
        score += 2.0
        reasons.append("promotes a 'recovery' or trading account")
    lower = text.lower()
    if (any(w in lower for w in ("your", "lost", "lose", "scammed")) and _ALARM.search(text)
            and _CONTACT_US.search(text)
            and _OWN_MATTER.search(text) is None):
        score += 1.5
        quoted += 1.5
        reasons.append("alarm about your account, and a way to contact them")
    elif (linked and "your" in lower and _ALARM.search(text)
          and _OWN_MATTER.search(text) is None):
        score += 1.0
        quoted += 1.0
        reasons.append("alarm about your account, and a link")
    leading = _LEADING_HANDLES.match(text) if text.lstrip().startswith("@") else None
    if (leading is not None and _SUPPORT_VOICE.search(text)
            and not any(w in _fold(h) for h in leading[0].split("@") if h for w in words)):
        score += 1.5
        reasons.append("talks like our support team, to someone else")
    if _CODE_WORD.search(text) or _INCOME.search(text) or _MULTIPLIED.search(text):
        score += 2.0
        reasons.append("a code word to send, or an income promised")
    if ("%" in text and ("👇" in text or linked) and _TEASED_RATE.search(text)
            and _SPEAKS_OF_OWN.search(text) is None):  # not a customer quoting their rate
        score += 2.0
        reasons.append("a rate teased behind a link")
    if "send" in lower and _SEND_ME_YOUR.search(text):
        score += 2.0
        reasons.append("asks for someone's login or payment handle")
    if "near me" in lower and _SEO_STUFFING.search(text):
        score += 2.0
        reasons.append("search keywords strung together")
    if ("+" in text and _PHONE.search(text)) or ((strong or soft)
                                                 and _LOCAL_PHONE.search(text) is not None):
        score += 0.8
        reasons.append("phone number")
    if (_QUICK_OFFER.search(text) is not None and _CALL_TO_ACT.search(text) is not None
            and _OWN_PROBLEM.search(text) is None):
        score += 2.0
        reasons.append("an offer made good in minutes, and a way to take it up")
    tags = (max(len(re.findall(r"(?<!\w)#\w", text)), len(re.findall(r"(?<!\w)@\w", text)))
            if text.count("#") >= 6 or text.count("@") >= 6 else 0)
    if tags >= 6:
        score += 1.0 if tags < 9 else 2.0
        reasons.append("tag stuffing")
    sure = model.confident(text) if model is not None else None
    if sure is not None:
        score += 2.0
        reasons.append(f"model {sure[0]:.2f}: {', '.join(sure[1])}")
    if score and (_REPORTING.search(text) or _PSA.search(text)):
        # a customer telling us about a scam, or warning others: what the message they quote
        # looks like is the scam's, not theirs
        score -= 3.0 + quoted
        reasons.append("but reports it")
    elif score and _WARNING.search(text):
        score -= 1.5
    return score, reasons




# "DM me 'GROW'", "comment INFO below"; "I make £4k a month".
_CODE_WORD = re.compile(
    r"\b(?:dm|comment|inbox|type|write|drop)\s+(?:me\s+|us\s+)?(?:with\s+)?(?:the\s+word\s+)?"
    r"['\"“‘]?"
    r"(?-i:[A-Z]{3,})['\"”’]?(?:\s+(?:below|now|today|to)\b|\s*$|['\"”’])"
    r"|\b(?:message|text|reply|whatsapp)\s+(?:me\s+|us\s+)?(?:with\s+)?['\"“‘](?-i:[A-Z]{3,})"
    r"['\"”’]", re.IGNORECASE)
_INCOME = re.compile(r"\b(?:make|making|made|earn|earning|earned|earns|makes)\s+(?:over\s+)?"
                     r"(?:[£$€]\s?\d[\d,.]*k?|\d{2,4}\s?%)(?:\s*/\s*|\s+(?:a|per|every|each|"
                     r"this|last)\s+)(?:day|week|month|wk|hour|hr)\b",
                     re.IGNORECASE)
# money multiplied: "put R1,000 in our pool today, get R8,000 by Monday", "send $200, receive
# $2,000"
_MULTIPLIED = re.compile(
    r"\b(?:put|invest|send|deposit|stake|pay in)\s+(?:in\s+)?(?:[£$€R₦]|rs\.?\s?|usd\s?|zar\s?)"
    r"\d[\d,.]*k?\b[^.!?\n]{0,60}?\b(?:get|receive|earn|make|withdraw|take home)\s+(?:back\s+)?"
    r"(?:[£$€R₦]|rs\.?\s?|usd\s?|zar\s?)\d"
    r"|\bturn(?:ed|s)?\s+(?:[£$€R₦]|rs\.?\s?|usd\s?)\d[\d,.]*k?\s+into\s+(?:[£$€R₦]|rs\.?\s?|usd\s?)\d",
    re.IGNORECASE)
# "just send me your e-Transfer email and online banking login": no customer asks that.
_SEND_ME_YOUR = re.compile(
    r"\bsend (?:me|us) your (?:\w+ ){0,3}(?:login|log-in|password|pin|card (?:number|details)|"
    r"e-?transfer email|zelle|cash ?app|paypal|bank details|account number|sort code|"
    r"one-time code|otp)\b", re.IGNORECASE)
# Search keywords strung together ("... review rates routing number near me hours ... login").
_SEO_STUFFING = re.compile(
    r"\bnear me\b[^.!?\n]{0,80}\bnear me\b|\b(?:routing number|swift code|sort code|hours|"
    r"login|review|reviews|rates)\b[^.!?\n]{0,30}\bnear me\b[^.!?\n]{0,30}\b(?:routing number|"
    r"hours|login|review|reviews|rates|open now)\b", re.IGNORECASE)
# The author's own trouble: an advert never has it ("my transfer", "I can't"). Unlike
# `_OWN_MATTER` and `_SPEAKS_OF_OWN`, not "me": adverts end "DM me".
_OWN_PROBLEM = re.compile(r"\b(?:my|i|i'm|i've|i'd)\b", re.IGNORECASE)
_SPEAKS_OF_OWN = re.compile(r"\b(?:i|i'm|i've|i was|my|me)\b", re.IGNORECASE)
# "moving money into THIS 12% product 👇": a rate teased behind a link
_TEASED_RATE = re.compile(r"(?-i:\b(?:THIS|THESE)\b)[^.!?\n]{0,40}\d{1,3}(?:\.\d+)?\s?%"
                          r"|\d{1,3}(?:\.\d+)?\s?%[^.!?\n]{0,40}(?-i:\b(?:THIS|THESE)\b)")
_FOLD = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "-": "", ".": ""})


def _fold(host: str) -> str:
    """A host name with look-alike digits folded and separators dropped."""
    return host.lower().translate(_FOLD)
