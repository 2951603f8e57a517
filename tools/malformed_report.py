"""Runs `bertinspect summary` and `convert` on every file of fixtures/malformed/, then a set of hostile inputs
generated at run time into a temporary folder (too big to commit): FIFOs, a full disk, racing writers, a file
truncated under a reader, headers and indexes with a million entries, huge vocabularies, texts and golden
files, control characters in names. Per run it records the exit code, whether a signal ended it, wall time,
peak RSS (/usr/bin/time's "maximum resident set size"), the stderr lines and what appeared in the output
folder, and prints one row per case.

A hostile case is OK when: no signal, the expected exit code, exactly one stderr line for an error exit (2 or
more) holding the expected phrase if one is given, wall ≤ max(5 s, 2 s per 100 MB of input), peak RSS ≤
2 × input + 300 MB, no file left in the output folder after a failed run and no `.bertinspect-tmp-*` ever.
Every run is killed after 60 s ("hang").

Run: python3 tools/malformed_report.py --binary .build/release/bertinspect [--quick] [--json FILE]
(--quick skips the cases with inputs of 50 MB or more and the 100,000-text run, and runs 5 rounds of the writer
race instead of 20.)
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/release/bertinspect")
parser.add_argument("--quick", action="store_true", help="skip the largest hostile cases")
parser.add_argument("--json", metavar="FILE", help="also write every record as JSON to FILE")
args = parser.parse_args()
binary = os.path.abspath(args.binary)
repo = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
fixtures = os.path.join(repo, "fixtures")
root = os.path.join(fixtures, "malformed")
TIMEOUT = 60
MB = 1 << 20
TEMP_MARKER = ".bertinspect-tmp-"
started = time.monotonic()


# ---------------------------------------------------------------------------------------------------------------
# Running one process: exit code, signal, wall time, peak RSS, stdout, stderr; killed after `timeout` seconds.

class Run:
    """One process under /usr/bin/time (a child's own ru_maxrss would include this Python process's RSS, which it
    inherits through fork/exec; time's grandchild is forked from a small process). Killed after `timeout` s."""

    def __init__(self, argv, timeout=TIMEOUT):
        self.argv, self.timeout = argv, timeout
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self.times = tempfile.NamedTemporaryFile(prefix="bertinspect-time-")
        self.hang, self.hang_rss_mb = False, 0.0
        self.start = time.monotonic()
        self.process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", self.times.name] + argv,
                                        stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err,
                                        start_new_session=True)
        self.waiter = threading.Thread(target=self._wait, daemon=True)
        self.waiter.start()

    def _wait(self):
        self.process.wait()
        self.end = time.monotonic()

    def running(self):
        return self.waiter.is_alive()

    def _kill(self):
        """Notes the peak RSS of the command (time's child) from /proc, then kills time and the command."""
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                for child in f.read().split():
                    with open(f"/proc/{child}/status") as status:
                        hwm = re.search(r"VmHWM:\s+(\d+) kB", status.read())
                        self.hang_rss_mb = max(self.hang_rss_mb, int(hwm.group(1)) / 1024 if hwm else 0)
        except OSError:
            pass
        os.killpg(self.process.pid, signal.SIGKILL)

    def finish(self):
        self.waiter.join(max(0.0, self.start + self.timeout - time.monotonic()))
        if self.waiter.is_alive():
            self.hang = True
            self._kill()
            self.waiter.join()
        self.wall = self.end - self.start
        report_text = open(self.times.name).read()
        self.times.close()
        killed = re.search(r"Command terminated by signal (\d+)", report_text)
        self.signal = int(killed.group(1)) if killed else None
        self.exit = None if self.hang or killed else self.process.returncode
        rss = re.findall(r"^(\d+)$", report_text, re.M)
        self.rss_mb = int(rss[-1]) / 1024 if rss else self.hang_rss_mb
        self.out.seek(0), self.err.seek(0)
        self.stdout, self.stderr = self.out.read(), self.err.read()
        self.out.close(), self.err.close()
        self.lines = self.stderr.splitlines()
        return self

    def first_line(self):
        return printable(self.lines[0].decode("utf-8", "replace")) if self.lines else ""


def run(argv, timeout=TIMEOUT):
    return Run(argv, timeout).finish()


