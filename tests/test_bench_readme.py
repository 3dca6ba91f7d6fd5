"""The README's performance table is the one `bench/results.json` gives (`make bench` writes
the file; `python -m bench.run --markdown` prints the table to paste)."""

from __future__ import annotations

import json

from bench.run import GROUPS, RESULTS, markdown
from tests.helpers import ROOT


def test_readme_table_matches_the_latest_results() -> None:
    results = json.loads(RESULTS.read_text())
    table = markdown(results)
    assert table in (ROOT / "README.md").read_text(), (
        "README's performance table is stale: paste `python -m bench.run --markdown`")
    wanted = {name for _, names in GROUPS.values() for name in names}
    assert wanted <= set(results["figures"]), sorted(wanted - set(results["figures"]))
