"""Runs a command and prints its CPU time (user + system, children included) and wall time as JSON on fd 3.

Usage: python measure.py COMMAND... 3>cpu.json   (the command's own output passes through)
"""
import json
import os
import resource
import subprocess
import sys
import time

start = time.monotonic()
code = subprocess.call(sys.argv[1:])
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with os.fdopen(3, "w") as out:
    json.dump({"user_s": usage.ru_utime, "system_s": usage.ru_stime, "wall_s": wall, "exit": code}, out)
sys.exit(code)
