"""The author saying they already reached us: a DM, their details, a call, an email, a form,
in English and the other languages the packs answer in. Triage keeps such a post on its case
(someone has a message to read) and drafts never ask them to DM again."""

from __future__ import annotations

from monitor.analysis.terms import Folded

# The author says they already reached us: a DM, their details, a call, an email, a form
# ("I've DMed you", "check your DMs", "sent you everything you asked for", "os escribí por
# privado"); the planner keeps it on the case and drafts never ask for a DM again.
_DMED = Folded(
    # Tagalog and Taglish: "nag-DM na po ako", "na-DM ko na", "nakailang DM na ako", "tumawag
    # na ako sa hotline", "walang sagot sa DM ko", "4 na email ko", "nag-file ng dispute"
    r"\b(?:nag-?(?:dm|message|email|chat|file)|na-?dm|nakailang (?:dm|email|tawag)|"
    r"tumawag (?:na |din |rin |po )*(?:ako|kami)|sa (?:dm|email|message) ko\b|"
    r"(?:\d+|dalawang|tatlong) (?:na )?(?:dm|email|message) ko\b)|"
    r"\b(?:i(?:'ve| have)?|we(?:'ve| have)?|just|already)\s+(?:already\s+|just\s+)?"
    r"(?:dm'?e?d|dm'?d|messaged(?!\s+me\b)|sent (?:you|u|a|the|my)(?:\s+\w+){0,3}\s+(?:dm|message|"
    r"details)|"
    r"direct messaged|inboxed|pm'?e?d)\b"
    r"|\b(?:check|see|read|answer|reply to|look at|update on|response to|news on)\s+"
    r"(?:my|your|the|ur|our)\s+(?:dms?|inbox|messages?|pm|direct message)\b"
    r"|\b(?:dm'?e?d|dm'?d|messaged|inboxed|pm'?e?d)\s+(?:you|u|ya|your team|you guys)\b"
    r"|\bsent\s+(?:you\s+|u\s+)?(?:a\s+|my\s+|the\s+)?(?:dm|direct message|pm)\b"
    r"|\b(?:already|i(?:'ve)?)\s+(?:sent|given|gave)\s+(?:you\s+)?(?:all\s+)?(?:my|the)\s+"
    r"(?:details|info|information|account number|order number|booking reference)\b"
    r"|\b(?:mandei|enviei)\s+(?:uma\s+)?(?:dm|mensagem)|\bj[áa]\s+mandei\b"
    r"|\b(?:in|sent to|in your)\s+(?:your\s+)?(?:dms?|inbox)\b"
    r"|\b(?:te envi[ée] (?:un )?(?:md|dm|mensaje)|je vous ai (?:envoy[ée]|écrit) (?:un )?(?:dm|mp|"
    r"message)|ich habe (?:euch|ihnen|dir) (?:eine )?(?:dm|nachricht) geschickt|"
    r"(?:enviei|mandei) (?:uma )?(?:dm|mensagem)|wysła(?:łem|łam) (?:wam )?(?:dm|wiadomość))\b"
    # "DMs sent", "DMed @help", "my DM from Friday", "details are in the DM", "as per my DM",
    # "replied to your DM", "messaged your help account", "emailed three times"
    r"|\b(?:dms?|direct messages?|private messages?|pms?)\s+(?:sent|done|already sent)\b"
    r"|\b(?:dm|pm)(?:'|’)?e?d\b|\bsent\s+(?:you|u|y'?all|ya)\s+(?:a\s+)?(?:chat\s+)?(?:dm|"
    r"direct message|private message|pm|message|chat)\b|\bsent\s+(?:a\s+)?private message\b"
    r"|\b(?:check|checked|checking|see|seen|read|answer|answered|look at|looked at)\s+"
    r"(?:your\s+|ur\s+|the\s+)?dms?\b"
    # "no answer to my DM", "my DM being ignored", "the DM team said", "got a DM back",
    # "sent you everything you asked for", "sent his certificate to you three times"
    r"|\b(?:to|on|about)\s+my\s+(?:dm|pm|direct message)s?\b"
    r"|\bmy\s+(?:dm|pm|message)s?\s+(?:being|been|is being|was|were|got|getting)\b"
    r"|\bthe\s+dm\s+team\b|\b(?:dm|message|reply)\s+back\s+from\b"
    r"|\bsent\s+(?:you|u)\s+(?:everything|all|it all|the lot|what you asked)"
    r"|\b(?:i(?:'ve| have)?|already)\s+(?:now\s+|already\s+|just\s+)?sent\s+(?:\w+\s+){1,4}to\s+"
    r"(?:you|u)\b"
    r"|\bich habe\s+(?:\w+\s+){0,3}(?:eine\s+)?(?:dm|nachricht)\s+geschickt\b"
    # "gave all her details on the phone", "sent Dad's death certificate through your secure
    # messages", "asked me to DM, I did", "per DM alles geschickt", "os mandé todo"
    r"|\b(?:sent|given|gave)\s+(?:you\s+)?(?:all\s+)?(?:my|the|her|his|their|our)\s+(?:\w+\s+)?"
    r"(?:details|info|information|documents|paperwork)\b"
    r"|\bsecure messag\w*|\basked (?:me )?to (?:dm|message)\b[^.!?\n]{0,10}\bi did\b"
    r"|\bper (?:dm|pn|nachricht)\b[^.!?\n]{0,40}\bgeschickt\b"
    r"|\b(?:os|te|les|le) mand[ée]\b|\bmand[ée] todo\b|\bpor mensaje privado\b"
    # reached us another way: "DMing you now", "called your fraud line", "I emailed
    # complaints@", "filled in your online form twice", "posted it twice", "already uploaded",
    # "explained to 4 different people", a post opening "Called Monday, ..."
    r"|\bdm'?ing (?:you|u)\b|\b(?:i(?:'ve| have)? )?(?:called|rang|rung|phoned|emailed|e-mailed|"
    r"messaged|wrote to) (?:your|you|the|them|complaints|customer)\b"
    r"|\bi (?:even |also |already |just )?(?:called|rang|phoned|emailed)\b"
    # "we called this morning", "she's rung", "six weeks and 4 phone calls"
    # ("they called" is us calling them)
    r"|\b(?:we|she|he|mum|mom|dad)(?:'ve|'s| have| has)? (?:even |also |already |just )?"
    r"(?:called|rang|rung|phoned|emailed)\b(?! (?:me|us|her|him)\b)"
    r"|(?:^|[.!?]\s+|@\w+\s+)(?:called|rang|phoned|emailed|messaged|dm'?e?d|"
    r"wrote to|chatted|pinged|contacted (?:you|your|the|them))\b"
    r"|\bfilled (?:in|out) (?:your|the|their|an?) (?:\w+ ){0,2}form\b"
    # "sent it in through their feedback form", "through the secure upload", "as I said in my
    # message", "gave your fraud team my details", "i've rung twice", "per E-Mail geschickt"
    r"|\b(?:through|via|on|using) (?:your|the|their) (?:\w+ ){0,2}(?:form|upload|portal)\b"
    r"|\bsecure upload\b|\b(?:said|wrote|explained|told you) in my (?:message|email|e-mail|dm|"
    r"letter|complaint)\b|\bgave (?:you|them|your (?:\w+ ){0,2}team|the (?:\w+ ){0,2}team) "
    r"(?:all )?(?:my|the|her|his) (?:\w+ )?details\b|\bi(?:'ve| have) (?:rung|rang)\b"
    r"|\bper e-?mail\b[^.!?\n]{0,80}\bgeschickt\b|\bunterlagen\b[^.!?\n]{0,40}\bgeschickt\b"
    r"|\b(?:posted|sent|uploaded|emailed|faxed) (?:it|them|the \w+|my \w+|her \w+|his \w+) "
    r"(?:twice|three times|again|\d+ times)\b|\balready (?:uploaded|sent|submitted|provided)\b"
    r"|\bexplained (?:it |this )?to (?:\d+|two|three|four|five|several) (?:different )?"
    r"(?:people|agents|advisers|advisors)\b"
    r"|\b(?:replied|responded)\s+to\s+(?:your|the|ur)\s+(?:dm|message)\b"
    r"|\b(?:my|the)\s+(?:dm|direct message|pm)s?\s+(?:from|on|since|of|is|are|still|has|have|"
    r"sent)\b|\bin\s+(?:the|my|your|ur)\s+dms?\b|\bper my (?:dm|message|email)\b"
    r"|\bmessaged\s+(?:your|you|the)\b|\balready in touch\b"
    # "been 40 mins on the phone", "third time I've asked in the chat", "tried to ring 4
    # times", "claim opened", "suddenly I get a callback"
    r"|\b(?:been|spent|waited|waiting|sat)\s+(?:\d+|an?|two|three|ages)\s*(?:mins?|minutes|"
    r"hours?|hrs?)\s+on (?:the )?(?:phone|hold|line|chat)\b"
    r"|\b(?:asked|told|messaged|written|wrote) (?:you |them )?in (?:the |your )?(?:chat|dms?)\b"
    r"|\b(?:tried|trying) to (?:ring|call|phone|get through)\b[^.!?\n]{0,30}\b(?:\d+|two|three|"
    r"four|five|several) times\b|\b(?:claim|case|dispute|complaint|ticket) (?:was |is |has been "
    r"|got )?(?:opened|raised|filed|logged|lodged)\b|\b(?:got|get|had) a call ?back\b"
    # "calling now", "my lawyer has written to you", "following up on my message from
    # Friday", "45 minutes on hold", "third time asking"
    r"|\bcalling (?:you |your \w+ )?now\b|\b(?:has|have|had) written to\b"
    r"|\b(?:following up on|follow up on|chasing) my (?:message|email|call|dm|complaint|request)"
    r"\b|\bmy (?:message|email) (?:from|on|of|last)\b|\b\d+\s*(?:mins?|minutes|hours?|hrs?)\s+"
    r"(?:on hold|d'attente|de espera|in der warteschleife|na linha)\b"
    r"|\b(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time (?:asking|i've asked|i have asked)\b"
    # "On hold 20 mins now", "still on hold", "your fraud team say I shared my PIN", "the
    # 'chat with us' thing is a bot"
    r"|\bon hold (?:for )?(?:\d+|an?|two|three|ages)\s*(?:mins?|minutes|hours?|hrs?)\b|"
    r"\b(?:i'm|im|i am|been|still) on hold\b|\b(?:your|the|their|\w+'s) (?:fraud|complaints?|"
    r"claims?|disputes?|customer service|phone|call centre|call center|helpline|branch) "
    r"(?:team|staff|line|people|department|dept|agent|lady|guy|man|woman) (?:say|said|says|"
    r"told me|keeps? saying|insists?)\b|\b(?:the|your) (?:chat ?bot|virtual assistant)\b|"
    r"\bchat with us\b[^!?\n]{0,60}\bbot\b"
    # "you said DM you, did that", "this is my THIRD complaint", "complained twice already"
    r"|\b(?:said|told (?:me|us)) (?:to )?(?:dm|message) (?:you|u)\b[^.!?\n]{0,20}\b(?:did that|did "
    r"it|done that|i did|done)\b"
    r"|\b(?:my|the)\s+(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th)\s+(?:complaint|"
    r"email|e-mail|message|call|letter)\b|\bcomplained\s+(?:twice|three times|\d+ times|"
    r"several times|already)\b"
    # the in-app chat, the only channel at some banks: "in the chat now", "told the chat",
    # "nobody in the chat answers", "chat queue 2h", "écrit dans le chat", "piszę na czacie",
    # "al drie keer gechat", "subí la carta al chat"
    # (not advice or ours: "ask in the app chat", "message us in the chat")
    r"|(?<!ask )(?<!us )\b(?:(?:in|via|through|to|into|told|messaged|wrote to) (?:the|your|ur)|"
    r"dans le|dans le chat de|al|na|im|en el) (?:in-app |app |live |web )?(?:chat|czacie)\b"
    r"|\bchat (?:queue|says|said|keeps|kept|closed|already|told|opened)\b"
    r"|\bchat (?:\w+ )?keer\b|\bgechat\b"
    # "gave the fella on the phone everything", "nobody mentioned one on the phone" (told, said
    # and explained on the phone are with "asked" below), "been calling for two days"
    r"|\b(?:gave|mentioned)\b[^.!?\n]{0,40}\bon the phone\b"
    r"|\bbeen (?:calling|ringing|phoning|emailing|messaging)\b"
    r"|\b(?:emailed|e-mailed|rang|called|phoned)\s+(?:you\s+|your\s+\w+\s+|(?:\w+\s+){1,2})?"
    r"(?:twice|three times|"
    r"\d+ times|several times|multiple times|already|again)\b"
    r"|\b(?:gave|given|sent)\s+(?:you\s+)?(?:all\s+)?(?:my|the)\s+details\b"
    # "dropped you a DM", "shot you guys a message", "pinged you", "slid into your DMs",
    # "Messaged on Tuesday", "sent the screenshots over DM", "used the live chat", "raised it
    # through the in-app chat", "the chat team have my reference", "sent over my details"
    r"|\b(?:dropped|shot|fired|popped|pinged|sent|slid)\s+(?:you|u|ya|y'?all|your team)\s+"
    r"(?:guys\s+|all\s+)?(?:a\s+|an\s+)?(?:dm|message|msg|note|line|email|e-mail|pm)\b"
    r"|\bslid into (?:your|ur|the) dms?\b|\bpinged (?:you|u|your|the)\b"
    r"|\b(?:sent|talking|chatting|speaking|spoke|explained|gave|been)\b[^.!?\n]{0,40}\bover "
    r"(?:dms?|direct messages?|pms?|chat|whatsapp|messenger|email)\b"
    r"|\b(?:used|been on|was on|spent \w+ on|contacted you (?:on|via|through)) (?:the |your |ur )?"
    r"(?:live |web |in-app |app |online )?chat\b"
    r"|\b(?:contacted (?:you|your \w+|the \w+)|raised (?:it|this)|reported (?:it|this))\b"
    r"[^.!?\n]{0,30}\b(?:chat|dms?|messages?|app|email|phone|form|twice|times|already)\b"
    r"|\b(?:you|your (?:\w+ )?team|the (?:\w+ )?team|they) (?:already )?(?:have|has) (?:all )?"
    r"(?:my|the) (?:details|reference|info|number|documents|screenshots)\b"
    r"|\bsent over (?:my|the|all)\b"
    # "I did DM you", "details sent via DM", "pls check dm", "I've written to you twice",
    # "spoke to someone on the phone on Monday", "I've been emailing for a week", "submitted a
    # complaint online", "your agent Sarah has all my info", "already did that", "message
    # sent!", "I've sent you 3 DMs", "spent an hour on the phone to you"
    r"|\bi did (?:dm|pm|message|email|e-mail|call|ring|phone|contact|write to)\b"
    r"|\bsent (?:via|by|in|over|through) (?:a |the |your )?(?:dms?|pms?|direct message|"
    r"private message|email|e-mail|chat|the app|post)\b"
    r"|\b(?:pls|please|plz|can you|could you|kindly) (?:check|see|read|look at) (?:your |ur |the )?"
    r"(?:dms?|inbox|messages|pms?|emails?)\b"
    r"|\bi(?:'ve| have) (?:already )?written to (?:you|your|them)\b"
    r"|(?:\b(?:i|we)(?:'ve| have)? (?:already )?|(?:^|[.!?]\s+|@\S+\s+)(?:already )?)"
    r"(?:spoken|spoke|talked) to (?:your|you|someone|the|a|an|two|"
    r"three|four|\d+) ?(?:\w+ )?(?:team|agent|adviser|advisor|person|people|staff|colleague|"
    r"branch|manager|on the phone|in branch|guys)\b"
    r"|\bi(?:'ve| have) been (?:e-mailing|dming|chasing)\b"
    r"|\b(?:submitted|put in|lodged|raised|filed|made|opened) (?:a |an |my )?(?:formal |official )?"
    r"(?:complaint|dispute|chargeback|ticket|claim|support request)\b"
    r"|\bsent (?:an? )?(?:email|e-mail|letter|complaint)\b"
    r"|\bhas (?:all )?(?:my|the) (?:info|details|information|reference|documents|screenshots)\b"
    r"|\balready did (?:that|this|it)\b|\bdone that already\b|\bi(?:'ve| have) done (?:all )?that\b"
    r"|\b(?:given|gave|told|explained) (?:all )?(?:this|it|that|everything) to (?:your|the|a|an)\b"
    r"|\bi already told (?:the|your|you)\b"
    r"|(?:^|[.!?,]\s*|@\S+\s+)(?:dm |my )?(?:message|details|info|email|form)s? (?:sent|submitted|"
    r"done)\b|^\W*(?:@\S+\s+)*(?:done\W*)?(?:dm |message |details |info )?sent\W*$"
    r"|\bjust sent (?:it|them|those|these)\b"
    r"|\bi(?:'ve| have)? (?:just )?sent (?:it|them|those|these|that)\b"
    r"(?! to (?:the wrong|a wrong|my|his|her|their|a friend)\b)"
    r"|\bsent (?:you |u )?(?:\d+|two|three|four|five|several|multiple) (?:dms|messages|emails)\b"
    r"|\bspent (?:an hour|hours|ages|\d+ (?:minutes|mins|hours)) on the phone\b"
    r"|\bhab(?:e)? (?:euch|ihnen|dir) (?:schon |bereits )?(?:eine )?(?:dm|nachricht|mail|e-mail) "
    r"geschickt\b"
    # in person, on paper, on the phone: "went into the Polokwane branch", "opened the fraud case",
    # "filled in the fraud affidavit", "been cut off three times when they transfer me",
    # "complaint lodged with the ombud"; and called or emailed already in French, Spanish,
    # German, Portuguese and Polish
    r"|\b(?:went|go|been|popped) (?:in)?to (?:the|a|your|my) (?:\w+ )?branch\b"
    r"|\b(?:visited|at) (?:the|a|your|my) (?:\w+ )?branch (?:yesterday|today|last|this|on "
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|on (?:the )?\d)"
    r"|\bopened (?:a|the) (?:\w+ )?(?:case|claim|dispute|ticket)\b"
    r"|\b(?:filled|signed|sent|submitted) (?:in |out )?(?:the|your|an?|my) (?:\w+ )?"
    r"(?:affidavit|declaration|claim form|dispute form)\b"
    r"|\b(?:been |got |keep getting )?(?:cut off|transferred|put on hold) (?:\w+ ){0,3}"
    r"(?:twice|three times|\d+ times|times now)\b|\bwhen they transfer(?:red)? me\b"
    r"|\bcomplaint (?:\w+ ){0,5}(?:lodged|logged|filed|submitted)\b"
    r"|\b(?:j'ai )?(?:déjà )?(?:appelé|téléphoné)\b|\benvoyé un (?:mail|e-mail|courriel)\b"
    r"|\b(?:ya )?(?:llamé|he llamado)\b|\benvi[ée] un (?:correo|email|e-mail)\b"
    r"|\b(?:habe|hab) (?:schon |bereits )?(?:\w+ )?angerufen\b"
    r"|\b(?:já )?liguei\b|\b(?:mandei|enviei) um (?:e-?mail|email)\b"
    r"|\bdzwoni(?:łem|łam)\b|\bwysła(?:łem|łam) (?:maila|e-?mail)\b"
    # "as I said to your colleague on the phone", "given the death certificate at the branch
    # twice", "posted my signed loan docs back", "sent a form on your website", "been sent the
    # same form three times", "tentei pelo chat do app"
    r"|\bas i (?:said|told|explained|mentioned)\b"
    # "the agent I spoke to at 5pm", "had to call from the table", "3 calls today", "still
    # waiting for the callback from the fraud line", "j'attends toujours le rappel"
    r"|\bon the phone (?:to|with|from|now)\b|\bhad a call from\b"
    r"|\b(?:agent|advis[oe]r|rep|representative|person|lady|guy|man|woman|bloke) (?:i|we) "
    r"(?:spoke|talked) (?:to|with)\b|\bhad to (?:call|ring|phone)\b"
    r"|\b(?:\d+|two|three|four|five) calls (?:today|this week|so far|now|and)\b"
    r"|\b(?:attends?|waiting (?:for|on)|wait for|warte auf|esperando|aguardando|czekam na)\b"
    r"[^.!?\n]{0,30}\b(?:rappel|call ?back|callback|rückruf|llamada|retorno|ligação|telefon)\b"
    r"|\b(?:given|gave|handed|shown|showed|brought|taken|took) (?:\w+ ){0,4}(?:in|at|to|into) "
    r"(?:the|your) (?:\w+ )?branch\b"
    r"|\bposted (?:my|the|our|his|her) (?:\w+ ){0,3}(?:docs|documents|forms?|paperwork|letter|"
    r"certificate|cheque)\b"
    r"|\bsent (?:a|the|my|your) (?:\w+ )?form\b|\bbeen sent the same (?:\w+ )?(?:form|letter)\b"
    r"|\b(?:pelo|no|por el|por|par le|im|przez) chat\b"
    # "I've sent the death certificate twice", "I was told in branch on Saturday", "told you three
    # times already by phone", "spoke to someone on chat", "your colleague Dave told me on
    # Friday", "you fixed it last month"
    r"|\b(?:sent|posted|emailed|uploaded|given|gave|brought) (?:the|my|his|her|our|their) "
    r"(?:\w+ ){0,2}(?:certificate|documents?|paperwork|forms?|id|proof|statements?|letter|details) "
    r"(?:twice|again|already|\d+ times|three times|four times)\b"
    r"|\b(?:asked|told|said|rang|called|explained|spoke|spoken|been told|was told|were told)\b"
    r"[^.!?\n]{0,40}\b(?:in (?:the )?branch|on the phone|by phone|over the phone|by letter|"
    r"by email|on chat|via chat|in person)\b"
    r"|\byour (?:colleague|agent|advis[oe]r|staff member|team member|rep)\b(?: \w+)? (?:told|said|"
    r"promised|assured)\b|\byou (?:fixed|sorted) it\b"
    # the same in Spanish, French, German, Portuguese and Polish: "os escribí por privado",
    # "os he enviado un mensaje", "déjà envoyé en MP", "habe euch schon geschrieben", "te chamei
    # no direct", "napisałem do was", "pisałam na priv"
    r"|\b(?:os|les|te) (?:he |hemos )?(?:escrib[ií](?:mos)?|escrito|enviad[oa]|envi[ée]|"
    r"enviamos|mand[ée]|mandamos|mandado)\b"
    r"|\b(?:j'ai |nous avons )?(?:déjà )?(?:envoy[ée]\w*|écrit)\b[^.!?\n]{0,20}\b(?:en mp|en dm|"
    r"par mp|par message|au service|à votre|au support|en privé)\b"
    r"|\b(?:habe|haben) (?:euch|ihnen|dir|dem \w+) (?:schon |bereits )?(?:\w+ ){0,3}"
    r"(?:geschrieben|geschickt|gemailt)\b|\b(?:habe|haben) (?:schon |bereits )?(?:eine )?"
    r"(?:mail|e-mail|nachricht|dm) (?:geschrieben|geschickt)\b"
    r"|\b(?:te |vos )?chamei no (?:direct|privado|dm|chat)\b|\bno privado\b"
    r"|\b(?:na|przez) priv\b|\bnapisa(?:łem|łam|liśmy) (?:do was|wam|na)\b"
    r"|\bwysła(?:łem|łam|liśmy)\b"
    # "after we sent you the death certificate", "the letter I mailed you in September", "had
    # a callback booked", "sent the chat", "left 2 voicemails", "waiting on my dispute",
    # "reported it at the desk", "the gate agent said", "submitted it 4 times", "sent it 10 min
    # ago", "mensaje enviado", "ho già scritto", "nessuno risponde alle email"
    r"|\b(?:we|i)(?:'ve| have)? (?:already )?sent (?:you|u) (?:the|my|his|her|our|their|a|an|all) "
    r"(?:\w+ ){0,3}(?:certificate|documents?|paperwork|forms?|proof|statements?|letters?|details|"
    r"screenshots?|photos?|pictures?|receipts?|evidence|reference|number|probate|id|passport|"
    r"payslips?|bank statements?)\b"
    r"|\b(?:letter|form|documents?|cheque|email|e-mail|paperwork)s? (?:that )?(?:i|we) "
    r"(?:mailed|posted|sent|emailed|faxed|gave|handed) (?:to )?(?:you|u|your)\b"
    r"|\b(?:call ?back|appointment) (?:was |is )?(?:booked|scheduled|arranged|promised)\b"
    r"|\b(?:booked|requested|was promised|were promised) (?:a |my )?call ?back\b"
    r"|\bsent (?:the|a|my) (?:chat|message|msg|email|e-mail|dm|form|complaint)\b"
    r"|\bleft (?:\d+|a|two|three|several|multiple) (?:voice ?mails?|messages)\b"
    r"|\b(?:waiting (?:on|for)|chasing|update on|status of) my (?:dispute|claim|ticket|case|"
    r"chargeback|complaint|refund request|report)\b"
    r"|\b(?:dispute|claim|ticket|case|complaint) (?:is|was|has been) (?:still )?(?:open|opened|"
    r"under review|pending|in review|logged)\b"
    r"|\breported (?:it |this |them )?(?:at|to) (?:the|your|a) (?:\w+ )?(?:desk|counter|branch|"
    r"gate|staff|agent|crew|team)\b"
    r"|\b(?:the |your )?(?:desk|gate agent|agent|rep|teller|branch|staff|cashier|crew) "
    r"(?:said|told (?:me|us)|promised)\b"
    r"|\b(?:submitted|filed|filled in|sent in|resubmitted) (?:it|them|the \w+|my \w+) (?:twice|"
    r"again|\d+ times|three times|four times|already)\b"
    r"|\b(?:just |already )?sent (?:it|them|that|those|these)\b"
    r"(?! (?:to (?:the wrong|a wrong|my|his|her|their|a friend)|back|off to)\b)"
    r"|^\W*(?:@\S+\s+)*(?:dm |message |details |info |all |both )?sent\s*[.!:]"
    # "screenshot sent privately", "the shop said", "still nothing on my complaint", "every
    # phone call gives me a new date", "'your complaint has been escalated'"
    r"|\bsent (?:privately|in private|by dm|over dm|via dm|in a dm)\b"
    r"|\b(?:the |your )?(?:shop|store|engineer|advis[oe]r|technician|installer) (?:said|told "
    r"(?:me|us)|promised)\b"
    r"|\b(?:still nothing|no update|no reply|no answer|no response|heard nothing|nothing back) "
    r"(?:on|about|to|from) my (?:complaint|ticket|case|claim|dispute|query|email|message|dm)\b"
    r"|\bevery (?:phone )?call\b|\bcomplaint (?:has been |was |is )?escalated\b"
    r"|\b(?:put|got) (?:a|my|the) (?:complaint|claim|dispute) in\b|\b(?:they've|they have|"
    r"you've|you have|they|you) (?:given|gave) me (?:a|the) (?:reference|ref|case number|"
    r"ticket|complaint number)\b|\bjá enviei\b|\bya (?:envié|mandé)\b|\bdéjà envoyé\b"
    r"|\bmensaje enviado\b|\bmensagem enviada\b|\bmessage envoyé\b|"
    r"\bnachricht (?:ist )?(?:gesendet|geschickt)\b|\bwiadomość wysłana\b"
    r"|\bho (?:già )?(?:scritto|chiamato|telefonato|inviato|mandato)\b|\bnessuno risponde\b"
    r"|\brisponde alle (?:mie )?e-?mail\b"
    # "we were at the Kingston branch for two hours, they filed the fraud claim", "j'ai parlé à
    # quelqu'un à l'antifraude, dossier ouvert", "sent my member number in a DM", "gave the chat
    # bot my member number"
    r"|\bat (?:the|a|your) (?:\w+ ){0,2}branch for (?:an hour|\w+ hours?|ages|\d+)"
    r"|\b(?:they|you|the branch|the manager|the agent|your agent|the bank) (?:filed|opened|logged|"
    r"raised|started) (?:the|a|my|our) (?:\w+ )?(?:claim|dispute|case|complaint|ticket|report)\b"
    r"|\bj'ai parlé (?:à|avec)\b|\bdossier (?:ouvert|créé)\b|\bhe hablado con\b|"
    r"\bfalei com\b|\brozmawia(?:łem|łam) z\b|\bich habe mit\b[^.!?\n]{0,30}\bgesprochen\b"
    r"|\bsent (?:\w+ ){1,6}(?:in|via|by|over|through) (?:a |the |your )?(?:dm|pm|direct message|"
    r"private message|message|email|e-mail|chat)\b"
    r"|\bgave (?:the|your) (?:\w+ ){0,2}(?:bot|chatbot|agent|advis[oe]r|rep|specialist|person|"
    r"human|team|teller|manager) (?:all )?(?:my|the|our) (?:\w+ ){0,2}(?:details|number|info|"
    r"reference|documents)\b")


