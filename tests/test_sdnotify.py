"""systemd's notify protocol against a real unix datagram socket, as systemd listens: READY and
the other states, abstract sockets, and the watchdog's pings while the event loop turns and
none while it hangs."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from pathlib import Path

import pytest

from monitor.sdnotify import SystemdNotifier


def _listener(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(10)
    return sock


def _queued(sock: socket.socket) -> list[bytes]:
    """Every message waiting on the socket now."""
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096))
    except BlockingIOError:
        return out
    finally:
        sock.settimeout(10)


def test_ready_reloading_and_stopping_reach_the_socket_named_by_path(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with _listener(path) as sock:
        systemd = SystemdNotifier({"NOTIFY_SOCKET": path})
        assert systemd.ready("running: 2 sources")
        assert sock.recv(4096) == b"READY=1\nSTATUS=running: 2 sources"
        assert systemd.reloading(123456789)
        assert sock.recv(4096) == b"RELOADING=1\nMONOTONIC_USEC=123456789"
        assert systemd.ready("config reload refused: sources[0].interval: invalid\nduration")
        assert sock.recv(4096) == (b"READY=1\nSTATUS=config reload refused: "
                                   b"sources[0].interval: invalid duration")
        assert systemd.stopping()
        assert sock.recv(4096) == b"STOPPING=1\nSTATUS=stopping"


def test_an_at_sign_names_a_socket_in_the_abstract_namespace() -> None:
    name = f"brandbot-test-{os.getpid()}-{secrets.token_hex(4)}"
    with _listener("\0" + name) as sock:
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).ready("up")
        assert sock.recv(4096) == b"READY=1\nSTATUS=up"


def test_outside_systemd_nothing_is_sent_and_there_is_no_watchdog() -> None:
    systemd = SystemdNotifier({})
    assert not systemd.ready("up")
    assert systemd.watchdog_interval is None
    assert SystemdNotifier({"NOTIFY_SOCKET": "vsock:2:1234"}).address is None


def test_a_socket_that_went_away_is_logged_once_and_never_raises(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = str(tmp_path / "notify")
    systemd = SystemdNotifier({"NOTIFY_SOCKET": path})
    with caplog.at_level(logging.INFO, logger="brandbot"):
        assert not systemd.send("WATCHDOG=1")
        assert not systemd.send("WATCHDOG=1")
        with _listener(path) as sock:
            assert systemd.send("WATCHDOG=1")
            assert sock.recv(4096) == b"WATCHDOG=1"
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events == ["sd_notify_failed", "sd_notify_recovered"]
    assert path in caplog.records[0].getMessage()


def test_the_watchdog_is_the_main_process_s_alone() -> None:
    usec = {"WATCHDOG_USEC": "30000000"}
    assert SystemdNotifier(usec).watchdog_interval == 30.0
    assert SystemdNotifier({**usec, "WATCHDOG_PID": "4242"}, pid=4242).watchdog_interval == 30.0
    # a child that inherited its parent's environment is not the one systemd watches
    assert SystemdNotifier({**usec, "WATCHDOG_PID": "4242"}, pid=4243).watchdog_interval is None
    assert SystemdNotifier({"WATCHDOG_USEC": "0"}).watchdog_interval is None


async def test_the_watchdog_pings_at_half_its_interval_while_the_loop_turns_and_not_when_it_hangs(
        tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with _listener(path) as sock:
        systemd = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
        waits: list[float] = []

        async def sleep(seconds: float, stop: asyncio.Event) -> None:
            waits.append(seconds)  # time is injected: one turn of the loop stands for the wait
            await asyncio.sleep(0)

        stop = asyncio.Event()
        pinger = asyncio.create_task(systemd.watchdog(stop, sleep=sleep))
        for _ in range(5):
            await asyncio.sleep(0)
        pings = _queued(sock)
        assert len(pings) >= 4 and set(pings) == {b"WATCHDOG=1"}
        assert set(waits) == {15.0}, "every half of WatchdogSec=30"

        # The loop hangs (this blocking call holds it): no ping comes, however many were due,
        # so systemd's watchdog runs out and it restarts the daemon.
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4096)

        # The loop turns again, and so do the pings; once stopped, they stop.
        sock.settimeout(10)
        await asyncio.sleep(0)
        assert sock.recv(4096) == b"WATCHDOG=1"
        stop.set()
        await pinger
        _queued(sock)
        await asyncio.sleep(0)
        assert _queued(sock) == []
