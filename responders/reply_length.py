"""How long a reply is on the platform it goes to: X's weighted count, characters elsewhere.

X counts a post as twitter-text v3 does (`twitter-text/config/v3.json`), and its API refuses
a post over 280 by that count:
- the text is NFC-normalised;
- each code point weighs 1 in the ranges of `LIGHT` (Latin, Greek, Cyrillic, Hebrew, Arabic,
  Indic scripts, general punctuation) and 2 anywhere else (CJK, Hangul, most symbols and
  emoji, everything outside the Basic Multilingual Plane);
- an emoji sequence (a skin tone, a ZWJ family, a flag, a keycap, a tag flag) weighs 2 in all;
- every link, with or without http(s)://, weighs 23 however long it is.

Links are found by twitter-text's rules (the domain must end in a known top-level domain; a
bare `name.cc` counts only with a path or a subdomain; a link is not preceded by a letter,
digit, `@`, `$` or `#`), in linear time: twitter-text's own expressions take seconds on a
long dotted string. twitter-text knows every top-level domain; this module knows the common
ones and every two-letter one, and counts a link whose top-level domain it does not know as
the longer of a link and its own text, so that an unknown one is never counted shorter than
X counts it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

X_URL_WEIGHT = 23
# config v3: weight 1 (100 in its scale of 100) in these ranges, 2 elsewhere
LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
MAX_URL_LENGTH = 4096
MAX_LABEL = 63

# Common generic top-level domains (two-letter country codes are all accepted).
KNOWN_TLDS = frozenset("""
com net org edu gov mil int info biz name pro mobi asia tel travel jobs aero coop museum cat post
app dev page blog shop store online site website tech xyz club cloud news live life world today
help support email company agency digital network systems solutions services group global center
media studio design art games game link click top vip win work works space fun one new best bio
eco green energy finance money bank insurance legal law lawyer health care doctor dental clinic
hospital pharmacy fitness training academy education school university college courses guide
tips wiki how social chat community forum events tickets tours holiday hotels flights cars auto
car bike taxi delivery express shopping sale deals discount coupons market marketing business
consulting management partners ventures capital fund investments financial credit loans mortgage
tax accountant city town london berlin paris nyc tokyo amsterdam family kids baby pet pets dog
food pizza restaurant cafe coffee beer wine bar photo photos photography pictures video movie
film music radio audio download software computer technology data host hosting domains security
inc llc ltd gmbh srl sarl plus zone team directory reviews review report press tools phone
mobile camera watch fashion style beauty hair shoes jewelry gifts flowers garden house homes
realty estate property properties rent rentals land farm solar ink red blue pink black gold earth
ninja rocks cool""".split())

_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# a domain and what may stand inside it (twitter-text's domain characters, with . - _)
_NOT_IN_DOMAINS = r"!'#%&()*+,/:;<=>?@\[\]^{|}~$\\"
_RUN = re.compile(f"[^{_NOT_IN_DOMAINS}{_INVALID}{_DIRECTIONAL}{_SPACES}]+")
_PROTOCOL = re.compile(r"https?://", re.IGNORECASE)
_LATIN = ("\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
          "\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff")
_ASCII_DOMAIN = re.compile(rf"[-a-zA-Z0-9.{_LATIN}]+")
_TLD = re.compile(r"[0-9a-zA-Z]+|[^\W\d_]+")
_PORT = re.compile(r":[0-9]+")
_TCO_SLUG = re.compile(r"/[a-zA-Z0-9]{1,40}(?![a-zA-Z0-9])")
_PATH_CHARS = re.compile(rf"[a-zA-Z\u0400-\u04ff0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&(){_LATIN}]*")
_PATH_END = re.compile(rf"[+\-a-zA-Z\u0400-\u04ff0-9=_#/{_LATIN})]")
_QUERY_CHARS = re.compile(r"[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*")
_QUERY_END = re.compile(r"[a-zA-Z0-9\-_&=#/]")
_NO_LINK_BEFORE = re.compile(r"[A-Za-z0-9@＠$#＃" + _INVALID + "]")
_NO_BARE_LINK_BEFORE = frozenset("-_./")
# a dot and what a top-level domain (`_TLD`) can start with: without one, a text has no link
_DOT_LABEL = re.compile(r"\.[^\W_]")

# Extended_Pictographic, closely enough: what can start an emoji sequence
_PICTOGRAPHIC = (
    (0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328),
    (0x2388, 0x2388), (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2),
    (0x25AA, 0x25AB), (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x27BF),
    (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55),
    (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x1F000, 0x1FAFF),
)
_P = "".join(f"{chr(first)}-{chr(last)}" for first, last in _PICTOGRAPHIC)
# one emoji, weighing 2 in all: a keycap, a flag, or a pictograph with its variation selector,
# skin tone, keycap mark or tags, and what a zero-width joiner adds to it
_EMOJI = re.compile(f"[0-9#*]\ufe0f?\u20e3|[\U0001f1e6-\U0001f1ff]{{2}}"
                    f"|[{_P}](?:[\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
                    f"|\u200d[{_P}])*")
_HEAVY = re.compile("[^" + "".join(f"{chr(first)}-{chr(last)}" for first, last in LIGHT) + "]")


def _plain_weight(text: str, start: int, end: int) -> int:
    """The weight of text[start:end], which holds no link."""
    chunk = text[start:end]
    if chunk.isascii():
        return len(chunk)
    weight = len(chunk) + len(_HEAVY.findall(chunk))
    for emoji in _EMOJI.finditer(chunk):
        sequence = emoji.group()
        weight += 2 - len(sequence) - len(_HEAVY.findall(sequence))
    return weight


@dataclass(frozen=True, slots=True)
class Link:
    """A link twitter-text would find: where it is, and whether its domain is surely one."""

    start: int
    end: int
    certain: bool = True


def _label_length(label: str) -> int:
    """A domain label's length as an ASCII (punycode) label, or a bound of it on the same
    side of the 63-character limit."""
    if label.isascii() or len(label) > MAX_LABEL:
        return len(label)  # punycode is never shorter than its input
    if len(label) < 8:
        return len(label) + 4  # a few characters cannot reach 63 (punycode: 7 at most each)
    try:
        return 4 + len(label.encode("punycode"))
    except UnicodeError:
        return MAX_LABEL + 1


def _tld(label: str) -> tuple[int, bool] | None:
    """(length, known?) of the top-level domain at the start of a label, else None."""
    match = _TLD.match(label)
    if match is None:
        return None
    token = match.group()
    if label[len(token):].startswith("-") or len(token) < 2:
        return None  # twitter-text wants no letter, digit, @, + or - right after a TLD
    lower = token.lower()
    if lower.startswith("xn--") or (token.isascii() and token.isalpha() and len(token) == 2):
        return len(token), True
    if token.isascii():
        if not token.isalpha():
            return None
        return len(token), lower in KNOWN_TLDS
    return len(token), False  # an internationalised TLD: twitter-text knows some


def _subdomain_label(label: str) -> bool:
    """A label before the domain name: `-` and `_` inside it only."""
    return bool(label) and label[0] not in "-_" and label[-1] not in "-_" and \
        _label_length(label) <= MAX_LABEL


def _name_label(label: str) -> bool:
    """The label before the TLD: `-` inside it only, no `_`."""
    return _subdomain_label(label) and "_" not in label


def _domain(run: str) -> tuple[int, bool] | None:
    """The longest domain at the start of `run` (subdomains, a name, a TLD, as twitter-text's
    validDomain): its length and whether its TLD is a known one. None when there is none."""
    if "." not in run:
        return None
    labels = run.split(".")
    offsets, at = [], 0
    for label in labels:
        offsets.append(at)
        at += len(label) + 1
    subdomains_ok = [True]  # subdomains_ok[k]: labels[:k] are all valid subdomain labels
    for label in labels:
        subdomains_ok.append(subdomains_ok[-1] and _subdomain_label(label))
    for k in range(len(labels) - 1, 0, -1):
        tld = _tld(labels[k])
        if tld is not None and subdomains_ok[k - 1] and _name_label(labels[k - 1]):
            return offsets[k] + tld[0], tld[1]
    return None


def _ascii_domains(text: str, start: int, end: int) -> Iterator[tuple[int, int, bool, bool]]:
    """The ASCII domains inside text[start:end], as twitter-text takes them from a domain
    found without a protocol: (start, end, known TLD?, a bare name.cc?)."""
    for seq in _ASCII_DOMAIN.finditer(text, start, end):
        spans, at = [], seq.start()
        for label in seq.group().split("."):
            spans.append((at, at + len(label), label))
            at += len(label) + 1
        i = 0
        while i < len(spans):
            if not spans[i][2]:
                i += 1
                continue
            last = i
            while last + 1 < len(spans) and spans[last + 1][2]:
                last += 1
            found = None
            for j in range(last, i, -1):
                tld = _tld(spans[j][2])
                if tld is not None and tld[0] == len(spans[j][2]):
                    found = j, tld[1]
                    break
            if found is None:
                i = last + 1
                continue
            j, known = found
            name = text[spans[i][0]:spans[j][1]].lower()
            short = j == i + 1 and len(spans[j][2]) == 2 and name != "t.co"
            yield spans[i][0], spans[j][1], known, short
            i = j + 1


def _path_end(text: str, at: int) -> tuple[int, bool]:
    """Where a URL's port, path and query starting at `at` end, and whether it has a path."""
    port = _PORT.match(text, at)
    end = port.end() if port else at
    has_path = end < len(text) and text[end] == "/"
    if has_path:
        run = _PATH_CHARS.match(text, end + 1)
        stop = run.end() if run else end + 1
        best, depth = end + 1, 0
        for i in range(end + 1, stop):
            ch = text[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    break
                depth -= 1
            if depth == 0 and _PATH_END.match(ch):
                best = i + 1
        end = best
    if end < len(text) and text[end] == "?":
        run = _QUERY_CHARS.match(text, end + 1)
        stop = run.end() if run else end + 1
        ends = [i + 1 for i in range(end + 1, stop) if _QUERY_END.match(text[i])]
        if ends:
            end = ends[-1]
    return end, has_path


def _tco_end(text: str, at: int) -> int:
    """Where a t.co link ends: `/slug` (letters and digits) and a query, nothing else."""
    slug = _TCO_SLUG.match(text, at)
    if slug is None:
        return at
    end = slug.end()
    if end < len(text) and text[end] == "?":
        query, _ = _path_end(text, end)
        end = query
    return end


def find_links(text: str) -> list[Link]:
    """The links X counts as 23 in `text` (already NFC-normalised), in order."""
    if "." not in text:
        return []
    links: list[Link] = []
    covered = 0
    for match in _PROTOCOL.finditer(text):
        if match.start() < covered:
            continue
        if match.start() and _NO_LINK_BEFORE.match(text[match.start() - 1]):
            continue
        host = _RUN.match(text, match.end())
        found = _domain(host.group()) if host else None
        if found is None:
            continue
        host_end = match.end() + found[0]
        if text[match.end():host_end].lower() == "t.co":
            end = _tco_end(text, host_end)  # a t.co link is its slug and nothing after it
        else:
            end, _ = _path_end(text, host_end)
        if end - match.start() > MAX_URL_LENGTH:
            continue
        links.extend(_bare_links(text, covered, match.start()))
        links.append(Link(match.start(), end, certain=found[1]))
        covered = end
    links.extend(_bare_links(text, covered, len(text)))
    return links


def _bare_links(text: str, start: int, end: int) -> list[Link]:
    """Links without http(s):// in text[start:end] (`start`: where the last link ended)."""
    links: list[Link] = []
    position = last_end = start
    while True:
        run = _RUN.search(text, position, end)
        if run is None:
            return links
        first = run.start()
        if first and first == last_end:
            # as twitter-text's expression goes on where its last match ended, the character
            # there can only be what precedes the next link
            first += 1
        before = text[first - 1] if first else ""
        position = run.end()
        if before and (_NO_LINK_BEFORE.match(before) or before in _NO_BARE_LINK_BEFORE):
            continue
        found = _domain(text[first:run.end()])
        if found is None:
            continue
        domain_end = first + found[0]
        stop, has_path = _path_end(text, domain_end)
        stop = min(stop, end)
        inner = list(_ascii_domains(text, first, domain_end))
        for index, (link_start, link_end, known, short) in enumerate(inner):
            if has_path and index == len(inner) - 1:
                links.append(Link(link_start, stop, certain=known))
            elif has_path or not short:
                links.append(Link(link_start, link_end, certain=known))
        position = last_end = max(position, stop)


def weighted_length(text: str) -> int:
    """The length of a post as X counts it (twitter-text v3: see the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    if _DOT_LABEL.search(text) is None:  # every link has a top-level domain after a dot
        return _plain_weight(text, 0, len(text))
    weight, at = 0, 0
    for link in find_links(text):
        weight += _plain_weight(text, at, link.start)
        own = _plain_weight(text, link.start, link.end)
        weight += X_URL_WEIGHT if link.certain else max(X_URL_WEIGHT, own)
        at = link.end
    return weight + _plain_weight(text, at, len(text))


def reply_length(text: str, platform: str) -> int:
    """How long `text` is by the counting of the platform it will be posted on."""
    return weighted_length(text) if platform == "x" else len(text)
