"""The benchmark figures in the docs are the ones `bench/results.json` holds (`make bench`
writes the file; `python -m bench.run --markdown` prints the table to paste into
docs/performance.md), and the README quotes none that could go stale."""

from __future__ import annotations

import json
import re
from typing import Any

from bench.run import GROUPS, RESULTS, markdown
from tests.helpers import ROOT

PERFORMANCE = ROOT / "docs" / "performance.md"
# A figure quoted in prose: `name` = 1,234.5
QUOTED = re.compile(r"`([a-z0-9_]+)` = ([0-9][0-9,]*(?:\.[0-9]+)?)")


def _results() -> dict[str, Any]:
    return json.loads(RESULTS.read_text())


def _docs() -> dict[str, str]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return {str(p.relative_to(ROOT)): p.read_text() for p in pages}


def test_performance_table_matches_the_latest_results() -> None:
    results = _results()
    table = markdown(results)
    assert table in PERFORMANCE.read_text(), (
        "docs/performance.md's table is stale: paste `python -m bench.run --markdown`")
    wanted = {name for _, names in GROUPS.values() for name in names}
    assert wanted <= set(results["figures"]), sorted(wanted - set(results["figures"]))


def test_figures_quoted_in_the_docs_match_the_latest_results() -> None:
    figures = _results()["figures"]
    quoted, wrong = 0, []
    for page, text in _docs().items():
        for name, value in QUOTED.findall(text):
            if name not in figures:
                continue
            quoted += 1
            median = figures[name]["median"]
            if float(value.replace(",", "")) != median:
                wrong.append(f"{page}: `{name}` = {value}, results.json has {median}")
    assert not wrong, wrong
    assert quoted >= 10, "docs/performance.md should quote its main figures as `name` = value"


def test_readme_quotes_no_benchmark_figure() -> None:
    """The front page links to docs/performance.md rather than copying figures that go stale."""
    text = (ROOT / "README.md").read_text()
    named = sorted(name for name in _results()["figures"] if f"`{name}`" in text)
    assert not named, f"README quotes {named}: quote them in docs/performance.md"
    assert "docs/performance.md" in text


def test_performance_names_the_machine_the_figures_came_from() -> None:
    machine = _results()["machine"]
    text = PERFORMANCE.read_text()
    assert f"{machine['cpus']} cores" in text
    assert str(machine["cpu_model"]) in text
    assert f"Python {machine['python']}" in text
