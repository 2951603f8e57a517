"""Report check: bertinspect's HTML reports, opened in a real browser (headless Chromium, Debian's `chromium`).

  python3 tools/report_check.py --binary .build/debug/bertinspect [--out DIR] [--require] [--screenshot-to PNG]

writes `bertinspect report` for fixtures/tf-seqcls, fixtures/keras-bert-cnn-functional and fixtures/pt-pretraining,
and one diff report (fixtures/finetune-frozen/before against after-frozen-partial), then checks each file:

  self-contained  under 1 MB; no <script>, no on* handler attributes, no javascript: URLs; no src=/href=/url(...)/
                  @import that points anywhere but into the page (#id) or at a data: URI, so no http(s):// fetch
                  and no local asset next to the file (xmlns namespace names are not fetches and are allowed)
  console         Chromium printed no console message for the page (see CONSOLE FILTER below) and did not crash
  network         Chromium's net log shows no request made for the page (it resolves no host names while it runs,
                  so nothing leaves the machine either way)
  dom             the DOM Chromium built (--dump-dom): svg.model-diagram holds one g.block[data-kind=encoder-layer]
                  per num_hidden_layers (from the fixture's config.json, or for keras-bert-cnn-functional from
                  `bertinspect summary --json` -> config.num_hidden_layers); at least one svg.histogram; for the diff
                  report, svg.diff-chart holds one g.diff-row per layer row of `bertinspect diff --json` and
                  svg.diff-heatmap holds at least one rect.cell (a model diagram there is optional, and checked
                  against B's layer count when present)
  screenshot      a 1200x2400 screenshot is not blank: the standard deviation of its grayscale values (BT.601 luma,
                  0-255) is above --min-stddev (default 10); the value and the share of non-background pixels print
                  either way. --dark also takes one with prefers-color-scheme: dark (--force-dark-mode) and checks it.

It prints one line per check and "N passed, M failed", and exits 1 when a check failed. Without Chromium it prints
"skipped: chromium not installed (apt-get install chromium)" and exits 0, or 1 with --require (make report-check).

  python3 tools/report_check.py --html /tmp/sample.html --expect-layers 2 [--diff-rows 5]

checks one given HTML file the same way instead of generating reports (--diff-rows K: it is a diff report with K
layer rows). --screenshot-to PATH copies a screenshot (--screenshot-of picks the report; the --html file in that
mode) to PATH, for the README picture.

CONSOLE FILTER. Chromium runs with --enable-logging=stderr --v=0, which prints every console message of the page,
whatever its level (log, warn, error, uncaught exceptions, and also Blink's own page errors such as
"Error: <rect> attribute width: A negative value is not valid"), as
    [pid:tid:MMDD/HHMMSS.us:INFO:CONSOLE:LINE] "message", source: file:///.../report.html (LINE)
(older builds: CONSOLE(LINE)). A report needs no JavaScript, so any such line is a failure, not only errors. A line
also counts when it contains "Uncaught", when it names the report's own path, or when it is a crash
(":FATAL:", "Check failed", a renderer that crashed or was killed). Everything else Chromium prints on stderr is its
own start-up noise in a container (dbus, GPU/vaapi, sandbox, ScreenSaver, UPower, the Debian launcher's shell
warnings) and is ignored; --verbose prints those ignored lines. Chromium's own background requests (component
updates, accounts) are told apart from the page's in the net log by their network isolation key: the page's
requests carry the file:// top frame, Chromium's do not.

PNGs are decoded with zlib and plain Python (about 1 s for a 1200x2400 screenshot); no Pillow, no numpy.
"""
import argparse
import collections
import glob
import html.parser
import json
import os
import pathlib
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FIXTURES = os.path.join(ROOT, "fixtures")
MAX_BYTES = 1_000_000
WINDOW = (1200, 2400)

