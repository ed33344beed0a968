"""Bad networks on loopback: servers that refuse, stall, break off or answer nonsense.

Each fault stands where an AWS endpoint would (STS, the container credentials
agent, the instance metadata service); the helper is pointed at it with the
usual variables (AWS_ENDPOINT_URL_STS, AWS_CONTAINER_CREDENTIALS_FULL_URI,
AWS_EC2_METADATA_SERVICE_ENDPOINT). What each one does:

    refused_url()            nothing listens: connecting fails at once
    SilentServer()           accepts the connection, reads, never answers
    HalfAnswerServer(hang=)  sends the status line, headers and half the body,
                             then closes the connection (or, with hang=True,
                             keeps it open and says nothing more)
    CannedServer(reply)      answers every request with one `Reply`

and the canned replies AWS services give when they fail: `STS_THROTTLED`,
`STS_CLOCK_SKEW`, `STS_SERVER_ERROR`, `MALFORMED_XML`, `MALFORMED_JSON`,
`THROTTLED_429`. `sts_credentials_reply` and `container_credentials_reply`
hand out a key (for example one that expires in a minute).

Every server listens on 127.0.0.1 only and stops on `close()`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import socket
import threading

from tests.standins.aws_keys import AwsKey
from tests.standins.server import Reply, Request, StandInServer

__all__ = [
    "MALFORMED_JSON",
    "MALFORMED_XML",
    "STS_CLOCK_SKEW",
    "STS_SERVER_ERROR",
    "STS_THROTTLED",
    "THROTTLED_429",
    "CannedServer",
    "HalfAnswerServer",
    "SilentServer",
    "container_credentials_reply",
    "refused_url",
    "sts_credentials_reply",
]

_STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


def refused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class _RawServer:
    """A TCP server on loopback that hands each connection to `serve` in its own thread."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._closed = threading.Event()
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                connection.close()

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def hold(self) -> None:
        """Keep the connection open, silent, until the server closes."""
        self._closed.wait()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
                self.accepted += 1
            threading.Thread(target=self._serve_safely, args=(connection,), daemon=True).start()

    def _serve_safely(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client gave up first
            self.serve(connection)


class SilentServer(_RawServer):
    """Accepts every connection and never answers."""

    def serve(self, connection: socket.socket) -> None:
        _read_request_head(connection)
        self.hold()


class HalfAnswerServer(_RawServer):
    """Starts a 200 answer with a body, stops half-way, then closes or goes silent."""

    def __init__(self, body: bytes, *, hang: bool) -> None:
        self._body = body
        self._hang = hang
        super().__init__()

    def serve(self, connection: socket.socket) -> None:
        _read_request_head(connection)
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self._body)}\r\n\r\n"
        ).encode()
        connection.sendall(head + self._body[: len(self._body) // 2])
        if self._hang:
            self.hold()
        connection.close()


class CannedServer:
    """Answers every request with the same `Reply`; counts the requests."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self._server = StandInServer(self._answer)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def requests(self) -> list[Request]:
        return self._server.requests

    def close(self) -> None:
        self._server.close()

    def _answer(self, request: Request) -> Reply:
        return self.reply


def _read_request_head(connection: socket.socket) -> None:
    received = b""
    while b"\r\n\r\n" not in received and len(received) < 65536:
        chunk = connection.recv(4096)
        if not chunk:
            return
        received += chunk


def _sts_error(status: int, code: str, message: str) -> Reply:
    body = (
        f'<ErrorResponse xmlns="{_STS_NAMESPACE}"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return Reply(status=status, body=body.encode(), content_type="text/xml")


STS_THROTTLED = _sts_error(400, "Throttling", "Rate exceeded")
STS_CLOCK_SKEW = _sts_error(
    403,
    "SignatureDoesNotMatch",
    "Signature expired: 20200101T000000Z is now earlier than 20200101T001000Z "
    "(20200101T002500Z - 15 min.)",
)
STS_SERVER_ERROR = _sts_error(500, "InternalFailure", "We encountered an internal error.")
MALFORMED_XML = Reply(
    status=200, body=b"<AssumeRoleResponse><AssumeRoleResult><Creden", content_type="text/xml"
)
MALFORMED_JSON = Reply(status=200, body=b'{"AccessKeyId": "ASIA', content_type="application/json")
THROTTLED_429 = Reply(status=429, body=b"Too Many Requests", content_type="text/plain")


def sts_credentials_reply(key: AwsKey) -> Reply:
    """STS AssumeRole's answer handing out `key` (a session key with an expiration)."""
    assert key.expiration is not None and key.session_token is not None
    body = (
        f'<AssumeRoleResponse xmlns="{_STS_NAMESPACE}"><AssumeRoleResult>'
        f"<Credentials><AccessKeyId>{key.access_key_id}</AccessKeyId>"
        f"<SecretAccessKey>{key.secret_access_key}</SecretAccessKey>"
        f"<SessionToken>{key.session_token}</SessionToken>"
        f"<Expiration>{_iso(key.expiration)}</Expiration></Credentials>"
        f"<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:fault</AssumedRoleId>"
        f"<Arn>{key.arn}</Arn></AssumedRoleUser></AssumeRoleResult>"
        "<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>"
        "</ResponseMetadata></AssumeRoleResponse>"
    )
    return Reply(status=200, body=body.encode(), content_type="text/xml")


def container_credentials_reply(key: AwsKey) -> Reply:
    """The container agent's answer handing out `key`."""
    assert key.expiration is not None
    document = {
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
        "Token": key.session_token,
        "Expiration": _iso(key.expiration),
    }
    return Reply(status=200, body=json.dumps(document).encode())


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
