"""`aws-wif-helper token`: the client's response, made by hand.

Runs the same code as protocol mode for an audience given on the command line,
prints the response on stdout, and exits 1 with the failure on stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from helper.audience import check_audience
from helper.aws_errors import translate
from helper.deadline import Deadline, run_before_deadline
from helper.errors import HelperError
from helper.options import add_helper_options, new_parser, options_from_namespace
from helper.protocol import make_token_response
from helper.request import AWS_TOKEN_TYPE, TokenRequest
from helper.response import render

__all__ = ["run"]


def run(argv: Sequence[str]) -> int:
    parser = new_parser("aws-wif-helper token", "Print a subject token response.")
    parser.add_argument("--audience", required=True, help="the provider's full name")
    add_helper_options(parser)

    try:
        namespace = parser.parse_args(list(argv))
        options = options_from_namespace(namespace)
        request = TokenRequest(
            audience=check_audience(namespace.audience),
            token_type=AWS_TOKEN_TYPE,
            output_file=None,
            interactive=False,
            impersonated_email=None,
            revoke=False,
        )
        deadline = Deadline(options.timeout_seconds)
        response = run_before_deadline(
            lambda: make_token_response(request, options, deadline, os.environ), deadline
        )
    except HelperError as error:
        print(f"aws-wif-helper token: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        print(f"aws-wif-helper token: {translate(error, 'making the token')}", file=sys.stderr)
        return 1

    print(render(response), end="")
    return 0
