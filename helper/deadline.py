"""The run's deadline, and the step that is using it.

Every network call takes its timeouts from `Deadline.remaining_seconds`, and
`run_before_deadline` bounds the whole run even when a call ignores them (a
`credential_process` that never exits, a server that trickles bytes): the
client then still gets a `DEADLINE_EXCEEDED` answer naming the slow step,
before it would kill the helper.

The client's clock starts when it spawns the helper, so the deadline counts
from the process's own start (`seconds_since_process_start`), including the
one-file build's unpacking, not from the moment Python got going.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from helper import log
from helper.errors import ErrorCode, HelperError

__all__ = [
    "Deadline",
    "end_abandoned_work",
    "run_before_deadline",
    "seconds_since_process_start",
]

T = TypeVar("T")

# Kept back from the deadline for writing the answer after the work stops.
_ANSWER_RESERVE_SECONDS = 0.1
_MIN_TIMEOUT_SECONDS = 0.05
# Processes from the one that was started down to Python in a frozen build:
# launcher (running staticx's bootloader), PyInstaller's bootloader, Python.
_LAUNCHER_DEPTH = 3


class Deadline:
    """A point in monotonic time, and a description of the current step."""

    def __init__(self, seconds: float, already_spent_seconds: float = 0.0) -> None:
        self.total_seconds = seconds
        self._end = time.monotonic() + seconds - already_spent_seconds
        self._step = "starting the helper"
        self._call: str | None = None

    @property
    def step(self) -> str:
        """The step now running and the network call it is making, as a message names them."""
        return f"{self._step}, {self._call}" if self._call else self._step

    def remaining_seconds(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def timeout_seconds(self, share: float = 1.0, cap_seconds: float | None = None) -> float:
        """A timeout for one network wait: `share` of what is left, at most `cap_seconds`.

        Never below 50 ms: a zero timeout would make a socket library fail at
        once or, worse, wait without limit.
        """
        seconds = self.remaining_seconds() * share
        if cap_seconds is not None:
            seconds = min(seconds, cap_seconds)
        return max(_MIN_TIMEOUT_SECONDS, seconds)

    def begin(self, step: str) -> None:
        """Name the step now running, for the message if the deadline passes and the log."""
        self._step = step
        self._call = None
        log.step(step)

    def calling(self, call: str) -> None:
        """Name the network call the step is making now (`calling STS AssumeRole at URL`)."""
        self._call = call

    def exceeded_error(self) -> HelperError:
        return HelperError(
            ErrorCode.DEADLINE_EXCEEDED,
            f"No answer within the {self.total_seconds:g} s deadline while {self.step}; "
            "check that this service is reachable from the host, or raise --timeout "
            "(and the config's timeout_millis above it).",
        )


def run_before_deadline(work: Callable[[], T], deadline: Deadline) -> T:
    """Run `work` in a daemon thread; raise `DEADLINE_EXCEEDED` if it is not done in time.

    The thread is abandoned, not stopped, when the deadline passes: callers exit
    the process soon after, which ends it.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed to the caller's thread below
            failure.append(error)

    worker = threading.Thread(target=target, name="aws-wif-helper-work", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline.remaining_seconds() - _ANSWER_RESERVE_SECONDS))

    if worker.is_alive():
        raise deadline.exceeded_error()
    if failure:
        raise failure[0]
    return outcome[0]


def end_abandoned_work() -> None:
    """Stop the programs a worker abandoned at the deadline had started.

    A `credential_process` that never exits would otherwise live on after the
    helper has answered, one more for every refresh. Nothing happens when no
    worker thread is left. Linux only (it reads /proc); elsewhere a no-op.
    """
    if threading.active_count() <= 1:
        return

    own = os.getpid()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            if _parent_process_id(int(entry)) == own:
                os.kill(int(entry), signal.SIGTERM)
        except (OSError, ValueError, IndexError):
            continue


def seconds_since_process_start() -> float:
    """How long ago this run was started, unpacking included; 0.0 where that cannot be read.

    A one-file frozen build runs as a chain of processes from one command: the
    portable build's staticx launcher (which unpacks the C library), the
    PyInstaller bootloader (which unpacks the bundle) and the Python process.
    The run began when the first of them did.
    """
    try:
        started_ticks = _start_ticks(_run_process_id())
        now_seconds = time.clock_gettime(time.CLOCK_BOOTTIME)
        ticks_per_second = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0
    return max(0.0, now_seconds - started_ticks / ticks_per_second)


def _run_process_id() -> int:
    """The first process of this run: this one, or the launchers of a frozen build above it."""
    process_id = os.getpid()
    if not getattr(sys, "frozen", False):
        return process_id

    # The launcher at the front of the file names its process, which the
    # bundle's bootloaders run under (build/launcher/launcher.c).
    with contextlib.suppress(ValueError, OSError, IndexError):
        launcher = int(os.environ.get("AWS_WIF_HELPER_LAUNCH_PID", ""))
        ancestor = process_id
        for _ in range(_LAUNCHER_DEPTH):
            ancestor = _parent_process_id(ancestor)
            if ancestor == launcher:
                return launcher

    # Without it (a build run without the launcher), the bootloader runs this
    # same executable, and staticx's names the command it was started as.
    own = os.readlink("/proc/self/exe")
    staticx = os.environ.get("STATICX_PROG_PATH")
    run_programs = {own, os.path.realpath(staticx)} if staticx else {own}
    for _ in range(_LAUNCHER_DEPTH - 1):
        parent = _parent_process_id(process_id)
        if os.readlink(f"/proc/{parent}/exe") not in run_programs:
            break
        process_id = parent
    return process_id


def _start_ticks(process_id: int) -> int:
    """When the process started, in clock ticks since boot."""
    return int(_stat_field(process_id, 22))


def _parent_process_id(process_id: int) -> int:
    return int(_stat_field(process_id, 4))


def _stat_field(process_id: int, number: int) -> str:
    """Field `number` (counted from 1, as in proc(5)) of /proc/PID/stat."""
    with open(f"/proc/{process_id}/stat", encoding="ascii", errors="replace") as stream:
        text = stream.read()
    # The command name (field 2) is in parentheses and may hold spaces.
    fields_after_name = text.rpartition(")")[2].split()
    return fields_after_name[number - 3]
