"""How fast the Jetstream source picks the brand's posts out of the whole Bluesky firehose.

A synthetic firehose in the shape Jetstream sends (one JSON text message per event: `did`,
`time_us`, `kind`, and for commits `commit` with `rev`, `operation`, `collection`, `rkey`,
`record`, `cid`), mostly posts that have nothing to do with the brand, in many languages,
with replies, facets and embeds as real posts have them, and some identity, account and
delete events. One in a thousand posts names the brand. Each message goes through what the
source does with it (`FirehoseFilter.post_event`, then `event_mention` for the matches), in
one process on one core; VADER alone scores the same posts' texts for comparison.
"""

from __future__ import annotations

import json
import random
import time

from bench.corpus import posts

BRAND = {"name": "Brightwave", "keywords": ["brightwave"], "hashtags": ["brightwavedown"],
         "handles": {"bluesky": ["brightwave.bsky.social"]}, "exclude": ["brightwave festival"]}
BRAND_SHARE = 1_000  # one post in this many names the brand
TEXTS = 50_000  # distinct ordinary texts the posts are drawn from

WORDS = (
    "the a to and of in is it you that for on my this with be just so have are was not but "
    "all what like me at your can do get one out about now up if time they today good know "
    "day people new love think really see going more how would been make because back still "
    "right year work first want need never go much over great feel life morning coffee cat "
    "dog book music game art news show film night weekend rain sun city train bus lunch "
    "dinner friend family home week thread post reply bluesky feed photo video link update "
    "que de la el en y los se del las un por con una para es lo como mais pas le les des est "
    "und die der das ist nicht ich mit sie auf für den von zu ein eine auch noch "
    "😂 ❤️ 🙏 ✨ 🔥 👀 🎉 🥲 の に は を た が で て と し れ さ ある いる も する"
).split()
LANGS = (["en"], ["en"], ["en"], ["ja"], ["pt"], ["es"], ["de"], ["fr"], [], ["en", "es"])


def _did(rng: random.Random) -> str:
    return "did:plc:" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(24))


def _rkey(n: int) -> str:
    return "3l" + format(n, "011x")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


CID = "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"
FACETS = _json([{"features": [{"$type": "app.bsky.richtext.facet#link",
                               "uri": "https://example.com/a/long/path"}],
                 "index": {"byteEnd": 20, "byteStart": 0}}])
EMBED = _json({"$type": "app.bsky.embed.images", "images": [{
    "alt": "", "aspectRatio": {"height": 1080, "width": 1920},
    "image": {"$type": "blob", "ref": {"$link": "bafkreiab" + "c" * 51},
              "mimeType": "image/jpeg", "size": 412_345}}]})


def firehose(n: int, *, seed: int = 11) -> tuple[list[str], list[str]]:
    """`n` post events (and, between them, identity, account and delete events: about one
    message in twenty more), as the raw JSON messages and the posts' texts. Messages are
    put together from pieces serialised once (a million json.dumps calls would take longer
    than the measurement)."""
    rng = random.Random(seed)
    brand_posts = posts(max(1, n // BRAND_SHARE), seed=seed)
    ordinary = [" ".join(rng.choices(WORDS, k=rng.randint(3, 40))) for _ in range(TEXTS)]
    encoded = {text: _json(text) for text in [*ordinary, *brand_posts]}
    langs = [_json(choice) for choice in LANGS]
    dids = [_did(rng) for _ in range(5_000)]
    messages: list[str] = []
    texts: list[str] = []
    time_us = 1_767_225_600_000_000
    for i in range(n):
        time_us += rng.randint(1, 40_000)
        did = rng.choice(dids)
        if i % BRAND_SHARE == BRAND_SHARE // 2:
            text = brand_posts[(i // BRAND_SHARE) % len(brand_posts)]
        else:
            text = ordinary[rng.randrange(TEXTS)]
        texts.append(text)
        extras = []
        if rng.random() < 0.4:
            ref = (f'{{"cid":"{CID}","uri":"at://{rng.choice(dids)}/app.bsky.feed.post/'
                   f'{_rkey(rng.randrange(n))}"}}')
            extras.append(f',"reply":{{"parent":{ref},"root":{ref}}}')
        if rng.random() < 0.15:
            extras.append(f',"facets":{FACETS}')
        if rng.random() < 0.2:
            extras.append(f',"embed":{EMBED}')
        messages.append(
            f'{{"did":"{did}","time_us":{time_us},"kind":"commit","commit":{{"rev":'
            f'"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.post","rkey":'
            f'"{_rkey(i)}","record":{{"$type":"app.bsky.feed.post","createdAt":'
            f'"2026-01-01T00:00:00.000Z","langs":{rng.choice(langs)},"text":{encoded[text]}'
            f'{"".join(extras)}}},"cid":"{CID}"}}}}')
        extra = rng.random()
        if extra < 0.03:
            messages.append(
                f'{{"did":"{did}","time_us":{time_us + 1},"kind":"commit","commit":{{"rev":'
                f'"3l3qo2vutsw2c","operation":"delete","collection":"app.bsky.feed.post",'
                f'"rkey":"{_rkey(rng.randrange(n))}"}}}}')
        elif extra < 0.04:
            messages.append(
                f'{{"did":"{did}","time_us":{time_us + 1},"kind":"identity","identity":{{'
                f'"did":"{did}","handle":"someone.bsky.social","seq":{i},'
                f'"time":"2026-01-01T00:00:00Z"}}}}')
        elif extra < 0.05:
            messages.append(
                f'{{"did":"{did}","time_us":{time_us + 1},"kind":"account","account":{{'
                f'"active":true,"did":"{did}","seq":{i},"time":"2026-01-01T00:00:00Z"}}}}')
    return messages, texts


def scan(messages: list[str], posts: int) -> tuple[float, int]:
    """Posts scanned per second by the source's matching (the other events between them are
    scanned too, in the same time), and how many matched."""
    from monitor.platforms.jetstream import FirehoseFilter, event_mention
    from monitor.settings import Brand

    firehose_filter = FirehoseFilter(Brand.model_validate(BRAND))
    start = time.perf_counter()
    matched = 0
    for raw in messages:
        event = firehose_filter.post_event(raw)
        if event is not None:
            event_mention(event, None)
            matched += 1
    return posts / (time.perf_counter() - start), matched


def vader_posts_per_s(texts: list[str]) -> float:
    """VADER alone on the same posts' texts, in this process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    for text in texts:
        vader.polarity_scores(text)
    return len(texts) / (time.perf_counter() - start)
