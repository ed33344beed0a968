"""Cold-start benchmark of one-file binaries: interleaved runs, medians, ratios.

    python3 build/bench/measure.py --runs 30 --env-file ENV NAME=PATH [NAME=PATH ...]

Every run is a fresh process (one-file binaries unpack again each time, so
every run is cold). The binaries take turns inside each round, in a rotating
order, so a burst of load from elsewhere on the machine hits all of them alike
instead of skewing one; the ratios are of medians taken in the same rounds.
Peak memory is the largest resident set of the process tree (the kernel's
ru_maxrss over the run and the children it waited for). Only the standard
library is used, so any Python 3 runs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time

__all__ = ["main"]


@dataclasses.dataclass
class Target:
    """One binary and what its runs measured."""

    name: str
    path: str
    wall_seconds: list[float] = dataclasses.field(default_factory=list)
    peak_rss_kib: list[int] = dataclasses.field(default_factory=list)
    cpu_seconds: list[float] = dataclasses.field(default_factory=list)

    @property
    def size_bytes(self) -> int:
        return os.path.getsize(self.path)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.wall_seconds)

    @property
    def median_cpu_seconds(self) -> float:
        return statistics.median(self.cpu_seconds)

    @property
    def median_rss_mib(self) -> float:
        return statistics.median(self.peak_rss_kib) / 1024

    @property
    def max_rss_mib(self) -> float:
        return max(self.peak_rss_kib) / 1024


def run_once(path: str, env: dict[str, str]) -> tuple[float, float, int, bytes]:
    """Run `path` once; return wall seconds, CPU seconds, peak RSS in KiB and its stdout."""
    read_end, write_end = os.pipe()
    null = os.open(os.devnull, os.O_RDWR)
    start = time.perf_counter()
    pid = os.posix_spawn(
        path,
        [path],
        env,
        file_actions=[
            (os.POSIX_SPAWN_DUP2, null, 0),
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_DUP2, null, 2),
        ],
    )
    os.close(write_end)
    output = b""
    while chunk := os.read(read_end, 65536):
        output += chunk
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    os.close(read_end)
    os.close(null)

    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{path} exited with status {status}; run it by hand to see why.")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, output


def read_env_file(path: str) -> dict[str, str]:
    """KEY=VALUE lines; the runs see only these variables."""
    env = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = value
    return env


def check_outputs(targets: list[Target], env: dict[str, str]) -> None:
    """One untimed run each, so a broken binary fails before it is timed."""
    for target in targets:
        _, _, _, output = run_once(target.path, env)
        if target.name.startswith("helper") and b'"success": true' not in output:
            raise SystemExit(f"helper did not answer with a token: {output[:200]!r}")


def measure(targets: list[Target], env: dict[str, str], runs: int, warmup: int) -> None:
    for round_number in range(warmup + runs):
        shift = round_number % len(targets)
        for target in targets[shift:] + targets[:shift]:
            seconds, cpu, rss, _ = run_once(target.path, env)
            if round_number >= warmup:
                target.wall_seconds.append(seconds)
                target.cpu_seconds.append(cpu)
                target.peak_rss_kib.append(rss)


def report(targets: list[Target], runs: int) -> dict[str, object]:
    """Print the table and the goal checks; return the same figures as a dict."""
    by_name = {target.name: target for target in targets}
    print(f"{runs} cold runs each, interleaved\n")
    print(
        f"{'binary':<22} {'size MB':>8} {'median s':>9} {'p10 s':>7} {'p90 s':>7} "
        f"{'CPU s':>7} {'RSS MiB':>8} {'max RSS':>8}"
    )
    for target in targets:
        deciles = statistics.quantiles(target.wall_seconds, n=10)
        print(
            f"{target.name:<22} {target.size_bytes / 1e6:>8.2f} {target.median_seconds:>9.3f} "
            f"{deciles[0]:>7.3f} {deciles[-1]:>7.3f} {target.median_cpu_seconds:>7.3f} "
            f"{target.median_rss_mib:>8.1f} "
            f"{target.max_rss_mib:>8.1f}"
        )

    figures: dict[str, object] = {
        target.name: {
            "size_bytes": target.size_bytes,
            "median_seconds": round(target.median_seconds, 4),
            "median_cpu_seconds": round(target.median_cpu_seconds, 4),
            "median_rss_mib": round(target.median_rss_mib, 1),
            "max_rss_mib": round(target.max_rss_mib, 1),
        }
        for target in targets
    }
    helper = by_name.get("helper")
    if helper is None:
        return figures

    print()
    checks = []
    if "hello" in by_name:
        ratio = helper.median_seconds / by_name["hello"].median_seconds
        figures["helper_over_hello"] = round(ratio, 3)
        checks.append(("helper / hello floor", ratio, 2.0, "x"))
    if "minimal-boto3-sign" in by_name:
        ratio = helper.median_seconds / by_name["minimal-boto3-sign"].median_seconds
        figures["helper_over_minimal_sign"] = round(ratio, 3)
        checks.append(("helper / minimal boto3 sign", ratio, 0.3, "x"))
    unwrapped = by_name.get("helper-unwrapped")
    if unwrapped is not None:
        cost = helper.median_seconds - unwrapped.median_seconds
        figures["wrapper_cost_seconds"] = round(cost, 4)
        print(f"{'staticx wrapper cost (median)':<32} {cost:>7.3f} s")
        if "hello" in by_name:
            ratio = unwrapped.median_seconds / by_name["hello"].median_seconds
            figures["unwrapped_over_hello"] = round(ratio, 3)
            print(f"{'unwrapped helper / hello floor':<32} {ratio:>7.3f}x")
    checks.append(("helper peak RSS (max of runs)", helper.max_rss_mib, 45.0, " MiB"))
    checks.append(("helper size", helper.size_bytes / 1e6, 12.0, " MB"))
    for label, value, limit, unit in checks:
        verdict = "meets" if value <= limit else "MISSES"
        print(f"{label:<32} {value:>7.3f}{unit:<4} goal <= {limit:g}{unit}  {verdict}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--env-file", required=True, help="KEY=VALUE lines for every run")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("targets", nargs="+", metavar="NAME=PATH")
    arguments = parser.parse_args(argv)

    targets = []
    for spec in arguments.targets:
        name, _, path = spec.partition("=")
        targets.append(Target(name, os.path.abspath(path)))
    env = read_env_file(arguments.env_file)

    check_outputs(targets, env)
    measure(targets, env, arguments.runs, arguments.warmup)
    figures = report(targets, arguments.runs)
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as stream:
            json.dump(figures, stream, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
