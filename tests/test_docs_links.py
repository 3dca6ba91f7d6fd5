"""The README and docs/ hold together: every relative link reaches a file that exists, every
`#anchor` a heading that exists, and docs/configuration.md names every config section."""

from __future__ import annotations

import re
from pathlib import Path

from monitor.settings import Settings
from tests.helpers import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\]\n]|\](?=[^(]))*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The text outside code blocks and inline code, where links are links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(path: Path) -> list[str]:
    return LINK.findall(_prose(path.read_text()))


def broken(path: Path) -> list[str]:
    problems = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}: ({target})"
        if not dest.exists():
            problems.append(f"{where}: no such file")
        elif ROOT not in dest.parents and dest != ROOT:
            problems.append(f"{where}: outside the repository")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{where}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    return problems


def test_the_checker_sees_links_and_anchors() -> None:
    assert slug("Start, watchdog, reload, stop (systemd)") == "start-watchdog-reload-stop-systemd"
    assert slug("Poison items: the quarantine") == "poison-items-the-quarantine"
    assert slug("`make test` and `.ci/run`") == "make-test-and-cirun"
    assert LINK.findall("see [a](b.md#c), ![img](img/x.png) and `[not](code.md)`") == [
        "b.md#c", "img/x.png", "code.md"]
    assert _prose("`[not](code.md)`\n```\n[nor](block.md)\n```\n[yes](y.md)").strip() == (
        "[yes](y.md)")
    readme = ROOT / "README.md"
    assert len(links(readme)) >= 10, "the README's links went missing: is LINK still right?"


def test_every_relative_link_in_the_readme_and_docs_resolves() -> None:
    problems = [p for page in PAGES for p in broken(page)]
    assert not problems, "\n".join(problems)


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    readme = ROOT / "README.md"
    linked = {(readme.parent / t.partition("#")[0]).resolve() for t in links(readme)}
    reached, todo = set(), [p for p in linked if p.suffix == ".md"]
    while todo:
        page = todo.pop()
        if page in reached or not page.exists():
            continue
        reached.add(page)
        todo += [(page.parent / t.partition("#")[0]).resolve() for t in links(page)
                 if not re.match(r"^[a-z]+:", t) and t.partition("#")[0].endswith(".md")]
    orphans = sorted(str(p.relative_to(ROOT)) for p in PAGES[1:] if p.resolve() not in reached)
    assert not orphans, f"no link leads to {orphans}"


def test_configuration_page_names_every_config_section() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    sections = {"sources": "`[[sources]]`", "intents": "`[intents.", "escalation": "`[escalation."}
    missing = [name for name in Settings.model_fields
               if sections.get(name, f"`[{name}]`") not in text]
    assert not missing, f"docs/configuration.md does not describe {missing}"


def test_the_readme_stays_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move detail into docs/"
    text = "\n".join(lines)
    for gone in ("DESIGN.md", "issue "):
        assert gone not in text, f"README.md speaks of {gone!r}, which a user never saw"
