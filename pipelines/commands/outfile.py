"""Where a command may write its output file (``export --out``, ``report --out``).

Both write a temporary file beside the target and rename it over the target at the end, so an
interrupted run never leaves half a file under the requested name.  A rename replaces whatever
has that name -- a device (as root, ``--out /dev/null`` turned the machine's /dev/null into a
regular file), a symlink, the very database being read -- so the name is checked first and again
just before the rename.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from pipelines.errors import UserError

DUCKDB_MAGIC = b"DUCK"  # bytes 8..11 of every DuckDB database file


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_out(
    out: str | os.PathLike, db_path: str | os.PathLike, *, force: bool, stdout_ok: bool = False
) -> Path:
    """``out`` if an export may write there, else a ``UserError`` saying why not and what to do."""
    out = Path(out)
    db = Path(db_path)
    real = Path(os.path.realpath(out))
    for protected in (db, Path(f"{db}.wal")):
        if real == Path(os.path.realpath(protected)) or _same_file(out, protected):
            raise UserError(f"--out {out} is the database being read ({protected}); give another file name")
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise UserError(
                f"--out {out} is a symbolic link (to {os.readlink(out)}); give the real file's path or a new name"
            )
        if stat.S_ISDIR(st.st_mode):
            raise UserError(f"{out} is a folder; give a file name for --out")
        if not stat.S_ISREG(st.st_mode):
            raise UserError(
                f"--out {out} is not a regular file (a device, FIFO or socket); give a file name"
                + (", or --out - for stdout" if stdout_ok else "")
            )
        if not force:
            raise UserError(f"{out} exists; pass --force to overwrite it")
        try:
            with open(out, "rb") as fh:
                head = fh.read(12)
        except OSError as e:
            raise UserError(f"cannot read --out {out}: {e.strerror}; give another file name") from None
        if head[8:12] == DUCKDB_MAGIC:
            raise UserError(
                f"--out {out} is a DuckDB database; --force never replaces one, give another name"
            )
    if not out.parent.is_dir():
        raise UserError(f"no folder {out.parent} for {out}; create it first")
    return out


def temp_beside(out: Path) -> Path:
    """A new, empty temporary file in ``out``'s folder (so the final rename stays on one file system)."""
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as e:
        raise UserError(
            f"cannot write in {out.parent}: {e.strerror}; choose another --out", exit_code=1
        ) from None
    os.close(fd)
    return Path(name)


def publish(tmp: Path, out: Path, db_path: str | os.PathLike, *, force: bool) -> None:
    """Rename the finished ``tmp`` to ``out`` with the mode a new file gets, after checking ``out`` again."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it 0600
    check_out(out, db_path, force=force)  # the name may have changed while the output was written
    os.replace(tmp, out)
