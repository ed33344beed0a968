"""Reading subject tokens back: for `token --decode`, `doctor` and the step log.

Two shapes are understood:

* the AWS token, a URL-encoded JSON request (see `helper.aws_token`):
  `{"url": ..., "method": "POST", "headers": [{"key": ..., "value": ...}, ...]}`;
* a JWT (`header.payload.signature`, base64url without padding), as the OIDC
  mode returns.

`readable` gives a view that is safe to print: the access key ID, the
signature and the session token are shortened; a JWT's signature is too.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any

from helper.redact import shorten

__all__ = ["decode_aws_token", "readable", "signed_target_resource"]

_TARGET_RESOURCE_HEADER = "x-goog-cloud-target-resource"
_CREDENTIAL = re.compile(r"Credential=(?P<key>[A-Z0-9]+)/")
_SIGNATURE = re.compile(r"Signature=(?P<signature>[0-9a-f]+)")


def decode_aws_token(token: str) -> dict[str, Any] | None:
    """The request inside an AWS subject token, or None if it is not one."""
    try:
        document = json.loads(urllib.parse.unquote(token))
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("headers"), list):
        return None
    return document


def signed_target_resource(document: dict[str, Any]) -> str | None:
    """The audience an AWS token is bound to: its signed x-goog-cloud-target-resource."""
    headers = _headers(document)
    authorization = headers.get("authorization", "")
    signed = authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";")
    if _TARGET_RESOURCE_HEADER not in signed:
        return None
    return headers.get(_TARGET_RESOURCE_HEADER)


def readable(token: str) -> dict[str, Any]:
    """A printable view of `token` with every secret part shortened."""
    document = decode_aws_token(token)
    if document is not None:
        return {"kind": "aws4_request", "request": _readable_aws(document)}

    jwt = _decode_jwt(token)
    if jwt is not None:
        return {"kind": "jwt", **jwt}

    return {"kind": "unknown", "token": shorten(token)}


def _readable_aws(document: dict[str, Any]) -> dict[str, Any]:
    headers = []
    for header in document["headers"]:
        key = str(header.get("key", ""))
        value = str(header.get("value", ""))
        if key.lower() == "authorization":
            value = _CREDENTIAL.sub(lambda m: f"Credential={shorten(m['key'])}/", value)
            value = _SIGNATURE.sub(lambda m: f"Signature={shorten(m['signature'])}", value)
        elif key.lower() == "x-amz-security-token":
            value = shorten(value)
        headers.append({"key": key, "value": value})
    return {"url": document.get("url"), "method": document.get("method"), "headers": headers}


def _decode_jwt(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(_base64url(parts[0]))
        payload = json.loads(_base64url(parts[1]))
    except ValueError:
        return None
    return {"header": header, "payload": payload, "signature": shorten(parts[2])}


def _base64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _headers(document: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for header in document.get("headers", []):
        if isinstance(header, dict):
            headers[str(header.get("key", "")).lower()] = str(header.get("value", ""))
    return headers
