"""`python -m helper`, with a pause before every fsync, for the crash-safety tests.

Writing the output file takes well under a millisecond, so a kill aimed at the
write from another process mostly lands before or after it, and how many land
inside depends on the machine's load. Run through this launcher, the helper
pauses before it flushes the temporary file to disk (and before it syncs the
folder after the rename), so the write stays under way long enough for the
killer to hit it. Nothing else changes: the helper's own code writes, renames
and cleans up as it does in production.
"""

from __future__ import annotations

import os
import runpy
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

PAUSE_SECONDS = 0.02

_real_fsync = os.fsync


def _fsync_after_a_pause(fd: FileDescriptorLike) -> None:
    time.sleep(PAUSE_SECONDS)
    _real_fsync(fd)


if __name__ == "__main__":
    os.fsync = _fsync_after_a_pause
    runpy.run_module("helper", run_name="__main__", alter_sys=True)