def printable(text):
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def size_of(paths):
    total = 0
    for path in paths:
        if os.path.isdir(path):
            total += sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files
                         if os.path.isfile(os.path.join(d, f)))
        elif os.path.isfile(path):
            total += os.path.getsize(path)
    return total


def listing(folder):
    if not folder or not os.path.isdir(folder):
        return []
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, files in os.walk(folder) for f in files)


def problems_of(r, expect, phrase=None, input_bytes=0, outdir=None, wall_limit=None, rss_limit=None):
    """What is wrong with one finished run, by the rules in the module docstring."""
    problems = []
    if r.hang:
        problems.append("hang")
    elif r.signal:
        problems.append(f"signal {r.signal}")
    elif r.exit not in expect:
        problems.append(f"exit {r.exit}, expected {'/'.join(map(str, sorted(expect)))}")
    if not r.hang and r.exit is not None and r.exit >= 2:
        if len(r.lines) != 1:
            problems.append(f"{len(r.lines)} stderr lines")
        if phrase and not (r.lines and phrase in r.lines[0].decode("utf-8", "replace")):
            problems.append(f"no '{phrase}'")
    wall_limit = wall_limit or max(5.0, 2.0 * input_bytes / (100 * MB))
    rss_limit = rss_limit or 2 * input_bytes / MB + 300
    if not r.hang and r.wall > wall_limit:
        problems.append(f"wall {r.wall:.1f} s > {wall_limit:.1f} s")
    if r.rss_mb > rss_limit:
        problems.append(f"RSS {r.rss_mb:.0f} MB > {rss_limit:.0f} MB")
    files = listing(outdir)
    if any(TEMP_MARKER in f for f in files):
        problems.append("temporary file left")
    if r.exit != 0 and any(TEMP_MARKER not in f for f in files):
        problems.append("stray output " + ", ".join(f for f in files if TEMP_MARKER not in f)[:60])
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Reporting

records = []


def label(argv):
    text = " ".join(shlex.quote(a) for a in argv[1:])
    text = text.replace(work + "/", "$T/").replace(repo + "/", "")
    return text if len(text) <= 72 else text[:69] + "..."


def report(name, r, problems, status=None):
    status = status or ("BAD" if problems else "OK")
    exit_text = "hang" if r.hang else (f"sig{r.signal}" if r.signal else str(r.exit))
    print(f"{name:28} {label(r.argv):72} {exit_text:>5} {r.wall:7.2f} s {r.rss_mb:7.1f} MB  {status}"
          + (f" ({'; '.join(problems)})" if problems else ""), flush=True)
    records.append(dict(name=name, command=label(r.argv), exit=r.exit, signal=r.signal, hang=r.hang,
                        wall=round(r.wall, 3), rss_mb=round(r.rss_mb, 1), stderr_lines=len(r.lines),
                        first_line=r.first_line(), status=status, problems=problems))


def case(name, argv, expect, phrase=None, inputs=(), outdir=None, extra=None, **limits):
    """Runs one command, judges it (plus `extra(result)`, a list of further problems) and prints its row."""
    if outdir:
        os.makedirs(outdir, exist_ok=True)
    r = run(argv)
    problems = problems_of(r, set(expect), phrase, size_of(inputs), outdir, **limits)
    if extra and not r.hang:
        problems += extra(r)
    report(name, r, problems)
    return r


def skip(name, why):
    print(f"{name:28} skipped: {why}", flush=True)
    records.append(dict(name=name, status="SKIP", problems=[why]))


def full_only(case, *skipped):
    """Runs `case` unless --quick; with --quick records each (name, why) of `skipped` as skipped."""
    if not args.quick:
        case()
        return
    for name, why in skipped:
        skip(name, why)


# ---------------------------------------------------------------------------------------------------------------
# safetensors helpers

DTYPE_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1}


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import read_safetensors  # noqa: E402


def write_safetensors(path, tensors, metadata=None):
    """tensors: (name, dtype, shape, bytes or an int byte count for a hole); offsets contiguous in list order."""
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        length = data if isinstance(data, int) else len(data)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + length]}
        offset += length
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _, _, _, data in tensors:
            f.seek(data, 1) if isinstance(data, int) else f.write(data)
        f.truncate(8 + len(text) + offset)
    return 8 + len(text) + offset


