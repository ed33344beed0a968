"""SIGKILL at random moments never leaves a broken output file.

Node and Go refuse to run the helper again while the cached file is malformed,
so a run killed half-way through writing it (by a client's timeout, the OOM
killer, a reboot) must leave either the old complete response or the new
complete one. These tests kill the helper hundreds of times: half of the kills
at a random moment of the run, the rest the moment its temporary file appears,
which is when the write is under way. The module helper runs through
`slow_write.py`, which pauses it before each fsync, so that the kills aimed at
the write land inside it however busy the machine is; the frozen helper runs
as shipped. Two runs go at once, each for another
audience than the runs before it, so that every run that gets far enough
rewrites the file. After every kill,
and all the while from a reader thread, the file must be a complete, valid
response.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from helper.output_file import temporary_file_prefix
from tests.harness import (
    AUDIENCE,
    AwsEnvironment,
    HelperCommand,
    client_variables,
)
from tests.standins.aws_keys import LONG_TERM_KEY

# Each run asks for another provider than the runs just before it, so that it
# finds no response to reuse and writes the file.
AUDIENCES = tuple(AUDIENCE.replace("aws-provider", f"provider-{number}") for number in range(8))
MODULE_KILLS = 200
FROZEN_KILLS = 12
WORKERS = 2
SLOW_WRITE_HELPER = HelperCommand(
    "module", (sys.executable, str(Path(__file__).with_name("slow_write.py")))
)
# How often the killer looks for the temporary file, and the reader reads.
_POLL_SECONDS = 0.0005
_READ_SECONDS = 0.001


class KillReport:
    """What the kills hit, and every broken state anyone saw."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kills = 0
        self.during_write = 0
        self.reads = 0
        self.broken: list[str] = []

    def problem(self, text: str) -> None:
        with self.lock:
            self.broken.append(text)


def complete_response_problem(text: str) -> str | None:
    """Why `text` is not a complete success response for one of AUDIENCES, or None."""
    try:
        response = json.loads(text)
        token = json.loads(urllib.parse.unquote(response["id_token"]))
        target = {item["key"]: item["value"] for item in token["headers"]}[
            "x-goog-cloud-target-resource"
        ]
    except (ValueError, KeyError, TypeError) as error:
        return f"{type(error).__name__} reading {text[:80]!r}"
    if response.get("success") is not True or not isinstance(response["expiration_time"], int):
        return f"not a success response: {text[:80]!r}"
    if target not in AUDIENCES:
        return f"a token for {target!r}"
    return None


def kill_again_and_again(
    helper: HelperCommand, aws_env: AwsEnvironment, folder: Path, kills: int
) -> KillReport:
    """Start runs two at a time and SIGKILL each; check the file after every kill."""
    output_file = folder / "response.json"
    prefix = temporary_file_prefix(str(output_file))
    environments = [
        aws_env.environ(client_variables(audience, output_file=output_file))
        for audience in AUDIENCES
    ]
    started = time.monotonic()
    first = helper.run(environments[0])
    assert first.response["success"] is True
    typical_run_seconds = time.monotonic() - started
    report = KillReport()
    stop = threading.Event()

    def temporary_files() -> set[str]:
        return {name for name in os.listdir(folder) if name.startswith(prefix)}

    def read_all_the_time() -> None:
        while not stop.is_set():
            problem = complete_response_problem(output_file.read_text())
            with report.lock:
                report.reads += 1
            if problem:
                report.problem("reader saw " + problem)
            time.sleep(_READ_SECONDS)

    def kill_runs(worker: int) -> None:
        chance = random.Random(worker)
        for number in range(kills // WORKERS):
            left_before = temporary_files()  # by runs killed earlier
            run = helper.start(environments[(number * WORKERS + worker) % len(AUDIENCES)])
            # A quarter of the kills land at random; the rest wait for the write to
            # begin, since a random moment rarely falls inside it.
            if number % 4 == 3:
                time.sleep(chance.uniform(0, typical_run_seconds))
            else:
                while run.process.poll() is None and not temporary_files() - left_before:
                    time.sleep(_POLL_SECONDS)
                time.sleep(chance.uniform(0, 0.002))
            during_write = bool(temporary_files() - left_before)
            run.kill()
            problem = complete_response_problem(output_file.read_text())
            with report.lock:
                report.kills += 1
                report.during_write += during_write
            if problem:
                report.problem("after a kill: " + problem)

    reader = threading.Thread(target=read_all_the_time)
    workers = [threading.Thread(target=kill_runs, args=(index,)) for index in range(WORKERS)]
    reader.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    stop.set()
    reader.join()

    last = helper.run(environments[1])
    assert last.response["success"] is True, "a run after the kills must still work"
    assert temporary_files() == set(), "the run after the kills removes their temporary files"
    return report


def test_200_kills_of_the_module_helper_never_leave_a_partial_file(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)

    report = kill_again_and_again(SLOW_WRITE_HELPER, aws_env, folder, MODULE_KILLS)

    assert report.broken == []
    assert report.kills == MODULE_KILLS
    assert report.reads > MODULE_KILLS
    # Enough kills must land inside the write for the test to mean something:
    # three in four are aimed at it, and the pause makes it last 20 ms or more.
    assert report.during_write >= MODULE_KILLS // 2, vars(report)


def test_kills_of_the_frozen_helper_never_leave_a_partial_file(
    aws_env: AwsEnvironment, tmp_path: Path, frozen: HelperCommand
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)

    report = kill_again_and_again(frozen, aws_env, folder, FROZEN_KILLS)

    assert report.broken == []
    assert report.kills == FROZEN_KILLS
