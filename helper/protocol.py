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
from typing import NoReturn

from helper.aws_errors import translate
from helper.aws_token import SIGNATURE_LIFETIME_SECONDS, sign_get_caller_identity
from helper.credentials import (
    credentials_without_session,
    open_session,
    resolve_credentials,
    resolve_region,
)
from helper.deadline import Deadline, run_before_deadline
from helper.endpoint import choose_sts_endpoint
from helper.errors import ErrorCode, HelperError
from helper.expiry import MIN_TOKEN_LIFETIME_SECONDS, expiration_time, usable_seconds
from helper.options import HelperOptions, parse_helper_options
from helper.output_file import remove_output_file, write_output_file
from helper.request import JWT_TOKEN_TYPE, TokenRequest, read_request
from helper.response import Response, failure, render, revoked, success

__all__ = ["answer", "make_token_response", "run_protocol_mode"]


def run_protocol_mode(argv: Sequence[str]) -> NoReturn:
    """Answer the client on stdout and exit 0, whatever happens."""
    stdout = _detach_standard_streams()
    try:
        response = answer(argv, os.environ)
    except BaseException:  # the client must get a response, never a traceback
        response = failure(_internal_error())

    os.write(stdout, render(response).encode("ascii"))
    # Worker threads abandoned at the deadline must not delay the exit.
    os._exit(0)


def answer(argv: Sequence[str], environ: Mapping[str, str]) -> Response:
    """The response for one client request; failures become failure responses."""
    try:
        options = parse_helper_options(argv)
        request = read_request(environ)

        if request.revoke:
            if request.output_file:
                remove_output_file(request.output_file)
            return revoked()

        deadline = Deadline(options.timeout_seconds)
        response = run_before_deadline(
            lambda: make_token_response(request, options, deadline, environ), deadline
        )

        if request.output_file:
            write_output_file(request.output_file, render(response))
        return response
    except HelperError as error:
        return failure(error)
    except Exception:
        return failure(_internal_error())


def make_token_response(
    request: TokenRequest,
    options: HelperOptions,
    deadline: Deadline,
    environ: Mapping[str, str],
) -> Response:
    """Resolve credentials, sign the token and build the success response."""
    try:
        return _make_aws_token_response(request, options, deadline, environ)
    except Exception as error:
        raise translate(error, deadline.step) from None


def _make_aws_token_response(
    request: TokenRequest,
    options: HelperOptions,
    deadline: Deadline,
    environ: Mapping[str, str],
) -> Response:
    deadline.begin("reading the AWS configuration")
    credentials = credentials_without_session(options, environ)
    if credentials is not None:
        region = resolve_region(None, options, environ)
    else:
        session = open_session(options, deadline)
        region = resolve_region(session, options, environ)
    endpoint = choose_sts_endpoint(region, options.sts_endpoint)

    if credentials is None:
        credentials = resolve_credentials(session, deadline)
    left = usable_seconds(credentials.expiry, _now())
    if left is not None and left < MIN_TOKEN_LIFETIME_SECONDS:
        # A fresh session skips botocore's in-memory reuse and asks the source again.
        credentials = resolve_credentials(open_session(options, deadline), deadline)

    deadline.begin("signing the GetCallerIdentity request")
    signed = sign_get_caller_identity(credentials, request.audience, endpoint)
    signature_expiry = signed.signed_at + datetime.timedelta(seconds=SIGNATURE_LIFETIME_SECONDS)
    expires = expiration_time(signature_expiry, credentials.expiry, _now())

    # Clients pass a `jwt` response through unchanged; the config's own
    # subject_token_type is what tells Google's STS this is an AWS request.
    return success(JWT_TOKEN_TYPE, signed.token, expires)


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
