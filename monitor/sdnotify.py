"""systemd's notify protocol, spoken from the event loop: READY, RELOADING, STOPPING, STATUS
and watchdog pings, each a datagram to `$NOTIFY_SOCKET` (`@name` is an abstract socket).

Under `Type=notify` the service manager counts the daemon as started at READY=1, and with
`WatchdogSec=` it kills and restarts the daemon when WATCHDOG=1 stops coming. The pings come
from a task on the event loop, so a loop that hangs stops them. Outside systemd (no
`$NOTIFY_SOCKET`) every call does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping

from monitor.sleep import Sleeper, interruptible_sleep

log = logging.getLogger("brandbot")


class SystemdNotifier:
    """Tells the service manager what the daemon is doing; a no-op when there is none."""

    def __init__(self, environ: Mapping[str, str] = os.environ, *,
                 pid: int | None = None) -> None:
        self.address = _address(environ.get("NOTIFY_SOCKET", ""))
        self.watchdog_interval = _watchdog_interval(environ, os.getpid() if pid is None else pid)
        self._failing = False

    def send(self, *fields: str) -> bool:
        """Send one message of `KEY=value` fields; False when there is nobody to tell or it
        could not be sent (logged once, and once when it goes through again)."""
        if self.address is None:
            return False
        message = "\n".join(f.replace("\n", " ") for f in fields).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # systemd reads at once; were it stuck, the loop waits half a second at most
                sock.settimeout(0.5)
                sock.sendto(message, self.address)
        except OSError as exc:
            if not self._failing:
                log.warning("cannot notify systemd at %s: %s", _shown(self.address),
                            exc.strerror or exc, extra={"event": "sd_notify_failed"})
            self._failing = True
            return False
        if self._failing:
            log.info("notifying systemd again", extra={"event": "sd_notify_recovered"})
            self._failing = False
        return True

    def ready(self, status: str) -> bool:
        """Started (or done reloading), with a line for `systemctl status`."""
        return self.send("READY=1", f"STATUS={status}")

    def reloading(self, began_usec: int) -> bool:
        """A reload began at `began_usec` (CLOCK_MONOTONIC, µs, as systemd wants it)."""
        return self.send("RELOADING=1", f"MONOTONIC_USEC={began_usec}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1", "STATUS=stopping")

    async def watchdog(self, stop: asyncio.Event, *,
                       sleep: Sleeper = interruptible_sleep) -> None:
        """WATCHDOG=1 every half `WATCHDOG_USEC` until `stop`; returns at once without a
        watchdog."""
        if self.watchdog_interval is None:
            return
        while not stop.is_set():
            self.send("WATCHDOG=1")
            await sleep(self.watchdog_interval / 2, stop)


def _address(value: str) -> str | None:
    """The socket address in `$NOTIFY_SOCKET`: a path, or `@name` in the abstract namespace;
    None when unset or of a kind not spoken here (`vsock:`)."""
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None


def _shown(address: str) -> str:
    return "@" + address[1:] if address.startswith("\0") else address


def _watchdog_interval(environ: Mapping[str, str], pid: int) -> float | None:
    """Seconds from `$WATCHDOG_USEC`, unless `$WATCHDOG_PID` names another process (a child
    that inherited the environment is not the one being watched)."""
    usec = environ.get("WATCHDOG_USEC", "")
    owner = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (owner and owner != str(pid)):
        return None
    return int(usec) / 1_000_000
