"""How a Google workload identity pool OIDC provider judges a subject token.

`verify_oidc_token` is the Google STS stand-in's verifier for the token types
`urn:ietf:params:oauth:token-type:jwt` and `...:id_token`. It checks what
Google documents for an OIDC provider:

* the signature, with the key named by the header's `kid`, from the provider's
  uploaded JWKS or else from the issuer's discovery document
  (`ISSUER/.well-known/openid-configuration` -> `jwks_uri`), fetched like
  Google does; only asymmetric algorithms (RSA, EC) are accepted;
* `iss` equal to the provider's issuer URI;
* `aud` (a string or a list) containing an accepted audience: the provider's
  allowed audiences, or, when it lists none, its full resource name with or
  without `https:` in front;
* `exp` in the future, `iat` not in the future, and at most
  `MAX_TOKEN_LIFETIME_SECONDS` between them;
* a `sub`, which the default attribute mapping makes `google.subject`.

A failure raises `OidcTokenRejected` with a description like the one Google's
STS returns in `error_description`. `oidc_verifier(provider)` plugs it into the
Google STS stand-in:

    google_sts.verifiers[JWT_TOKEN_TYPE] = oidc_verifier(provider)
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from tests.standins.aws_oidc import b64url_decode
from tests.standins.google_sts import ExchangeRequest, Identity, TokenRejected

__all__ = [
    "MAX_TOKEN_LIFETIME_SECONDS",
    "OidcProvider",
    "OidcTokenRejected",
    "oidc_verifier",
    "verify_oidc_token",
]

# Google's STS reference: `exp` must be less than 48 hours after `iat`.
MAX_TOKEN_LIFETIME_SECONDS = 48 * 3600
# google.subject may be at most 127 bytes.
MAX_SUBJECT_BYTES = 127
_FETCH_TIMEOUT_SECONDS = 5.0

# alg -> (key type, hash, curve or None)
_ALGORITHMS: Mapping[str, tuple[str, type[hashes.HashAlgorithm], type[ec.EllipticCurve] | None]] = {
    "RS256": ("RSA", hashes.SHA256, None),
    "RS384": ("RSA", hashes.SHA384, None),
    "RS512": ("RSA", hashes.SHA512, None),
    "ES256": ("EC", hashes.SHA256, ec.SECP256R1),
    "ES384": ("EC", hashes.SHA384, ec.SECP384R1),
}


class OidcTokenRejected(Exception):
    """Google's STS would answer `invalid_grant` with this description."""


@dataclasses.dataclass(frozen=True)
class OidcProvider:
    """A workload identity pool OIDC provider, as configured on Google's side."""

    # The provider's full resource name, as in the credential config's audience:
    # //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/ID
    name: str
    issuer_uri: str
    allowed_audiences: tuple[str, ...] = ()
    # Keys uploaded to the provider instead of discovery (Google's `jwksJson`).
    jwks: Mapping[str, Any] | None = None

    def accepted_audiences(self) -> tuple[str, ...]:
        if self.allowed_audiences:
            return self.allowed_audiences
        bare = self.name.removeprefix("https:")
        return (bare, "https:" + bare)


