"""How each Google client reads an executable's stdout, modelled on its rules (PROTOCOL.md).

Three small readers, one per client family, each with that client's own
leniencies and demands, written from the clients' documented behaviour:

* `python_client`: google-auth's `pluggable.Credentials` (`json.loads`, then
  key checks; a missing `expiration_time` is fine; revocation answers too);
* `node_client`: google-auth-library's `ExecutableResponse` (truthiness
  checks: a version of 0 or an empty code counts as missing);
* `go_client`: `golang.org/x/oauth2/google/externalaccount`, which unmarshals
  into a typed struct (a number where a string belongs fails the whole
  response; zero values count as missing).

Each returns a `ClientView` (success with the token, or the failure's code and
message) or raises `Rejected`, which is what the client would report as a
malformed response instead of the helper's own message.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

__all__ = ["PARSERS", "ClientView", "Rejected", "go_client", "node_client", "python_client"]

MAX_VERSION = 1
OIDC_TYPES = ("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token")
SAML_TYPE = "urn:ietf:params:oauth:token-type:saml2"
_INT64 = (-(2**63), 2**63 - 1)


class Rejected(Exception):
    """The client would not read the response as success nor as a well-formed failure."""


@dataclasses.dataclass(frozen=True)
class ClientView:
    """What a client makes of a response: a token, or the helper's code and message."""

    success: bool
    token: str | None = None
    code: str | None = None
    message: str | None = None


def python_client(
    stdout: str, *, output_file: bool, revoke: bool = False, now: float | None = None
) -> ClientView:
    """google-auth: `json.loads` of stdout, then `_parse_subject_token` (or the revoke check)."""
    try:
        response = json.loads(stdout)
    except ValueError as error:
        raise Rejected(f"python: stdout is not JSON ({error})") from None
    if not isinstance(response, dict):
        raise Rejected("python: the response is not an object")

    if "version" not in response:
        raise Rejected("python: the version field is missing")
    try:
        too_new = response["version"] > MAX_VERSION
    except TypeError:
        raise Rejected("python: the version cannot be compared with 1") from None
    if too_new:
        raise Rejected("python: unsupported version")
    if "success" not in response:
        raise Rejected("python: the success field is missing")

    if not response["success"]:
        if "code" not in response or "message" not in response:
            raise Rejected("python: a failure without code and message")
        return ClientView(False, code=str(response["code"]), message=str(response["message"]))
    if revoke:
        return ClientView(True)

    expires: Any = response.get("expiration_time")  # whatever the JSON holds
    try:
        expired = "expiration_time" in response and expires < (now or time.time())
    except TypeError:
        raise Rejected("python: the expiration_time cannot be compared with now") from None
    if expired:
        raise Rejected("python: the token is expired")
    token_type = response.get("token_type")
    if token_type is None and "token_type" not in response:
        raise Rejected("python: the token_type field is missing")
    field = "id_token" if token_type in OIDC_TYPES else "saml_response"
    if token_type not in (*OIDC_TYPES, SAML_TYPE) or field not in response:
        raise Rejected(f"python: no usable token for token_type {token_type!r}")
    return ClientView(True, token=response[field])


def node_client(stdout: str, *, output_file: bool, now: float | None = None) -> ClientView:
    """google-auth-library: `JSON.parse`, then `ExecutableResponse` and the client's checks."""
    try:
        response = json.loads(stdout)
    except ValueError as error:
        raise Rejected(f"node: stdout is not JSON ({error})") from None
    if not isinstance(response, dict):
        raise Rejected("node: the response is not an object")

    if not _truthy(response.get("version")):
        raise Rejected("node: the version field is missing")
    if "success" not in response:
        raise Rejected("node: the success field is missing")

    if _truthy(response["success"]):
        token_type = response.get("token_type")
        if token_type not in (*OIDC_TYPES, SAML_TYPE):
            raise Rejected("node: token_type is not one of the three")
        token = response.get("saml_response" if token_type == SAML_TYPE else "id_token")
        if not _truthy(token):
            raise Rejected("node: the token field is missing")
    else:
        if not _truthy(response.get("code")) or not _truthy(response.get("message")):
            raise Rejected("node: a failure without code and message")

    if _number(response["version"]) > MAX_VERSION:
        raise Rejected("node: unsupported version")
    if not _truthy(response["success"]):
        return ClientView(False, code=str(response["code"]), message=str(response["message"]))
    expires = response.get("expiration_time")
    if output_file and not _truthy(expires):
        raise Rejected("node: expiration_time is required with an output_file")
    if expires is not None and _number(expires) < (now or time.time()):
        raise Rejected("node: the token is expired")
    return ClientView(True, token=str(token))


def go_client(stdout: str, *, output_file: bool, now: float | None = None) -> ClientView:
    """x/oauth2: `json.Unmarshal` into typed fields, then `parseSubjectTokenFromSource`."""
    try:
        response = json.loads(stdout)
    except ValueError as error:
        raise Rejected(f"go: stdout is not JSON ({error})") from None
    if not isinstance(response, dict):
        raise Rejected("go: the response is not an object")

    fields = {key.lower(): value for key, value in response.items()}  # Go matches any case
    version = _go_int(fields, "version")
    success = fields.get("success")
    if success is not None and not isinstance(success, bool):
        raise Rejected("go: success is not a boolean")
    expires = _go_int(fields, "expiration_time")
    texts = {
        name: _go_string(fields, name)
        for name in ("token_type", "id_token", "saml_response", "code", "message")
    }

    if version == 0:
        raise Rejected("go: the version field is missing")
    if success is None:
        raise Rejected("go: the success field is missing")
    if not success:
        if not texts["code"] or not texts["message"]:
            raise Rejected("go: a failure without code and message")
        return ClientView(False, code=texts["code"], message=texts["message"])
    if version > MAX_VERSION or version < 0:
        raise Rejected("go: unsupported version")
    if expires == 0 and output_file:
        raise Rejected("go: expiration_time is required with an output_file")
    if not texts["token_type"]:
        raise Rejected("go: the token_type field is missing")
    if expires != 0 and expires < (now or time.time()):
        raise Rejected("go: the token is expired")
    field = "saml_response" if texts["token_type"] == SAML_TYPE else "id_token"
    if texts["token_type"] not in (*OIDC_TYPES, SAML_TYPE) or not texts[field]:
        raise Rejected("go: no usable token")
    return ClientView(True, token=texts[field])


PARSERS: dict[str, Callable[..., ClientView]] = {
    "python": python_client,
    "node": node_client,
    "go": go_client,
}


def _truthy(value: Any) -> bool:
    """JavaScript's truthiness for JSON values."""
    if isinstance(value, (dict, list)):
        return True
    return bool(value)


def _number(value: Any) -> float:
    """JavaScript's `>`/`<` on a JSON value: strings become numbers, junk becomes NaN."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return float("nan")


def _go_int(fields: dict[str, Any], name: str) -> int:
    value = fields.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected(f"go: {name} is not an integer")
    if not _INT64[0] <= value <= _INT64[1]:
        raise Rejected(f"go: {name} overflows int64")
    return value


def _go_string(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejected(f"go: {name} is not a string")
    return value
