"""64 runs at once on one output file: every run answers, readers see whole files, one fetch.

A fleet of workers that start together each find no cached response and run
the helper. The runs take turns on the lock beside the output file; the first
fetches credentials (from a counting credential_process) and writes the file,
the others answer with that fresh response. A reader polls the file all the
while and must only ever see complete, valid JSON.
"""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

from tests.harness import (
    AwsEnvironment,
    CountingCredentialProcess,
    client_variables,
    module_helper,
)

RUNS = 64


def test_64_concurrent_runs_make_one_fetch_and_readers_see_only_whole_files(
    aws_env: AwsEnvironment, counting_credential_process: CountingCredentialProcess, tmp_path: Path
) -> None:
    output_file = tmp_path / "cache" / "response.json"
    environ = aws_env.environ(client_variables(output_file=output_file))
    reads: list[str] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            try:
                reads.append(output_file.read_text())
            except FileNotFoundError:
                continue
            stop.wait(0.001)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        runs = [module_helper().start(environ, ["--timeout", "60"]) for _ in range(RUNS)]
        results = [run.finish(timeout=120) for run in runs]
    finally:
        stop.set()
        reader.join()

    assert [result.returncode for result in results] == [0] * RUNS
    assert [result.stderr for result in results] == [b""] * RUNS
    responses = [result.response for result in results]
    assert all(response["success"] for response in responses), responses
    assert all(response == responses[0] for response in responses)
    assert counting_credential_process.fetches == 1
    assert reads, "the reader never saw the file"
    assert all(json.loads(text) == responses[0] for text in reads)
    assert stat.S_IMODE(output_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(output_file.parent.stat().st_mode) == 0o700