def verify_oidc_token(
    token: str,
    provider: OidcProvider,
    now: float | None = None,
    fetch_json: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """The token's claims if `provider` accepts it; raise `OidcTokenRejected` if not."""
    moment = time.time() if now is None else now
    header, claims, signing_input, signature = _split(token)

    keys = provider.jwks if provider.jwks is not None else _discover_keys(provider, fetch_json)
    _check_signature(header, signing_input, signature, keys)

    if claims.get("iss") != provider.issuer_uri:
        raise OidcTokenRejected(
            f"The issuer {claims.get('iss')!r} does not match the provider's issuer URI."
        )

    audiences = claims.get("aud")
    listed = [audiences] if isinstance(audiences, str) else audiences
    if not isinstance(listed, list) or not set(listed) & set(provider.accepted_audiences()):
        raise OidcTokenRejected(
            "The audience in the token does not match any of the provider's accepted audiences."
        )

    if not _is_number(claims.get("exp")) or not _is_number(claims.get("iat")):
        raise OidcTokenRejected("The token must carry numeric exp and iat claims.")
    exp, iat = float(claims["exp"]), float(claims["iat"])
    if exp <= moment:
        raise OidcTokenRejected("The token has expired.")
    if iat > moment:
        raise OidcTokenRejected("The token's iat is in the future.")
    if exp - iat > MAX_TOKEN_LIFETIME_SECONDS:
        raise OidcTokenRejected("The token lives longer than 48 hours.")

    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise OidcTokenRejected("The token has no sub claim to map to google.subject.")
    if len(subject.encode("utf-8")) > MAX_SUBJECT_BYTES:
        raise OidcTokenRejected("google.subject would be longer than 127 bytes.")
    return claims


def oidc_verifier(provider: OidcProvider) -> Callable[[ExchangeRequest], Identity]:
    """A Google STS stand-in verifier for exchanges addressed to `provider`.

    The exchange's `audience` names the provider, as it does for Google; the
    identity is the token's `sub` (the default `google.subject` mapping).
    """

    def verify(exchange: ExchangeRequest) -> Identity:
        if exchange.audience != provider.name:
            raise TokenRejected(f"No OIDC provider is named {exchange.audience!r}.")
        try:
            claims = verify_oidc_token(exchange.subject_token, provider)
        except OidcTokenRejected as rejected:
            raise TokenRejected(str(rejected)) from None
        return Identity(subject=str(claims["sub"]), details=claims)

    return verify


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise OidcTokenRejected("The subject token is not a signed JWT (three parts).")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:
        raise OidcTokenRejected("The subject token's parts are not base64url JSON.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise OidcTokenRejected("The subject token's header and claims must be JSON objects.")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _discover_keys(
    provider: OidcProvider, fetch_json: Callable[[str], Any] | None
) -> Mapping[str, Any]:
    fetch = fetch_json or _fetch_json
    issuer = provider.issuer_uri.rstrip("/")
    try:
        configuration = fetch(issuer + "/.well-known/openid-configuration")
        if configuration.get("issuer") != provider.issuer_uri:
            raise OidcTokenRejected("The discovery document names another issuer.")
        keys = fetch(configuration["jwks_uri"])
    except OidcTokenRejected:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise OidcTokenRejected(
            f"Could not fetch the issuer's keys ({type(error).__name__})."
        ) from None
    if not isinstance(keys, dict):
        raise OidcTokenRejected("The issuer's jwks_uri does not hold a JWK set.")
    return keys


def _fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT_SECONDS) as answer:
        return json.loads(answer.read())


def _check_signature(
    header: Mapping[str, Any], signing_input: bytes, signature: bytes, keys: Mapping[str, Any]
) -> None:
    algorithm = header.get("alg")
    if algorithm not in _ALGORITHMS:
        raise OidcTokenRejected(f"The signing algorithm {algorithm!r} is not supported.")
    key_type, hash_type, curve = _ALGORITHMS[str(algorithm)]

    kid = header.get("kid")
    matching = [key for key in keys.get("keys", []) if key.get("kid") == kid]
    if not kid or not matching:
        raise OidcTokenRejected(f"No key in the issuer's JWK set has kid {kid!r}.")
    jwk = matching[0]
    if jwk.get("kty") != key_type or jwk.get("alg", algorithm) != algorithm:
        raise OidcTokenRejected("The key named by kid is not for the token's algorithm.")

    try:
        if key_type == "RSA":
            public_rsa = rsa.RSAPublicNumbers(
                int.from_bytes(b64url_decode(jwk["e"]), "big"),
                int.from_bytes(b64url_decode(jwk["n"]), "big"),
            ).public_key()
            public_rsa.verify(signature, signing_input, padding.PKCS1v15(), hash_type())
        else:
            assert curve is not None
            size = (curve().key_size + 7) // 8
            if len(signature) != 2 * size:
                raise InvalidSignature()
            public_ec = ec.EllipticCurvePublicNumbers(
                int.from_bytes(b64url_decode(jwk["x"]), "big"),
                int.from_bytes(b64url_decode(jwk["y"]), "big"),
                curve(),
            ).public_key()
            der = utils.encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            public_ec.verify(der, signing_input, ec.ECDSA(hash_type()))
    except InvalidSignature:
        raise OidcTokenRejected("The token's signature does not verify.") from None
    except (KeyError, ValueError):
        raise OidcTokenRejected("The issuer's key is malformed.") from None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
