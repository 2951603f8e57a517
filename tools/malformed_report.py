"""Runs `bertinspect summary` and `convert` on every file of fixtures/malformed/ and reports, per file, the exit code,
whether a signal ended it, wall time and peak RSS (/usr/bin/time -v), and the one-line message.

Run: python3 tools/malformed_report.py --binary .build/release/bertinspect
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/bertinspect")
args = parser.parse_args()
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "malformed")
expected = json.load(open(os.path.join(root, "expected.json")))
worst_time, worst_rss, bad = 0.0, 0, []
with tempfile.TemporaryDirectory() as out:
    for name in sorted(expected):
        for command in (["summary"], ["convert", "--to", "safetensors", "-o", out + "/"]):
            argv = [args.binary, command[0], os.path.join(root, name)] + command[1:]
            result = subprocess.run(["/usr/bin/time", "-v"] + argv, capture_output=True, text=True)
            rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
            wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
            seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
            signalled = "Command terminated by signal" in result.stderr
            message = [line for line in result.stderr.splitlines() if line.startswith("bertinspect")]
            ok = result.returncode == 3 and not signalled and len(message) == 1 and expected[name] in message[0] and not os.listdir(out)
            worst_time, worst_rss = max(worst_time, seconds), max(worst_rss, rss)
            if not ok:
                bad.append((name, command[0], result.returncode, message))
print(f"{len(expected)} malformed inputs × 2 commands: {len(expected) * 2 - len(bad)} exited 3 with one line and wrote nothing, "
      f"{len(bad)} did not")
for item in bad:
    print("  BAD", item)
print(f"worst wall time {worst_time:.2f} s, worst peak RSS {worst_rss / 1024:.1f} MB")
