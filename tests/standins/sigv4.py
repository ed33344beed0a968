"""An independent check of AWS subject tokens, written from the SigV4 specification.

Google's STS does not verify an AWS subject token itself: it replays the signed
`GetCallerIdentity` request to AWS STS, and AWS checks the signature. This
module plays AWS's part for the tests. It shares no code with the helper (which
signs through botocore), so a token that passes here was signed correctly, not
merely the same way twice.

    token = parse_subject_token(urllib_quoted_json)
    verified = verify_get_caller_identity(token, audience=AUDIENCE, secret_for=keys.get)

`verify_get_caller_identity` raises `SignatureRejected` with a reason on the
first thing that AWS, or Google's binding to one provider, would refuse.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import json
import re
import urllib.parse
from collections.abc import Callable, Sequence

__all__ = [
    "MAX_CLOCK_SKEW",
    "SignatureRejected",
    "SubjectToken",
    "VerifiedRequest",
    "parse_subject_token",
    "sign_subject_token",
    "verify_get_caller_identity",
]

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
GET_CALLER_IDENTITY_QUERY = (("Action", "GetCallerIdentity"), ("Version", "2011-06-15"))
GLOBAL_STS_HOST = "sts.amazonaws.com"
GLOBAL_SIGNING_REGION = "us-east-1"
SERVICE = "sts"
TARGET_RESOURCE_HEADER = "x-goog-cloud-target-resource"
SECURITY_TOKEN_HEADER = "x-amz-security-token"

# AWS refuses a request whose x-amz-date is further than this from its clock.
MAX_CLOCK_SKEW = datetime.timedelta(minutes=15)

# The hash of an empty body: the parameters travel in the query string.
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()

_REGIONAL_STS_HOST = re.compile(
    r"sts\.(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2})\.amazonaws\.com(?P<china>\.cn)?"
)
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 "
    r"Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed_headers>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
_UNRESERVED = "-_.~"  # with letters and digits: what SigV4 leaves unencoded


class SignatureRejected(Exception):
    """The token would not pass AWS's check; `reason` says why, without secrets."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class SubjectToken:
    """A decoded AWS subject token: the request Google's STS would replay."""

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]

    def header_values(self, name: str) -> list[str]:
        """Every value given for `name`, compared case-insensitively."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def header(self, name: str) -> str | None:
        """The single value of `name`; None when absent; rejected when repeated."""
        values = self.header_values(name)
        if len(values) > 1:
            raise SignatureRejected(f"the header {name} appears {len(values)} times")
        return values[0] if values else None

    def replace_header(self, name: str, value: str) -> SubjectToken:
        """A copy with `name` set to `value` (for tests that tamper with tokens)."""
        headers = tuple(
            (key, value if key.lower() == name.lower() else old) for key, old in self.headers
        )
        return dataclasses.replace(self, headers=headers)

    def serialize(self) -> str:
        """The token in the wire form: URL-encoded JSON, like the helper prints it."""
        document = {
            "url": self.url,
            "method": self.method,
            "headers": [{"key": key, "value": value} for key, value in self.headers],
        }
        return urllib.parse.quote(json.dumps(document, separators=(",", ":")), safe="")


@dataclasses.dataclass(frozen=True)
class VerifiedRequest:
    """What a verified token proves: who signed it, for which region, and when."""

    access_key_id: str
    region: str
    host: str
    signed_at: datetime.datetime
    session_token: str | None = dataclasses.field(repr=False)
    signed_headers: tuple[str, ...]


def parse_subject_token(token: str) -> SubjectToken:
    """Decode the URL-encoded JSON token; reject anything that is not its shape."""
    try:
        document = json.loads(urllib.parse.unquote(token))
    except ValueError:
        raise SignatureRejected("the subject token is not URL-encoded JSON") from None

    if not isinstance(document, dict):
        raise SignatureRejected("the subject token is not a JSON object")
    url, method, headers = document.get("url"), document.get("method"), document.get("headers")
    if not isinstance(url, str) or not isinstance(method, str) or not isinstance(headers, list):
        raise SignatureRejected(
            "the subject token needs a string url and method and a headers list"
        )

    pairs: list[tuple[str, str]] = []
    for item in headers:
        if (
            not isinstance(item, dict)
            or set(item) != {"key", "value"}
            or not isinstance(item["key"], str)
            or not isinstance(item["value"], str)
        ):
            raise SignatureRejected('every header must be {"key": string, "value": string}')
        pairs.append((item["key"], item["value"]))
    return SubjectToken(url, method, tuple(pairs))


def verify_get_caller_identity(
    token: SubjectToken,
    *,
    audience: str,
    secret_for: Callable[[str], str | None],
    now: datetime.datetime | None = None,
) -> VerifiedRequest:
    """Check `token` as AWS STS and Google's provider binding would; raise on failure."""
    now = now or datetime.datetime.now(datetime.timezone.utc)

    if token.method != "POST":
        raise SignatureRejected(f"the method is {token.method!r}, not POST")
    url = urllib.parse.urlsplit(token.url)
    host, url_region = _check_url(url)

    authorization = token.header("authorization")
    if authorization is None:
        raise SignatureRejected("the Authorization header is missing")
    parsed = _AUTHORIZATION.fullmatch(authorization)
    if parsed is None:
        raise SignatureRejected("the Authorization header is not AWS4-HMAC-SHA256 with a signature")
    access_key_id, scope = _split_credential(parsed["credential"])
    signed_headers = _check_signed_headers(parsed["signed_headers"], token)

    signed_at = _check_date(token, scope, now)
    _check_scope(scope, url_region)
    if token.header("host") != host:
        raise SignatureRejected("the host header does not match the URL's host")
    target_resource = token.header(TARGET_RESOURCE_HEADER)
    if target_resource is None:
        raise SignatureRejected(f"the {TARGET_RESOURCE_HEADER} header is missing")
    if target_resource != audience:
        raise SignatureRejected(f"the {TARGET_RESOURCE_HEADER} header is not the audience")

    secret = secret_for(access_key_id)
    if secret is None:
        raise SignatureRejected(f"the access key {_shorten(access_key_id)} is not known")
    canonical = canonical_request(token, url, signed_headers)
    expected = _signature(secret, scope, token.header("x-amz-date") or "", canonical)
    if not hmac.compare_digest(expected, parsed["signature"]):
        raise SignatureRejected("the signature does not match the request")

    return VerifiedRequest(
        access_key_id=access_key_id,
        region=scope[1],
        host=host,
        signed_at=signed_at,
        session_token=token.header(SECURITY_TOKEN_HEADER),
        signed_headers=signed_headers,
    )


