"""The fitted n-gram models, kept on disk so a process does not retrain them (~10 s).

The cache is a pickle under the user's cache directory (`$XDG_CACHE_HOME/intake/models`, else
`~/.cache/intake/models`; `INTAKE_MODEL_CACHE` names another directory, `off` turns it off).
Its name is a hash of everything the models are made from: every file of the rules directory
that feeds the training corpus, the code that trains them, and the versions of Python,
scikit-learn and numpy. Any change makes a new name, so a stale model is never read. It is
never downloaded: a process that finds no file trains and writes one. Deleting the directory
is always safe.

A pickle runs code when read, so only a file the current user owns, in a directory only
they can write to, is read; anything else is ignored and the models are trained.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import platform
import stat
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
FORMAT = "1"  # bump when what is pickled changes shape
SOURCES = ("model.py", "training.py", "textprep.py")  # the code that shapes the fitted models


def directory() -> Path | None:
    """Where cached models live, or None when caching is off."""
    named = os.environ.get("INTAKE_MODEL_CACHE", "")
    if named.lower() == "off":
        return None
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "intake" / "models"


def key(rules_dir: Path, seed: int) -> str:
    """A hash of the training inputs, the training code and the library versions."""
    import numpy
    import sklearn

    digest = hashlib.sha256()
    for part in (FORMAT, str(seed), platform.python_version(), sklearn.__version__, numpy.__version__):
        digest.update(part.encode() + b"\0")
    here = Path(__file__).parent
    for path in [here / name for name in SOURCES] + _rule_files(rules_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _rule_files(rules_dir: Path) -> list[Path]:
    return sorted(rules_dir.glob("*.toml")) + sorted((rules_dir / "training").glob("*.toml"))


def load(name: str) -> Any | None:
    """The cached object of this name, or None (absent, unsafe, unreadable or from elsewhere)."""
    where = directory()
    if where is None:
        return None
    path = where / f"{name}.pickle"
    try:
        if not (_safe(where) and _safe(path)):
            return None
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001  (a damaged cache file is retrained, never fatal)
        log.warning("model cache %s unreadable (%s); training instead", path, exc)
        return None


def save(name: str, value: Any) -> None:
    """Write atomically (a reader never sees half a file); a failure only costs the next
    process the training time."""
    where = directory()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=where, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, where / f"{name}.pickle")
        finally:
            Path(temporary).unlink(missing_ok=True)
        _prune(where)
    except OSError as exc:
        log.info("model cache %s not written (%s); the models are trained per process", where, exc)


KEEP = 4  # models made from other rules or versions (other installations of one user) kept


def _prune(where: Path) -> None:
    """Remove all but the KEEP most recently written models: each edit of the rules or
    upgrade leaves one behind (~7 MB), and none would ever be read again."""
    models = sorted(where.glob("*.pickle"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in models[KEEP:]:
        old.unlink(missing_ok=True)


def _safe(path: Path) -> bool:
    """Owned by this user and writable by no one else."""
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
