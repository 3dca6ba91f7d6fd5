"""Deterministic synthetic posts for benchmarks: realistic length and vocabulary mix."""

from __future__ import annotations

import random

OPENERS = ["@BrightwaveHelp", "Hey @Brightwave", "Brightwave", "so brightwave", "#brightwave",
           "Anyone else with Brightwave", "@BrightwaveHelp hi,", "ugh brightwave"]
BODIES = [
    "my internet has been down since 6am and nobody answers the phone",
    "you charged me twice this month, I want a refund",
    "the router I ordered never arrived, tracking says delivered",
    "the app crashes every time I open it after the update",
    "love the new fibre speeds, install was quick and painless",
    "how do I change my plan to the 500Mb one?",
    "trying to cancel for three weeks and still getting bills",
    "locked out of my account, reset link never comes",
    "signal drops every evening around 8pm, it's unusable",
    "thanks for sorting my issue so fast yesterday!",
    "is there an outage in Leeds right now?",
    "switched from Tidalnet last month and it's been great so far",
]
CLOSERS = ["", " 😡", " 🙃", "!!!", " Sort it out.", " thanks", " #brightwavedown", "?",
           " Day 3 of this.", " Really disappointed."]


def posts(n: int, *, seed: int = 7) -> list[str]:
    """`n` posts built from the phrase lists above, the same for the same seed."""
    rng = random.Random(seed)
    return [f"{rng.choice(OPENERS)} {rng.choice(BODIES)}{rng.choice(CLOSERS)}"
            for _ in range(n)]
