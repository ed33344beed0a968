"""The real Python client, as a user program runs it.

`google.auth.pluggable.Credentials` reads the credential config named on the
command line (or by GOOGLE_APPLICATION_CREDENTIALS), runs the helper when it
needs a subject token, and exchanges it for an access token. The default
loader (`google.auth.default`) is not used: it routes configs whose
subject_token_type is the AWS one to its built-in AWS source.

Prints one JSON line, {"ok": true, "token": ACCESS_TOKEN, "expiry": ISO_TIME}
or {"ok": false, "error": MESSAGE}, and exits 0 either way.
"""

from __future__ import annotations

import json
import os
import sys

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def get_token(config_path: str) -> dict[str, object]:
    """Load the config, refresh once, and describe the outcome."""
    from google.auth import pluggable
    from google.auth.transport.requests import Request

    try:
        credentials = pluggable.Credentials.from_file(  # type: ignore[no-untyped-call]
            config_path, scopes=[CLOUD_PLATFORM_SCOPE]
        )
        credentials.refresh(Request())
    except Exception as error:
        return {"ok": False, "error": str(error)}

    expiry = credentials.expiry.isoformat() if credentials.expiry else None
    return {"ok": True, "token": credentials.token, "expiry": expiry}


def main(argv: list[str]) -> int:
    config_path = argv[1] if len(argv) > 1 else os.environ["GOOGLE_APPLICATION_CREDENTIALS"]
    print(json.dumps(get_token(config_path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
