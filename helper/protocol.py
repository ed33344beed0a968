"""Protocol mode: what the helper does when a Google client runs it.

The client reads exactly one JSON document from stdout and merges stderr into
it (Python, Node), so `run_protocol_mode` detaches the process from its
standard streams before doing anything: stdin and stderr go to /dev/null,
anything printed by accident goes to /dev/null, and only the final response
reaches the real stdout. Every outcome, an unexpected exception included, is a
response with exit status 0: a non-zero exit makes the clients hide the
message (see README, "Why failures exit 0").
"""

from __future__ import annotations

import datetime
import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn

from helper import log
from helper.allowed_audience import audience_policy
from helper.assume_role import assume_role
from helper.aws_errors import translate
from helper.aws_session import open_session
from helper.aws_token import SIGNATURE_LIFETIME_SECONDS, sign_get_caller_identity
from helper.cache import reuse_or_make
from helper.credentials import (
    AwsCredentials,
    credentials_without_session,
    resolve_credentials,
    resolve_region,
)
from helper.deadline import (
    Deadline,
    end_abandoned_work,
    run_before_deadline,
    seconds_since_process_start,
)
from helper.endpoint import choose_sts_endpoint
from helper.errors import ErrorCode, HelperError
from helper.expiry import MIN_TOKEN_LIFETIME_SECONDS, expiration_time, usable_seconds
from helper.oidc_token import (
    MIN_SESSION_SECONDS,
    get_web_identity_token,
    jwt_audiences,
    oidc_region,
    token_duration_seconds,
)
from helper.options import HelperOptions, parse_helper_options
from helper.output_file import remove_output_file
from helper.request import JWT_TOKEN_TYPE, OIDC_TOKEN_TYPES, TokenRequest, read_request
from helper.response import Response, failure, render, revoked, success

if TYPE_CHECKING:
    import botocore.session

__all__ = ["answer", "check_audience_allowed", "make_token_response", "run_protocol_mode"]


def run_protocol_mode(argv: Sequence[str]) -> NoReturn:
    """Answer the client on stdout and exit 0, whatever happens."""
    stdout = _detach_standard_streams()
    log.start_run(argv, os.environ)
    try:
        # The client's clock started when it spawned this process.
        response = answer(argv, os.environ, seconds_since_process_start())
    except BaseException as error:  # the client must get a response, never a traceback
        log.error(error, "answering the client")
        response = failure(_internal_error())

    log.outcome(response)
    os.write(stdout, render(response).encode("ascii"))
    # Worker threads abandoned at the deadline must not delay the exit, nor
    # outlive it through a program they started.
    end_abandoned_work()
    os._exit(0)


def answer(
    argv: Sequence[str], environ: Mapping[str, str], already_spent_seconds: float = 0.0
) -> Response:
    """The response for one client request; failures become failure responses.

    `already_spent_seconds` of the --timeout went before this call (the process's start-up).
    """
    try:
        options = parse_helper_options(argv)
        request = read_request(environ)

        if request.revoke:
            if request.output_file:
                remove_output_file(request.output_file)
            return revoked()

        check_audience_allowed(request, options, environ)
        deadline = Deadline(options.timeout_seconds, already_spent_seconds)
        return run_before_deadline(
            lambda: reuse_or_make(
                request,
                deadline,
                lambda: make_token_response(request, options, deadline, environ),
                options,
            ),
            deadline,
        )
    except HelperError as error:
        return failure(error)
    except Exception as error:
        log.error(error, "answering the client")
        return failure(_internal_error())


def check_audience_allowed(
    request: TokenRequest, options: HelperOptions, environ: Mapping[str, str]
) -> None:
    """Refuse an audience (and, in OIDC mode, a JWT audience) outside the allowed ones."""
    policy = audience_policy(options.allowed_audiences, environ)
    policy.check(request.audience)
    if request.token_type in OIDC_TOKEN_TYPES:
        policy.check_token_audiences(jwt_audiences(request.audience, options.jwt_audiences))


def make_token_response(
    request: TokenRequest,
    options: HelperOptions,
    deadline: Deadline,
    environ: Mapping[str, str],
) -> Response:
    """Resolve credentials, make the token the request's type calls for, build the response."""
    try:
        if request.token_type in OIDC_TOKEN_TYPES:
            return _make_oidc_token_response(request, options, deadline, environ)
        return _make_aws_token_response(request, options, deadline, environ)
    except Exception as error:
        log.error(error, deadline.step)
        raise translate(error, deadline.step) from None


