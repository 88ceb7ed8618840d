"""RunLock against a second real process: refusal with the holder's pid, freed by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from pipelines.errors import UserError
from pipelines.run.lock import RunLock, lock_path

HOLDER = textwrap.dedent(
    """
    import sys
    from pipelines.run.lock import RunLock
    with RunLock(sys.argv[1], name="guanxian"):
        print("locked", flush=True)
        sys.stdin.readline()   # hold until the test says so (or kills us)
    print("released", flush=True)
    """
)


def _start_holder(path, repo):
    p = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_run_is_refused_with_holder_pid_then_allowed_after_clean_exit(tmp_path, repo):
    path = lock_path(tmp_path / "locks", "guanxian")
    holder = _start_holder(path, repo)
    try:
        with pytest.raises(UserError) as ei, RunLock(path, name="guanxian"):
            pass
        msg = str(ei.value)
        assert ei.value.exit_code == 1
        assert f"pid {holder.pid}" in msg
        assert "'guanxian'" in msg and "frees itself" in msg
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        holder.wait(10)
    with RunLock(path, name="guanxian") as lock:
        assert lock.held
        assert path.read_text().split()[0] == str(os.getpid())
    assert path.read_text() == ""  # released: no stale holder line


def test_sigkilled_holder_leaves_no_stale_lock(tmp_path, repo):
    path = lock_path(tmp_path, "guanxian")
    holder = _start_holder(path, repo)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    assert path.exists()  # the file stays, but the kernel dropped the flock with the process
    with RunLock(path, name="guanxian") as lock:
        assert lock.held


def test_different_jobs_do_not_block_each_other(tmp_path, repo):
    holder = _start_holder(lock_path(tmp_path, "guanxian"), repo)
    try:
        with RunLock(lock_path(tmp_path, "other-site")) as lock:
            assert lock.held
    finally:
        holder.kill()
        holder.wait(10)


def test_lock_path_keeps_names_safe(tmp_path):
    assert lock_path(tmp_path, "guanxian").name == "guanxian.lock"
    assert lock_path(tmp_path, "../x y/z").name == "x_y_z.lock"
    assert lock_path(tmp_path, "///").name == "crawl.lock"
