"""The whole story on a clean install, as a department runs it: run by the Python of a virtualenv
holding only the sohoa wheel and its runtime dependencies (no test extras), from outside the
source tree, against the embedded default.

sohoa serve on a free port -> /readyz (a real test signature) -> a scan uploaded through the API ->
OCR, metadata, signature, archive -> search by procedure code -> the signed file downloaded and
checked with ``sohoa verify`` -> a coverage report written as XLSX -> the web sign-in page and
/docs rendered. Any missing module, template, font or static file fails a step, and the step says
which. Only the standard library is used here, so the check cannot borrow what the product lacks.

    python scripts/story.py --sohoa /path/to/venv/bin/sohoa --scan some-scan.tif
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

PROCEDURE = "1.001234.000.00.00.H19"
DOSSIER = "000.00.32.H19-250312-0017"


class StoryFailed(Exception):
    pass


def step(name: str) -> None:
    print(f"story: {name}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(
    method: str,
    url: str,
    token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def multipart(fields: dict[str, str], files: list[tuple[str, Path]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def start_server(sohoa: Path, env: dict[str, str], port: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    out = log.open("wb")
    server = subprocess.Popen(
        [str(sohoa), "serve", "--host", "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env
    )
    deadline = time.monotonic() + 120
    token = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StoryFailed(
                f"sohoa serve exited with {server.returncode}:\n{log.read_text(errors='replace')[-4000:]}"
            )
        found = re.search(r"admin token: (\S+)", log.read_text(errors="replace"))
        token = found.group(1) if found else token
        if token:
            try:
                status, _ = http("GET", f"http://127.0.0.1:{port}/healthz", timeout=2)
                if status == 200:
                    return server, token
            except OSError:
                pass
        time.sleep(0.5)
    raise StoryFailed(f"sohoa serve did not start in 120 s:\n{log.read_text(errors='replace')[-4000:]}")


def run(sohoa: Path, scan: Path, work: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_") and k not in ("PYTHONPATH",)}
    env.update(
        {
            "SOHOA_DATA_DIR": str(work / "var"),
            "SOHOA_REVIEW_POLICY": "never",
            "SOHOA_STAMP": "copy",
            "SOHOA_OCR_PROCESSES": "1",
        }
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / "serve.log"
    step(f"sohoa serve on {base} (data {work / 'var'})")
    server, token = start_server(sohoa, env, port, log)
    try:
        step("readiness: catalogue, store, queue and a real test signature")
        status, body = http("GET", f"{base}/readyz", timeout=120)
        if status != 200:
            raise StoryFailed(f"/readyz answered {status}: {body.decode(errors='replace')}")

        step(f"upload {scan.name} through the API")
        payload, ctype = multipart({"procedure_code": PROCEDURE, "dossier_code": DOSSIER}, [("files", scan)])
        status, body = http("POST", f"{base}/api/v1/uploads", token, payload, {"Content-Type": ctype}, timeout=300)
        if status != 201:
            raise StoryFailed(f"upload answered {status}: {body.decode(errors='replace')}")
        [document] = json.loads(body)["documents"]
        doc_id = document["id"]

        step("OCR, metadata, signature and archive")
        deadline = time.monotonic() + 600
        state = None
        while time.monotonic() < deadline:
            status, body = http("GET", f"{base}/api/v1/documents/{doc_id}", token)
            doc: dict[str, Any] = json.loads(body)
            state = doc.get("state")
            if state in ("archived", "failed", "rejected", "needs_review"):
                break
            time.sleep(1)
        if state != "archived":
            raise StoryFailed(
                f"document {doc_id} ended {state}: {doc.get('reason_code')} {doc.get('reason_message')}\n"
                f"{log.read_text(errors='replace')[-4000:]}"
            )

        step("search by procedure code")
        query = urllib.parse.urlencode({"procedure_code": PROCEDURE.split(".000")[0]})
        status, body = http("GET", f"{base}/api/v1/search?{query}", token)
        found = json.loads(body) if status == 200 else {}
        ids = [hit["id"] for hit in found.get("results", [])]
        if doc_id not in ids:
            raise StoryFailed(f"search by procedure code answered {status} without the document: {body[:2000]!r}")

        step("download the signed file and verify it with sohoa verify")
        status, pdf = http("GET", f"{base}/api/v1/documents/{doc_id}/file", token)
        if status != 200 or not pdf.startswith(b"%PDF"):
            raise StoryFailed(f"download answered {status}")
        signed = work / "signed.pdf"
        signed.write_bytes(pdf)
        verified = subprocess.run([str(sohoa), "verify", str(signed)], env=env, capture_output=True, text=True)
        if verified.returncode != 0:
            raise StoryFailed(f"sohoa verify exited {verified.returncode}: {verified.stdout}{verified.stderr}")

        step("coverage report as XLSX")
        quarter = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"
        xlsx = work / "report.xlsx"
        done = subprocess.run(
            [str(sohoa), "report", "--period", quarter, "--format", "xlsx", "-o", str(xlsx)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not zipfile.is_zipfile(xlsx):
            raise StoryFailed(f"sohoa report exited {done.returncode}: {done.stdout}{done.stderr}")
        with zipfile.ZipFile(xlsx) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                raise StoryFailed("the report is not a workbook")

        step("web sign-in page and /docs, with every script and style they load (no CDN)")
        for page in ("/login", "/docs"):
            status, body = http("GET", f"{base}{page}")
            if status != 200 or not body:
                raise StoryFailed(f"GET {page} answered {status}")
            assets = re.findall(rb"""(?:src|href)=["']([^"']+\.(?:js|css))["']|url: ?['"]([^'"]+)['"]""", body)
            urls = [(a or b).decode() for a, b in assets]
            if not urls:
                raise StoryFailed(f"{page} loads no script or style")
            for url in urls:
                if not url.startswith("/"):
                    raise StoryFailed(f"{page} loads {url} from another host")
                status, content = http("GET", f"{base}{url}")
                if status != 200 or not content:
                    raise StoryFailed(f"{page}: {url} answered {status}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    if "Traceback" in log.read_text(errors="replace"):
        raise StoryFailed(f"the server logged a traceback:\n{log.read_text(errors='replace')[-4000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sohoa", type=Path, required=True, help="the clean venv's sohoa console script")
    parser.add_argument("--scan", type=Path, required=True, help="a scan to upload")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-story-") as tmp:
        try:
            run(args.sohoa.resolve(), args.scan.resolve(), Path(tmp))
        except StoryFailed as exc:
            print(f"story: FAILED: {exc}", file=sys.stderr)
            return 1
    print("story: passed: a clean install uploads, reads, signs, archives, finds, verifies and reports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