def _make_aws_token_response(
    request: TokenRequest,
    options: HelperOptions,
    deadline: Deadline,
    environ: Mapping[str, str],
) -> Response:
    deadline.begin("reading the AWS configuration")
    # Keys in the environment need no botocore session, which is slow to import.
    credentials = None if options.role_arn else credentials_without_session(options, environ)
    if credentials is not None:
        region = resolve_region(None, options, environ)
        endpoint = choose_sts_endpoint(region, options.sts_endpoint)
    else:
        session = open_session(options, deadline)
        region = resolve_region(session, options, environ)
        endpoint = choose_sts_endpoint(region, options.sts_endpoint)
        credentials = _session_credentials(session, options, region, deadline)
    log.record("endpoint", f"{endpoint.url}, signed for {endpoint.signing_region}")
    log.credentials(credentials)

    deadline.begin("signing the GetCallerIdentity request")
    signed = sign_get_caller_identity(credentials, request.audience, endpoint)
    signature_expiry = signed.signed_at + datetime.timedelta(seconds=SIGNATURE_LIFETIME_SECONDS)
    expires = expiration_time(signature_expiry, credentials.expiry, _now())

    # Clients pass a `jwt` response through unchanged; the config's own
    # subject_token_type is what tells Google's STS this is an AWS request.
    return success(JWT_TOKEN_TYPE, signed.token, expires)


def _session_credentials(
    session: botocore.session.Session,
    options: HelperOptions,
    region: str | None,
    deadline: Deadline,
) -> AwsCredentials:
    """Credentials from botocore's chain, refreshed if nearly spent, then the --role-arn hop."""
    credentials = resolve_credentials(session, deadline)
    left = usable_seconds(credentials.expiry, _now())
    if left is not None and left < MIN_TOKEN_LIFETIME_SECONDS:
        # A fresh session skips botocore's in-memory reuse and asks the source again.
        credentials = resolve_credentials(open_session(options, deadline), deadline)

    if options.role_arn:
        log.credentials(credentials)
        credentials = assume_role(session, credentials, options, region, deadline)
    return credentials


def _make_oidc_token_response(
    request: TokenRequest,
    options: HelperOptions,
    deadline: Deadline,
    environ: Mapping[str, str],
) -> Response:
    deadline.begin("reading the AWS configuration")
    session = open_session(options, deadline)
    region = oidc_region(resolve_region(session, options, environ), options.sts_endpoint)
    audiences = jwt_audiences(request.audience, options.jwt_audiences)
    log.record("endpoint", f"STS GetWebIdentityToken in {region}, audience {', '.join(audiences)}")

    credentials = resolve_credentials(session, deadline)
    log.credentials(credentials)
    expiry = credentials.expiry
    if expiry is not None and (expiry - _now()).total_seconds() < MIN_SESSION_SECONDS:
        # AWS issues no token that outlives the session: ask the source again.
        credentials = resolve_credentials(open_session(options, deadline), deadline)
        log.credentials(credentials)

    if options.role_arn:
        credentials = assume_role(session, credentials, options, region, deadline)
        log.credentials(credentials)

    duration = token_duration_seconds(options.token_lifetime_seconds, credentials.expiry, _now())
    deadline.begin(
        f"asking AWS STS in {region} for an OIDC token (GetWebIdentityToken) for "
        f"audience {', '.join(audiences)}"
    )
    issued = get_web_identity_token(
        session, credentials, region, audiences, options.signing_algorithm, duration, deadline
    )

    # The token stands on its own once issued: only its own expiry bounds it.
    expires = expiration_time(issued.expires_at, None, _now())
    return success(request.token_type, issued.token, expires)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _internal_error() -> HelperError:
    return HelperError(
        ErrorCode.INTERNAL,
        "The helper failed unexpectedly; run `aws-wif-helper token` by hand to see "
        "details, and report it with the output of --version.",
    )


def _detach_standard_streams() -> int:
    """Send stdin, stdout and stderr to /dev/null; return a descriptor for the real stdout."""
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)

    stdout = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):
        os.dup2(null, descriptor)
    os.close(null)
    return stdout
