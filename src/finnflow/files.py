"""Atomic file writes and the user's cache folders.

A file is written under a temporary name beside its destination and renamed into place, so a
reader (a resumed build, a user) never takes a half-written file for a finished one."""

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s content to; on success it replaces ``path``
    (a file or a folder), on failure it is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    _remove(tmp)
    try:
        yield tmp
        _commit(tmp, path)
    finally:
        _remove(tmp)


def _commit(tmp: Path, path: Path) -> None:
    """Move the finished ``tmp`` into place: one rename for a file; a folder replaces an old
    one through a rename aside, so a crash leaves the old folder or none, never a mix."""
    if tmp.is_dir() and path.is_dir():
        old = path.with_name(f".{path.name}.old{os.getpid()}")
        path.rename(old)
        tmp.rename(path)
        _remove(old)
    else:
        os.replace(tmp, path)


def write_atomic(path: Path | str, data: str | bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


def cache_dir(kind: str, env: str) -> Path:
    """The cache folder for ``kind`` (``datasets``, ``synth``, ``verilator``): ``$env`` when set,
    else ``$XDG_CACHE_HOME/finnflow/<kind>``, else ``~/.cache/finnflow/<kind>``."""
    if os.environ.get(env):
        return Path(os.environ[env])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "finnflow" / kind


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
