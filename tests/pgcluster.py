"""A throwaway PostgreSQL cluster (Debian's `postgresql`) in a temporary directory on a free loopback port,
for the tests of the shared feedback store and of the team's rule sets, and for `bench/load_team.py`.
Installed with apt-get when missing and we may (root); `start_cluster()` says why not otherwise."""
from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import free_port


def _bindir() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    return None


def _install() -> str:
    """Install Debian's postgresql when we may (root, apt-get); '' on success, else why not."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root or no apt-get"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=300, check=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], env=env,
                       capture_output=True, timeout=600, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"apt-get install postgresql failed: {exc}"
    return ""


class PG:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="coach-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the package's own user
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to run the server as") from None
            os.chown(self.base, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "coach", "-E", "UTF8", "--no-sync")
        self.start()
        self.dsn = f"postgresql://coach@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self.prefix, str(self.bindir / tool), *args], capture_output=True, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-t", "30", "-o",
                  f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def kill(self) -> None:
        """The server dies at once, as the machine it runs on would: SIGKILL to the postmaster and every
        backend. `start()` brings it back (with crash recovery)."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        doomed = [pid, *_children(pid)]
        for victim in doomed:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(Path(f"/proc/{v}").exists() for v in doomed):
            time.sleep(0.05)

    def close(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)

    def database(self, name: str) -> str:
        async def create():
            con = await asyncpg.connect(self.dsn)
            try:
                await con.execute(f'DROP DATABASE IF EXISTS "{name}"')
                await con.execute(f'CREATE DATABASE "{name}"')
            finally:
                await con.close()
        asyncio.run(create())
        return f"postgresql://coach@127.0.0.1:{self.port}/{name}"


def start_cluster() -> tuple[PG | None, str]:
    """A new cluster, or (None, why it cannot be started here)."""
    bindir = _bindir()
    if bindir is None:
        why = _install()
        bindir = _bindir()
        if bindir is None:
            return None, f"PostgreSQL cannot be started here: Debian's postgresql is not installed ({why})"
    try:
        return PG(bindir), ""
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return None, f"PostgreSQL could not be started: {exc}"


def started_cluster() -> PG:
    """A new cluster, or the test is skipped saying why none can be started here."""
    server, why = start_cluster()
    if server is None:
        pytest.skip(why)
    return server


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.split("/")[2]))
    return out