# name, report arguments (fixture paths), where num_hidden_layers comes from ("config" or "summary")
SINGLE_REPORTS = [
    ("tf-seqcls", ["fixtures/tf-seqcls"], "config"),
    ("keras-bert-cnn-functional", ["fixtures/keras-bert-cnn-functional"], "summary"),
    ("pt-pretraining", ["fixtures/pt-pretraining"], "config"),
]
DIFF_REPORT = ("diff", ["fixtures/finetune-frozen/before", "fixtures/finetune-frozen/after-frozen-partial"], "config")
REPORT_NAMES = [name for name, _, _ in SINGLE_REPORTS] + [DIFF_REPORT[0]]

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--binary", default=".build/debug/bertinspect")
parser.add_argument("--out", help="folder for the reports and screenshots (default: a temporary folder, removed "
                    "unless a check fails or --keep)")
parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
parser.add_argument("--chromium", default=os.environ.get("CHROMIUM"),
                    help="the browser to run (default: $CHROMIUM, else chromium, chromium-browser on PATH)")
parser.add_argument("--require", action="store_true", help="fail (exit 1) when Chromium is not installed")
parser.add_argument("--timeout", type=float, default=60, help="seconds per Chromium or bertinspect run (default 60)")
parser.add_argument("--min-stddev", type=float, default=10.0,
                    help="smallest grayscale standard deviation (0-255) of a screenshot that is not blank (default 10)")
parser.add_argument("--dark", action="store_true", help="also screenshot with prefers-color-scheme: dark")
parser.add_argument("--screenshot-to", metavar="PNG", help="copy a screenshot here (for the README)")
parser.add_argument("--screenshot-of", choices=REPORT_NAMES, default="tf-seqcls",
                    help="which report --screenshot-to copies (default tf-seqcls)")
parser.add_argument("--html", metavar="FILE", help="check this HTML file instead of generating reports")
parser.add_argument("--expect-layers", type=int, metavar="N", help="with --html: encoder layers in the diagram")
parser.add_argument("--diff-rows", type=int, metavar="K", help="with --html: a diff report with K layer rows")
parser.add_argument("--verbose", "-v", action="store_true", help="also print the Chromium lines the filter ignored")
args = parser.parse_args()
if args.html and args.expect_layers is None:
    parser.error("--html needs --expect-layers N")
if not args.html and (args.expect_layers is not None or args.diff_rows is not None):
    parser.error("--expect-layers and --diff-rows go with --html")

passed = 0
failures = []


def check(ok, name, detail=""):
    global passed
    line = f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else "")
    print(line, flush=True)
    if ok:
        passed += 1
    else:
        failures.append(line)
    return ok


# ---------------------------------------------------------------------------------------------------------------
# Chromium

def find_chromium():
    if args.chromium:
        return shutil.which(args.chromium) or (args.chromium if os.access(args.chromium, os.X_OK) else None)
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


# Flags for every run: headless, no GPU, a fresh profile each time (--user-data-dir is added per run), and no
# background traffic: host names resolve to nothing, so neither the page nor Chromium's own services (component
# updates, accounts, time queries) reach any network.
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-default-apps",
    "--disable-sync", "--disable-background-networking", "--disable-component-update",
    "--disable-client-side-phishing-detection", "--disable-spell-checking", "--disable-crash-reporter",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr", "--v=0",
]

CONSOLE_RE = re.compile(r"^\[[^\]]*:(?:INFO|WARNING|ERROR|VERBOSE\d*):CONSOLE(?:\(\d+\)|:\d+)?\]\s*(.*)$")
CRASH_RE = re.compile(r":FATAL:|Check failed|[Rr]enderer (?:process )?(?:crashed|was killed)|Aw, Snap|"
                      r"render_process_host.*(?:crash|kill)", re.I)


