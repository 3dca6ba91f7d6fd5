"""Industry packs: the intents of an industry, as data a person can read and extend.

A pack is a TOML file beside this module (`telecom`, `airline`, `banking`, `retail`,
`software`). Each `[intents.NAME]` has `terms` (see `terms.py` for the syntax), `examples`
(whole posts, matched by shared words), and optionally `team`, `priority` and `template`.
Every pack also has `question`, `praise` and `other`, which the analyzer decides itself. The
brand's `[intents.NAME]` config tables add intents or override a pack's, key by key.
A pack also names its outage intent (whose complaints form incidents), the regulators and
ombudsmen its customers escalate to (legal escalation terms), and the words that show a post
is about being its customer. `monitor/analysis/intents.py` scores posts against a pack.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.models import OTHER, PRAISE, QUESTION, Priority

PACKS_DIR = Path(__file__).parent
PACK_NAMES = ("telecom", "airline", "banking", "retail", "software")
GENERIC_INTENTS = (QUESTION, PRAISE, OTHER)


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """One intent of a pack: how to recognise it, and where its cases go."""

    name: str
    terms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    team: str | None = None
    priority: Priority | None = None
    template: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Pack:
    """An industry's intents and words (see the module docstring)."""

    name: str
    intents: Mapping[str, IntentSpec]
    # the intent whose complaints form outage incidents, if the industry has one
    outage_intent: str | None = None
    # regulators and ombudsmen a customer takes a complaint to: legal escalation terms
    regulators: tuple[str, ...] = ()
    # words that show a post is about being a customer (for posts that only match a keyword)
    customer_terms: tuple[str, ...] = ()
    # intents that are a customer's own problem, never a symptom of an outage ("an unpaid item
    # fee because a direct debit bounced" during an app outage is a fee complaint)
    never_outage: tuple[str, ...] = ()
    # replies that invite a DM remind the customer we never ask for a PIN or codes: where
    # money is at stake, fake help accounts answer the customers who post in public
    code_reminder: bool = False
    description: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Every intent name, the pack's own first, then question, praise and other."""
        return (*self.intents, *(n for n in GENERIC_INTENTS if n not in self.intents))

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> Pack:
        """The pack with the brand's `[intents.NAME]` tables applied (new names are added)."""
        intents = dict(self.intents)
        for name, table in overrides.items():
            base = intents.get(name, IntentSpec(name=name))
            changes: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v)
                                       for k, v in table.items() if v is not None}
            if "priority" in changes:
                changes["priority"] = Priority(changes["priority"])
            intents[name] = replace(base, **changes)
        return replace(self, intents=intents)


def _spec(name: str, table: Mapping[str, Any]) -> IntentSpec:
    return IntentSpec(
        name=name, terms=tuple(table.get("terms", ())), examples=tuple(table.get("examples", ())),
        team=table.get("team"), template=table.get("template"),
        priority=Priority(table["priority"]) if table.get("priority") else None,
        description=table.get("description", ""),
    )


@lru_cache(maxsize=16)
def load_pack(name: str) -> Pack:
    """A shipped pack by name (ValueError for an unknown one)."""
    path = PACKS_DIR / f"{name}.toml"
    if name not in PACK_NAMES or not path.exists():
        raise ValueError(f"unknown industry pack {name!r} (one of {', '.join(PACK_NAMES)})")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    return Pack(
        name=name, description=doc.get("description", ""),
        intents={n: _spec(n, t) for n, t in doc.get("intents", {}).items()},
        outage_intent=doc.get("outage_intent"),
        regulators=tuple(doc.get("regulators", ())),
        customer_terms=tuple(doc.get("customer_terms", ())),
        never_outage=tuple(doc.get("never_outage", ())),
        code_reminder=bool(doc.get("code_reminder", False)),
    )
