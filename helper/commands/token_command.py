"""`aws-wif-helper token`: the client's response, made by hand.

Runs the same code as protocol mode for an audience and mode given on the
command line, without the client's variables: it prints the response on stdout,
and exits 1 with the failure on stderr. `--decode` prints, instead, the
response with its token shortened and the subject token decoded, with the
signature, the session token and the key shortened (`AKIA…WXYZ`), so the
output can be pasted into a ticket.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from helper import log
from helper.aws_errors import translate
from helper.credential_config import MODES
from helper.deadline import Deadline, run_before_deadline
from helper.errors import ErrorCode, HelperError
from helper.options import add_helper_options, new_parser, options_from_namespace
from helper.protocol import check_audience_allowed, make_token_response
from helper.redact import shorten
from helper.request import AUDIENCE_VARIABLE, TOKEN_TYPE_VARIABLE, read_request
from helper.response import Response, render
from helper.subject_token import readable

__all__ = ["run"]

USAGE = "aws-wif-helper token --audience AUDIENCE [--mode aws|oidc] [--decode] [helper options]"


def run(argv: Sequence[str]) -> int:
    parser = new_parser("aws-wif-helper token", "Print a subject token response.")
    parser.add_argument("--audience", required=True, help="the provider's full name")
    parser.add_argument("--mode", default="aws", help="aws (default) or oidc")
    parser.add_argument("--decode", action="store_true", help="show the token decoded")
    add_helper_options(parser)

    if "--help" in argv or "-h" in argv:
        print(f"usage: {USAGE}")
        return 0

    try:
        namespace = parser.parse_args(list(argv))
        log.start(
            log.requested_path(argv, os.environ),
            f"aws-wif-helper token; options: {' '.join(argv)}",
            log.secret_option_values(argv),
        )
        options = options_from_namespace(namespace)
        if namespace.mode not in MODES:
            raise _bad_mode(namespace.mode)
        request = read_request(
            {AUDIENCE_VARIABLE: namespace.audience, TOKEN_TYPE_VARIABLE: MODES[namespace.mode]}
        )
        check_audience_allowed(request, options, os.environ)
        deadline = Deadline(options.timeout_seconds)
        response = run_before_deadline(
            lambda: make_token_response(request, options, deadline, os.environ), deadline
        )
    except HelperError as error:
        log.record("outcome", f"failure {error}")
        print(f"aws-wif-helper token: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        log.error(error, "making the token")
        print(f"aws-wif-helper token: {translate(error, 'making the token')}", file=sys.stderr)
        return 1

    log.outcome(response)
    if namespace.decode:
        print(json.dumps(_decoded(response), indent=2, ensure_ascii=False))
    else:
        print(render(response), end="")
    return 0


def _decoded(response: Response) -> dict[str, object]:
    token = str(response.get("id_token", ""))
    shown = {**response, "id_token": shorten(token)}
    return {"response": shown, "subject_token": readable(token)}


def _bad_mode(mode: str) -> HelperError:
    shown = mode if mode.isascii() and mode.isprintable() else "?"
    return HelperError(
        ErrorCode.INVALID_REQUEST,
        f"--mode {shown[:20]!r} is not a mode of the helper; use {' or '.join(MODES)}.",
    )
