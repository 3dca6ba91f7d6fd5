"""How a bad config is reported: one line per problem, each naming its key, with the nearest
known key for an unknown one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError


class ConfigError(Exception):
    """The configuration cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def nearest_of(words: list[str], choices: Iterable[str]) -> str:
    """' (did you mean `x`?)' naming the closest of `choices` to each word that has one."""
    pool = list(choices)
    close = [m[0] for w in words if (m := difflib.get_close_matches(w, pool, n=1, cutoff=0.6))]
    return f" (did you mean {', '.join(f'`{c}`' for c in close)}?)" if close else ""


def raise_cross(problems: list[str]) -> None:
    """A check across sections failed: each problem is a line naming its own key."""
    if problems:
        raise PydanticCustomError("cross_section", "{problems}",
                                  {"problems": "\n".join(problems)})


def _location(loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into a key path like `sources[0].interval`."""
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(previous, int) and out.startswith("sources"):
            # pydantic puts the discriminator tag after the list index; drop it for readers.
            pass
        elif part.startswith("function-") or part in {"list[str]", "str"}:
            pass
        else:
            out += f".{part}" if out else str(part)
        previous = part
    return out or "(top level)"


def _describe(error: Mapping[str, Any], root: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key" + _nearest_key(root, tuple(error["loc"]))
    if kind == "missing":
        return "missing required key"
    if kind == "union_tag_invalid":
        return f"unknown platform {error['input'].get('platform')!r}" \
            if isinstance(error.get("input"), dict) else error["msg"]
    if kind == "union_tag_not_found":
        return "missing required key 'platform'"
    return str(error["msg"]).removeprefix("Value error, ")


def _nearest_key(root: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """' (did you mean `follow_up`?)' when the unknown key at `loc` is close to a known one."""
    model = model_at(root, loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    return nearest_of([loc[-1]], model.model_fields)


def _unwrap(tp: Any) -> Any:
    """The type inside Annotated[...] and Optional[...]."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, UnionType) and type(None) in get_args(tp) \
                and len(get_args(tp)) == 2:
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The config section (a model) found by following a pydantic error location from
    `root`."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif origin is list:
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin in (Union, UnionType):  # a source: pydantic names the platform
            tp = next((m for m in get_args(tp) if isinstance(m, type)
                       and issubclass(m, BaseModel) and "platform" in m.model_fields
                       and part in get_args(m.model_fields["platform"].annotation)), None)
            if tp is None:
                return None
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def problems_of(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One line per problem, each naming its key (`sources[0].interval: ...`)."""
    problems = []
    for error in exc.errors():
        if error["type"] == "cross_section":  # each line names its own key
            problems += str(error["msg"]).splitlines()
        else:
            problems.append(f"{_location(tuple(error['loc']))}: {_describe(error, root)}")
    return problems
