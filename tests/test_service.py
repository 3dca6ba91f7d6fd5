"""What ships for running the daemon as a service, checked as an operator would: the systemd
unit and the container recipe, the store in the state directory, the daemon under
`Type=notify` (ready, watchdog, reloads, stopping), `brandbot reload` failing a refused
reload, and `brandbot health` asking the running web app."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from monitor.settings import load_settings
from tests.helpers import (
    BASE_CONFIG,
    ROOT,
    DaemonProcess,
    brandbot,
    free_port,
    replay_source,
    with_storage,
    write_config,
)

UNIT = ROOT / "contrib" / "brandbot.service"
CONTAINERFILE = ROOT / "contrib" / "Containerfile"
EXAMPLE = ROOT / "config" / "example.toml"
LOCK = ROOT / "requirements.lock"


class NotifySocket:
    """A stand-in for systemd's end of `$NOTIFY_SOCKET`: a real unix datagram socket whose
    messages a thread collects as they come (as systemd drains it)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            if not data:  # shut down
                return
            self.messages.append(data.decode())

    def states(self) -> list[str]:
        """Every message but the watchdog's pings, in order."""
        return [m for m in self.messages if m != "WATCHDOG=1"]

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._reader.join(5)


def _directives(text: str) -> dict[str, list[str]]:
    """A unit file's `Key=value` lines (comments and section headers left out)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


# --- the unit -------------------------------------------------------------------------------

HARDENING = {
    "UMask": "0077", "NoNewPrivileges": "yes", "CapabilityBoundingSet": "",
    "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
    "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes", "ProtectClock": "yes",
    "ProtectHostname": "yes", "ProtectProc": "invisible", "RestrictNamespaces": "yes",
    "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes", "RemoveIPC": "yes", "SystemCallArchitectures": "native",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
}


def test_the_unit_is_notify_with_a_watchdog_a_state_directory_and_hardened() -> None:
    unit = _directives(UNIT.read_text(encoding="utf-8"))
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["main"]
    assert int(unit["WatchdogSec"][0]) > 0
    assert unit["StateDirectory"] == ["brandbot"] and unit["RuntimeDirectory"] == ["brandbot"]
    assert unit["WorkingDirectory"] == ["/var/lib/brandbot"]
    assert unit["ExecReload"] == ["/opt/brandbot/bin/brandbot reload --pid $MAINPID"]
    assert unit["User"] == ["brandbot"], "a dedicated user, never root"
    assert {key: unit.get(key) for key in HARDENING} == {
        key: [value] for key, value in HARDENING.items()}
    assert unit["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    # The Prometheus process collector reads /proc/stat, which ProcSubset=pid would hide.
    assert "ProcSubset" not in unit


def test_systemd_analyze_rates_the_unit_below_4() -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNIT)],
                            capture_output=True, text=True, timeout=60)
    if "--offline" in result.stderr:
        pytest.skip(f"this systemd-analyze cannot rate a unit offline: {result.stderr}")
    level = re.search(r"Overall exposure level for brandbot\.service: ([\d.]+)", result.stdout)
    assert level, result.stdout + result.stderr
    assert float(level[1]) < 4, result.stdout


# --- the container recipe and the lock file -------------------------------------------------


def test_the_container_pins_its_base_installs_the_lock_and_checks_health_on_the_config_port(
        ) -> None:
    recipe = CONTAINERFILE.read_text(encoding="utf-8")
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", recipe, re.M)
    assert base and re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?",
                                 base[1]), "an exact tag (or a digest), never a moving one"
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\}$", recipe, re.M)
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in recipe
    assert "pip install --no-cache-dir --no-deps ." in recipe
    assert re.search(r'^HEALTHCHECK (?:[^\n]*\\\n)*\s*CMD \["brandbot", "health"\]$', recipe,
                     re.M), "the port comes from the config, not the recipe"
    assert re.search(r"^\s+STATE_DIRECTORY=/data \\$", recipe, re.M)
    assert re.search(r"^\s+RUNTIME_DIRECTORY=/run/brandbot \\$", recipe, re.M)


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_the_lock_pins_every_runtime_dependency_within_pyproject_s_range() -> None:
    """requirements.lock (the container's and `make`'s install) must move with pyproject.toml:
    regenerate it (its header says how) when a dependency is added or its range changes."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    text = LOCK.read_text(encoding="utf-8")
    assert "--hash=sha256:" in text
    problems = []
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = requirement.name.lower().replace("_", "-")
        if name not in pins:
            problems.append(f"{name}: not in requirements.lock")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{name}=={pins[name]}: outside {requirement.specifier}")
    assert problems == []
    # the extras' packages too: without psycopg[binary] the container has no libpq
    assert "psycopg-binary" in pins and pins["psycopg-binary"] == pins["psycopg"]


