"""Shared fixtures: the real rules, a Coach over them, and a real `coach serve` on a free loopback port."""
from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


@pytest.fixture(autouse=True, scope="session")
def _private_token_file(tmp_path_factory):
    """Tests never touch the real ~/.config token."""
    os.environ["COACH_TOKEN_FILE"] = str(tmp_path_factory.mktemp("token") / "token")


# The suite tests what the checks decide and how the service and the extension carry it: every warning is
# shown (the floor at 0) in the services and commands it starts. The quiet floor at its default, over the
# measured precision, has tests of its own (test_confidence.py), which ask for it by name.
os.environ["COACH_MIN_CONFIDENCE"] = "0"


@pytest.fixture(scope="session")
def coach():
    from coach_server import Coach

    return Coach.load(RULES, min_confidence=0.0)


# Below the kernel's ephemeral range (32768–60999 here): a port the kernel hands out for bind(0) or an
# outgoing connection — in this process or in the test process beside it — is never one of these.
_PORTS = range(20000, 32768)


def free_port() -> int:
    """A loopback port free now, picked at random below the ephemeral range (see Server.start for the rest)."""
    for _ in range(200):
        port = random.choice(_PORTS)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port in 20000–32767")


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


class Server:
    """`coach serve` in a subprocess, bound to 127.0.0.1 on a free port; stopped by the test that started it."""

    def __init__(self, rules_dir: Path, *extra: str, port: int | None = None, ssl_context=None):
        self.rules_dir = rules_dir
        self.extra = extra
        self.own_port = port is None  # a port it picked may be picked again, if another process took it first
        self.port = port or free_port()
        self.ssl_context = ssl_context  # HTTPS (--tls-cert): how this client checks the service's certificate
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.port}"
        self.log = rules_dir.parent / f"serve-{self.port}.log"
        self.token_file = rules_dir.parent / f"token-{self.port}"
        self.data_home = rules_dir.parent / f"data-{self.port}"  # a private feedback store
        self.start()

    def start(self) -> None:
        """Start (or start again, on the same port) and wait until /healthz answers."""
        env = dict(os.environ, PYTHONUNBUFFERED="1", COACH_TOKEN_FILE=str(self.token_file),
                   XDG_DATA_HOME=str(self.data_home))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coach_server", "serve", "--port", str(self.port), "--rules", str(self.rules_dir),
             "--reload-interval", "0.2", *self.extra],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"coach serve exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1, context=self.ssl_context) as r:
                    answered = json.loads(r.read()).get("process", {}).get("pid") if r.status == 200 else None
            except (OSError, ValueError):
                time.sleep(0.05)
                continue
            if answered is None:
                time.sleep(0.05)
                continue
            if answered == self.proc.pid or _ppid(answered) == self.proc.pid:
                return
            # another test process's server on this port (it took the port between the pick and our bind)
            self.stop()
            if not self.own_port:
                raise RuntimeError(f"port {self.port} is another server's (pid {answered})")
            self.port = free_port()
            self.url = f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"
            self.start()
            return
        self.stop()
        raise RuntimeError("coach serve did not become healthy: " + self.log.read_text())

    @property
    def token(self) -> str:
        return self.token_file.read_text(encoding="utf-8").strip()

    def failure_report(self, name: str) -> tuple[str, str]:
        """For a failed test's report: whether it runs, and the tail of its log."""
        tail = self.log.read_text(encoding="utf-8", errors="replace")[-4000:] if self.log.exists() else ""
        return f"service ({name}) {self.url}, running: {self.proc.poll() is None}", tail

    def get(self, path: str, *, token: bool = True) -> tuple[int, dict]:
        """GET as the supervisor (with the token: what it may read needs it) unless `token=False`."""
        # (a service started with a --token-file of its own has no token file here: it is asked without)
        headers = {"Authorization": f"Bearer {self.token}"} if token and self.token_file.exists() else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url + path, headers=headers), timeout=10,
                                        context=self.ssl_context) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def post(self, path: str, body: bytes | str | dict, headers: dict | None = None) -> tuple[int, dict]:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        req = urllib.request.Request(self.url + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.ssl_context) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def token_file(path: Path, text: str) -> Path:
    """A token file as `coach serve --token-file` wants it: owner-only."""
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster for a module's tests (tests/pgcluster.py); skipped, with the reason,
    where none can be started."""
    from tests.pgcluster import started_cluster  # pgcluster imports this module (free_port)

    server = started_cluster()
    yield server
    server.close()


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    """A private copy of the rules that a test may edit."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


@pytest.fixture
def server(rules_copy):
    srv = Server(rules_copy)
    yield srv
    srv.stop()


# --- what a failed test leaves for whoever reads the report: CI shows only the output, not the services' logs or
# the extension's state. A fixture's value that has `failure_report(name)` (Server here, the browser tests'
# Browser) says what it knows; the report must not fail the run.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        describe = getattr(value, "failure_report", None)
        if describe is None:
            continue
        try:
            report.sections.append(describe(name))
        except Exception as exc:
            report.sections.append((f"{name}: nothing to report", repr(exc)))
