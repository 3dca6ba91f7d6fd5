"""Each config reload's verdict, written by the daemon where `brandbot reload` waits for it.

SIGHUP carries no answer back, so the daemon writes one after every reload: `reload.json`
in `$RUNTIME_DIRECTORY` (systemd's `RuntimeDirectory=`), naming its pid, the moment the
reload began (CLOCK_MONOTONIC, µs: the same clock in every process on the machine) and the
problems that made it refuse. A waiter takes only a verdict that began after its signal.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger("brandbot")

FILE = "reload.json"


@dataclass(frozen=True)
class ReloadOutcome:
    """How one reload went: applied (`ok`), or refused with the problems named."""

    pid: int
    began_usec: int
    ok: bool
    problems: tuple[str, ...] = field(default=())


def now_usec() -> int:
    """CLOCK_MONOTONIC in microseconds (what systemd's MONOTONIC_USEC means too)."""
    return time.monotonic_ns() // 1000


def runtime_directory(environ: Mapping[str, str] = os.environ) -> Path | None:
    """`$RUNTIME_DIRECTORY` (its first entry), or None outside a unit that has one."""
    first = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    return Path(first) if first else None


def record(folder: Path | None, outcome: ReloadOutcome) -> None:
    """Replace the verdict file in one step (a reader never sees half of one). Without a
    folder there is nobody to tell; a failed write is logged and the daemon carries on."""
    if folder is None:
        return
    partial = folder / f".{FILE}.{outcome.pid}"
    try:
        partial.write_text(json.dumps(asdict(outcome)), encoding="utf-8")
        os.replace(partial, folder / FILE)
    except OSError as exc:
        log.warning("cannot record the reload's outcome in %s: %s", folder,
                    exc.strerror or exc, extra={"event": "reload_outcome_unwritten"})


def read(folder: Path) -> ReloadOutcome | None:
    """The last verdict written, or None when there is none (yet)."""
    try:
        data = json.loads((folder / FILE).read_text(encoding="utf-8"))
        return ReloadOutcome(pid=int(data["pid"]), began_usec=int(data["began_usec"]),
                             ok=bool(data["ok"]), problems=tuple(data["problems"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def wait_for(folder: Path, *, pid: int, since_usec: int, timeout: float,
             poll: float = 0.1) -> ReloadOutcome | None:
    """The verdict of a reload of `pid` that began at or after `since_usec`; None when none
    comes within `timeout` seconds or the process is gone."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = read(folder)
        if outcome is not None and outcome.pid == pid and outcome.began_usec >= since_usec:
            return outcome
        if time.monotonic() >= deadline or not process_alive(pid):
            return None
        time.sleep(poll)


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine (ours or someone else's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
