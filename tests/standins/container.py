"""A stand-in for the container credentials endpoint (the ECS agent, the EKS Pod Identity Agent).

    GET /v1/credentials          Authorization: TOKEN
        -> {"AccessKeyId", "SecretAccessKey", "Token", "AccountId", "Expiration"}

The Authorization header must be exactly `authorization_token` (what
AWS_CONTAINER_AUTHORIZATION_TOKEN or the file named by
AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE holds); otherwise 401. With
`authorization_token = None` it serves anyone, like the ECS agent.
"""

from __future__ import annotations

import datetime
import json
import secrets

from tests.standins.aws_keys import ACCOUNT_ID, AwsKey, remember_secret
from tests.standins.misbehaving import MisbehavingStandIn
from tests.standins.server import Reply, Request

__all__ = ["ContainerCredentialsStandIn"]

CREDENTIALS_PATH = "/v1/credentials"


class ContainerCredentialsStandIn(MisbehavingStandIn):
    """A container credentials agent on loopback, handing out the pod's or task's `key`."""

    def __init__(self, role_name: str = "app-pod-role") -> None:
        self.role_name = role_name
        self.authorization_token: str | None = remember_secret(
            "pod-identity-" + secrets.token_urlsafe(24), "a container authorization token"
        )
        self.key = _role_key(role_name, expires_in=datetime.timedelta(hours=6))
        super().__init__()

    @property
    def full_uri(self) -> str:
        """What AWS_CONTAINER_CREDENTIALS_FULL_URI holds."""
        return self.url + CREDENTIALS_PATH

    def hand_out_expired_credentials(self) -> None:
        self.key = _role_key(self.role_name, expires_in=-datetime.timedelta(minutes=5))

    def answer(self, request: Request) -> Reply:
        if request.method != "GET" or request.path.split("?")[0] != CREDENTIALS_PATH:
            return _json(404, {"Message": "Not found"})
        token = self.authorization_token
        if token is not None and request.headers.get("authorization") != token:
            return _json(401, {"Message": "Authorization token is missing or invalid"})

        key = self.key
        assert key.expiration is not None
        return _json(
            200,
            {
                "AccessKeyId": key.access_key_id,
                "SecretAccessKey": key.secret_access_key,
                "Token": key.session_token,
                "AccountId": ACCOUNT_ID,
                "Expiration": key.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )


def _role_key(role_name: str, expires_in: datetime.timedelta) -> AwsKey:
    return AwsKey.session(
        role_name,
        arn=f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/eks-pod-identity",
        expiration=(datetime.datetime.now(datetime.timezone.utc) + expires_in).replace(
            microsecond=0
        ),
    )


def _json(status: int, document: dict[str, object]) -> Reply:
    return Reply(status=status, body=json.dumps(document).encode())
