"""The Jinja2 sandbox reply templates render in, with bounds: a brand's own template (or a
saved reply) can neither escape nor make a reply so large or slow that it stops a page.

Jinja2's sandbox already refuses unsafe attributes and ranges over 100,000; this adds limits
on `**` and `*` (`2**100000`, `'x' * 50000000`), on the rendered size, and `render_sample`,
which `check-config` uses to render every `[voice.templates]` template once with sample
values, so a template that would fail at run time is refused up front.
"""

from __future__ import annotations

import operator
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT = 10_000  # characters a rendered reply may have (the longest platform allows 10k)
MAX_EXPONENT = 64
MAX_REPEAT = 10_000  # items or characters a `*` may make


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with `**` and `*` bounded."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT and abs(left) > 1:
                raise SecurityError(f"the exponent {right} is over {MAX_EXPONENT}")
            return operator.pow(left, right)
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if (isinstance(seq, str | list | tuple) and isinstance(times, int)
                        and len(seq) * times > MAX_REPEAT):
                    raise SecurityError(f"a repetition of {len(seq) * times} is over "
                                        f"{MAX_REPEAT}")
            return operator.mul(left, right)
        return super().call_binop(context, op, left, right)


ENVIRONMENT = BoundedSandbox(undefined=StrictUndefined, autoescape=False)


def render(template: Template, **values: Any) -> str:
    """Render with the output bounded; SecurityError when it is too long."""
    text = template.render(**values)
    if len(text) > MAX_OUTPUT:
        raise SecurityError(f"the reply is {len(text)} characters, over {MAX_OUTPUT}")
    return text


# What a reply template may use, with values shaped like the real ones.
SAMPLE_VALUES: dict[str, Any] = {
    "name": "Dana", "handle": "@dana", "mention": "", "brand": "Brightwave", "case_id": 123,
    "team": "care", "team_name": "Care", "issue": "the double direct debit",
    "amount": "£45.99", "date": "26 October", "reference": "MC-4479011", "place": "Leeds",
    "product": "Hub 3", "stage": "repeat_contact", "contacts": 3, "contacts_word": "three",
    "waited": "3 days", "already_dmed": True, "incident": "resolved", "fixed_at": "08:04",
    "escalation": ["security"], "returning": True, "platform": "x",
}


def render_sample(source: str) -> str:
    """Render a template once with sample values (what check-config does); raises what the
    render would raise at run time."""
    return render(ENVIRONMENT.from_string(source), **SAMPLE_VALUES)
