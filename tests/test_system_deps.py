"""`make demo` and `make test` install the Debian packages they need (scripts/system-deps.sh), and
CI runs nothing but `make test` (issue 12 item 10).  Nothing is installed here: the installed
path is exercised with packages every Debian has, the missing path as an unprivileged user."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "system-deps.sh"
NOT_A_PACKAGE = "guidecrawl-no-such-package"


def run(*args: str, user: bool = False, cwd: Path = REPO) -> subprocess.CompletedProcess:
    cmd = [str(SCRIPT), *args]
    if user and os.geteuid() == 0:
        # as root the script would install; the message path is what a non-root user sees
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("setpriv (util-linux) is needed to run the script as an unprivileged user")
        cmd = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=cwd)


def test_not_root_and_a_package_missing_prints_the_one_command_to_run():
    proc = run("bash", NOT_A_PACKAGE, "coreutils", user=True, cwd=Path("/"))
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    # only the missing package, in a command that can be pasted as it is
    assert f"sudo apt-get install -y {NOT_A_PACKAGE}  then run make again" in lines[0]
    assert "bash" not in lines[0].split("install -y")[1]


def test_everything_installed_is_quiet_and_writes_the_stamp(tmp_path):
    stamp = tmp_path / "deps" / "stamp"
    proc = run("--stamp", str(stamp), "bash", "coreutils")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert stamp.read_text() == "bash coreutils"


@pytest.fixture
def open_dir():
    """A folder the unprivileged user can read (pytest's tmp_path is root's own)."""
    d = Path(tempfile.mkdtemp(prefix="guidecrawl-sysdeps-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_a_stamp_with_the_same_list_skips_the_check_and_another_list_does_not(open_dir):
    stamp = open_dir / "stamp"
    stamp.write_text(NOT_A_PACKAGE)
    stamp.chmod(0o644)
    assert run("--stamp", str(stamp), NOT_A_PACKAGE, user=True).returncode == 0  # no dpkg, no apt
    proc = run("--stamp", str(stamp), NOT_A_PACKAGE, "bash", user=True)  # the list changed
    assert proc.returncode == 1 and f"install -y {NOT_A_PACKAGE} " in proc.stderr
    assert stamp.read_text() == NOT_A_PACKAGE  # a failed check writes no stamp


def test_usage_errors_exit_2():
    assert run("--stamp").returncode == 2
    proc = run("--frobnicate")
    assert proc.returncode == 2 and "usage:" in proc.stderr
    assert run("--help").returncode == 0 and "apt-get" in run("--help").stdout


def clean_env() -> dict[str, str]:
    # not the variables of a `make test` this suite may be running under (MAKEFLAGS carries its
    # command-line variables into every make started below it), nor pytest's own
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SYSTEM_DEPS", "VENV", "PY")
        and not k.startswith(("PYTEST_", "COV_", "SYSTEM_PKGS_"))
    }


def make_n(target: str) -> str:
    return subprocess.run(
        ["make", "-n", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=clean_env(),
    ).stdout


def test_make_test_and_make_demo_check_their_packages_first():
    out = make_n("test")
    deps = next(line for line in out.splitlines() if "system-deps.sh" in line)
    assert "--stamp .venv/.system-deps-test" in deps
    assert {"redis-server", "chromium", "fonts-wqy-microhei"} <= set(deps.split())
    assert out.index("system-deps.sh") < out.index("pytest")
    demo = make_n("demo")
    assert "system-deps.sh --stamp .venv/.system-deps-demo" in demo
    assert demo.index("system-deps.sh") < demo.index("guidecrawl demo")


def test_ci_runs_only_make_test():
    commands = [
        line.strip()
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert commands[-1] == "exec make test"
    assert not any("apt-get" in c or "pytest" in c for c in commands)


def test_make_test_that_collects_nothing_fails_and_says_why():
    env = clean_env()
    proc = subprocess.run(
        [
            "make",
            "-s",
            "test",
            "SYSTEM_DEPS=true",  # the packages are not this test's business
            "PYTEST_ARGS=tests/test_system_deps.py -p no:cacheprovider -k no_test_has_this_name",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode != 0
    assert "pytest collected no tests (exit 5)" in proc.stderr
