#!/usr/bin/env python3
"""Runs commands alternately (A B C A B C ...) and prints medians of wall time, CPU time
(user + system) and peak memory, read from the kernel (wait4 rusage) for each run.

usage: measure.py RUNS NAME=COMMAND [NAME=COMMAND ...] [--expect-fail]
Every command runs once as a warm-up first. `{run}` in a command is replaced by the run's number
(0 for the warm-up), for a report file of its own each run: Hurl adds to a JUnit report that
exists. A run that exits non-zero (zero with --expect-fail) stops the measurement: a benchmark of
a failing run means nothing.
Prints one JSON object per command on stdout: name, wall_ms, cpu_ms, rss_mib, runs.
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(command):
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # No shell in between: the rusage is the tool's own.
        proc = subprocess.Popen(
            shlex.split(command), stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    return {
        "wall_ms": wall * 1000,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
        "rss_mib": usage.ru_maxrss / 1024,
        "code": code,
        "stderr": stderr,
    }


def main():
    args = sys.argv[1:]
    expect_fail = "--expect-fail" in args
    args = [a for a in args if a != "--expect-fail"]
    runs = int(args[0])
    commands = [a.split("=", 1) for a in args[1:]]
    samples = {name: [] for name, _ in commands}
    for round_ in range(runs + 1):
        for name, command in commands:
            r = run_once(command.replace("{run}", str(round_)))
            failed = r["code"] != 0
            if failed != expect_fail:
                what = "failed" if failed else "passed although it should fail"
                sys.stderr.write(
                    f"{name} {what} (exit {r['code']}): {command}\n{r['stderr'][-2000:]}\n"
                )
                sys.exit(1)
            if round_ > 0:  # round 0 is the warm-up
                samples[name].append(r)
    for name, _ in commands:
        s = samples[name]
        print(
            json.dumps(
                {
                    "name": name,
                    "runs": len(s),
                    "wall_ms": statistics.median(x["wall_ms"] for x in s),
                    "cpu_ms": statistics.median(x["cpu_ms"] for x in s),
                    "rss_mib": statistics.median(x["rss_mib"] for x in s),
                }
            )
        )


if __name__ == "__main__":
    main()
