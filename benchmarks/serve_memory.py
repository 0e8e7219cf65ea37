"""The server's memory while concurrent large bodies are predicted (issue 25, item 4).

Starts ``textclf serve MODEL`` on a free port of 127.0.0.1 with room for the bodies
(``--max-body``, ``--max-pending-bytes``), sends one small request to warm it up, resets
the process's peak resident memory (``/proc/PID/clear_refs``, Linux), sends ``--bodies``
predict requests of ``--mb`` MB each at once (texts of ``--chars`` characters made of the
``mr`` test sentences), and prints the growth of the peak over the resident memory
before, and that growth over the bytes of the bodies.

Usage: ``python benchmarks/serve_memory.py MODEL --bodies 10 --mb 9.8 --chars 1000``
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from corpora import DEFAULT_DATA_DIR


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status
                    if line.startswith(field + ":"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--bodies", type=int, default=10)
    parser.add_argument("--mb", type=float, default=9.8)
    parser.add_argument("--chars", type=int, default=1000)
    args = parser.parse_args()
    with gzip.open(DEFAULT_DATA_DIR / "mr" / "test.jsonl.gz", "rt", encoding="utf-8") as f:
        sentences = " ".join(json.loads(line)["text"] for line in f)
    texts = [sentences[i * args.chars:(i + 1) * args.chars] for i in range(50)]
    n_texts = int(args.mb * 1e6 / (args.chars + 4))
    bodies = [json.dumps({"texts": [texts[(i + j) % 50] for j in range(n_texts)]}).encode()
              for i in range(args.bodies)]
    port = free_port()
    command = shutil.which("textclf", path=str(Path(sys.executable).parent)) or "textclf"
    server = subprocess.Popen([command, "serve", args.model, "--port", str(port),
                               "--max-body", "20MB", "--max-pending-bytes", "400MB",
                               "--max-batch", "100000", "--no-access-log"],
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    name = Path(args.model).stem
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/v2/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        httpx.post(f"{url}/v1/models/{name}/predict", json={"texts": texts[:3]}, timeout=60)
        before = memory(server.pid, "VmRSS")
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        statuses = []

        def send(body: bytes) -> None:
            statuses.append(httpx.post(f"{url}/v1/models/{name}/predict", content=body,
                                       headers={"content-type": "application/json"},
                                       timeout=900).status_code)

        start = time.monotonic()
        threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - start
        growth = memory(server.pid, "VmHWM") - before
        total = sum(map(len, bodies))
        print(f"{args.bodies} bodies of {len(bodies[0]) / 1e6:.1f} MB ({n_texts} texts of "
              f"{args.chars} characters): statuses {sorted(set(statuses))}, {took:.1f} s")
        print(f"resident before {before / 1e6:.0f} MB, peak {(before + growth) / 1e6:.0f} MB: "
              f"{growth / 1e6:.0f} MB more for {total / 1e6:.0f} MB of bodies "
              f"({growth / total:.1f} times their size)")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
