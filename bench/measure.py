#!/usr/bin/env python3
"""Runs a command N times; prints its best wall time (s) and its output as JSON.

usage: measure.py RUNS COMMAND [ARG...]
"""
import json
import subprocess
import sys
import time

runs = int(sys.argv[1])
cmd = sys.argv[2:]
best = float("inf")
for _ in range(runs):
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "exit": done.returncode,
                  "stdout": done.stdout.decode(errors="replace")[-2000:]}))
