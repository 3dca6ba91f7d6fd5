"""The brand voice: templates render in a sandbox, rules flag drafts instead of trimming them."""

from __future__ import annotations

import pytest

from monitor.models import Author
from responders.reply_length import find_links, reply_length, weighted_length
from responders.voice import DEFAULT_TEMPLATES, Voice

DANA = Author(platform="x", native_id="dana", handle="dana", display_name="Dana Kowalski")


def test_default_templates_fit_every_platform_limit() -> None:
    voice = Voice(brand="Brightwave", sign_off="^Sam")
    for intent in DEFAULT_TEMPLATES["friendly"]:
        for platform in ("x", "bluesky", "mastodon", "reddit"):
            author = Author(platform=platform, native_id="a", handle="averyverylonghandle1234")
            rendered = voice.render(voice.template_for(intent), author=author,
                                    platform=platform, case_id=7, team="care")
            assert rendered.flags == (), (intent, platform, rendered)
            assert rendered.text.endswith("^Sam")


def test_greets_by_first_name_and_mentions_on_mastodon() -> None:
    voice = Voice(brand="Brightwave")
    text = voice.render("billing", author=DANA, platform="x", case_id=1, team=None).text
    assert text.startswith("Hi Dana,")
    toot = Author(platform="mastodon", native_id="1", handle="dana@mastodon.social")
    text = voice.render("outage", author=toot, platform="mastodon", case_id=1, team=None).text
    assert text.startswith("@dana@mastodon.social Hi dana,")


def test_a_too_long_draft_is_flagged_not_trimmed() -> None:
    long_template = "Hi {{ name }}, " + "we are very sorry. " * 20
    voice = Voice(brand="B", templates={"outage": long_template})
    rendered = voice.render("outage", author=DANA, platform="x", case_id=1, team=None)
    assert len(rendered.text) > 280
    assert rendered.text.endswith("we are very sorry.")
    assert rendered.flags == (f"too_long: {len(rendered.text)} characters, x allows 280",)
    on_reddit = voice.render("outage", author=DANA, platform="reddit", case_id=1, team=None)
    assert on_reddit.flags == ()


def test_banned_phrases_are_flagged_case_insensitively() -> None:
    voice = Voice(brand="B", banned_phrases=("calm down",),
                  templates={"billing": "Please CALM DOWN, {{ name }}."})
    rendered = voice.render("billing", author=DANA, platform="x", case_id=1, team=None)
    assert rendered.flags == ("banned_phrase: 'calm down'",)
    assert voice.check("We'll calmly look into it", "x") == ()


@pytest.mark.parametrize("template", [
    "{{ name.__class__.__mro__ }}",
    "{{ ''.__class__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
])
def test_templates_cannot_reach_python_internals(template: str) -> None:
    voice = Voice(brand="B", templates={"billing": template})
    rendered = voice.render("billing", author=DANA, platform="x", case_id=1, team=None)
    assert "class" not in rendered.text and "<" not in rendered.text
    assert rendered.flags and rendered.flags[0].startswith(("template_error", "empty"))


def test_a_template_that_fails_for_one_post_flags_its_draft_and_stops_nothing() -> None:
    # fine for the sample values check-config tries; too long for a customer who posted 4 times
    voice = Voice(brand="B", templates={"billing": "{{ 'x' * (contacts * 3000) }}"})
    rendered = voice.render("billing", author=DANA, platform="x", case_id=1, team=None,
                            facts={"contacts": 4})
    assert rendered.text == ""
    assert rendered.flags[0].startswith("template_error: SecurityError")


def test_formal_tone_changes_the_defaults() -> None:
    voice = Voice(brand="B", tone="formal")
    text = voice.render("billing", author=DANA, platform="x", case_id=1, team=None).text
    assert text.startswith("Hello Dana, we apologise")


# --- X's weighted length (twitter-text v3)

# twitter-text's conformance cases (conformance/validate.yml, WeightedTweetsWithDiscountedEmoji-
# CounterTest and UnicodeDirectionalMarkerCounterTest), their long texts built as they are written
_CJK_POEM = ("故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"
             "朱雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。"
             "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
             "泪湿罗巾梦不成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。"
             "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。")
_KANA = "あいうえおかきくけこ"
_LONG_HOST = "somesuperlongurl" * 300
_LONG_URLS = ("Long url with invalid domain labels and a short url: "
              f"https://{_LONG_HOST}.com/foo https://{_LONG_HOST}.com/foo https://validurl.com")
