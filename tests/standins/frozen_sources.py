"""Loopback AWS credential sources for checking the frozen binary end to end.

The build trims botocore's data and the standard library; these stand-ins let
the build tests drive every path that needs more than environment keys: an STS
that answers `AssumeRole` and `AssumeRoleWithWebIdentity` (query protocol,
XML), the SSO portal's `GetRoleCredentials` and SSO OIDC's `CreateToken` refresh
(rest-json), the container
credentials endpoint and the instance metadata service (IMDSv2). Each answers
with the fixed keys below, so a test can tell which source signed a token.

    server = StandInServer(aws_credential_sources)
    env["AWS_ENDPOINT_URL_STS"] = server.url
"""

from __future__ import annotations

import datetime
import json
import urllib.parse

from tests.standins.server import Reply, Request

__all__ = [
    "CONTAINER_ACCESS_KEY",
    "IMDS_ACCESS_KEY",
    "IMDS_ROLE",
    "SSO_ACCESS_KEY",
    "STS_ACCESS_KEY",
    "WEB_IDENTITY_ACCESS_KEY",
    "aws_credential_sources",
]

STS_ACCESS_KEY = "ASIASTANDINASSUMEROL"
WEB_IDENTITY_ACCESS_KEY = "ASIASTANDINWEBIDENTY"
SSO_ACCESS_KEY = "ASIASTANDINSSOPORTAL"
CONTAINER_ACCESS_KEY = "ASIASTANDINCONTAINER"
IMDS_ACCESS_KEY = "ASIASTANDININSTANCES"
IMDS_ROLE = "standin-instance-role"

_SECRET = "standin-secret-key-not-a-real-one-000000"
_SESSION_TOKEN = "standin-session-token"
_IMDS_TOKEN = "standin-imds-token"
_LIFETIME = datetime.timedelta(hours=1)


def aws_credential_sources(request: Request) -> Reply:
    """Route one request to the credential source it is meant for."""
    path = urllib.parse.urlsplit(request.path).path

    if path == "/latest/api/token":
        return Reply(body=_IMDS_TOKEN.encode(), content_type="text/plain")
    if path.startswith("/latest/meta-data/iam/security-credentials"):
        return _instance_metadata(request, path)
    if path == "/federation/credentials":
        return _sso_role_credentials()
    if path == "/token" and request.method == "POST":
        return _sso_oidc_token()
    if path == "/container-credentials":
        return Reply(body=json.dumps(_credentials_json(CONTAINER_ACCESS_KEY)).encode())
    if request.method == "POST":
        return _sts(request)
    return Reply(status=404, body=b"{}")


def _expiration() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + _LIFETIME


def _credentials_json(access_key: str) -> dict[str, str]:
    return {
        "AccessKeyId": access_key,
        "SecretAccessKey": _SECRET,
        "Token": _SESSION_TOKEN,
        "Expiration": _expiration().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _instance_metadata(request: Request, path: str) -> Reply:
    if request.headers.get("x-aws-ec2-metadata-token") != _IMDS_TOKEN:
        return Reply(status=401, body=b"")
    if path.rstrip("/").endswith("security-credentials"):
        return Reply(body=IMDS_ROLE.encode(), content_type="text/plain")
    document = {"Code": "Success", "Type": "AWS-HMAC", **_credentials_json(IMDS_ACCESS_KEY)}
    return Reply(body=json.dumps(document).encode())


def _sso_role_credentials() -> Reply:
    expiration_millis = int(_expiration().timestamp() * 1000)
    document = {
        "roleCredentials": {
            "accessKeyId": SSO_ACCESS_KEY,
            "secretAccessKey": _SECRET,
            "sessionToken": _SESSION_TOKEN,
            "expiration": expiration_millis,
        }
    }
    return Reply(body=json.dumps(document).encode())


def _sso_oidc_token() -> Reply:
    document = {
        "accessToken": "standin-refreshed-sso-access-token",
        "tokenType": "Bearer",
        "expiresIn": int(_LIFETIME.total_seconds()),
        "refreshToken": "standin-sso-refresh-token",
    }
    return Reply(body=json.dumps(document).encode())


def _sts(request: Request) -> Reply:
    form = urllib.parse.parse_qs(request.body.decode())
    action = form.get("Action", [""])[0]
    if action == "AssumeRole":
        access_key = STS_ACCESS_KEY
    elif action == "AssumeRoleWithWebIdentity":
        access_key = WEB_IDENTITY_ACCESS_KEY
    else:
        return Reply(status=400, body=b"<ErrorResponse/>", content_type="text/xml")

    expiration = _expiration().strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (
        f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<{action}Result><Credentials>"
        f"<AccessKeyId>{access_key}</AccessKeyId>"
        f"<SecretAccessKey>{_SECRET}</SecretAccessKey>"
        f"<SessionToken>{_SESSION_TOKEN}</SessionToken>"
        f"<Expiration>{expiration}</Expiration>"
        f"</Credentials>"
        "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/standin/run</Arn>"
        "<AssumedRoleId>AROASTANDIN:run</AssumedRoleId></AssumedRoleUser>"
        f"</{action}Result>"
        "<ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Reply(body=body.encode(), content_type="text/xml")
