"""The build-time regex cache (build/regex_cache.py) changes start-up cost, never matching.

Each check runs in a fresh interpreter: installing the cache patches `re`
process-wide, which the rest of the test session must not see.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.standins.frozen_binary import REPO

_PRELUDE = f"""
import marshal, re, sys
sys.path[:0] = [{str(REPO)!r}, {str(REPO / "build")!r}]
from re import _compiler
import regex_cache
"""


def _run(body: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_cached_patterns_equal_freshly_compiled_ones() -> None:
    output = _run(
        """
        blob = regex_cache.record(["urllib3.util.url", "email.utils", "helper.audience"])
        fresh_compile = _compiler.compile
        assert regex_cache.install(blob)
        entries = marshal.loads(blob)[1]
        for pattern, flags in entries:
            assert _compiler.compile(pattern, flags) == fresh_compile(pattern, flags), pattern
        print(len(entries))
        """
    )

    assert int(output) > 10


def test_patterns_outside_the_cache_still_compile() -> None:
    output = _run(
        """
        assert regex_cache.install(regex_cache.record(["email.utils"]))
        print(re.fullmatch(r"(?P<word>[a-z]+)-[0-9]{2}", "aws-42").group("word"))
        """
    )

    assert output == "aws"


def test_a_cache_from_another_interpreter_is_ignored() -> None:
    output = _run(
        """
        stamp, entries = marshal.loads(regex_cache.record(["email.utils"]))
        foreign = marshal.dumps((("2.7.18", *stamp[1:]), entries), 2)
        before = _compiler.compile
        print(regex_cache.install(foreign), _compiler.compile is before)
        """
    )

    assert output == "False True"


def test_recording_twice_gives_the_same_bytes() -> None:
    script = "sys.stdout.write(regex_cache.record(['urllib3.util.url', 'email.utils']).hex())"

    assert _run(script) == _run(script)