CONFORMANCE = [
    ("Regular Tweet with url", "Hi http://test.co", 26),
    ("Just url", "http://test.co", 23),
    ("Long tweet, overflow at char index 280", "285 chars-" + "xxxxxxxxxx-" * 25, 285),
    ("Long tweet with url in the middle",
     "285 chars- http://www.twitter.com/jack " + "xxxxxxxxxx-" * 24, 299),
    ("Long tweet with url at the end", "xxxxxxxxxx-" * 24 + " http://www.twitter.com/jack ", 289),
    ("10 url string, no overflow", "https://www.twitter.com/aloha " * 10, 240),
    ("160 CJK char", _CJK_POEM, 320),
    ("160 emoji char", "\U0001f637" * 160, 320),
    ("3 latin char + 160 CJK char", "the" + _CJK_POEM, 323),
    ("'Á' is normalized into 1 char", "A\u0301B", 2),
    ("שּׁ is normalized into 3 chars", "A\u05e9\u05bc\u05c1", 4),
    ("a mix of single and double word characters", "H\U0001f431\u263a\U0001f468\u200d\U0001f469"
     "\u200d\U0001f467\u200d\U0001f466", 7),
    ("emoji chars inside the basic multilingual plane",
     "\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9", 10),
    ("emoji with skin tone modifiers", "\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4", 4),
    ("general punctuation, no ZWJ/ZWNJ", "This is a tweet with general punctuation characters: "
     "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b "
     "‐ ‑ ‒ – — ― ‖  ‗ ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‴ ‵ ‶ ‷", 110),
    # a label over 63 characters is no domain: only the last link counts 23
    ("long url with invalid domain labels and a short url", _LONG_URLS, len(_LONG_URLS) - 20 + 23),
    ("a 64 character domain without protocol", "randomurl" * 7 + "s.com", 68),
    ("> 63 punycode characters in the host",
     _KANA * 12 + " http://" + _KANA * 5 + "あいう.com", 358),
    ("< 63 punycode characters in the host", _KANA * 12 + " http://" + _KANA * 5 + "あい.com", 264),
    ("140 family emoji", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * 140, 280),
    ("Unicode 10.0 emoji", "Unicode 10.0 emoji: \U0001f92a; \U0001f9d5; \U0001f9d5\U0001f3fe; "
     "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 34),
    ("Unicode 9.0 emoji", "Unicode 9.0 emoji: \U0001f920; \U0001f483; \U0001f483\U0001f3fe", 29),
    ("invalid characters", "ABC\u202a\uffffABC\ufffe", 12),
    ("directional characters", "\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069", 31),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CONFORMANCE],
                         ids=[c[0] for c in CONFORMANCE])
def test_x_length_is_twitter_texts_weighted_count(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_links_are_found_where_twitter_text_finds_them() -> None:
    # conformance/extract.yml: links without protocol among CJK text, t.co slugs, bare domains
    text = ("twitter.comこれは日本語です。example.com中国語t.co/abcde한국twitter.com "
            "example2.comテストtwitter.com/abcde")
    assert [text[link.start:link.end] for link in find_links(text)] == [
        "twitter.com", "example.com", "t.co/abcde", "twitter.com", "example2.com",
        "twitter.com/abcde"]
    tco = "http://t.co/8MkmHU0k+c http://t.co/TKLp64dY.x http://t.co/FNkPfmii-"
    assert [tco[link.start:link.end] for link in find_links(tco)] == [
        "http://t.co/8MkmHU0k", "http://t.co/TKLp64dY", "http://t.co/FNkPfmii"]
    bare = "foo.co.jp www.foo.co.uk foo.jp bit.ly/abcde t.co care@acme.com #acme.com"
    assert [bare[link.start:link.end] for link in find_links(bare)] == [
        "foo.co.jp", "www.foo.co.uk", "bit.ly/abcde", "t.co"]
    assert weighted_length("(https://acme.example.com/help).") == 1 + 23 + 2


def test_an_unknown_top_level_domain_is_never_counted_shorter_than_x_counts_it() -> None:
    # twitter-text knows every TLD; a word.word we cannot place counts as the longer reading
    assert weighted_length("see acme.qwerty") == 4 + 23
    assert weighted_length("https://acme.qwerty/" + "a" * 40) == len("https://acme.qwerty/") + 40
    assert weighted_length("version 2.0 of node.js") == 22  # no link at all


def test_x_counting_survives_hostile_text() -> None:
    assert weighted_length("a." * 200_000) == 400_000  # linear, unlike twitter-text's patterns
    assert weighted_length("http://" + "a." * 100_000) == 200_007
    assert weighted_length("sorry \ud800 lone surrogate") == 21 + 2


def test_a_japanese_reply_over_x_limit_is_flagged_though_it_has_150_characters() -> None:
    voice = Voice(brand="B")
    reply = ("ご不便をおかけして申し訳ございません。" * 8)[:150]
    assert len(reply) == 150 and reply_length(reply, "x") == 300
    assert voice.check(reply, "x") == ("too_long: 300 characters, x allows 280",)
    assert voice.check(reply, "mastodon") == ()  # Mastodon counts characters
    assert voice.check(reply[:140], "x") == ()


def test_a_long_link_counts_23_on_x() -> None:
    link = "https://status.brightwave.example.com/incidents/" + "a" * 300
    reply = f"Hi Dana, we're on it: {link} ^Sam"
    assert len(reply) > 280 and reply_length(reply, "x") == len("Hi Dana, we're on it:  ^Sam") + 23
    assert Voice(brand="B").check(reply, "x") == ()
