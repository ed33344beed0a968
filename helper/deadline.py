"""The run's deadline, and the step that is using it.

Every network call takes its timeouts from `Deadline.remaining_seconds`, and
`run_before_deadline` bounds the whole run even when a call ignores them (a
`credential_process` that never exits, a server that trickles bytes): the
client then still gets a `DEADLINE_EXCEEDED` answer naming the slow step,
before it would kill the helper.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from helper import log
from helper.errors import ErrorCode, HelperError

__all__ = ["Deadline", "run_before_deadline"]

T = TypeVar("T")

# Kept back from the deadline for writing the answer after the work stops.
_ANSWER_RESERVE_SECONDS = 0.1


class Deadline:
    """A point in monotonic time, and a description of the current step."""

    def __init__(self, seconds: float) -> None:
        self.total_seconds = seconds
        self._end = time.monotonic() + seconds
        self.step = "starting"

    def remaining_seconds(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def begin(self, step: str) -> None:
        """Name the step now running, for the message if the deadline passes and the log."""
        self.step = step
        log.step(step)

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
