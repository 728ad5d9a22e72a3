#!/usr/bin/env python3
"""Runs a command once; prints its wall time (s), peak resident memory (KiB),
exit code and the end of its output as JSON.

usage: peak.py COMMAND [ARG...]
"""
import json
import os
import subprocess
import sys
import time

start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out, err = child.communicate()
seconds = time.perf_counter() - start
# The child has been reaped by communicate(); its usage is in RUSAGE_CHILDREN,
# which holds the largest peak of any child waited for (this is the only one).
import resource
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "max_rss_kib": peak, "exit": child.returncode,
                  "stdout": out.decode(errors="replace")[-2000:],
                  "stderr": err.decode(errors="replace")[-2000:]}))
