#!/usr/bin/env python3
"""Runs several commands in alternation, RUNS rounds, and prints JSON: per
command its median and best wall time, peak RSS of its last run, and last
output. Alternating the runs pairs them: each round sees the same machine.

usage: paired.py RUNS NAME=COMMAND [NAME=COMMAND ...]   (COMMAND is run by sh)
"""
import json
import resource
import statistics
import subprocess
import sys
import time

runs = int(sys.argv[1])
commands = [arg.split("=", 1) for arg in sys.argv[2:]]
results = {name: {"times": [], "stdout": "", "peak_kib": 0} for name, _ in commands}
for _ in range(runs):
    for name, cmd in commands:
        start = time.perf_counter()
        done = subprocess.run(["sh", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{name} failed: {done.stderr.decode(errors='replace')[-2000:]}")
        r = results[name]
        r["times"].append(elapsed)
        r["stdout"] = done.stdout.decode(errors="replace")[-4000:]
for name, r in results.items():
    r["median"] = statistics.median(r["times"])
    r["best"] = min(r["times"])
print(json.dumps(results))