# --- the store in the state directory -------------------------------------------------------


def test_the_example_config_keeps_its_store_in_the_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    # systemd sets STATE_DIRECTORY (every StateDirectory= entry, colon-separated)
    settings = load_settings(EXAMPLE, environ={"STATE_DIRECTORY": f"{state}:/var/lib/other"})
    assert settings.storage_url == f"sqlite:///{state}/brandbot.db"
    # where it is unset (a checkout, a test), beside the config as before
    assert load_settings(EXAMPLE, environ={}).storage_url == \
        f"sqlite:///{ROOT}/config/brandbot.db"
    assert load_settings(ROOT / "config" / "demo.toml", environ={}).storage_url == \
        f"sqlite:///{ROOT}/.demo/brandbot.db"
    # an absolute path and PostgreSQL are where they say
    assert load_settings(EXAMPLE, environ={
        "STATE_DIRECTORY": str(state), "BRANDBOT_STORAGE_URL": "sqlite:////srv/b.db",
    }).storage_url == "sqlite:////srv/b.db"
    assert load_settings(EXAMPLE, environ={
        "STATE_DIRECTORY": str(state), "BRANDBOT_STORAGE_URL": "postgresql://db/brandbot",
    }).storage_url == "postgresql://db/brandbot"


def test_the_shipped_example_runs_with_its_store_in_the_state_directory(tmp_path: Path) -> None:
    """As systemd starts it: config in a folder of its own, the store in $STATE_DIRECTORY."""
    etc, state = tmp_path / "etc", tmp_path / "state"
    shutil.copytree(ROOT / "config", etc)
    (etc / "brandbot.toml").write_bytes(EXAMPLE.read_bytes())
    env = {"STATE_DIRECTORY": str(state)}
    state.mkdir()
    checked = brandbot("--config", str(etc / "brandbot.toml"), "check-config", env=env,
                       cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert f"storage: sqlite:///{state}/brandbot.db" in checked.stdout
    ran = brandbot("--config", str(etc / "brandbot.toml"), "run", "--once", "--no-web",
                   env=env, cwd=tmp_path, timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert (state / "brandbot.db").stat().st_size > 0
    assert not (etc / "brandbot.db").exists()


# --- Type=notify, the watchdog and `brandbot reload` ----------------------------------------


def _config(folder: Path, url: str, *, port: int, interval: str = "300ms") -> str:
    feed = folder / "feed.jsonl"
    feed.touch()
    return (with_storage(BASE_CONFIG, url) + replay_source(feed, interval=interval)
            + f'\n[web]\nhost = "127.0.0.1"\nport = {port}\n')


def test_under_systemd_the_daemon_is_ready_pings_its_watchdog_and_a_refused_reload_fails(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    port = free_port()
    run = tmp_path / "run"
    run.mkdir()
    config = write_config(tmp_path, _config(tmp_path, db_url(), port=port))
    notify = NotifySocket(tmp_path / "notify")
    # systemd's environment for a Type=notify unit with WatchdogSec= and RuntimeDirectory=
    env = {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
           "RUNTIME_DIRECTORY": str(run)}
    daemon = DaemonProcess(config, env=env)
    try:
        daemon.wait_until(lambda: notify.states(), what="READY=1")
        assert notify.states()[0] == "READY=1\nSTATUS=running: 1 sources"
        # READY means serving: the web app answers at once
        healthy = brandbot("--config", str(config), "health")
        assert healthy.returncode == 0, healthy.stderr
        assert healthy.stdout.strip() == f"healthy: http://127.0.0.1:{port}/healthz answered 200"
        pinged = notify.messages.count("WATCHDOG=1")
        daemon.wait_until(lambda: notify.messages.count("WATCHDOG=1") >= pinged + 2,
                          what="watchdog pings every 200 ms")

        # `systemctl reload` (ExecReload=brandbot reload --pid $MAINPID) of a good config
        config.write_text(_config(tmp_path, db_url(), port=port, interval="2s"))
        done = brandbot("reload", "--pid", str(daemon.pid), env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip() == f"config reloaded by process {daemon.pid}"
        reloading, ready = notify.states()[1:3]
        assert re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=\d+", reloading)
        assert ready == "READY=1\nSTATUS=running: 1 sources"

        # ... and of a broken one: the reload fails, naming the problem; the daemon carries on
        config.write_text(_config(tmp_path, db_url(), port=port, interval="banana"))
        refused = brandbot("reload", "--pid", str(daemon.pid), env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "config error: sources[0].interval: invalid duration 'banana'" in refused.stderr
        assert (f"reload refused: process {daemon.pid} keeps running on its previous config"
                in refused.stderr)
        assert notify.states()[4].startswith(
            "READY=1\nSTATUS=config reload refused, still on the previous config: "
            "sources[0].interval")
        assert daemon.proc.poll() is None
    finally:
        code = daemon.stop()
        notify.close()
    assert code == 0, daemon.output()[-3000:]
    assert notify.states()[-1] == "STOPPING=1\nSTATUS=stopping"


def test_reload_without_a_runtime_directory_or_a_daemon_says_so(tmp_path: Path) -> None:
    nowhere = brandbot("reload", "--pid", "1")
    assert nowhere.returncode == 2
    assert "$RUNTIME_DIRECTORY is not set" in nowhere.stderr
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    missing = brandbot("reload", "--pid", str(gone.pid),
                       env={"RUNTIME_DIRECTORY": str(tmp_path)})
    assert missing.returncode == 1
    assert f"cannot signal process {gone.pid}" in missing.stderr
    # a process that is not brandbot (it ignores SIGHUP here) gives no verdict
    deaf = subprocess.Popen([sys.executable, "-c", "import signal, sys; signal.signal("
                             "signal.SIGHUP, signal.SIG_IGN); print(flush=True); "
                             "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert deaf.stdout is not None and deaf.stdout.readline() == b"\n"
        silent = brandbot("reload", "--pid", str(deaf.pid), "--timeout", "500ms",
                          env={"RUNTIME_DIRECTORY": str(tmp_path)})
    finally:
        deaf.communicate(b"")
    assert silent.returncode == 1
    assert f"process {deaf.pid} gave no verdict on the reload" in silent.stderr


# --- brandbot health ------------------------------------------------------------------------


def test_health_asks_the_running_web_app_on_the_config_s_port_and_fails_when_it_is_gone(
        tmp_path: Path, db_url: Callable[..., str]) -> None:
    port = free_port()
    # a container's config listens everywhere; health asks on loopback
    config = write_config(tmp_path, with_storage(BASE_CONFIG, db_url())
                          + f'\n[web]\nhost = "0.0.0.0"\nport = {port}\n')
    serve = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config),
                              "serve"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        assert serve.stdout is not None
        deadline = time.monotonic() + 60
        while "web app on http://" not in serve.stdout.readline():
            assert serve.poll() is None and time.monotonic() < deadline, "serve did not start"
        healthy = brandbot("--config", str(config), "health")
        assert healthy.returncode == 0, healthy.stderr
        assert healthy.stdout.strip() == f"healthy: http://127.0.0.1:{port}/healthz answered 200"
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=30)
    gone = brandbot("--config", str(config), "health", "--timeout", "2s")
    assert gone.returncode == 1
    assert gone.stderr.startswith(f"unhealthy: cannot reach http://127.0.0.1:{port}/healthz:")
    assert "refused" in gone.stderr.lower()
