"""The feedback spool on a full disk (issue 19, item 4): a write the disk cuts short is taken back and the
event is not acknowledged as kept; what is acknowledged was written whole and synced; a line cut short in
the file is reported and set aside, never silently dropped.

A full disk is made for real in a child process: the file-size limit (RLIMIT_FSIZE) makes the kernel cut a
write short at the limit and refuse the next one (EFBIG), as a full file system does (ENOSPC)."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

from coach_server.store.spool import Spool

ROW = [1750000000.0, "dismissed", "slang", "warning", "chat-hash", "Анна", None, "0" * 32]


def test_a_short_write_is_taken_back_and_not_acknowledged(tmp_path):
    path = tmp_path / "feedback.spool"
    script = textwrap.dedent(f"""
        import json, resource, signal, sys
        from pathlib import Path
        from coach_server.store.spool import Spool
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit: EFBIG, not a killed process
        spool = Spool(Path({str(path)!r}))
        spool.open()
        row = {ROW!r}
        line = len((json.dumps(row, ensure_ascii=False) + "\\n").encode())
        resource.setrlimit(resource.RLIMIT_FSIZE, (line * 27 + line // 2, resource.RLIM_INFINITY))
        kept = [spool.append(row[:7] + [f"{{i:032d}}"]) and spool.sync() for i in range(28)]
        print(json.dumps({{"kept": kept, "failed": spool.failed, "size": spool.size}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["kept"] == [True] * 27 + [False] and report["failed"]
    data = path.read_bytes()
    assert len(data) == report["size"] and data.endswith(b"\n")  # the cut-short line was taken back
    spool = Spool(path)
    rows = spool.open()  # what a restart writes to the store: every acknowledged event, nothing torn
    assert [r[7] for r in rows] == [f"{i:032d}" for i in range(27)]
    assert not (tmp_path / "feedback.spool.damaged").exists()
    spool.close()


def test_a_torn_last_line_is_reported_and_set_aside(tmp_path, caplog):
    path = tmp_path / "feedback.spool"
    whole = (json.dumps(ROW) + "\n").encode()
    path.write_bytes(whole * 3 + whole[:25])  # a kill in the middle of the fourth write
    spool = Spool(path)
    with caplog.at_level(logging.WARNING, logger="coach.store"):
        rows = spool.open()
    spool.close()
    assert len(rows) == 3
    assert (tmp_path / "feedback.spool.damaged").read_bytes() == whole[:25] + b"\n"
    assert any("1 damaged lines" in r.getMessage() and "never acknowledged" in r.getMessage()
               for r in caplog.records)


def test_sync_is_shared_by_callers_waiting_together(tmp_path):
    spool = Spool(tmp_path / "feedback.spool")
    spool.open()
    assert spool.sync() is True  # nothing to put on the disk
    assert spool.append(ROW) and spool.sync() and spool.sync()
    spool.close()
    assert spool.append(ROW) is False  # closed: nothing is kept any more


def test_a_fatal_signal_leaves_a_line_in_the_log(server):
    """SQLite maps its -shm file: on a full disk a write to it is SIGBUS. The service cannot go on, but it
    says so in its log (issue 19, item 11) instead of vanishing without a word."""
    import signal

    server.proc.send_signal(signal.SIGBUS)
    server.proc.wait(30)
    log = server.log.read_text(encoding="utf-8")
    assert "Fatal Python error: Bus error" in log
