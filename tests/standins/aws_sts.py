"""A stand-in for AWS STS: AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity.

It speaks STS's query protocol as botocore sends it (a form-encoded POST with
`Action=...&Version=2011-06-15`) and answers in STS's XML:

    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
      <AssumeRoleResult>
        <Credentials><AccessKeyId/><SecretAccessKey/><SessionToken/><Expiration/></Credentials>
        <AssumedRoleUser><AssumedRoleId/><Arn/></AssumedRoleUser>
      </AssumeRoleResult>
    </AssumeRoleResponse>

    <ErrorResponse><Error><Type/><Code>AccessDenied</Code><Message/></Error></ErrorResponse>

Like AWS, it only serves callers it knows: `know(key)` for base keys; keys it
issued itself are known from then on. A signed call names its key in the
Authorization header's `Credential=`, and a session key must come with its own
`X-Amz-Security-Token`. (The signature itself is not recomputed here; the
Google STS stand-in does that for the subject token.) Every issued key is an
`AwsKey` kept in `issued`, so tests know which temporary key a source should
sign with, and handed to each of `on_issue` (`google_sts.register`, so that
the Google STS stand-in knows it as AWS would); every call is kept in `calls`.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from typing import Protocol
from xml.sax.saxutils import escape

from tests.standins.aws_keys import ACCOUNT_ID, AwsKey
from tests.standins.misbehaving import MisbehavingStandIn
from tests.standins.server import Reply, Request

__all__ = ["AwsStsStandIn", "StsCall", "sts_error"]

_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")
_DEFAULT_DURATION_SECONDS = 3600


class _Issuer(Protocol):
    issued: list[AwsKey]


@dataclasses.dataclass(frozen=True)
class StsCall:
    """One call: the action, its parameters and the access key that signed it (if any)."""

    action: str
    parameters: dict[str, str] = dataclasses.field(repr=False)
    caller: str | None

    @property
    def role_arn(self) -> str | None:
        return self.parameters.get("RoleArn")


class AwsStsStandIn(MisbehavingStandIn):
    """AWS STS on loopback, issuing known temporary keys."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, AwsKey] = {}
        self._denied_roles: set[str] = set()
        self._external_ids: dict[str, str] = {}
        self._web_identity_tokens: dict[str, str] = {}  # token -> "valid" or "expired"
        self._issuers: list[_Issuer] = []
        self.issued: list[AwsKey] = []
        self.on_issue: list[Callable[[AwsKey], None]] = []
        self.calls: list[StsCall] = []
        super().__init__()

    # Set-up

    def know(self, *keys: AwsKey) -> None:
        """Make base keys known, as if they existed in the account."""
        with self._lock:
            for key in keys:
                self._known[key.access_key_id] = key

    def know_keys_issued_by(self, issuer: _Issuer) -> None:
        """Keys `issuer` (an SSO or metadata stand-in) hands out are known, when they are used."""
        self._issuers.append(issuer)

    def deny(self, role_arn: str) -> None:
        """AssumeRole of `role_arn` is refused with AccessDenied, whoever asks."""
        self._denied_roles.add(role_arn)

    def require_external_id(self, role_arn: str, external_id: str) -> None:
        """AssumeRole of `role_arn` needs this ExternalId, as a trust policy can demand."""
        self._external_ids[role_arn] = external_id

    def accept_web_identity(self, token: str) -> None:
        """AssumeRoleWithWebIdentity accepts this token (an OIDC JWT, here opaque)."""
        self._web_identity_tokens[token] = "valid"

    def reject_web_identity_as_expired(self, token: str) -> None:
        self._web_identity_tokens[token] = "expired"

    def fail_as_server_error(self) -> None:
        self.fail_with(sts_error(500, "InternalFailure", "An internal error occurred"))

    def throttle(self) -> None:
        self.fail_with(sts_error(400, "Throttling", "Rate exceeded"))

    # What happened

    def issued_for(self, role_arn: str) -> list[AwsKey]:
        """The keys issued for `role_arn`, oldest first."""
        return [key for key in self.issued if _role_of(key.arn) == role_arn]

    def actions(self) -> list[str]:
        return [call.action for call in self.calls]

    # Serving

    def answer(self, request: Request) -> Reply:
        if request.method != "POST":
            return sts_error(400, "InvalidAction", "STS takes POST requests")
        parameters = dict(urllib.parse.parse_qsl(request.body.decode("utf-8")))
        action = parameters.get("Action", "")

        if action == "AssumeRoleWithWebIdentity":
            self._record(StsCall(action, parameters, None))
            return self._assume_role_with_web_identity(parameters)

        caller, refusal = self._authenticate(request)
        self._record(StsCall(action, parameters, caller.access_key_id if caller else None))
        if refusal is not None:
            return refusal
        assert caller is not None

        if action == "AssumeRole":
            return self._assume_role(parameters)
        if action == "GetCallerIdentity":
            return _xml_reply(
                "GetCallerIdentity",
                f"<Arn>{escape(caller.arn)}</Arn><UserId>{escape(caller.access_key_id)}</UserId>"
                f"<Account>{ACCOUNT_ID}</Account>",
            )
        return sts_error(400, "InvalidAction", f"The stand-in does not serve {action!r}")

    def _authenticate(self, request: Request) -> tuple[AwsKey | None, Reply | None]:
        match = _CREDENTIAL.search(request.headers.get("authorization", ""))
        if match is None:
            return None, sts_error(403, "MissingAuthenticationToken", "Request is not signed")
        with self._lock:
            known = {**self._known}
        for issuer in self._issuers:
            known.update((key.access_key_id, key) for key in issuer.issued)
        key = known.get(match[1])

        if key is None or request.headers.get("x-amz-security-token") != key.session_token:
            return None, sts_error(
                403, "InvalidClientTokenId", "The security token included is invalid"
            )
        if key.expiration is not None and key.expiration <= _now():
            return key, sts_error(400, "ExpiredToken", "The security token included has expired")
        return key, None

    def _assume_role(self, parameters: dict[str, str]) -> Reply:
        role_arn = parameters.get("RoleArn", "")
        required_external_id = self._external_ids.get(role_arn)
        if role_arn in self._denied_roles or (
            required_external_id is not None
            and parameters.get("ExternalId") != required_external_id
        ):
            return sts_error(
                403,
                "AccessDenied",
                f"User is not authorized to perform sts:AssumeRole on {role_arn}",
            )
        return self._issue("AssumeRole", role_arn, parameters)

    def _assume_role_with_web_identity(self, parameters: dict[str, str]) -> Reply:
        state = self._web_identity_tokens.get(parameters.get("WebIdentityToken", ""))
        if state is None:
            return sts_error(400, "InvalidIdentityToken", "Couldn't verify the web identity token")
        if state == "expired":
            return sts_error(400, "ExpiredTokenException", "Token expired")
        return self._issue("AssumeRoleWithWebIdentity", parameters.get("RoleArn", ""), parameters)

    def _issue(self, action: str, role_arn: str, parameters: dict[str, str]) -> Reply:
        session_name = parameters.get("RoleSessionName", "session")
        duration = int(parameters.get("DurationSeconds", _DEFAULT_DURATION_SECONDS))
        role_name = role_arn.rsplit("/", 1)[-1]
        assumed_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{session_name}"
        key = AwsKey.session(
            role_name, arn=assumed_arn, expiration=_now() + datetime.timedelta(seconds=duration)
        )
        with self._lock:
            self._known[key.access_key_id] = key
            self.issued.append(key)
        for listener in self.on_issue:
            listener(key)

        assert key.session_token is not None and key.expiration is not None
        return _xml_reply(
            action,
            "<Credentials>"
            f"<AccessKeyId>{key.access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{key.secret_access_key}</SecretAccessKey>"
            f"<SessionToken>{escape(key.session_token)}</SessionToken>"
            f"<Expiration>{key.expiration:%Y-%m-%dT%H:%M:%SZ}</Expiration>"
            "</Credentials>"
            "<AssumedRoleUser>"
            f"<AssumedRoleId>AROA{secrets.token_hex(8).upper()}:{escape(session_name)}</AssumedRoleId>"
            f"<Arn>{escape(assumed_arn)}</Arn>"
            "</AssumedRoleUser>",
        )

    def _record(self, call: StsCall) -> None:
        with self._lock:
            self.calls.append(call)


def sts_error(status: int, code: str, message: str = "stand-in error") -> Reply:
    """An STS error reply, as botocore's query protocol parser reads it."""
    kind = "Receiver" if status >= 500 else "Sender"
    body = (
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{secrets.token_hex(8)}</RequestId></ErrorResponse>"
    )
    return Reply(status=status, body=body.encode(), content_type="text/xml")


def _xml_reply(action: str, result: str) -> Reply:
    body = (
        f'<{action}Response xmlns="{_NAMESPACE}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{secrets.token_hex(8)}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Reply(status=200, body=body.encode(), content_type="text/xml")


def _role_of(assumed_arn: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> arn:aws:iam::ACCOUNT:role/NAME."""
    name = assumed_arn.split(":assumed-role/", 1)[-1].split("/", 1)[0]
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
