"""The output file: the folder it lives in and the response cached in it.

Clients read the output file before running the helper and use a successful
response until its expiration_time. Node and Go stop with an error on a file
that is not a valid response, and a response written by someone else is used
as if the helper had made it; so the folder must be writable by the workload
and by nobody else, and the file must hold a whole, current response.
"""

from __future__ import annotations

import datetime
import json
import os
import stat
import time
from typing import Any

from helper.checks.config_side import LoadedConfig
from helper.checks.report import Report
from helper.oidc_token import token_answers
from helper.options import HelperOptions
from helper.request import AWS_TOKEN_TYPE, ID_TOKEN_TYPE, JWT_TOKEN_TYPE
from helper.subject_token import decode_aws_token, signed_target_resource

__all__ = ["check_output_file"]

SAML_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:saml2"
_CLIENT_TOKEN_TYPES = (JWT_TOKEN_TYPE, ID_TOKEN_TYPE, SAML_TOKEN_TYPE)
_FIX_BY_DELETING = "Delete the file; the next run of the helper writes a good one."


def check_output_file(report: Report, config: LoadedConfig, options: HelperOptions) -> None:
    """Add the output_file.* checks; `options` are the helper options of the command."""
    path = config.output_file
    if path is None:
        report.warn(
            "output_file.folder",
            "The config has no output_file: every token the client needs runs the helper.",
            "Add one (create-config writes a per-user cache path by default).",
        )
        return

    if not os.path.isabs(path):
        report.warn(
            "output_file.folder",
            f"output_file {path} is relative: each client resolves it from its own working "
            "directory.",
            "Use an absolute path.",
        )
        return

    if _check_folder(report, os.path.dirname(path)):
        _check_cached_response(report, path, config, options)


def _check_folder(report: Report, folder: str) -> bool:
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)

    if not os.path.isdir(existing):
        report.fail(
            "output_file.folder",
            f"{existing} is a file, so the folder {folder} cannot be made.",
            "Point output_file somewhere else.",
        )
        return False

    if not os.access(existing, os.W_OK | os.X_OK):
        what = "cannot be made" if existing != folder else "is not writable"
        report.fail(
            "output_file.folder",
            f"The folder {folder} {what} by this user ({existing} is not writable).",
            "Point output_file at a folder the workload's user owns, such as "
            "~/.cache/aws-wif-helper/.",
        )
        return False

    mode = os.stat(existing).st_mode
    if mode & stat.S_IWOTH:
        report.fail(
            "output_file.folder",
            f"{existing} is writable by every user: anyone could plant a response the "
            "client would use, or delete yours.",
            "Point output_file at a folder only the workload's user can write "
            "(mode 0700), such as ~/.cache/aws-wif-helper/.",
        )
        return False

    if existing != folder:
        report.ok(
            "output_file.folder", f"{folder} does not exist yet; the helper creates it (0700)."
        )
        return True
    if mode & stat.S_IWGRP:
        report.warn(
            "output_file.folder",
            f"{folder} is writable by its group.",
            f"chmod g-w {folder}, unless the whole group may hand out this identity's tokens.",
        )
        return True
    report.ok("output_file.folder", f"{folder} exists and only its owner can write to it.")
    return True


def _check_cached_response(
    report: Report, path: str, config: LoadedConfig, options: HelperOptions
) -> None:
    try:
        file_stat = os.lstat(path)
    except FileNotFoundError:
        report.ok("output_file.cache", "No cached response yet; the first run writes one.")
        return

    if not stat.S_ISREG(file_stat.st_mode):
        report.fail(
            "output_file.cache",
            f"{path} is not a regular file.",
            "Remove it; the helper writes a regular file there.",
        )
        return
    if file_stat.st_uid != os.getuid():
        report.fail(
            "output_file.cache",
            f"{path} belongs to another user (uid {file_stat.st_uid}), whose response the "
            "client would use.",
            "Delete it, and give each user its own output_file.",
        )
        return

    try:
        with open(path, encoding="utf-8") as stream:
            document: Any = json.load(stream)
    except (OSError, ValueError) as error:
        report.fail(
            "output_file.cache",
            f"{path} does not hold valid JSON ({error}): Node and Go clients stop with an error "
            "instead of running the helper.",
            _FIX_BY_DELETING,
        )
        return

    _check_response(report, path, document, config, options)
    if file_stat.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        report.warn(
            "output_file.cache",
            f"{path} can be read by other users, and holds a live subject token.",
            f"chmod 600 {path} (the helper writes it 0600).",
        )


def _check_response(
    report: Report, path: str, document: Any, config: LoadedConfig, options: HelperOptions
) -> None:
    if not isinstance(document, dict) or document.get("version") != 1:
        report.fail(
            "output_file.cache",
            f"{path} is not a version 1 response: clients refuse it.",
            _FIX_BY_DELETING,
        )
        return

    if document.get("success") is not True:
        report.ok(
            "output_file.cache",
            f"{path} holds a failure response ({document.get('code')}); clients ignore it and "
            "run the helper.",
        )
        return

    expires = document.get("expiration_time")
    if not isinstance(expires, int) or isinstance(expires, bool):
        report.fail(
            "output_file.cache",
            f"{path} holds a successful response without expiration_time, which clients "
            "refuse in an output file.",
            _FIX_BY_DELETING,
        )
        return

    token_type = document.get("token_type")
    token = document.get("id_token") or document.get("saml_response")
    if token_type not in _CLIENT_TOKEN_TYPES or not isinstance(token, str):
        report.fail(
            "output_file.cache",
            f"{path} holds a response with token_type {token_type!r} and no usable token.",
            _FIX_BY_DELETING,
        )
        return

    moment = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)
    left = expires - time.time()
    if left <= 0:
        report.ok(
            "output_file.cache",
            f"The cached response expired at {moment.isoformat(timespec='seconds')}; the "
            "next run replaces it.",
        )
        return

    mismatch = _token_mismatch(token, config, options)
    if mismatch:
        report.fail(
            "output_file.cache",
            f"The cached response is valid for {left:.0f} s more, but {mismatch}; clients "
            "use it anyway until it expires.",
            _FIX_BY_DELETING + " Give each config its own output_file.",
        )
        return
    report.ok(
        "output_file.cache",
        f"A cached response is valid until {moment.isoformat(timespec='seconds')} "
        f"(in {left:.0f} s).",
    )


def _token_mismatch(token: str, config: LoadedConfig, options: HelperOptions) -> str | None:
    """Why a cached token cannot answer this config, when that can be told."""
    aws_request = decode_aws_token(token)
    if config.subject_token_type == AWS_TOKEN_TYPE:
        if aws_request is None:
            return "it holds no AWS-signed request while the config asks for one"
        audience = signed_target_resource(aws_request)
        if audience != config.audience:
            return f"its token is bound to another audience ({audience})"
        return None

    if aws_request is not None:
        return "it holds an AWS-signed request while the config asks for a JWT"
    if not token_answers(token, config.audience, options):
        return "its JWT was issued for other audiences or another signing algorithm"
    return None
