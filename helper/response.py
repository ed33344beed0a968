"""The versioned JSON documents the clients read on stdout and from the output file.

{"version": 1, "success": true, "token_type": TYPE, "id_token": TOKEN,
 "expiration_time": EPOCH_SECONDS}
{"version": 1, "success": false, "code": CODE, "message": MESSAGE}
{"version": 1, "success": true}                      # answer to a revocation
"""

from __future__ import annotations

import json
from typing import Any

from helper.errors import HelperError

__all__ = ["PROTOCOL_VERSION", "failure", "render", "revoked", "success"]

PROTOCOL_VERSION = 1

Response = dict[str, Any]


def success(token_type: str, token: str, expiration_time: int) -> Response:
    return {
        "version": PROTOCOL_VERSION,
        "success": True,
        "token_type": token_type,
        "id_token": token,
        "expiration_time": expiration_time,
    }


def failure(error: HelperError) -> Response:
    return {
        "version": PROTOCOL_VERSION,
        "success": False,
        "code": error.code.value,
        "message": error.message,
    }


def revoked() -> Response:
    return {"version": PROTOCOL_VERSION, "success": True}


def render(response: Response) -> str:
    """One line of JSON, ASCII only, ending in a newline."""
    return json.dumps(response, separators=(", ", ": ")) + "\n"