# Words one of which every phrasing of `_DMED` holds: a post with none of them is not looked
# at (the phrasings are many, and most posts say nothing of having reached us).
_DMED_HINTS = (
    "dm", "pm", "messag", "sent", "mail", "call", "rang", "rung", "phon", "wrote", "writ",
    "chat", "form", "inbox", "told", "said", "spoke", "spoken", "talk", "branch", "desk",
    "agent", "rep", "teller", "staff", "crew", "detail", "info", "gave", "given", "submit",
    "filed", "filled", "lodg", "rais", "open", "report", "visit", "post", "upload", "letter",
    "voicemail", "dispute", "claim", "ticket", "case", "complain", "mensa", "nachricht",
    "shop", "store", "engineer", "advis", "technician", "installer", "nothing", "no update",
    "no reply", "no answer", "no response", "put a", "put my", "got a", "given me", "gave me",
    "enviei", "envié", "mandé", "envoyé",
    "wiadomo", "mand", "envi", "envoy", "escrib", "écrit", "appel", "llam", "ligu", "chame",
    "dzwoni", "ring", "tumawag", "tawag", "nag-file", "czac", "asking", "attente", "espera",
    "warteschleife", "on hold", "follow",
    "written", "calling",
    "wysła", "napisa", "priv", "geschickt", "geschrieben", "angerufen", "gemailt", "scritto",
    "chiamato", "telefon", "inviato", "rispond", "parlé", "dossier", "hablado", "falei",
    "rozmawia", "gesprochen", "as i ", "already", "done", "did ", "per ", "secure", "affidavit",
    "declaration", "transfer", "hold", "cut off", "explain", "pinged", "dropped", "shot",
    "fired", "popped", "slid", "contact", "in touch", "have my", "has my", "has all", "have all",
    "sent over", "asked", "colleague", "fixed it", "sorted it", "went", "been", "at the",
    "booked", "promised", "left", "waiting", "chasing", "update", "status", "they ", "the bank",
    "the manager", "you ", "resubmit", "unterlagen", "brought", "taken", "took", "shown",
    "showed", "handed", "attend", "warte", "aguard", "czekam", "say", "bot", "assistant")


def already_dmed(text: str) -> bool:
    """Whether the author says they already sent us a direct message or their details."""
    lower = text.lower()
    if not any(hint in lower for hint in _DMED_HINTS):
        return False
    return _DMED.search(text.replace("’", "'")) is not None
