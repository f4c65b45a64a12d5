"""`coach serve --workers N`: N processes serving one port, so a team node uses every core.

Each worker binds the port with SO_REUSEPORT and the kernel spreads new connections over them. The parent
loads the rules and the dictionaries once and forks: the workers share those pages (copy-on-write; the
service moves them out of the garbage collector's sight first, see `server.settle_memory`), then each
builds its own service — its own live connections and timers, its own connection to the store — and
follows the same rules (the same directory, or the same version in the team's store). A worker that dies
is started again (at most a few times a minute); SIGTERM or Ctrl+C stops them all.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("coach.workers")

STOP_GRACE_S = 10.0  # after SIGTERM, how long a worker may take to close its connections before SIGKILL
RESTARTS_PER_MINUTE = 5  # a worker crashing more often than this stops the service: something is wrong
PR_SET_PDEATHSIG = 1


def port_is_free(host: str, port: int) -> str | None:
    """None when nothing listens on host:port, else why not. Probed without SO_REUSEPORT: the workers must
    not quietly share the port with another service that uses it (another `coach serve --workers`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def _die_with_parent(parent: int) -> None:
    """Linux: a worker gets SIGTERM when the parent dies (even by SIGKILL), so none keeps serving alone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)


def run_workers(count: int, serve: Callable[[int], None]) -> int:
    """Fork `count` workers, each running `serve(index)` until it is stopped; restart one that dies; stop
    them all on SIGTERM/SIGINT. Returns the exit status for the parent."""
    if not hasattr(socket, "SO_REUSEPORT") or not hasattr(os, "fork"):
        print("coach serve: --workers needs SO_REUSEPORT and fork (Linux)", file=sys.stderr)
        return 2
    children: dict[int, int] = {}  # pid → worker index
    stopping = False
    restarts: list[float] = []

    parent = os.getpid()

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            _die_with_parent(parent)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                serve(index)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                log.exception("worker %d failed", index)
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
        children[pid] = index

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(count):
        spawn(index)
    status = 0
    deadline: float | None = None
    while children:
        if stopping and deadline is None:
            deadline = time.monotonic() + STOP_GRACE_S
        try:
            pid, raw = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if deadline is not None and time.monotonic() > deadline:
                for child in list(children):
                    try:
                        os.kill(child, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + STOP_GRACE_S
            time.sleep(0.05)
            continue
        if pid not in children:
            continue
        index = children.pop(pid)
        code = os.waitstatus_to_exitcode(raw)
        if stopping:
            continue
        now = time.monotonic()
        restarts[:] = [t for t in restarts if now - t < 60] + [now]
        if len(restarts) > RESTARTS_PER_MINUTE:
            log.error("worker %d exited (%s) and workers keep dying: stopping the service", index, code)
            status = 1
            stop(signal.SIGTERM, None)
            continue
        log.warning("worker %d exited (%s); starting it again", index, code)
        spawn(index)
    return status
