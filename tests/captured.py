"""What the tests capture from the helper and the clients, and the check that no secret leaked.

Every runner in `tests/harness.py` (the helper's processes, the real clients,
in-process answers) hands what it captured to `capture`: stdout, stderr, the
output file and the step log it wrote. `tests/conftest.py` scans what each
test captured when the test ends and fails the test on a leak:

* a secret access key or session token of any `AwsKey` the stand-ins made,
  or another secret a stand-in registered (`tests.standins.aws_keys`);
* the value of `CANARY_VARIABLE`, which every process gets and no run needs;
* a full SigV4 signature (64 hex digits) anywhere but inside the subject
  token of a success response, where it belongs.

A finding names the secret's kind and where it was seen, never the secret.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import urllib.parse
from collections.abc import Iterable

from tests.standins.aws_keys import issued_secrets, remember_secret

__all__ = [
    "CANARY_VALUE",
    "CANARY_VARIABLE",
    "CAPTURED",
    "Capture",
    "CaptureLog",
    "capture",
    "find_leaks",
]

# An environment variable every test process gets and the helper never needs:
# if its value shows up in anything the helper printed, the helper echoed it.
CANARY_VARIABLE = "UNRELATED_APP_SECRET"
CANARY_VALUE = remember_secret("canary-" + secrets.token_hex(12))

# The subject token of a success response (in JSON, or JSON quoted inside a
# client's error text): it carries the signature and the session token by design.
_SUBJECT_TOKEN = re.compile(r'(\\*"(?:id_token|saml_response)\\*"\s*:\s*\\*")[^"\\]*')
_FULL_SIGNATURE = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


@dataclasses.dataclass(frozen=True)
class Capture:
    """One thing a test captured: where it came from, and its text."""

    source: str
    text: str


class CaptureLog:
    """An append-only, thread-safe list of captures for the whole session."""

    def __init__(self) -> None:
        self._items: list[Capture] = []
        self._lock = threading.Lock()

    def add(self, source: str, data: bytes | str) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if text:
            with self._lock:
                self._items.append(Capture(source, text))

    def mark(self) -> int:
        """A position to read from later with `since`."""
        with self._lock:
            return len(self._items)

    def since(self, mark: int) -> list[Capture]:
        with self._lock:
            return self._items[mark:]

    @property
    def total_characters(self) -> int:
        with self._lock:
            return sum(len(item.text) for item in self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


CAPTURED = CaptureLog()


def capture(source: str, data: bytes | str) -> None:
    """Keep `data` for the secrets check; `source` says where it came from."""
    CAPTURED.add(source, data)


def find_leaks(captures: Iterable[Capture]) -> list[str]:
    """What leaked, as "KIND in SOURCE" lines that never repeat the secret."""
    known = issued_secrets()
    findings: list[str] = []
    for item in captures:
        text = _SUBJECT_TOKEN.sub(r"\1<subject token>", item.text)
        for kind, value in known:
            if value in text or urllib.parse.quote(value, safe="") in text:
                findings.append(f"{kind} ({_shorten(value)}) in {item.source}")
        if _FULL_SIGNATURE.search(text):
            findings.append(f"a full 64-hex signature outside a subject token in {item.source}")
    return findings


def _shorten(value: str) -> str:
    return f"{value[:4]}…{value[-2:]}" if len(value) > 10 else "…"
