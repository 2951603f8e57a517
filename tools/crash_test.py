"""Kills `bertinspect convert` with SIGKILL at many points of a bert-base-sized conversion and checks that the
destination is either absent or complete (byte-identical to an uninterrupted run), that the input never changes,
and that the next run removes the temporary files killed runs left.

Run: python3 tools/crash_test.py --binary .build/release/bertinspect [--kills 40] [--to safetensors|h5]
(the short version of this runs in `make test`: Tests/EndToEndTests/CrashSafetyTests.swift)
"""
import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/bertinspect")
parser.add_argument("--source", default="/tmp/bertinspect-bench/bert-base-tf/tf_model.h5")
parser.add_argument("--kills", type=int, default=40)
parser.add_argument("--to", default="safetensors")
args = parser.parse_args()


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            h.update(chunk)
    return h.hexdigest()


work = tempfile.mkdtemp(prefix="bertinspect-crash-")
source_hash = digest(args.source)
name = "model.safetensors" if args.to == "safetensors" else "tf_model.h5"
reference = os.path.join(work, "reference", name)
os.makedirs(os.path.dirname(reference))
start = time.perf_counter()
subprocess.run([args.binary, "convert", args.source, "--to", args.to, "-o", reference], check=True, capture_output=True)
duration = time.perf_counter() - start
expected = digest(reference)
killed = complete = absent = corrupt = 0
for attempt in range(args.kills):
    destination = os.path.join(work, "out", name)
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    if os.path.exists(destination):
        os.remove(destination)
    process = subprocess.Popen([args.binary, "convert", args.source, "--to", args.to, "-o", destination],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(duration * (attempt + 0.5) / args.kills)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        killed += 1
    process.wait()
    if os.path.exists(destination):
        if digest(destination) == expected:
            complete += 1
        else:
            corrupt += 1
    else:
        absent += 1
leftovers = [f for f in os.listdir(os.path.join(work, "out")) if f.startswith(".bertinspect-tmp-")]
after = subprocess.run([args.binary, "convert", args.source, "--to", args.to, "-o", os.path.join(work, "out", name), "--force"],
                       capture_output=True, text=True)
remaining = [f for f in os.listdir(os.path.join(work, "out")) if f.startswith(".bertinspect-tmp-")]
print(f"{args.kills} runs of a {os.path.getsize(args.source) / 1e6:.0f} MB conversion to {args.to} ({duration:.2f} s each): "
      f"{killed} killed with SIGKILL, {complete} left a complete output, {absent} left none, {corrupt} corrupt")
print(f"input unchanged: {digest(args.source) == source_hash}; temporary files left by killed runs: {len(leftovers)}, "
      f"after the next run: {len(remaining)} (it said: {after.stderr.strip().splitlines()[:1]})")
shutil.rmtree(work)
