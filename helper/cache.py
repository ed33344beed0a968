"""One fresh response shared by every run that uses the same output file.

Many processes on a host often start at once with the same credential config
(a fleet of jobs, a pool of workers): the client finds no cached response and
each one runs the helper. Without coordination each run would fetch
credentials from the source (the metadata service, STS, the SSO portal) and
they would all rewrite the output file.

`reuse_or_make` serializes the runs on an exclusive lock beside the output file
(`OUTPUT_FILE.lock`). The first run makes the response and writes the file;
the runs waiting behind it then find a fresh response there and answer with it
instead of fetching again. A cached response is reused only when it is
successful, leaves at least `MIN_TOKEN_LIFETIME_SECONDS`, and provably answers
the same request: the same token type, and a token bound to the same audience
(an AWS token's signed target resource; an OIDC token's `aud`, and its `alg`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from helper import log
from helper.deadline import Deadline
from helper.errors import ErrorCode, HelperError
from helper.expiry import MIN_TOKEN_LIFETIME_SECONDS
from helper.oidc_token import token_answers
from helper.options import HelperOptions
from helper.output_file import (
    FILE_MODE,
    check_output_file,
    make_private_folders,
    read_output_file,
    remove_abandoned_temporary_files,
    shown_path,
    write_output_file,
)
from helper.request import AWS_TOKEN_TYPE, JWT_TOKEN_TYPE, OIDC_TOKEN_TYPES, TokenRequest
from helper.response import Response, render

__all__ = ["read_reusable_response", "reuse_or_make"]

_LOCK_POLL_SECONDS = 0.01


def reuse_or_make(
    request: TokenRequest,
    deadline: Deadline,
    make: Callable[[], Response],
    options: HelperOptions | None = None,
) -> Response:
    """Answer from a fresh cached response, or make one and cache it, under the lock."""
    path = request.output_file
    if path is None:
        return make()

    check_output_file(path)  # before the lock file is made beside it
    with _exclusive_lock(path + ".lock", deadline):
        # Whoever holds the lock may clear what killed writers left behind.
        remove_abandoned_temporary_files(path)
        cached = read_reusable_response(path, request, options)
        if cached is not None:
            log.record("cache", f"reused the fresh response another run wrote to {path}")
            return cached

        response = make()
        deadline.begin("writing the output file")
        write_output_file(path, render(response))
        return response


def read_reusable_response(
    path: str, request: TokenRequest, options: HelperOptions | None = None
) -> Response | None:
    """The cached response at `path` if it may answer `request` now, else None.

    Raises `OUTPUT_FILE_ERROR` when the file is not the helper's to read.
    """
    text = read_output_file(path)
    if text is None:
        return None
    try:
        cached: Any = json.loads(text)
    except ValueError:
        return None

    if not isinstance(cached, dict) or cached.get("success") is not True:
        return None

    expires = cached.get("expiration_time")
    if not isinstance(expires, int) or expires - time.time() < MIN_TOKEN_LIFETIME_SECONDS:
        return None

    token = cached.get("id_token")
    if not isinstance(token, str):
        return None
    if not _token_answers(token, cached.get("token_type"), request, options or HelperOptions()):
        return None
    return cached


def _token_answers(
    token: str, token_type: object, request: TokenRequest, options: HelperOptions
) -> bool:
    if request.token_type == AWS_TOKEN_TYPE:
        return token_type == JWT_TOKEN_TYPE and _aws_token_audience(token) == request.audience
    if request.token_type in OIDC_TOKEN_TYPES:
        # The JWT's own aud and alg say whom it was issued for (OIDC mode).
        return token_type == request.token_type and token_answers(token, request.audience, options)
    return False


def _aws_token_audience(token: str) -> str | None:
    """The signed `x-goog-cloud-target-resource` of an AWS subject token."""
    try:
        document = json.loads(urllib.parse.unquote(token))
        headers = document["headers"]
        values = {item["key"].lower(): item["value"] for item in headers}
        signed = values["authorization"].split("SignedHeaders=", 1)[1].split(",", 1)[0]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None

    if "x-goog-cloud-target-resource" not in signed.split(";"):
        return None
    audience = values.get("x-goog-cloud-target-resource")
    return audience if isinstance(audience, str) else None


@contextlib.contextmanager
def _exclusive_lock(lock_path: str, deadline: Deadline) -> Iterator[None]:
    """Hold `flock` on `lock_path` until the block ends; wait no longer than the deadline."""
    deadline.begin("waiting for another run that is writing the output file")
    try:
        make_private_folders(os.path.dirname(os.path.abspath(lock_path)))
        descriptor = os.open(
            lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
        )
    except OSError as error:
        raise HelperError(
            ErrorCode.OUTPUT_FILE_ERROR,
            f"Cannot open the lock file {shown_path(lock_path)} beside the output file "
            f"({error.strerror}); point output_file at a folder this user can write.",
        ) from None

    owner = os.fstat(descriptor).st_uid
    if owner != os.geteuid():
        # Another user could hold it forever and stall every run until its deadline.
        os.close(descriptor)
        raise HelperError(
            ErrorCode.OUTPUT_FILE_ERROR,
            f"The lock file {shown_path(lock_path)} beside the output file belongs to user id "
            f"{owner}, not to this user; remove it, or point output_file at a folder this "
            "user owns.",
        )

    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if deadline.remaining_seconds() <= _LOCK_POLL_SECONDS:
                raise deadline.exceeded_error()
            time.sleep(_LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(descriptor)
