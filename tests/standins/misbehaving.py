"""A base for stand-ins that can also hang or fail on purpose.

A stand-in subclasses `MisbehavingStandIn` and implements `answer(request)`.
Tests then make it misbehave for every later request:

    imds.hang()                     # accept, then say nothing until the stand-in closes
    imds.fail_with(Reply(500))      # answer every request with this reply
    imds.fail_as_server_error()     # the service's own 5xx answer
    imds.throttle()                 # the service's own "slow down" answer

`refused_url()` gives a loopback URL where nothing listens, for the
"connection refused" case.
"""

from __future__ import annotations

import socket
import threading

from tests.standins.server import Reply, Request, StandInServer

__all__ = ["HANG_SECONDS", "MisbehavingStandIn", "refused_url"]

# Longer than any helper deadline in the tests; `close()` ends the wait sooner.
HANG_SECONDS = 30.0


class MisbehavingStandIn:
    """A loopback server that answers with `answer`, unless told to hang or fail."""

    def __init__(self) -> None:
        self._released = threading.Event()
        self._hanging = False
        self._failure: Reply | None = None
        self._server = StandInServer(self._serve)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def requests(self) -> list[Request]:
        return self._server.requests

    def hang(self) -> None:
        """From now on, accept each request and answer nothing until `close()`."""
        self._hanging = True

    def fail_with(self, reply: Reply) -> None:
        """From now on, answer every request with `reply`."""
        self._failure = reply

    def fail_as_server_error(self) -> None:
        """From now on, answer like the service does when it is failing (plain 500 here)."""
        self.fail_with(Reply(status=500, body=b"Internal Server Error", content_type="text/plain"))

    def throttle(self) -> None:
        """From now on, answer like the service does when it throttles (plain 429 here)."""
        self.fail_with(Reply(status=429, body=b"Too Many Requests", content_type="text/plain"))

    def behave(self) -> None:
        """Answer normally again."""
        self._hanging = False
        self._failure = None

    def close(self) -> None:
        self._released.set()
        self._server.close()

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def _serve(self, request: Request) -> Reply:
        if self._hanging:
            self._released.wait(HANG_SECONDS)
            return Reply(status=503, body=b"")
        if self._failure is not None:
            return self._failure
        return self.answer(request)


def refused_url() -> str:
    """A loopback URL with no listener: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