def run_chromium(browser, url, page_path, extra, workdir, tag):
    """Runs Chromium once; returns (ok, stdout, page lines, ignored lines, detail)."""
    profile = tempfile.mkdtemp(prefix=f"chromium-{tag}-", dir=workdir)
    argv = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url]
    env = dict(os.environ)
    env.setdefault("XDG_CONFIG_HOME", os.path.join(profile, "xdg-config"))
    env.setdefault("XDG_CACHE_HOME", os.path.join(profile, "xdg-cache"))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=args.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this run started: Chromium and its helpers
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        timed_out = True
    shutil.rmtree(profile, ignore_errors=True)
    page, ignored = [], []
    path_marks = {url, page_path}
    for line in err.decode("utf-8", "replace").splitlines():
        m = CONSOLE_RE.match(line)
        if m:
            page.append("console: " + m.group(1))
        elif "Uncaught" in line or any(mark and mark in line for mark in path_marks) or CRASH_RE.search(line):
            page.append(line.strip())
        elif line.strip():
            ignored.append(line)
    if timed_out:
        return False, out, page, ignored, f"timed out after {args.timeout:g} s"
    if proc.returncode != 0:
        return False, out, page, ignored, f"exit status {proc.returncode}"
    return True, out, page, ignored, ""


def page_requests(netlog_path):
    """URLs the page itself asked for, from a --log-net-log file (its requests carry the file:// top frame)."""
    try:
        with open(netlog_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return None, f"no net log ({e})"
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short by the exit: close the event list
        try:
            log = json.loads(text.rstrip().rstrip(",") + "]}")
        except json.JSONDecodeError as e:
            return None, f"unreadable net log ({e})"
    names = {v: k for k, v in log.get("constants", {}).get("logEventTypes", {}).items()}
    urls = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if names.get(event.get("type")) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        key = str(params.get("network_isolation_key", ""))
        initiator = str(params.get("initiator", ""))
        if key.startswith("file://") or initiator.startswith("file://"):
            urls.append(params["url"])
    return urls, ""


# ---------------------------------------------------------------------------------------------------------------
# The DOM Chromium built, as a small tree

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    def walk(self):
        for child in self.children:
            yield child
            yield from child.walk()

    def find_all(self, tag, cls=None, **attrs):
        for node in self.walk():
            if node.tag == tag and (cls is None or cls in node.classes) and \
                    all(node.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                yield node


class TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root
        self.all_attrs = []  # (tag, name, value) for every attribute in the document
        self.styles = []  # the text of <style> elements and style="" attributes

    def _node(self, tag, attrs):
        attrs_dict = {name: (value or "") for name, value in attrs}
        for name, value in attrs:
            self.all_attrs.append((tag, name, value or ""))
            if name == "style":
                self.styles.append(value or "")
        node = Node(tag, attrs_dict, self.current)
        self.current.children.append(node)
        return node

    def handle_starttag(self, tag, attrs):
        node = self._node(tag, attrs)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self._node(tag, attrs)

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        if self.current.tag == "style":
            self.styles.append(data)


def parse_html(text):
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder


# ---------------------------------------------------------------------------------------------------------------
# PNG (8-bit gray, gray+alpha, RGB or RGBA, not interlaced: what Chromium writes) to grayscale statistics

_M7 = {}


def _masks(n):
    if n not in _M7:
        _M7[n] = (int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big"))
    return _M7[n]


def _add_bytes(a, b, n):
    """Bytewise (a + b) mod 256 of two n-byte big-endian integers, without carries between bytes."""
    m7, m8 = _masks(n)
    return ((a & m7) + (b & m7)) ^ ((a ^ b) & m8)


def _unfilter(ftype, line, prev, bpp):
    n = len(line)
    if ftype == 0:
        return line
    if ftype == 2:  # Up
        return _add_bytes(int.from_bytes(line, "big"), int.from_bytes(prev, "big"), n).to_bytes(n, "big")
    if ftype == 1:  # Sub: a prefix sum with stride bpp, by doubling
        s = int.from_bytes(line, "big")
        k = bpp
        while k < n:
            s = _add_bytes(s, s >> (8 * k), n)
            k *= 2
        return s.to_bytes(n, "big")
    out = bytearray(line)
    if ftype == 3:  # Average
        for i in range(n):
            left = out[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + ((left + prev[i]) >> 1)) & 0xFF
        return bytes(out)
    if ftype == 4:  # Paeth
        for i in range(n):
            a = out[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[i] = (out[i] + pred) & 0xFF
        return bytes(out)
    raise ValueError(f"unknown PNG filter type {ftype}")


def png_gray_stats(path):
    """(width, height, stddev of the grayscale values, share of pixels unlike the most common one)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif ctype == b"IDAT":
            idat.append(chunk)
        elif ctype == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG (bit depth {depth}, color type {color}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) < height * (stride + 1):
        raise ValueError("PNG data shorter than its header says")
    prev = bytes(stride)
    counts = collections.Counter()
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], raw[start + 1:start + 1 + stride], prev, channels)
        prev = line
        if channels >= 3:
            counts.update(zip(line[0::channels], line[1::channels], line[2::channels],
                              line[3::channels] if channels == 4 else [255] * width))
        else:
            counts.update(zip(line[0::channels], line[1::channels] if channels == 2 else [255] * width))
    # grayscale per distinct color (BT.601 luma), composited over white where there is alpha
    hist = [0] * 256
    for color_value, count in counts.items():
        if channels >= 3:
            r, g, b, a = color_value
            y = 0.299 * r + 0.587 * g + 0.114 * b
        else:
            y, a = color_value
        y = (y * a + 255 * (255 - a)) / 255
        hist[min(255, int(round(y)))] += count
    total = width * height
    mean = sum(i * c for i, c in enumerate(hist)) / total
    var = sum(c * (i - mean) ** 2 for i, c in enumerate(hist)) / total
    background = counts.most_common(1)[0][1] if counts else total
    return width, height, var ** 0.5, 1 - background / total


# ---------------------------------------------------------------------------------------------------------------
# Checks

REMOTE_RE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)  # any scheme, or protocol-relative
URL_ATTRS = {"src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction", "background",
             "codebase", "cite", "longdesc", "manifest", "ping", "imagesrcset"}
CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
CSS_IMPORT_RE = re.compile(r"@import\b", re.I)


def reference_problem(tag, name, value):
    """Why this attribute value makes the page load something, or None."""
    value = value.strip()
    if not value or value.startswith("#"):
        return None
    if value.lower().startswith("data:"):
        return None
    if value.lower().startswith("javascript:"):
        return f"<{tag} {name}> is a javascript: URL"
    if re.match(r"^\s*(?:https?:|//)", value, re.I):
        return f"<{tag} {name}=\"{value[:80]}\"> is a remote URL"
    if name == "srcset":
        return f"<{tag} srcset=\"{value[:80]}\"> loads an image"
    if REMOTE_RE.match(value):
        return f"<{tag} {name}=\"{value[:80]}\"> points outside the page"
    return f"<{tag} {name}=\"{value[:80]}\"> is an external file"


def check_file(name, path):
    size = os.path.getsize(path)
    check(size < MAX_BYTES, f"{name}: size", f"{size:,} bytes (limit {MAX_BYTES:,})")
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8", "replace")
    problems = []
    if re.search(r"<script\b", text, re.I):
        problems.append("contains <script")
    doc = parse_html(text)
    for tag, attr, value in doc.all_attrs:
        if attr.startswith("on"):
            problems.append(f"<{tag} {attr}=...> is a JavaScript handler")
        elif attr in URL_ATTRS:
            why = reference_problem(tag, attr, value)
            if why:
                problems.append(why)
    for css in doc.styles:
        for _, target in CSS_URL_RE.findall(css):
            why = reference_problem("style", "url()", target)
            if why:
                problems.append(why)
        if CSS_IMPORT_RE.search(css):
            problems.append("CSS @import")
    stray = sorted(set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", text)) - {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml"})
    check(not problems, f"{name}: self-contained", "; ".join(problems[:8]) if problems else
          "no script, no external references" + (f" (URLs in text only: {', '.join(stray[:3])})" if stray else ""))
    return text


def count_rows(svg, cls):
    return sum(1 for node in svg.walk() if node.tag == "g" and cls in node.classes)


def check_dom(name, dom_text, layers, diff_rows):
    doc = parse_html(dom_text).root
    diagrams = list(doc.find_all("svg", "model-diagram"))
    if diff_rows is None or diagrams:
        if not diagrams:
            check(False, f"{name}: dom svg.model-diagram", "no <svg class=\"model-diagram\">")
        else:
            found = sum(1 for d in diagrams for _ in d.find_all("g", "block", data_kind="encoder-layer"))
            check(found == layers, f"{name}: dom svg.model-diagram",
                  f"{found} g.block[data-kind=encoder-layer], expected num_hidden_layers = {layers}")
    histograms = len(list(doc.find_all("svg", "histogram")))
    check(histograms >= 1, f"{name}: dom svg.histogram", f"{histograms} found")
    if diff_rows is not None:
        charts = list(doc.find_all("svg", "diff-chart"))
        rows = sum(count_rows(c, "diff-row") for c in charts)
        check(bool(charts) and rows == diff_rows, f"{name}: dom svg.diff-chart",
              f"{rows} g.diff-row, expected {diff_rows} layer rows" if charts else "no <svg class=\"diff-chart\">")
        maps = list(doc.find_all("svg", "diff-heatmap"))
        cells = sum(1 for m in maps for _ in m.find_all("rect", "cell"))
        check(bool(maps) and cells >= 1, f"{name}: dom svg.diff-heatmap",
              f"{cells} rect.cell" if maps else "no <svg class=\"diff-heatmap\">")


def check_in_browser(browser, name, path, layers, diff_rows, workdir):
    """Returns the light screenshot's path (or None)."""
    path = os.path.abspath(path)
    url = pathlib.Path(path).as_uri()
    netlog = os.path.join(workdir, f"{name}.netlog.json")
    ok, out, page, ignored, detail = run_chromium(browser, url, path, [f"--log-net-log={netlog}", "--dump-dom"],
                                                  workdir, name)
    shots = [("screenshot", os.path.join(workdir, f"{name}.png"), [])]
    if args.dark:
        shots.append(("screenshot (dark)", os.path.join(workdir, f"{name}-dark.png"), ["--force-dark-mode"]))
    shot_runs = []
    for label, png, extra in shots:
        if os.path.exists(png):
            os.remove(png)
        shot_runs.append((label, png, run_chromium(browser, url, path, [f"--screenshot={png}", *extra], workdir,
                                                   name)))
    for _, _, (_, _, more_page, more_ignored, _) in shot_runs:
        page += [line for line in more_page if line not in page]
        ignored += more_ignored
    if args.verbose:
        for line in ignored:
            print(f"     ignored: {line}")
    check(ok and not page, f"{name}: console",
          " | ".join(([f"Chromium: {detail}"] if detail else []) + page[:6]) or "no console messages, no crash")
    requests, why = page_requests(netlog)
    if requests is None:
        check(False, f"{name}: network", why)
    else:
        check(not requests, f"{name}: network", ("requested " + ", ".join(requests[:5])) if requests else
              "the page requested nothing")
    if ok:
        check_dom(name, out.decode("utf-8", "replace"), layers, diff_rows)
    else:
        check(False, f"{name}: dom", "no DOM (Chromium failed)")
    light = None
    for label, png, (shot_ok, _, _, _, shot_detail) in shot_runs:
        if not shot_ok or not os.path.exists(png):
            check(False, f"{name}: {label}", shot_detail or "Chromium wrote no screenshot")
            continue
        try:
            width, height, stddev, ink = png_gray_stats(png)
        except (ValueError, zlib.error) as e:
            check(False, f"{name}: {label}", f"unreadable PNG {png}: {e}")
            continue
        check(stddev > args.min_stddev, f"{name}: {label}",
              f"grayscale stddev {stddev:.1f} (threshold {args.min_stddev:g}), {ink:.1%} non-background pixels, "
              f"{width}x{height} {os.path.basename(png)}")
        if label == "screenshot":
            light = png
    return light


def bertinspect(*argv):
    return subprocess.run([args.binary, *argv], capture_output=True, text=True, timeout=args.timeout,
                          stdin=subprocess.DEVNULL)


def expected_layers(fixture, source):
    config = os.path.join(ROOT, fixture, "config.json")
    if source == "config" and os.path.exists(config):
        with open(config) as f:
            value = json.load(f).get("num_hidden_layers")
        if isinstance(value, int):
            return value, "config.json"
    result = bertinspect("summary", "--json", os.path.join(ROOT, fixture))
    if result.returncode != 0:
        raise RuntimeError(f"bertinspect summary --json {fixture} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)["config"]["num_hidden_layers"], "summary --json"


def expected_diff_rows(a, b):
    result = bertinspect("diff", "--json", os.path.join(ROOT, a), os.path.join(ROOT, b))
    if result.returncode not in (0, 1):  # 1: they differ
        raise RuntimeError(f"bertinspect diff --json failed: {result.stderr.strip()}")
    return len(json.loads(result.stdout)["layers"])


def main():
    browser = find_chromium()
    if browser is None:
        print("skipped: chromium not installed (apt-get install chromium)")
        return 1 if args.require else 0
    version = subprocess.run([browser, "--version"], capture_output=True, text=True, timeout=args.timeout)
    print(f"browser: {version.stdout.strip() or browser}")

    temporary = args.out is None
    workdir = os.path.abspath(args.out or tempfile.mkdtemp(prefix="bertinspect-report-check-"))
    os.makedirs(workdir, exist_ok=True)
    shots = {}
    if args.html:
        name = os.path.splitext(os.path.basename(args.html))[0]
        check_file(name, args.html)
        shots[args.screenshot_of] = check_in_browser(browser, name, args.html, args.expect_layers, args.diff_rows,
                                                     workdir)
    else:
        if not os.access(args.binary, os.X_OK):
            check(False, "bertinspect", f"no binary at {args.binary} (make build)")
        else:
            jobs = [(name, fixtures, source, False) for name, fixtures, source in SINGLE_REPORTS]
            jobs.append((*DIFF_REPORT, True))
            for name, fixtures, source, is_diff in jobs:
                out = os.path.join(workdir, f"{name}.html")
                try:
                    layers, where = expected_layers(fixtures[-1], source)
                    rows = expected_diff_rows(*fixtures) if is_diff else None
                except (RuntimeError, KeyError, ValueError, subprocess.TimeoutExpired) as e:
                    check(False, f"{name}: expectations", str(e))
                    continue
                if os.path.exists(out):
                    os.remove(out)
                argv = ["report", *fixtures, "-o", out]
                try:
                    result = subprocess.run([os.path.abspath(args.binary), *argv], cwd=ROOT, capture_output=True,
                                            text=True, timeout=args.timeout, stdin=subprocess.DEVNULL)
                except subprocess.TimeoutExpired:
                    check(False, f"{name}: generate", f"bertinspect {' '.join(argv)} timed out")
                    continue
                if not check(result.returncode == 0 and os.path.exists(out), f"{name}: generate",
                             f"bertinspect {' '.join(argv)} -> exit {result.returncode}"
                             + (f": {result.stderr.strip()[:300]}" if result.returncode else "")):
                    continue
                print(f"     expecting {layers} encoder layers (from {where})"
                      + (f", {rows} diff rows (from diff --json)" if is_diff else ""))
                check_file(name, out)
                shots[name] = check_in_browser(browser, name, out, layers, rows, workdir)

    if args.screenshot_to:
        source = shots.get(args.screenshot_of)
        if source:
            os.makedirs(os.path.dirname(os.path.abspath(args.screenshot_to)), exist_ok=True)
            shutil.copyfile(source, args.screenshot_to)
            print(f"     screenshot copied to {args.screenshot_to}")
        else:
            check(False, "screenshot-to", f"no screenshot of {args.screenshot_of} to copy")

    for leftover in glob.glob(os.path.join(workdir, "chromium-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    if temporary and not failures and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"     reports and screenshots in {workdir}")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
