"""A stand-in for Google's STS token exchange and IAM credentials impersonation.

It answers the two calls a Google client makes with an external account config:

    POST /v1/token
        RFC 8693 token exchange, form-encoded (grant_type, audience, scope,
        requested_token_type, subject_token, subject_token_type); answers
        {"access_token", "issued_token_type", "token_type": "Bearer", "expires_in"}
        or 400 {"error": "invalid_grant", "error_description": REASON}.
    POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken
        with "Authorization: Bearer ACCESS_TOKEN" from the exchange; answers
        {"accessToken", "expireTime"}.

Each subject token type has a verifier in `GoogleStsStandIn.verifiers`: a
callable that takes the `ExchangeRequest` and returns the `Identity` it proves,
or raises `TokenRejected`. AWS tokens are checked by `AwsTokenVerifier`, which
plays AWS STS with `tests.standins.sigv4` against the keys given to
`register`. Another mode adds its own:

    google_sts.verifiers[JWT_TOKEN_TYPE] = my_jwt_verifier

Every exchange, accepted or not, is kept in `exchanges` for the tests to read.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from tests.standins.aws_keys import AwsKey
from tests.standins.server import Reply, Request, StandInServer
from tests.standins.sigv4 import (
    SignatureRejected,
    parse_subject_token,
    verify_get_caller_identity,
)

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "AWS_TOKEN_TYPE",
    "TOKEN_EXCHANGE_GRANT",
    "AwsTokenVerifier",
    "Exchange",
    "ExchangeRequest",
    "GoogleStsStandIn",
    "Identity",
    "Impersonation",
    "SubjectTokenVerifier",
    "TokenRejected",
]

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
ACCESS_TOKEN_LIFETIME_SECONDS = 3600

_TOKEN_PATH = "/v1/token"
_IMPERSONATION_PATH = re.compile(
    r"/v1/projects/-/serviceAccounts/(?P<email>[^/:]+):generateAccessToken"
)
_REQUIRED_FIELDS = (
    "grant_type",
    "audience",
    "requested_token_type",
    "subject_token",
    "subject_token_type",
)


class TokenRejected(Exception):
    """A subject token Google would refuse; `reason` becomes the error_description."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class ExchangeRequest:
    """The fields of one token exchange, as the client posted them."""

    audience: str
    scope: str
    subject_token_type: str
    subject_token: str = dataclasses.field(repr=False)
    fields: Mapping[str, str] = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who a subject token proves the caller is (an AWS ARN, an OIDC subject)."""

    subject: str
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Exchange:
    """One call to the token endpoint and its outcome."""

    request: ExchangeRequest
    identity: Identity | None
    rejection: str | None
    access_token: str | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True)
class Impersonation:
    """One generateAccessToken call that was granted."""

    service_account: str
    subject: str
    scope: tuple[str, ...]


SubjectTokenVerifier = Callable[[ExchangeRequest], Identity]


class AwsTokenVerifier:
    """Plays AWS STS for `...:aws4_request` tokens: the signature must be right for a known key."""

    def __init__(self) -> None:
        self.keys: dict[str, AwsKey] = {}
        self.now: Callable[[], datetime.datetime] = _now

    def register(self, key: AwsKey) -> None:
        self.keys[key.access_key_id] = key

    def __call__(self, request: ExchangeRequest) -> Identity:
        now = self.now()
        try:
            token = parse_subject_token(request.subject_token)
            verified = verify_get_caller_identity(
                token, audience=request.audience, secret_for=self._secret_for, now=now
            )
        except SignatureRejected as rejected:
            raise TokenRejected(f"AWS would refuse the request: {rejected.reason}") from None

        key = self.keys[verified.access_key_id]
        if verified.session_token != key.session_token:
            raise TokenRejected("AWS would refuse the request: the session token is not this key's")
        if key.expiration is not None and key.expiration <= now:
            raise TokenRejected(
                "AWS would refuse the request: the session credentials have expired"
            )

        details = {
            "access_key_id": key.access_key_id,
            "region": verified.region,
            "host": verified.host,
            "signed_at": verified.signed_at,
            "signed_headers": verified.signed_headers,
        }
        return Identity(subject=key.arn, details=details)

    def _secret_for(self, access_key_id: str) -> str | None:
        key = self.keys.get(access_key_id)
        return key.secret_access_key if key else None


class GoogleStsStandIn:
    """Google's STS and IAM credentials endpoints on one loopback server."""

    def __init__(self) -> None:
        self.aws = AwsTokenVerifier()
        self.verifiers: dict[str, SubjectTokenVerifier] = {AWS_TOKEN_TYPE: self.aws}
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._impersonations: list[Impersonation] = []
        self._issued: dict[str, str] = {}  # access token -> subject
        self._server = StandInServer(self._handle)

    # Set-up

    def register(self, *keys: AwsKey) -> None:
        """Make AWS keys known, as if they existed in the AWS account."""
        for key in keys:
            self.aws.register(key)

    def close(self) -> None:
        self._server.close()

    # Where clients send their requests

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def token_url(self) -> str:
        return self._server.url + _TOKEN_PATH

    def impersonation_url(self, service_account: str) -> str:
        return (
            f"{self._server.url}/v1/projects/-/serviceAccounts/"
            f"{service_account}:generateAccessToken"
        )

    # What happened

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    @property
    def accepted_subjects(self) -> list[str]:
        """The identity of every accepted exchange, in order."""
        return [item.identity.subject for item in self.exchanges if item.identity]

    @property
    def rejections(self) -> list[str]:
        return [item.rejection for item in self.exchanges if item.rejection]

    @property
    def impersonations(self) -> list[Impersonation]:
        with self._lock:
            return list(self._impersonations)

    def subject_of(self, access_token: str) -> str | None:
        """The identity an access token issued here stands for."""
        with self._lock:
            return self._issued.get(access_token)

    # Serving

    def _handle(self, request: Request) -> Reply:
        path = urllib.parse.urlsplit(request.path).path
        if request.method == "POST" and path == _TOKEN_PATH:
            return self._exchange(request)

        impersonation = _IMPERSONATION_PATH.fullmatch(path)
        if request.method == "POST" and impersonation:
            return self._impersonate(request, urllib.parse.unquote(impersonation["email"]))
        return _google_error(404, "NOT_FOUND", f"No stand-in for {request.method} {path}")

    def _exchange(self, request: Request) -> Reply:
        fields = dict(urllib.parse.parse_qsl(request.body.decode("utf-8", "replace")))
        missing = [name for name in _REQUIRED_FIELDS if not fields.get(name)]
        if missing:
            return _oauth_error("invalid_request", f"Missing {', '.join(missing)}.")
        if fields["grant_type"] != TOKEN_EXCHANGE_GRANT:
            return _oauth_error("unsupported_grant_type", "Only token exchange is supported.")
        if fields["requested_token_type"] != ACCESS_TOKEN_TYPE:
            return _oauth_error("invalid_request", "Invalid requested_token_type.")

        exchange = ExchangeRequest(
            audience=fields["audience"],
            scope=fields.get("scope", ""),
            subject_token_type=fields["subject_token_type"],
            subject_token=fields["subject_token"],
            fields=fields,
        )
        verifier = self.verifiers.get(exchange.subject_token_type)
        if verifier is None:
            return _oauth_error("invalid_request", "Invalid value for subject_token_type.")

        try:
            identity = verifier(exchange)
        except TokenRejected as rejected:
            self._record(Exchange(exchange, None, rejected.reason))
            return _oauth_error("invalid_grant", rejected.reason)

        access_token = "standin-access-" + secrets.token_hex(16)
        with self._lock:
            self._issued[access_token] = identity.subject
        self._record(Exchange(exchange, identity, None, access_token))
        return _json_reply(
            200,
            {
                "access_token": access_token,
                "issued_token_type": ACCESS_TOKEN_TYPE,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS,
            },
        )

    def _impersonate(self, request: Request, service_account: str) -> Reply:
        bearer = request.headers.get("authorization", "")
        subject = self.subject_of(bearer.removeprefix("Bearer ").strip())
        if not bearer.startswith("Bearer ") or subject is None:
            return _google_error(401, "UNAUTHENTICATED", "Request had invalid authentication.")

        try:
            body = json.loads(request.body or b"{}")
            scope = tuple(body.get("scope") or ())
        except (ValueError, AttributeError, TypeError):
            return _google_error(400, "INVALID_ARGUMENT", "The body is not a JSON object.")
        if not scope:
            return _google_error(400, "INVALID_ARGUMENT", "Scope required.")

        with self._lock:
            self._impersonations.append(Impersonation(service_account, subject, scope))
        expires = _now() + datetime.timedelta(seconds=ACCESS_TOKEN_LIFETIME_SECONDS)
        return _json_reply(
            200,
            {
                "accessToken": "standin-impersonated-" + secrets.token_hex(16),
                "expireTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _json_reply(status: int, document: Mapping[str, Any]) -> Reply:
    return Reply(status=status, body=json.dumps(document).encode())


def _oauth_error(error: str, description: str) -> Reply:
    return _json_reply(400, {"error": error, "error_description": description})


def _google_error(status: int, code: str, message: str) -> Reply:
    return _json_reply(status, {"error": {"code": status, "message": message, "status": code}})
