"""A stand-in for IAM Identity Center: the SSO portal and its OIDC token service.

    GET  /federation/credentials?role_name=ROLE&account_id=ACCOUNT
         x-amz-sso_bearer_token: ACCESS_TOKEN          (portal, AWS_ENDPOINT_URL_SSO)
         -> {"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken",
                                 "expiration": EPOCH_MILLISECONDS}}
         401 UnauthorizedException for a token it did not issue
    POST /token   {"grantType": "refresh_token", "clientId", "clientSecret", "refreshToken"}
         -> {"accessToken", "expiresIn", "tokenType": "Bearer", "refreshToken"}
                                                        (SSO OIDC, AWS_ENDPOINT_URL_SSO_OIDC)

`log_in()` plays `aws sso login`: it writes the cached token botocore reads
from ~/.aws/sso/cache/SHA1.json, where SHA1 is of the sso-session name (or of
the start URL for a legacy profile).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from tests.standins.aws_keys import AwsKey, remember_secret
from tests.standins.misbehaving import MisbehavingStandIn
from tests.standins.server import Reply, Request

__all__ = ["SSO_REGION", "START_URL", "SsoStandIn", "sso_error"]

START_URL = "https://standin-portal.awsapps.com/start"
SSO_REGION = "us-east-1"
_ROLE_CREDENTIALS_PATH = "/federation/credentials"
_CREATE_TOKEN_PATH = "/token"
_CLIENT_ID = "standin-client-id"
_CLIENT_SECRET = "standin-client-secret"


class SsoStandIn(MisbehavingStandIn):
    """IAM Identity Center on loopback: access tokens it issued buy role credentials."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._access_tokens: set[str] = set()
        self._refresh_tokens: set[str] = set()
        self.issued: list[AwsKey] = []
        self.on_issue: list[Callable[[AwsKey], None]] = []  # like AwsStsStandIn.on_issue
        self.refreshes = 0
        super().__init__()

    def log_in(
        self,
        home: Path,
        *,
        session_name: str | None = None,
        expires_in: datetime.timedelta = datetime.timedelta(hours=8),
        refreshable: bool = False,
    ) -> str:
        """Write the cached login `aws sso login` would; return its access token."""
        access_token = self._new_access_token()
        cached: dict[str, str] = {
            "startUrl": START_URL,
            "region": SSO_REGION,
            "accessToken": access_token,
            "expiresAt": _timestamp(_now() + expires_in),
        }
        if refreshable:
            refresh_token = remember_secret(
                "standin-refresh-" + secrets.token_hex(16), "an SSO refresh token"
            )
            with self._lock:
                self._refresh_tokens.add(refresh_token)
            cached.update(
                clientId=_CLIENT_ID,
                clientSecret=_CLIENT_SECRET,
                refreshToken=refresh_token,
                registrationExpiresAt=_timestamp(_now() + datetime.timedelta(days=30)),
            )

        folder = home / ".aws" / "sso" / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1((session_name or START_URL).encode()).hexdigest()
        (folder / f"{name}.json").write_text(json.dumps(cached))
        return access_token

    def forget_logins(self) -> None:
        """Refuse every access token issued so far, as after a sign-out or a session revoke."""
        with self._lock:
            self._access_tokens.clear()

    def fail_as_server_error(self) -> None:
        self.fail_with(sso_error(500, "InternalServerException", "Internal error"))

    def throttle(self) -> None:
        self.fail_with(sso_error(429, "TooManyRequestsException", "Rate exceeded"))

    def answer(self, request: Request) -> Reply:
        url = urllib.parse.urlsplit(request.path)
        if request.method == "GET" and url.path == _ROLE_CREDENTIALS_PATH:
            query = dict(urllib.parse.parse_qsl(url.query))
            return self._role_credentials(request, query)
        if request.method == "POST" and url.path == _CREATE_TOKEN_PATH:
            return self._create_token(request)
        return sso_error(404, "ResourceNotFoundException", "No such resource")

    def _role_credentials(self, request: Request, query: dict[str, str]) -> Reply:
        with self._lock:
            known = request.headers.get("x-amz-sso_bearer_token") in self._access_tokens
        if not known:
            return sso_error(401, "UnauthorizedException", "Session token not found or invalid")

        role_name, account_id = query.get("role_name", ""), query.get("account_id", "")
        key = AwsKey.session(
            role_name,
            arn=f"arn:aws:sts::{account_id}:assumed-role/AWSReservedSSO_{role_name}/user",
            expiration=(_now() + datetime.timedelta(hours=1)).replace(microsecond=0),
        )
        with self._lock:
            self.issued.append(key)
        for listener in self.on_issue:
            listener(key)

        assert key.expiration is not None
        credentials = {
            "accessKeyId": key.access_key_id,
            "secretAccessKey": key.secret_access_key,
            "sessionToken": key.session_token,
            "expiration": int(key.expiration.timestamp() * 1000),
        }
        return Reply(status=200, body=json.dumps({"roleCredentials": credentials}).encode())

    def _create_token(self, request: Request) -> Reply:
        try:
            asked = json.loads(request.body)
        except ValueError:
            return sso_error(400, "InvalidRequestException", "Body is not JSON")

        with self._lock:
            valid = (
                asked.get("grantType") == "refresh_token"
                and asked.get("clientId") == _CLIENT_ID
                and asked.get("clientSecret") == _CLIENT_SECRET
                and asked.get("refreshToken") in self._refresh_tokens
            )
            if valid:
                self.refreshes += 1
        if not valid:
            return sso_error(400, "InvalidGrantException", "Invalid refresh token")

        return Reply(
            status=200,
            body=json.dumps(
                {
                    "accessToken": self._new_access_token(),
                    "expiresIn": 8 * 3600,
                    "tokenType": "Bearer",
                    "refreshToken": asked["refreshToken"],
                }
            ).encode(),
        )

    def _new_access_token(self) -> str:
        token = remember_secret("standin-sso-access-" + secrets.token_hex(16), "an SSO token")
        with self._lock:
            self._access_tokens.add(token)
        return token


def sso_error(status: int, code: str, message: str) -> Reply:
    """An error as the portal's REST-JSON protocol sends it."""
    return Reply(
        status=status,
        body=json.dumps({"message": message}).encode(),
        headers={"x-amzn-ErrorType": code},
    )


def _timestamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
