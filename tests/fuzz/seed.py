#!/usr/bin/env python3
"""Seed the fuzz corpora (tests/fuzz/corpus/<target>/, not committed) from samples/.

Run from anywhere: python3 tests/fuzz/seed.py
"""
import hashlib, json, os, re, pathlib

root = pathlib.Path(__file__).resolve().parents[2]
samples = root / "samples"
corpus = root / "tests" / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


files = sorted(p for p in samples.rglob("*") if p.is_file())
for p in files:
    data = p.read_bytes()
    put("scan", data[:65536])
    for line in data.splitlines():
        put("scan", line)
        text = line.decode("utf-8", "replace")
        for m in re.finditer(r"""[{(\[]|b'|b\"""", text):
            if text[m.start():].startswith(("{'", "{\"", "b'", "b\"", "[{", "(")):
                put("pyrepr", text[m.start():])
        if re.search(r"(?i)key|authori|bearer|token|secret|cookie", text):
            put("redact", text)
        for m in re.finditer(r"\d{4}[-/]\d\d[-/]\d\d[T ][0-9:.]+(Z|[+-]\d\d:?\d\d)?|\d\d/\w{3}/\d{4}:[0-9:]+ [+-]\d{4}", text):
            put("time", m.group(0))
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        put("documents", data[:65536])
    if p.suffix == ".har":
        for e in json.loads(data)["log"]["entries"]:
            body = e.get("response", {}).get("content", {}).get("text") or ""
            if "event:" in body or "data:" in body:
                put("sse", body)
            put("documents", json.dumps({"log": {"entries": [e]}}))
for s in ["2025-10-02T16:31:12.408Z", "2025-10-02 16:20:11+02:00", "02/Oct/2025:16:20:11 +0000",
          "2025/10/02 - 16:20:11", "+05:30", "-0530", "UTC", "2h", "7d", "2025-10-01"]:
    put("time", s)
put("sse", "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\n\n"
           "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
put("catalog", bytes(range(256)))
print({t.name: len(list(t.iterdir())) for t in corpus.iterdir()})
