"""AWS's side of outbound identity federation: STS GetWebIdentityToken and the issuer.

Two loopback servers, as on AWS, where the STS endpoint and the account's
issuer URL are different hosts:

* `sts_url` answers `GetWebIdentityToken` in the query protocol (form-encoded
  POST, XML answer). It checks the SigV4 signature against the `AwsKey`s given
  to `register` (those of `tests.standins.aws_keys`), and plays the account's
  settings:
  `federation_enabled`, an IAM audience condition (`allowed_audiences`, like
  `sts:IdentityTokenAudience` with `ForAllValues:StringEquals`) and the rule
  that a token may not outlive the caller's session.
* `issuer_url` publishes `/.well-known/openid-configuration` and
  `/.well-known/jwks.json` with the public halves of the test keys, one RSA
  (RS256) and one P-384 (ES384), made fresh for each stand-in.

Tests point the helper at it with `AWS_ENDPOINT_URL_STS=<sts_url>` and a Google
STS stand-in or `oidc_verify` at `issuer_url`. `sign` makes tokens with the
same keys, so tests can also craft tampered or expired ones.
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from tests.standins.aws_keys import AwsKey
from tests.standins.server import Reply, Request, StandInServer

__all__ = ["AwsOidcStandIn", "TokenCall", "b64url", "b64url_decode"]

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
CLAIMS_NAMESPACE = "https://sts.amazonaws.com/"
MIN_DURATION_SECONDS = 60
MAX_DURATION_SECONDS = 3600
DEFAULT_DURATION_SECONDS = 300
MAX_AUDIENCES = 10


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclasses.dataclass(frozen=True)
class TokenCall:
    """One GetWebIdentityToken call as the stand-in saw it."""

    access_key: str
    signing_region: str
    audiences: list[str]
    signing_algorithm: str
    duration_seconds: int | None


class _SigningKey:
    """One test key pair: signs JWTs and publishes its public half as a JWK."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self.kid = f"test-{algorithm.lower()}-{uuid.uuid4().hex[:8]}"
        if algorithm == "RS256":
            self._rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "ES384":
            self._ec = ec.generate_private_key(ec.SECP384R1())
        else:
            raise ValueError(algorithm)

    def sign(self, signing_input: bytes) -> bytes:
        if self.algorithm == "RS256":
            return self._rsa.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        der = self._ec.sign(signing_input, ec.ECDSA(hashes.SHA384()))
        r, s = utils.decode_dss_signature(der)
        return r.to_bytes(48, "big") + s.to_bytes(48, "big")

    def jwk(self) -> dict[str, str]:
        if self.algorithm == "RS256":
            numbers = self._rsa.public_key().public_numbers()
            return {
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": self.kid,
                "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            }
        point = self._ec.public_key().public_numbers()
        return {
            "kty": "EC",
            "alg": "ES384",
            "use": "sig",
            "kid": self.kid,
            "crv": "P-384",
            "x": b64url(point.x.to_bytes(48, "big")),
            "y": b64url(point.y.to_bytes(48, "big")),
        }


class _StsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class AwsOidcStandIn:
    """AWS STS GetWebIdentityToken and the account's OIDC issuer, on loopback."""

    def __init__(self) -> None:
        self._keys = {algorithm: _SigningKey(algorithm) for algorithm in ("RS256", "ES384")}
        self._keys_by_id: dict[str, AwsKey] = {}
        self._lock = threading.Lock()
        self.federation_enabled = True
        self.allowed_audiences: set[str] | None = None
        self.delay_seconds = 0.0
        self.token_requests: list[TokenCall] = []
        self.issuer = StandInServer(self._serve_issuer)
        self.sts = StandInServer(self._serve_sts)

    @property
    def issuer_url(self) -> str:
        return self.issuer.url

    @property
    def sts_url(self) -> str:
        return self.sts.url

    def register(self, *keys: AwsKey) -> None:
        """Make AWS keys known, as if they existed in the AWS account."""
        with self._lock:
            for key in keys:
                self._keys_by_id[key.access_key_id] = key

    def reset(self) -> None:
        """Back to an enabled account with no audience condition and no recorded calls."""
        with self._lock:
            self._keys_by_id.clear()
            self.token_requests.clear()
        self.federation_enabled = True
        self.allowed_audiences = None
        self.delay_seconds = 0.0

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self._keys.values()]}

    def sign(
        self, claims: Mapping[str, Any], algorithm: str = "RS256", kid: str | None = None
    ) -> str:
        """A JWT over `claims`, signed with the stand-in's key for `algorithm`."""
        key = self._keys[algorithm]
        header = {"alg": algorithm, "kid": kid or key.kid, "typ": "JWT"}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(dict(claims), separators=(",", ":")).encode())
        )
        return signing_input + "." + b64url(key.sign(signing_input.encode("ascii")))

    def claims_for(
        self, key: AwsKey, audiences: list[str], lifetime_seconds: int, region: str
    ) -> dict[str, Any]:
        """The claims AWS puts in a token for `key`'s identity (the IAM user guide's sample)."""
        now = int(time.time())
        return {
            "iss": self.issuer_url,
            "aud": audiences[0] if len(audiences) == 1 else audiences,
            "sub": key.arn,
            "iat": now,
            "exp": now + lifetime_seconds,
            "jti": str(uuid.uuid4()),
            CLAIMS_NAMESPACE: {
                "aws_account": key.arn.split(":")[4],
                "source_region": region,
                "principal_id": key.arn,
            },
        }

    def close(self) -> None:
        self.sts.close()
        self.issuer.close()

    # The issuer URL's discovery documents.

    def _serve_issuer(self, request: Request) -> Reply:
        path = urllib.parse.urlsplit(request.path).path
        if request.method != "GET":
            return Reply(405, b'{"error": "method not allowed"}')
        if path == "/.well-known/openid-configuration":
            document = {
                "issuer": self.issuer_url,
                "jwks_uri": self.issuer_url + "/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": list(self._keys),
                "subject_types_supported": ["public"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "jti", CLAIMS_NAMESPACE],
            }
            return Reply(200, json.dumps(document).encode())
        if path == "/.well-known/jwks.json":
            return Reply(200, json.dumps(self.jwks()).encode())
        return Reply(404, b'{"error": "not found"}')

    # STS, query protocol.

    def _serve_sts(self, request: Request) -> Reply:
        try:
            reply = self._get_web_identity_token(request)
        except _StsError as error:
            reply = _error_reply(error)

        # The call is recorded before the delay, so a late answer to a test that
        # gave up does not show up in the next test's calls.
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        return reply

    def _get_web_identity_token(self, request: Request) -> Reply:
        form = urllib.parse.parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
        fields = {name: values[-1] for name, values in form.items()}
        key, region = self._authenticate(request)

        action = fields.get("Action")
        if action != "GetWebIdentityToken":
            raise _StsError(400, "InvalidAction", f"Could not find operation {action}")

        audiences = [
            fields[name]
            for name in sorted(
                (name for name in fields if name.startswith("Audience.member.")),
                key=lambda name: int(name.rsplit(".", 1)[1]),
            )
        ]
        algorithm = fields.get("SigningAlgorithm", "")
        duration_text = fields.get("DurationSeconds")
        duration = int(duration_text) if duration_text is not None else None
        with self._lock:
            self.token_requests.append(
                TokenCall(key.access_key_id, region, audiences, algorithm, duration)
            )

        if not self.federation_enabled:
            raise _StsError(
                403,
                "OutboundWebIdentityFederationDisabledException",
                "Outbound web identity federation is disabled for this account.",
            )
        if not 1 <= len(audiences) <= MAX_AUDIENCES:
            raise _StsError(400, "ValidationError", "Audience must have 1 to 10 members.")
        if self.allowed_audiences is not None and not set(audiences) <= self.allowed_audiences:
            raise _StsError(
                403,
                "AccessDenied",
                f"User: {key.arn} is not authorized to perform: sts:GetWebIdentityToken",
            )
        if algorithm not in self._keys:
            raise _StsError(400, "ValidationError", "SigningAlgorithm must be RS256 or ES384.")

        lifetime = DEFAULT_DURATION_SECONDS if duration is None else duration
        if not MIN_DURATION_SECONDS <= lifetime <= MAX_DURATION_SECONDS:
            raise _StsError(400, "ValidationError", "DurationSeconds must be 60 to 3600.")
        if key.expiration is not None and time.time() + lifetime > key.expiration.timestamp():
            raise _StsError(
                403,
                "SessionDurationEscalationException",
                "The requested token duration exceeds the session's remaining time.",
            )

        claims = self.claims_for(key, audiences, lifetime, region)
        token = self.sign(claims, algorithm)
        expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(claims["exp"]))
        body = (
            f'<GetWebIdentityTokenResponse xmlns="{STS_NAMESPACE}">'
            "<GetWebIdentityTokenResult>"
            f"<WebIdentityToken>{escape(token)}</WebIdentityToken>"
            f"<Expiration>{expiration}</Expiration>"
            "</GetWebIdentityTokenResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</GetWebIdentityTokenResponse>"
        )
        return Reply(200, body.encode(), content_type="text/xml")

    def _authenticate(self, request: Request) -> tuple[AwsKey, str]:
        """The key that signed `request` (SigV4), and the region it was signed for."""
        authorization = request.headers.get("authorization", "")
        try:
            scheme, rest = authorization.split(" ", 1)
            parts = dict(part.strip().split("=", 1) for part in rest.split(","))
            access_key, date, region, service, terminator = parts["Credential"].split("/")
            signed_headers = parts["SignedHeaders"].split(";")
            signature = parts["Signature"]
        except (ValueError, KeyError):
            raise _StsError(403, "IncompleteSignature", "Malformed Authorization.") from None
        if scheme != "AWS4-HMAC-SHA256" or service != "sts" or terminator != "aws4_request":
            raise _StsError(403, "IncompleteSignature", "Not a SigV4 signature for sts.")

        with self._lock:
            key = self._keys_by_id.get(access_key)
        if key is None or request.headers.get("x-amz-security-token") != key.session_token:
            raise _StsError(403, "InvalidClientTokenId", "The security token included is invalid.")
        if key.expiration is not None and time.time() >= key.expiration.timestamp():
            raise _StsError(403, "ExpiredToken", "The security token included has expired.")

        amz_date = request.headers.get("x-amz-date", "")
        if not amz_date.startswith(date):
            raise _StsError(403, "SignatureDoesNotMatch", "Date and credential scope differ.")
        expected = _sigv4_signature(request, key, region, signed_headers, amz_date)
        if not hmac.compare_digest(expected, signature):
            raise _StsError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        return key, region


def _sigv4_signature(
    request: Request, key: AwsKey, region: str, signed_headers: list[str], amz_date: str
) -> str:
    """Recompute the SigV4 signature over the headers the client says it signed."""
    host = request.headers.get("host", "")
    rebuilt = AWSRequest(
        method=request.method,
        url=f"http://{host}{request.path}",
        headers={name: request.headers.get(name, "") for name in signed_headers},
        data=request.body,
    )
    rebuilt.context["timestamp"] = amz_date
    signer = SigV4Auth(
        Credentials(key.access_key_id, key.secret_access_key, key.session_token),
        "sts",
        region,
    )
    canonical = signer.canonical_request(rebuilt)
    return str(signer.signature(signer.string_to_sign(rebuilt, canonical), rebuilt))


def _error_reply(error: _StsError) -> Reply:
    body = (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}">'
        f"<Error><Type>Sender</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId>"
        "</ErrorResponse>"
    )
    return Reply(error.status, body.encode(), content_type="text/xml")
