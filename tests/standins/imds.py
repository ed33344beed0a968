"""A stand-in for the EC2 instance metadata service, IMDSv2 only.

The flow it serves, and checks:

    PUT /latest/api/token                      X-aws-ec2-metadata-token-ttl-seconds: 21600
        -> a session token (text)
    GET /latest/meta-data/iam/security-credentials/        X-aws-ec2-metadata-token: TOKEN
        -> the role name (text)
    GET /latest/meta-data/iam/security-credentials/ROLE    X-aws-ec2-metadata-token: TOKEN
        -> {"Code": "Success", "AccessKeyId", "SecretAccessKey", "Token", "Expiration", ...}

A GET without a token it issued gets 401, as on an instance that requires
IMDSv2; `unauthenticated_reads` counts them.
"""

from __future__ import annotations

import datetime
import json
import secrets
import threading

from tests.standins.aws_keys import ACCOUNT_ID, AwsKey, remember_secret
from tests.standins.misbehaving import MisbehavingStandIn
from tests.standins.server import Reply, Request

__all__ = ["CREDENTIALS_PATH", "InstanceMetadataStandIn"]

TOKEN_PATH = "/latest/api/token"
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
_INSTANCE_ID = "i-0123456789abcdef0"


class InstanceMetadataStandIn(MisbehavingStandIn):
    """IMDSv2 on loopback, handing out the instance role's `key`."""

    def __init__(self, role_name: str = "app-instance-role") -> None:
        self.role_name: str | None = role_name
        self.key = _role_key(role_name, expires_in=datetime.timedelta(hours=6))
        self.tokens_issued = 0
        self.unauthenticated_reads = 0
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        super().__init__()

    def detach_role(self) -> None:
        """Like an instance without an instance profile: the role list is 404."""
        self.role_name = None

    def hand_out_credentials_expiring_in(self, expires_in: datetime.timedelta) -> None:
        assert self.role_name is not None
        self.key = _role_key(self.role_name, expires_in)

    def hand_out_expired_credentials(self) -> None:
        self.hand_out_credentials_expiring_in(-datetime.timedelta(minutes=5))

    def answer(self, request: Request) -> Reply:
        if request.path == TOKEN_PATH:
            return self._token(request)

        if request.method != "GET" or not request.path.startswith(CREDENTIALS_PATH):
            return _text(404, "Not Found")
        with self._lock:
            authorized = request.headers.get("x-aws-ec2-metadata-token") in self._tokens
            self.unauthenticated_reads += not authorized
        if not authorized:
            return _text(401, "Unauthorized")

        asked_role = request.path[len(CREDENTIALS_PATH) :]
        if self.role_name is None:
            return _text(404, "Not Found")
        if asked_role == "":
            return _text(200, self.role_name)
        if asked_role != self.role_name:
            return _text(404, "Not Found")
        return self._credentials()

    def _token(self, request: Request) -> Reply:
        if request.method != "PUT":
            return _text(405, "Method Not Allowed")
        if "x-aws-ec2-metadata-token-ttl-seconds" not in request.headers:
            return _text(400, "Missing TTL header")
        token = remember_secret("imds-session-" + secrets.token_hex(16), "an IMDSv2 token")
        with self._lock:
            self._tokens.add(token)
            self.tokens_issued += 1
        return _text(200, token)

    def _credentials(self) -> Reply:
        key = self.key
        assert key.expiration is not None
        document = {
            "Code": "Success",
            "LastUpdated": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Type": "AWS-HMAC",
            "AccessKeyId": key.access_key_id,
            "SecretAccessKey": key.secret_access_key,
            "Token": key.session_token,
            "Expiration": key.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return Reply(status=200, body=json.dumps(document).encode(), content_type="text/plain")


def _role_key(role_name: str, expires_in: datetime.timedelta) -> AwsKey:
    return AwsKey.session(
        role_name,
        arn=f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{_INSTANCE_ID}",
        expiration=(_now() + expires_in).replace(microsecond=0),
    )


def _text(status: int, text: str) -> Reply:
    return Reply(status=status, body=text.encode(), content_type="text/plain")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
