"""The real Python client through its default loader, as gcloud and the client libraries use it.

`google.auth.default()` reads the credential config named by
GOOGLE_APPLICATION_CREDENTIALS and picks the credential kind from it: with a jwt
or id_token `subject_token_type` and an executable source it builds
`google.auth.pluggable.Credentials`, which run the helper; with the AWS type it
builds the built-in AWS source instead. GOOGLE_CLOUD_PROJECT must be set so the
library does not look the project up on Google's servers.

Prints one JSON line, {"ok": true, "token": ACCESS_TOKEN, "credentials": CLASS,
"project": PROJECT} or {"ok": false, "error": MESSAGE}, and exits 0 either way.
"""

from __future__ import annotations

import json

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def get_token() -> dict[str, object]:
    """Load the default credentials, refresh once, and describe the outcome."""
    import google.auth
    from google.auth.transport.requests import Request

    try:
        credentials, project = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        credentials.refresh(Request())  # type: ignore[no-untyped-call]
    except Exception as error:
        return {"ok": False, "error": str(error)}

    kind = type(credentials)
    return {
        "ok": True,
        "token": credentials.token,
        "credentials": f"{kind.__module__}.{kind.__qualname__}",
        "project": project,
    }


if __name__ == "__main__":
    print(json.dumps(get_token()))