def check_complete_safetensors(path, tensor_count):
    """Problems with a safetensors file that should be complete: header parses, offsets contiguous, length exact."""
    try:
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
    except Exception as error:  # noqa: BLE001 - any failure means the file is broken
        return [f"output unreadable: {error}"]
    header.pop("__metadata__", None)
    spans = sorted(v["data_offsets"] for v in header.values())
    end = 0
    for a, b in spans:
        if a != end:
            return ["output offsets not contiguous"]
        end = b
    for v in header.values():
        a, b = v["data_offsets"]
        if b - a != int(np.prod(v["shape"], dtype=np.int64)) * DTYPE_SIZE.get(v["dtype"], 0):
            return ["output tensor size mismatch"]
    problems = []
    if 8 + n + end != os.path.getsize(path):
        problems.append(f"output length {os.path.getsize(path)} != {8 + n + end}")
    if len(header) != tensor_count:
        problems.append(f"output has {len(header)} tensors, expected {tensor_count}")
    return problems


def random_words(nbytes, separator, seed=0):
    """nbytes of random lowercase words (3 to 10 letters) separated by `separator`, ending with a newline."""
    rng = np.random.default_rng(seed)
    text = rng.integers(ord("a"), ord("z") + 1, size=nbytes, dtype=np.uint8)
    cuts = np.cumsum(rng.integers(4, 12, size=nbytes // 4 + 1))
    text[cuts[cuts < nbytes]] = ord(separator)
    text[-1] = ord("\n")
    return text.tobytes()


def copy_folder(source, name):
    destination = os.path.join(work, name)
    shutil.copytree(os.path.join(fixtures, source), destination)
    return destination


# ---------------------------------------------------------------------------------------------------------------
# Hostile classes, one function each

def fifo_inputs():
    fifo = os.path.join(work, "fifo")
    os.mkfifo(fifo)
    folder = copy_folder("pt-sharded", "fifo-model")
    shard = os.path.join(folder, "model-00001-of-00002.safetensors")
    os.remove(shard)
    os.mkfifo(shard)
    out = os.path.join(work, "fifo-out")
    seqcls = os.path.join(fixtures, "tf-seqcls")
    case("fifo-input", [binary, "summary", fifo], {3}, "not a regular file")
    case("fifo-shard", [binary, "summary", folder], {3}, "not a regular file")
    case("fifo-golden", [binary, "verify", seqcls, "--golden", fifo], {3})
    case("fifo-ids-file", [binary, "verify", seqcls, "--record", out + "/g.json", "--ids-file", fifo], {3},
         outdir=out)
    case("fifo-texts-file", [binary, "run", seqcls, "--texts-file", fifo], {3})
    case("fifo-vocab", [binary, "tokenize", "--vocab", fifo, "hello"], {3})


def full_disk():
    mount = os.path.join(work, "full")
    os.makedirs(mount)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", mount],
                                           capture_output=True).returncode != 0:
        skip("full-disk", "needs root for tmpfs")
        return
    try:
        source = os.path.join(fixtures, "tf-seqcls")
        for to, name in (("h5", "tf_model.h5"), ("safetensors", "model.safetensors")):
            case(f"full-disk-{to}", [binary, "convert", source, "--to", to, "-o", os.path.join(mount, name)], {5},
                 "no space left on device", inputs=[source], outdir=mount)
            for leftover in os.listdir(mount):
                os.remove(os.path.join(mount, leftover))
    finally:
        subprocess.run(["umount", mount])


def racing_writers(rounds):
    source = os.path.join(fixtures, "pt-seqcls")
    tensor_count = len(read_safetensors(os.path.join(source, "model.safetensors"))[1])
    worst, peak_rss, problems = None, 0.0, []
    for round_number in range(rounds):
        out = os.path.join(work, f"race-{round_number}")
        os.makedirs(out)
        argv = [binary, "convert", source, "--to", "safetensors", "-o", out + "/x.safetensors"]
        runs = [Run(argv), Run(argv)]
        runs = [r.finish() for r in runs]
        exits = sorted((r.exit for r in runs), key=str)
        found = []
        for r in runs:
            found += problems_of(r, {0, 5}, "already exists" if r.exit == 5 else None, size_of([source]))
            worst = r if worst is None or r.wall > worst.wall else worst
            peak_rss = max(peak_rss, r.rss_mb)
        if exits != [0, 5]:
            found.append(f"exits {exits}")
        files = listing(out)  # companions (config.json) may sit beside the weights
        if any(TEMP_MARKER in f for f in files):
            found.append("temporary file left")
        if "x.safetensors" not in files:
            found.append("no x.safetensors")
        else:
            found += check_complete_safetensors(os.path.join(out, "x.safetensors"), tensor_count)
        problems += [f"round {round_number}: {p}" for p in dict.fromkeys(found)]
    worst.rss_mb = peak_rss  # the row shows the slowest run with the largest RSS of all runs
    report(f"race-writers x{rounds}", worst, problems[:4] + ([f"... {len(problems) - 4} more"] if len(problems) > 4
                                                            else []))


def big_model(path, vocab):
    """pt-base's tensors with a sparse word embedding matrix of [vocab, 32] F32."""
    _, tensors = read_safetensors(os.path.join(fixtures, "pt-base", "model.safetensors"))
    tensors = [(k, d, [vocab, s[1]], vocab * s[1] * 4) if k == "embeddings.word_embeddings.weight" else (k, d, s, b)
               for k, d, s, b in tensors]
    return write_safetensors(path, tensors)


def truncation_under_reader():
    folder = os.path.join(work, "truncate")
    os.makedirs(folder)
    big = os.path.join(folder, "big.safetensors")
    for name, make_argv in (("truncate-diff", lambda out: [binary, "diff", big, big]),
                            ("truncate-convert", lambda out: [binary, "convert", big, "--to", "safetensors",
                                                              "-o", out + "/copy.safetensors"])):
        notes = []
        for attempt, vocab in enumerate((12_000_000, 24_000_000, 48_000_000)):
            size = big_model(big, vocab)
            out = os.path.join(work, f"{name}-out-{attempt}")
            os.makedirs(out)
            argv = make_argv(out)
            inputs = size * argv.count(big)
            running = Run(argv)
            time.sleep(0.3)
            if not running.running():
                notes.append(f"{size / 1e9:.1f} GB: finished before the truncation")
                r = running.finish()
                continue
            os.truncate(big, size // 2)
            r = running.finish()
            if r.exit == 0:
                notes.append(f"{size / 1e9:.1f} GB: exit 0 after the truncation")
                continue
            report(name, r, problems_of(r, {3}, "changed while it was read", inputs, out))
            break
        else:
            report(name, r, notes, status="race not hit")
        os.remove(big)


def many_layer_tensors():
    _, tensors = read_safetensors(os.path.join(fixtures, "pt-base", "model.safetensors"))
    tensors = [t for t in tensors if t[0].startswith("embeddings.")]
    tensors += [(f"encoder.layer.{i}.attention.self.query.weight", "F32", [0, 0], b"") for i in range(200_000)]
    path = os.path.join(work, "many-layers.safetensors")
    write_safetensors(path, tensors)
    case("200k-empty-layers", [binary, "summary", path], {3}, "bertinspect accepts", inputs=[path])
    # Under the tensor limit, the layer limit itself must answer.
    tensors = tensors[:tensors.index(next(t for t in tensors if t[0].startswith("encoder.")))] + [
        (f"encoder.layer.{i}.attention.self.query.weight", "F32", [0, 0], b"") for i in range(90_000)]
    path = os.path.join(work, "90k-layers.safetensors")
    write_safetensors(path, tensors)
    case("90k-empty-layers", [binary, "summary", path], {3}, "encoder layers", inputs=[path])


def million_tensors():
    path = os.path.join(work, "million.safetensors")
    write_safetensors(path, [(f"t{i}", "F32", [0], b"") for i in range(1_000_000)])
    case("1M-tensors", [binary, "summary", path], {3}, inputs=[path])


def million_index_entries():
    folder = os.path.join(work, "big-index")
    os.makedirs(folder)
    shard = os.path.join(folder, "model.safetensors")
    shutil.copy(os.path.join(fixtures, "pt-seqcls", "model.safetensors"), shard)
    names = [t[0] for t in read_safetensors(shard)[1]]
    names += [f"extra.{i}.weight" for i in range(1_000_000 - len(names))]
    index = os.path.join(folder, "model.safetensors.index.json")
    with open(index, "w") as f:
        json.dump({"metadata": {"total_size": 329224}, "weight_map": dict.fromkeys(names, "model.safetensors")}, f)
    case("1M-index-entries", [binary, "summary", index], {3}, inputs=[index, shard])


def many_keras_records():
    metadata, tensors = read_safetensors(os.path.join(fixtures, "pt-seqcls", "model.safetensors"))
    layers = [{"name": f"layer_{i}", "class": "Dense", "weights": []} for i in range(200_000)]
    metadata = dict(metadata or {}, **{"bertinspect.keras_layers": json.dumps(layers)})
    path = os.path.join(work, "keras-layers.safetensors")
    write_safetensors(path, tensors, metadata)
    case("200k-keras-records", [binary, "summary", path], {0, 3}, inputs=[path])


def huge_vocabulary():
    folder = copy_folder("tf-seqcls", "huge-vocab")
    vocab = os.path.join(folder, "vocab.txt")
    with open(vocab, "wb") as f:
        f.write(random_words(64 * MB, "\n"))
    case("64MiB-vocab-run", [binary, "run", folder, "--text", "hello"], {3}, inputs=[folder])
    case("64MiB-vocab-tokenize", [binary, "tokenize", "--vocab", vocab, "hello"], {0, 3}, inputs=[vocab])


def huge_text():
    path = os.path.join(work, "one-line.txt")
    with open(path, "wb") as f:
        f.write(random_words(10 * MB, " ", seed=1))
    case("10MB-text", [binary, "run", os.path.join(fixtures, "pt-seqcls"), "--texts-file", path], {0}, inputs=[path])


def many_texts():
    path = os.path.join(work, "many-lines.txt")
    with open(path, "w") as f:
        f.writelines(f"this movie was number {i} of the year\n" for i in range(100_000))
    r = run([binary, "run", os.path.join(fixtures, "pt-seqcls"), "--texts-file", path, "--json"])
    problems = problems_of(r, {0}, rss_limit=300, wall_limit=60)
    if r.hang:  # the tiny model is fast; a run still going at the 60 s timeout is "slow", not BAD
        problems = [p for p in problems if p != "hang" and not p.startswith("exit ")]
        report("100k-texts", r, problems, status=None if problems else "slow")
    else:
        report("100k-texts", r, problems)


def overflowing_golden():
    with open(os.path.join(fixtures, "tf-seqcls", "golden.json")) as f:
        text = f.read()
    number = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?").search(text, text.index('"logits"'))
    path = os.path.join(work, "golden-1e400.json")
    with open(path, "w") as f:
        f.write(text[:number.start()] + "1e400" + text[number.end():])
    case("golden-1e400", [binary, "verify", os.path.join(fixtures, "tf-seqcls"), "--golden", path], {1},
         inputs=[path])


def huge_golden():
    golden = json.load(open(os.path.join(fixtures, "tf-seqcls", "golden.json")))
    row = json.dumps(golden["outputs"]["last_hidden_state"][0][1])
    target = 510 * MB
    length = (target - 4096) // (3 * (len(row) + 2 + 12))
    path = os.path.join(work, "golden-510MiB.json")

    def matrix(f, rows):
        f.write("[")
        for b in range(3):
            f.write("[" if b == 0 else ", [")
            for start in range(0, length, 10_000):
                count = min(10_000, length - start)
                f.write((", " if start else "") + ", ".join(rows(start, count)))
            f.write("]")
        f.write("]")

    with open(path, "w") as f:
        f.write('{"schema": "bertinspect.golden/1", "inputs": {"input_ids": ')
        matrix(f, lambda start, count: ["101" if start + i == 0 else "102" if start + i == length - 1 else "1951"
                                           for i in range(count)])
        f.write(', "attention_mask": ')
        matrix(f, lambda start, count: ["1"] * count)
        f.write(', "token_type_ids": ')
        matrix(f, lambda start, count: ["0"] * count)
        f.write('}, "outputs": {"logits": ' + json.dumps(golden["outputs"]["logits"]) + ', "last_hidden_state": ')
        matrix(f, lambda start, count: [row] * count)
        f.write('}, "tolerance": {"atol": 0.0001, "rtol": 0.0001}}\n')
    case("golden-510MiB", [binary, "verify", os.path.join(fixtures, "tf-seqcls"),
                           "--golden", path], {3}, inputs=[path])


def many_ids():
    path = os.path.join(work, "ids.txt")
    with open(path, "w") as f:
        f.write("101 150 1951 1788 1767 142 1984 102\n" * 200_000)
    out = os.path.join(work, "ids-out")
    # Valid ids: the model really runs on 200,000 sequences and records a 1.2 GB golden file, so this is work, not
    # an attack: memory must stay flat (one batch), and the time is the forward passes'.
    case("200k-ids-rows", [binary, "verify", os.path.join(fixtures, "pt-seqcls"), "--record", out + "/g.json",
                           "--ids-file", path, "--force"], {0}, inputs=[path], outdir=out, wall_limit=120, rss_limit=300)


def control_characters():
    folder = copy_folder("pt-seqcls", "evil-labels")
    config_path = os.path.join(folder, "config.json")
    config = json.load(open(config_path))
    # "hello" is classified as label 1, so both labels carry the escape sequence: whichever wins is printed.
    config["id2label"] = {"0": "neg\nX\u001b[31mRED", "1": "pos\nX\u001b[31mRED"}
    config["label2id"] = {v: int(k) for k, v in config["id2label"].items()}
    json.dump(config, open(config_path, "w"))

    def escaped_label(r):
        problems = ["raw ESC on stdout"] if b"\x1b" in r.stdout else []
        return problems + ([] if b"\\u{1b}" in r.stdout else ["label not shown as \\u{1b}"])
    case("escape-in-id2label", [binary, "run", folder, "--text", "hello"], {0}, inputs=[folder], extra=escaped_label)

    metadata, tensors = read_safetensors(os.path.join(fixtures, "pt-seqcls", "model.safetensors"))
    path = os.path.join(work, "evil-name.safetensors")
    write_safetensors(path, tensors + [("evil\n\u001b[2J", "F31", [2], bytes(8))], metadata)
    case("escape-in-tensor-name", [binary, "summary", path], {3}, inputs=[path],
         extra=lambda r: ["raw ESC on stderr"] if b"\x1b" in r.stderr + r.stdout else [])


def absurd_shard_size():
    out = os.path.join(work, "shard-out")
    case("max-shard-size-overflow", [binary, "convert", os.path.join(fixtures, "pt-seqcls"), "--to", "safetensors",
                                     "--max-shard-size", "99999999999GB", "-o", out + "/model.safetensors"], {2},
         outdir=out)


# ---------------------------------------------------------------------------------------------------------------
# Part 1: the committed malformed fixtures

expected = json.load(open(os.path.join(root, "expected.json")))
worst_time, worst_rss, bad = (0.0, ""), (0.0, ""), []
with tempfile.TemporaryDirectory() as out:
    for name in sorted(expected):
        for command in (["summary"], ["convert", "--to", "safetensors", "-o", out + "/"]):
            r = run([binary, command[0], os.path.join(root, name)] + command[1:])
            message = [line.decode("utf-8", "replace") for line in r.lines if line.startswith(b"bertinspect")]
            ok = (r.exit == 3 and not r.signal and not r.hang and len(message) == 1 and expected[name] in message[0]
                  and not os.listdir(out))
            worst_time = max(worst_time, (r.wall, f"{command[0]} {name}"))
            worst_rss = max(worst_rss, (r.rss_mb, f"{command[0]} {name}"))
            if not ok:
                bad.append((name, command[0], "hang" if r.hang else r.exit, message))
print(f"{len(expected)} malformed inputs × 2 commands: {len(expected) * 2 - len(bad)} exited 3 with one line and wrote nothing, "
      f"{len(bad)} did not")
for item in bad:
    print("  BAD", item)
print(f"worst wall time {worst_time[0]:.2f} s ({worst_time[1]}), worst peak RSS {worst_rss[0]:.1f} MB ({worst_rss[1]})")

# Hostile PyTorch pickles and zips (fixtures/pt-bin-hostile) and damaged TensorFlow checkpoints
# (fixtures/tf-ckpt-hostile): none is a BERT model, so each must exit 3 with one line, write nothing, stay within time
# and memory, and never create the marker file its payload would create if a loader executed it.
hostile_inputs = [os.path.join(fixtures, "pt-bin-hostile", n) for n in sorted(os.listdir(os.path.join(fixtures, "pt-bin-hostile"))) if n.endswith(".bin")]
hostile_inputs += [os.path.join(fixtures, "tf-ckpt-hostile", n[:-6]) for n in sorted(os.listdir(os.path.join(fixtures, "tf-ckpt-hostile"))) if n.endswith(".index")]
markers = [c.get("marker") for c in json.load(open(os.path.join(fixtures, "pt-bin-hostile", "cases.json"))).values() if isinstance(c, dict) and c.get("marker")]
worst_time, worst_rss, bad = (0.0, ""), (0.0, ""), []
with tempfile.TemporaryDirectory() as out:
    for path in hostile_inputs:
        for command in (["summary"], ["convert", "--to", "safetensors", "-o", out + "/"]):
            r = run([binary, command[0], path] + command[1:])
            message = [line.decode("utf-8", "replace") for line in r.lines if line.startswith(b"bertinspect")]
            ok = r.exit == 3 and not r.signal and not r.hang and len(message) == 1 and not os.listdir(out)
            name = os.path.relpath(path, fixtures)
            worst_time = max(worst_time, (r.wall, f"{command[0]} {name}"))
            worst_rss = max(worst_rss, (r.rss_mb, f"{command[0]} {name}"))
            if not ok:
                bad.append((name, command[0], "hang" if r.hang else r.exit, message))
executed = [m for m in markers if os.path.exists(m)]
print(f"{len(hostile_inputs)} hostile pickles, zips and TF checkpoints × 2 commands: {len(hostile_inputs) * 2 - len(bad)} exited 3 "
      f"with one line and wrote nothing, {len(bad)} did not; {len(markers)} code-execution payloads, {len(executed)} ran")
for item in bad + [("marker created", m) for m in executed]:
    print("  BAD", item)
print(f"worst wall time {worst_time[0]:.2f} s ({worst_time[1]}), worst peak RSS {worst_rss[0]:.1f} MB ({worst_rss[1]})")

# ---------------------------------------------------------------------------------------------------------------
# Part 2: hostile inputs generated at run time

print()
print(f"{'case':28} {'command':72} {'exit':>5} {'wall':>9} {'peak RSS':>10}  result")
work = tempfile.mkdtemp(prefix="bertinspect-hostile-")
try:
    fifo_inputs()
    full_disk()
    racing_writers(5 if args.quick else 20)
    full_only(truncation_under_reader, ("truncate-diff/convert", "--quick (1.5 GB sparse file)"))
    many_layer_tensors()
    full_only(million_tensors, ("1M-tensors", "--quick (70 MB header)"))
    full_only(million_index_entries, ("1M-index-entries", "--quick (45 MB index)"))
    many_keras_records()
    full_only(huge_vocabulary, ("64MiB-vocab-run/tokenize", "--quick (64 MiB vocabulary)"))
    huge_text()
    full_only(many_texts, ("100k-texts", "--quick (up to 60 s)"))
    overflowing_golden()
    full_only(huge_golden, ("golden-510MiB", "--quick (510 MiB golden file)"))
    many_ids()
    control_characters()
    absurd_shard_size()
finally:
    shutil.rmtree(work, ignore_errors=True)

judged = [r for r in records if r["status"] != "SKIP"]
failed = [r for r in judged if r["status"] == "BAD"]
other = [r for r in judged if r["status"] not in ("OK", "BAD")]
print(f"{len(judged)} hostile cases: {len(judged) - len(failed) - len(other)} ended as expected within time and "
      f"memory and left nothing behind, {len(failed)} did not"
      + (f", {len(other)} inconclusive ({', '.join(r['name'] + ': ' + r['status'] for r in other)})" if other else "")
      + (f"; {len(records) - len(judged)} skipped" if len(records) > len(judged) else ""))
for r in failed:
    print(f"  BAD {r['name']}: {'; '.join(r['problems'])} — {r['first_line'][:160] or '(no stderr)'}")
slowest = max(judged, key=lambda r: r["wall"])
largest = max(judged, key=lambda r: r["rss_mb"])
print(f"worst wall time {slowest['wall']:.2f} s ({slowest['name']}), "
      f"worst peak RSS {largest['rss_mb']:.1f} MB ({largest['name']})")
print(f"report took {time.monotonic() - started:.0f} s")
if args.json:
    with open(args.json, "w") as f:
        json.dump(records, f, indent=1, ensure_ascii=True)