def sign_subject_token(
    *,
    access_key_id: str,
    secret_access_key: str,
    audience: str,
    region: str | None = None,
    session_token: str | None = None,
    signed_at: datetime.datetime | None = None,
    sign_target_resource: bool = True,
) -> SubjectToken:
    """Sign a GetCallerIdentity token by hand, for tests of the verifier itself.

    It sends its headers in the order the helper does and signs all of them,
    except the target resource when `sign_target_resource` is False (a token
    that is not bound to one provider). The global endpoint is used when
    `region` is None.
    """
    signed_at = signed_at or datetime.datetime.now(datetime.timezone.utc)
    host = GLOBAL_STS_HOST
    if region:
        host = f"sts.{region}.amazonaws.com" + (".cn" if region.startswith("cn-") else "")
    signing_region = region or GLOBAL_SIGNING_REGION
    amz_date = signed_at.strftime(AMZ_DATE_FORMAT)
    scope = (amz_date[:8], signing_region, SERVICE, "aws4_request")

    query = "&".join(f"{name}={value}" for name, value in GET_CALLER_IDENTITY_QUERY)
    headers = [("host", host), ("x-amz-date", amz_date), (TARGET_RESOURCE_HEADER, audience)]
    if session_token:
        headers.append((SECURITY_TOKEN_HEADER, session_token))
    unsigned = SubjectToken(f"https://{host}?{query}", "POST", tuple(headers))
    signed_headers = tuple(
        sorted(
            key.lower()
            for key, _ in headers
            if sign_target_resource or key != TARGET_RESOURCE_HEADER
        )
    )

    canonical = canonical_request(unsigned, urllib.parse.urlsplit(unsigned.url), signed_headers)
    signature = _signature(secret_access_key, scope, amz_date, canonical)
    authorization = (
        f"{ALGORITHM} Credential={access_key_id}/{'/'.join(scope)}, "
        f"SignedHeaders={';'.join(signed_headers)}, Signature={signature}"
    )
    return SubjectToken(unsigned.url, "POST", (("Authorization", authorization), *headers))


def canonical_request(
    token: SubjectToken, url: urllib.parse.SplitResult, signed_headers: Sequence[str]
) -> str:
    """The SigV4 canonical request of the token, with an empty payload."""
    canonical_headers = "".join(
        f"{name}:{_canonical_header_value(token.header_values(name))}\n" for name in signed_headers
    )
    return "\n".join(
        [
            token.method,
            _canonical_uri(url.path),
            _canonical_query(url.query),
            canonical_headers,
            ";".join(signed_headers),
            EMPTY_PAYLOAD_SHA256,
        ]
    )


