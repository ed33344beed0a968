"""The two Google calls a client makes with a federated credential, for `doctor --exchange`.

    POST token_url                        RFC 8693 token exchange, form-encoded:
                                          grant_type, audience, scope, requested_token_type,
                                          subject_token, subject_token_type
         -> {"access_token": ..., "token_type": "Bearer", "expires_in": 3599, ...}
         or 400 {"error": "invalid_grant", "error_description": "..."}
    POST service_account_impersonation_url  with "Authorization: Bearer ACCESS_TOKEN"
         body {"scope": [...], "lifetime": "3600s"}
         -> {"accessToken": ..., "expireTime": "2026-12-04T16:20:00Z"}

Only the URLs from the credential config are called, with the standard
library's urllib (the binary carries no HTTP library of its own). Each answer
keeps the service's body as it came, with every token in it shortened, so it
can be shown to a person; the access token itself is kept apart.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from helper.redact import scrub

__all__ = ["ServiceAnswer", "exchange_token", "generate_access_token"]

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
_SECRET_FIELDS = ("access_token", "accessToken", "id_token", "idToken", "refresh_token")
_MAX_BODY_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class ServiceAnswer:
    """A service's HTTP answer: status, body safe to print, parsed fields, the token if any."""

    status: int
    shown_body: str
    fields: dict[str, Any]
    access_token: str | None = dataclasses.field(default=None, repr=False)

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300 and self.access_token is not None


def exchange_token(
    token_url: str,
    *,
    audience: str,
    subject_token: str,
    subject_token_type: str,
    scope: str,
    timeout_seconds: float,
) -> ServiceAnswer:
    """Trade the subject token for a federated access token; raises OSError if unreachable."""
    form = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "audience": audience,
        "scope": scope,
        "requested_token_type": ACCESS_TOKEN_TYPE,
        "subject_token": subject_token,
        "subject_token_type": subject_token_type,
    }
    request = urllib.request.Request(
        token_url,
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    return _send(request, timeout_seconds, [subject_token])


def generate_access_token(
    url: str, *, access_token: str, scope: str, lifetime_seconds: int, timeout_seconds: float
) -> ServiceAnswer:
    """Ask IAM credentials for the service account's token; raises OSError if unreachable."""
    body = {"scope": [scope], "lifetime": f"{lifetime_seconds}s"}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("ascii"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {access_token}"},
        method="POST",
    )
    return _send(request, timeout_seconds, [access_token])


def _send(
    request: urllib.request.Request, timeout_seconds: float, secrets: list[str]
) -> ServiceAnswer:
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            status, raw = response.status, response.read(_MAX_BODY_BYTES)
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read(_MAX_BODY_BYTES)
    return _answer(status, raw.decode("utf-8", "replace"), secrets)


def _answer(status: int, body: str, secrets: list[str]) -> ServiceAnswer:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    fields: dict[str, Any] = parsed if isinstance(parsed, dict) else {}

    token = next(
        (
            fields[name]
            for name in ("access_token", "accessToken")
            if isinstance(fields.get(name), str)
        ),
        None,
    )
    hidden = [*secrets, *(str(fields[name]) for name in _SECRET_FIELDS if name in fields)]
    return ServiceAnswer(status, scrub(body.strip(), hidden), fields, token)
