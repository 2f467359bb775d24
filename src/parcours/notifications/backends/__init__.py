"""Transports: e-mail (Django's e-mail backends), SMS (a small backend interface), postal letters (PDF).

A transport raises `PermanentError` when trying again cannot help (invalid number, refused
address, no provider configured) and any other exception for a passing fault (the worker retries
with backoff). Each can tell, when it knows, whether a message with a given reference was already
handed over (`delivered`), so that a worker killed between the hand-over and the database commit
does not send it twice.
"""

import os
import tempfile
from pathlib import Path


class PermanentError(Exception):
    """Retrying will not help: the message is marked failed at once, with this reason."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: a file is either complete or absent, even on SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
