#!/usr/bin/env python3
"""Open the HTML report in headless Chromium and check it as a reader would see it.

Usage: check.py REPORT.html REPORT.json OUT_DIR

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
ending in NUL on file descriptors 3 and 4), so it needs nothing but the Python standard library
and the browser. For widths 1280 and 390 it loads the page, takes a full-page screenshot into
OUT_DIR, and fails if the page logged a console error or an exception, or asked for anything
over the network. It reads the totals back from the page (data-total attributes, chart marks,
table rows) and compares them with the JSON report, then clicks a table header to check the
sort script. Last, with scripts disabled, the tables and totals must read the same.
"""

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="logscan-chromium-")
        # Chromium reads commands from fd 3 and writes replies and events to fd 4.
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [
            binary,
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--user-data-dir=" + self.profile,
            "about:blank",
        ]

        def fds():
            # Copies first: dup2 onto the same number would keep the close-on-exec flag.
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            args,
            preexec_fn=fds,
            # fds 3 and 4 are made in preexec_fn: keep them open across exec.
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buf = b""
        self._id = 0
        self.events = []

    def _read_message(self, timeout=60):
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._from_browser], [], [], timeout)
            if not ready:
                raise RuntimeError(f"chromium said nothing for {timeout} s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, params=None, session=None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_for(self, method, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    del self.events[i]
                    return e
            self.events.append(self._read_message())
        raise RuntimeError(f"timed out waiting for {method}")

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


READ_BACK = r"""
(() => {
  const totals = {};
  document.querySelectorAll('[data-total]').forEach(e => {
    totals[e.dataset.total] = parseInt(e.textContent.replace(/[^0-9]/g, ''), 10);
  });
  const timeline = {};
  document.querySelectorAll('svg.timeline rect[data-value]').forEach(r => {
    const k = r.dataset.bucket + '|' + r.dataset.cluster;
    timeline[k] = (timeline[k] || 0) + parseInt(r.dataset.value, 10);
  });
  const tables = {};
  document.querySelectorAll('table[id^="table-"]').forEach(t => {
    tables[t.id.slice(6)] = Array.from(t.tBodies[0].rows).map(r =>
      [r.cells[0].textContent, parseInt(r.cells[1].textContent, 10)]);
  });
  const bars = {};
  document.querySelectorAll('section[id^="by-"]').forEach(s => {
    bars[s.id.slice(3)] = Array.from(s.querySelectorAll('svg.bars rect[data-value]'))
      .map(r => [r.dataset.key, parseInt(r.dataset.value, 10)]);
  });
  return JSON.stringify({totals, timeline, tables, bars,
    scrollWidth: document.documentElement.scrollWidth,
    widest: Array.from(document.querySelectorAll('body *'))
      .filter(e => !(e.parentElement && e.parentElement.closest('.chart, .scroll')) &&
        e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 3).map(e => e.tagName + '.' + e.getAttribute('class') + ' ' + e.textContent.slice(0, 40)),
    fixes: document.querySelectorAll('article.sig').length});
})()
"""

SORT_CHECK = r"""
(() => {
  const th = document.querySelector('#table-cluster th.num');
  const counts = () => Array.from(document.querySelectorAll('#table-cluster tbody tr'))
    .map(r => parseInt(r.cells[1].textContent, 10));
  th.click();
  const first = counts();
  th.click();
  const second = counts();
  const desc = first.every((v, i) => i === 0 || first[i - 1] >= v);
  const asc = second.every((v, i) => i === 0 || second[i - 1] <= v);
  return asc && desc && th.getAttribute('aria-sort') === 'ascending';
})()
"""


def label(key):
    return "(none)" if key is None else key


def expected(report):
    s = report["summary"]
    totals = {k: s[k] for k in ("failures", "calls", "successes", "files", "lines_read",
                                "lines_relevant", "lines_noise", "lines_unparseable")}
    timeline = {}
    for row in report["timeline"]["rows"]:
        for cluster, n in row["clusters"]:
            timeline[row["start"] + "|" + cluster] = n
    tables = {}
    for dim in ("cluster", "status", "model", "provider", "endpoint", "error_type"):
        tables[dim] = [[" / ".join(label(k) for k in g["keys"]), g["count"]]
                       for g in report["by_" + dim]]
    tables["signature"] = [[g["signature"], g["count"]] for g in report["signatures"]]
    tables["file"] = [[f["file"], f["lines_read"]] for f in report["files"]]
    return totals, timeline, tables


def main():
    html, json_path, out_dir = sys.argv[1:4]
    report = json.load(open(json_path))
    want_totals, want_timeline, want_tables = expected(report)
    url = "file://" + os.path.abspath(html)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        sys.exit("chromium is not installed (Debian: apt-get install chromium)")
    os.makedirs(out_dir, exist_ok=True)
    failures = []
    browser = Browser(binary)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(domain + ".enable", session=session)
        for width in (1280, 390):
            browser.events.clear()
            browser.send("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": 900, "deviceScaleFactor": 1,
                          "mobile": width < 600}, session=session)
            browser.send("Page.navigate", {"url": url}, session=session)
            browser.wait_for("Page.loadEventFired")
            got = json.loads(browser.send("Runtime.evaluate", {"expression": READ_BACK,
                                                               "returnByValue": True},
                                          session=session)["result"]["value"])
            sorted_ok = browser.send("Runtime.evaluate", {"expression": SORT_CHECK,
                                                          "returnByValue": True},
                                     session=session)["result"]["value"]
            metrics = browser.send("Page.getLayoutMetrics", session=session)
            height = int(metrics["cssContentSize"]["height"])
            shot = browser.send("Page.captureScreenshot",
                                {"format": "png", "captureBeyondViewport": True,
                                 "clip": {"x": 0, "y": 0, "width": width,
                                          "height": height, "scale": 1}},
                                session=session)
            path = os.path.join(out_dir, f"report-{width}.png")
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            if width == 1280:
                # The top of the page (summary and timeline): the README's picture.
                top = browser.send("Page.captureScreenshot",
                                   {"format": "png", "captureBeyondViewport": True,
                                    "clip": {"x": 0, "y": 0, "width": width,
                                             "height": min(height, 1450), "scale": 1}},
                                   session=session)
                with open(os.path.join(out_dir, "report-top.png"), "wb") as f:
                    f.write(base64.b64decode(top["data"]))
            # Anything still in the pipe belongs to this page load.
            time.sleep(0.3)
            browser.send("Runtime.evaluate", {"expression": "1"}, session=session)

            where = f"{width}px"
            for e in browser.events:
                m, p = e.get("method"), e.get("params", {})
                if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                    failures.append(f"{where}: console error: {p.get('args')}")
                elif m == "Runtime.exceptionThrown":
                    failures.append(f"{where}: exception: {p.get('exceptionDetails')}")
                elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                    failures.append(f"{where}: log error: {p['entry'].get('text')}")
                elif m == "Network.requestWillBeSent" and p["request"]["url"] != url:
                    failures.append(f"{where}: network request: {p['request']['url']}")
            if got["totals"] != want_totals:
                failures.append(f"{where}: totals {got['totals']} != JSON {want_totals}")
            if got["timeline"] != want_timeline:
                failures.append(f"{where}: timeline marks differ from the JSON timeline")
            for dim, rows in want_tables.items():
                if got["tables"].get(dim) != rows:
                    failures.append(f"{where}: table {dim} differs from JSON: "
                                    f"{got['tables'].get(dim)} != {rows}")
                if dim in ("signature", "file"):
                    continue
                if got["bars"].get(dim) != rows[:len(got["bars"].get(dim, []))]:
                    failures.append(f"{where}: bars of {dim} differ from JSON")
                if not got["bars"].get(dim) and rows:
                    failures.append(f"{where}: no bar chart for {dim}")
            if got["fixes"] != len(report["signatures"]):
                failures.append(f"{where}: {got['fixes']} fixes shown, "
                                f"{len(report['signatures'])} signatures")
            if got["scrollWidth"] > width:
                failures.append(f"{where}: the page is {got['scrollWidth']}px wide: "
                                f"{got['widest']}")
            if not sorted_ok:
                failures.append(f"{where}: clicking a header did not sort the table")
            print(f"{where}: {path} ({height}px tall), {want_totals['failures']} failures, "
                  f"{len(got['timeline'])} timeline marks")
        # Scripts off: the same tables, in the report's order, and a page that reads the same.
        browser.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired")
        got = json.loads(browser.send("Runtime.evaluate", {"expression": READ_BACK,
                                                           "returnByValue": True},
                                      session=session)["result"]["value"])
        script_ran = browser.send(
            "Runtime.evaluate",
            {"expression": "document.documentElement.classList.contains('js')",
             "returnByValue": True}, session=session)["result"]["value"]
        if script_ran:
            failures.append("scripts off: the page script ran")
        for dim, rows in want_tables.items():
            if got["tables"].get(dim) != rows:
                failures.append(f"scripts off: table {dim} differs from JSON")
        if got["totals"] != want_totals:
            failures.append("scripts off: totals differ from JSON")
        print("scripts off: tables and totals as with scripts")
    finally:
        browser.close()
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    if failures:
        sys.exit(f"browser check failed ({len(failures)} problems)")
    print("browser check: the page matches the JSON report at 1280 and 390 px")


if __name__ == "__main__":
    main()