def _check_url(url: urllib.parse.SplitResult) -> tuple[str, str]:
    """The STS host of the URL and the region its name implies."""
    if url.scheme != "https":
        raise SignatureRejected("the URL is not https")
    if url.username or url.password or url.port is not None or url.fragment:
        raise SignatureRejected("the URL has a user, a port or a fragment")
    if url.path not in ("", "/"):
        raise SignatureRejected("the URL has a path; GetCallerIdentity is posted to /")

    host = url.hostname or ""
    if host == GLOBAL_STS_HOST:
        region = GLOBAL_SIGNING_REGION
    else:
        regional = _REGIONAL_STS_HOST.fullmatch(host)
        if regional is None or bool(regional["china"]) != regional["region"].startswith("cn-"):
            raise SignatureRejected(f"the URL's host {host!r} is not an AWS STS endpoint")
        region = regional["region"]

    parameters = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
    if sorted(parameters) != sorted(GET_CALLER_IDENTITY_QUERY):
        raise SignatureRejected("the query is not Action=GetCallerIdentity&Version=2011-06-15")
    return host, region


def _split_credential(credential: str) -> tuple[str, tuple[str, str, str, str]]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise SignatureRejected("the credential is not KEY/DATE/REGION/SERVICE/aws4_request")
    return parts[0], (parts[1], parts[2], parts[3], parts[4])


def _check_signed_headers(text: str, token: SubjectToken) -> tuple[str, ...]:
    names = tuple(text.split(";"))
    if list(names) != sorted(set(names)) or any(name != name.lower() for name in names):
        raise SignatureRejected("SignedHeaders is not a sorted list of lowercase names")

    for required in ("host", "x-amz-date", TARGET_RESOURCE_HEADER):
        if required not in names:
            raise SignatureRejected(f"the {required} header is not among the signed headers")
    if token.header(SECURITY_TOKEN_HEADER) is not None and SECURITY_TOKEN_HEADER not in names:
        raise SignatureRejected("the session token header is sent but not signed")
    for name in names:
        if not token.header_values(name):
            raise SignatureRejected(f"the signed header {name} is not in the token")
    return names


def _check_date(
    token: SubjectToken, scope: tuple[str, str, str, str], now: datetime.datetime
) -> datetime.datetime:
    amz_date = token.header("x-amz-date")
    if amz_date is None:
        raise SignatureRejected("the x-amz-date header is missing")
    try:
        signed_at = datetime.datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(
            tzinfo=datetime.timezone.utc
        )
    except ValueError:
        raise SignatureRejected("x-amz-date is not YYYYMMDDTHHMMSSZ") from None

    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureRejected("x-amz-date is more than 15 minutes from now")
    if scope[0] != amz_date[:8]:
        raise SignatureRejected("the credential scope's date is not the day of x-amz-date")
    return signed_at


def _check_scope(scope: tuple[str, str, str, str], url_region: str) -> None:
    _, region, service, terminator = scope
    if service != SERVICE:
        raise SignatureRejected(f"the credential scope's service is {service!r}, not sts")
    if terminator != "aws4_request":
        raise SignatureRejected("the credential scope does not end in aws4_request")
    if region != url_region:
        raise SignatureRejected(
            f"the token is signed for {region!r} but its URL is an endpoint of {url_region!r}"
        )


def _signature(secret: str, scope: tuple[str, str, str, str], amz_date: str, canonical: str) -> str:
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, "/".join(scope), hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + secret).encode()
    for part in scope:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _uri_encode(text: str) -> str:
    return urllib.parse.quote(text, safe=_UNRESERVED)


def _canonical_uri(path: str) -> str:
    # Services other than S3 normalize the path and encode each segment twice.
    if not path:
        return "/"
    segments = [_uri_encode(_uri_encode(urllib.parse.unquote(part))) for part in path.split("/")]
    return "/".join(segments)


def _canonical_query(query: str) -> str:
    parameters = urllib.parse.parse_qsl(query, keep_blank_values=True)
    encoded = sorted((_uri_encode(name), _uri_encode(value)) for name, value in parameters)
    return "&".join(f"{name}={value}" for name, value in encoded)


def _canonical_header_value(values: Sequence[str]) -> str:
    return ",".join(" ".join(value.split()) for value in values)


def _shorten(identifier: str) -> str:
    return f"{identifier[:4]}…{identifier[-4:]}" if len(identifier) > 8 else "…"
