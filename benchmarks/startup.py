"""Start-up benchmark: the commands that should cost little more than the interpreter.

The local sample sites are served, one `newsmon run` stores their articles, then each command is timed as a
fresh process (wall, interpreter start-up included) and the median of N printed against its goal, with
the median CPU time beside it:
  `newsmon --help`     goal < 0.3 s
  `newsmon status`     (no goal; the same imports as an unchanged run, minus the fetching)
  `newsmon run`        unchanged: every feed answers 304 or lists nothing new; goal < 0.6 s, no article requests
and, for comparison, a bare `python -c pass`. Python's byte-code cache is allowed (PYTHONDONTWRITEBYTECODE is
dropped), as an installed newsmon has its .pyc files; the first timing of each command is a warm-up.

    .venv/bin/python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsmon.demo.configs import write_config
from newsmon.demo.sites import SampleSites

GOALS = {"--help": 0.3, "run": 0.6}


def timed(command: list[str], env: dict[str, str], runs: int
          ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """The median wall and CPU (user + system) seconds of `runs` runs of `command` after a warm-up one, and the
    last run's outcome. CPU is the steadier figure on a machine that other work shares."""
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env=env)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus), proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    newsmon = [sys.executable, "-m", "newsmon"]
    with SampleSites() as sites, tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), sites.source_config())
        first = subprocess.run([*newsmon, "--config", str(config), "run"], capture_output=True, text=True, env=env)
        if first.returncode != 0:
            sys.exit(f"the first newsmon run failed ({first.returncode}):\n{first.stdout}\n{first.stderr[-3000:]}")
        print(f"first run stored the sample sites' articles: {first.stdout.strip().replace(chr(10), '; ')}")
        bare, bare_cpu, _ = timed([sys.executable, "-c", "pass"], env, args.runs)
        print(f"python -c pass: {bare:.3f} s wall, {bare_cpu:.3f} s CPU (the interpreter alone)")
        for name, command in (("--help", [*newsmon, "--help"]),
                              ("status", [*newsmon, "--config", str(config), "status"]),
                              ("run", [*newsmon, "--config", str(config), "run"])):
            sites.clear_requests()
            median, cpu, proc = timed(command, env, args.runs)
            goal = f" (goal < {GOALS[name]} s: {'met' if median < GOALS[name] else 'NOT met'})" if name in GOALS else ""
            print(f"newsmon {name}: median {median:.3f} s wall{goal}, {cpu:.3f} s CPU, of {args.runs}; "
                  f"exit {proc.returncode}")
            if name == "run":
                articles = [r for r in sites.requests if r.path.endswith(".html") or "/news/" in r.path]
                print(f"    {len(sites.requests)} requests over {args.runs + 1} runs, {len(articles)} of them for "
                      f"articles (goal 0); {proc.stdout.strip().replace(chr(10), '; ')}")
            if proc.returncode != 0:
                print("    " + proc.stderr.strip()[-2000:].replace("\n", "\n    "))


if __name__ == "__main__":
    main()
