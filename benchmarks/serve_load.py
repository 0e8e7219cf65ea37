"""Load on `textclf serve` over HTTP on 127.0.0.1, beside the framework's own ceiling.

Phases, one after the other in one run (recorded in benchmarks/RESULTS.md):

1. in-process: ``predict_proba`` on 100-document batches of the same texts, no HTTP: the
   documents per second a batched server could at best approach;
2. ``single``: ``--clients`` concurrent clients, each sending one document per request,
   for ``--duration`` seconds, against textclf and then against the ceiling
   (benchmarks/serve_ceiling.py: the same server and route, answering a constant);
3. ``batch``: the same with ``--batch`` documents per request;
4. ``flood``: ``--flood-clients`` clients sending bodies at the size limit (``--max-body``)
   for ``--flood-seconds``: statuses, the server's peak RSS, health-probe latency during
   the flood, and afterwards how soon and how fast it answers again. A refusal comes
   before the body is read and closes the connection, so a client still sending its body
   often sees the connection closed rather than the 503: the statuses the server answered
   are counted from its access log.

The clients are one asyncio process (uvloop when installed), each client its own
keep-alive connection (benchmarks/http_client.py: httpx cost more CPU per request than the
server's own work, so it measured itself); every request has a timeout, every phase a
deadline. Requests,
documents per second and latency percentiles are counted over the phase; an error is any
answer but 200 or any transport failure. The CPU seconds of the server process and of the
load generator are recorded too: on a small machine they share the cores.

Usage::

    textclf train builtin:imdb -o /tmp/imdb.textclf
    flock /tmp/textclf-bench.lock python benchmarks/serve_load.py --model /tmp/imdb.textclf \\
        --json /tmp/serve_load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
from http_client import Connection, request_bytes

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PREDICT = "/v1/models/{name}/predict"
TICKS = os.sysconf("SC_CLK_TCK")
ACCESS_LINE = re.compile(r'"POST /v1/models/[^ ]+/predict" (\d{3}) ')


# the server processes ------------------------------------------------------------------------
def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_memory(pid: int) -> dict[str, float]:
    """Resident memory now and its peak (VmHWM), in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss_mb": values["VmRSS"], "peak_rss_mb": values["VmHWM"]}


def textclf_command() -> str:
    import shutil
    return shutil.which("textclf", path=str(Path(sys.executable).parent)) or "textclf"


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, label: str, command: list[str], log_folder: Path):
        self.label = label
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_folder / f"{label}.log"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([*command, "--port", str(self.port)],
                                            stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{label} exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{label} was not ready within 120 s")

    def cpu(self) -> float:
        return process_cpu(self.process.pid)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def statuses_logged(self, start: int, end: int) -> dict[str, int]:
        """Statuses of the requests the server logged between two log sizes: what it
        answered, whether or not the client could read the answer."""
        with open(self.log_path, "rb") as log:
            log.seek(start)
            lines = log.read(end - start).decode("utf-8", "replace").splitlines()
        found = Counter(match.group(1) for line in lines
                        if (match := ACCESS_LINE.search(line)))
        return dict(sorted(found.items()))

    def memory(self) -> dict[str, float]:
        return process_memory(self.process.pid)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=60)


# the load -------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


async def run_load(server: Server, requests: list[bytes], docs_per_request: int,
                   clients: int, seconds: float, warmup: float = 2.0) -> dict:
    """``clients`` clients, each on its own keep-alive connection, send ``requests`` in
    turn for ``warmup`` + ``seconds``; the requests that start after the warm-up count."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    start = time.perf_counter()
    counted_from = start + warmup
    stop_at = counted_from + seconds
    cpu = {}

    async def client(i: int) -> None:
        connection = Connection("127.0.0.1", server.port, timeout=60)
        j = i
        while (now := time.perf_counter()) < stop_at:
            request = requests[j % len(requests)]
            j += clients
            try:
                status, _ = await connection.send(request)
            except (TimeoutError, OSError) as err:
                status = None
                if now >= counted_from:
                    errors[type(err).__name__] += 1
            if now >= counted_from:
                latencies.append(time.perf_counter() - now)
                statuses[status] += 1
        connection.close()

    async def mark() -> None:
        await asyncio.sleep(max(0.0, counted_from - time.perf_counter()))
        cpu["server"], cpu["client"] = server.cpu(), sum(os.times()[:2])

    await asyncio.gather(mark(), *(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - counted_from
    server_cpu = server.cpu() - cpu["server"]
    client_cpu = sum(os.times()[:2]) - cpu["client"]
    ok = statuses.get(200, 0)
    total = sum(statuses.values())
    return {
        "server": server.label, "clients": clients, "docs_per_request": docs_per_request,
        "load_average_after": round(os.getloadavg()[0], 2),
        "seconds": round(elapsed, 2), "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "docs_per_s": round(ok * docs_per_request / elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 50), 2),
        "p99_ms": round(1000 * percentile(latencies, 99), 2),
        "max_ms": round(1000 * max(latencies), 2),
        "errors": total - ok, "statuses": {str(k): v for k, v in statuses.items()},
        "transport_errors": dict(errors),
        "server_cpu_s": round(server_cpu, 1), "client_cpu_s": round(client_cpu, 1),
    }


async def run_flood(server: Server, request: bytes, clients: int, seconds: float,
                    after_requests: list[bytes], after_clients: int,
                    after_seconds: float) -> dict:
    """``clients`` clients send ``request`` for ``seconds``; meanwhile the health probe is
    timed and the server's memory sampled; afterwards, single documents again."""
    statuses: Counter = Counter()
    errors: Counter = Counter()
    probes: list[float] = []
    rss: list[float] = []
    before = server.memory()
    log_start = server.log_size()
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        connection = Connection("127.0.0.1", server.port, timeout=120)
        while time.perf_counter() < stop_at:
            try:
                status, _ = await connection.send(request)
                statuses[status] += 1
            except (TimeoutError, OSError) as err:
                errors[type(err).__name__] += 1
        connection.close()

    async def probe() -> None:
        connection = Connection("127.0.0.1", server.port, timeout=30)
        ready = request_bytes("GET", "/v2/health/ready")
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                status, _ = await connection.send(ready)
                if status == 200:
                    probes.append(time.perf_counter() - t0)
            except (TimeoutError, OSError) as err:
                errors[f"probe {type(err).__name__}"] += 1
            await asyncio.sleep(0.25)
        connection.close()

    async def sample() -> None:
        while time.perf_counter() < stop_at:
            rss.append(server.memory()["rss_mb"])
            await asyncio.sleep(0.1)

    await asyncio.gather(probe(), sample(), *(client() for _ in range(clients)))
    flood_end = time.perf_counter()
    # recovery: how soon a single document is answered, then a short normal load
    first = None
    connection = Connection("127.0.0.1", server.port, timeout=120)
    while first is None and time.perf_counter() - flood_end < 120:
        try:
            status, _ = await connection.send(after_requests[0])
        except (TimeoutError, OSError):
            continue
        if status == 200:
            first = time.perf_counter() - flood_end
    connection.close()
    await asyncio.sleep(1)  # the flood's last answers reach the log
    answered = server.statuses_logged(log_start, server.log_size())
    after = await run_load(server, after_requests, 1, after_clients, after_seconds, warmup=0)
    return {
        "clients": clients, "seconds": seconds, "request_bytes": len(request),
        "statuses_read_by_clients": {str(k): v for k, v in statuses.items()},
        "transport_errors": dict(errors),
        "statuses_answered_by_server": answered,
        "load_average_after": round(os.getloadavg()[0], 2),
        "health_probe_p50_ms": round(1000 * percentile(probes, 50), 2) if probes else None,
        "health_probe_max_ms": round(1000 * max(probes), 2) if probes else None,
        "rss_before_mb": round(before["rss_mb"], 1),
        "rss_max_sampled_mb": round(max(rss), 1) if rss else None,
        "peak_rss_mb": round(server.memory()["peak_rss_mb"], 1),
        "rss_after_mb": round(server.memory()["rss_mb"], 1),
        "first_answer_after_s": round(first, 3) if first is not None else None,
        "after": after,
    }


# the texts -------------------------------------------------------------------------------------
def predict_requests(texts: list[str], per_request: int, count: int) -> list[bytes]:
    """``count`` prepared predict requests of ``per_request`` texts each."""
    return [request_bytes("POST", PREDICT.format(name="imdb"), json.dumps(
        {"texts": [texts[(i * per_request + k) % len(texts)] for k in range(per_request)]}
    ).encode()) for i in range(count)]


def flood_body(texts: list[str], max_body: int, max_chars: int) -> bytes:
    """A predict body just under ``max_body`` bytes: reviews joined into texts of at most
    ``max_chars`` characters."""
    joined, chunks, i = "", [], 0
    budget = max_body - 64
    size = len(b'{"texts": []}')
    while True:
        while len(joined) < max_chars:
            joined += texts[i % len(texts)] + " "
            i += 1
        text = joined[:max_chars]
        joined = joined[max_chars:]
        cost = len(json.dumps(text).encode()) + 2
        if size + cost > budget:
            break
        chunks.append(text)
        size += cost
    return json.dumps({"texts": chunks}).encode()


def in_process(model: Path, texts: list[str], batch: int, seconds: float) -> dict:
    from textclf import TextClassifier
    clf = TextClassifier.load(model)
    batches = [texts[i:i + batch] for i in range(0, len(texts) - batch + 1, batch)]
    clf.predict_proba(batches[0])  # compile and warm up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        clf.predict_proba(batches[done % len(batches)])
        done += 1
    elapsed = time.perf_counter() - start
    single, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds / 2:
        clf.predict_proba([texts[single % len(texts)]])
        single += 1
    return {"batch": batch, "docs_per_s": round(done * batch / elapsed, 1),
            "single_docs_per_s": round(single / (time.perf_counter() - t0), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("/tmp/imdb.textclf"))
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--flood-clients", type=int, default=200)
    parser.add_argument("--flood-seconds", type=float, default=20)
    parser.add_argument("--max-body", type=int, default=10_000_000)
    parser.add_argument("--max-chars", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    from textclf import read_corpus
    texts = read_corpus("builtin:imdb", split="test").texts
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "machine": f"{platform.node()}: {os.cpu_count()} cores, "
                          f"{platform.machine()}, Python {platform.python_version()}",
               "command": " ".join(sys.argv),
               "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    results["in_process"] = in_process(args.model, texts, args.batch, 10)
    print("in-process:", results["in_process"], flush=True)

    singles = predict_requests(texts, 1, 2000)
    batches = predict_requests(texts, args.batch, 100)
    with tempfile.TemporaryDirectory() as folder:
        textclf = Server("textclf", [textclf_command(), "serve", "--name",
                                     f"imdb={args.model}", "--max-body", str(args.max_body),
                                     "--max-chars", str(args.max_chars)], Path(folder))
        ceiling = Server("ceiling", [sys.executable, str(HERE / "serve_ceiling.py")],
                         Path(folder))
        try:
            for name, bodies, per in (("single", singles, 1), ("batch", batches, args.batch)):
                for server in (textclf, ceiling):
                    figures = asyncio.run(run_load(server, bodies, per, args.clients,
                                                   args.duration))
                    results[f"{name}_{server.label}"] = figures
                    print(f"{name} {server.label}:", figures, flush=True)
            flood = request_bytes("POST", PREDICT.format(name="imdb"),
                                  flood_body(texts, args.max_body, args.max_chars))
            results["flood"] = asyncio.run(run_flood(
                textclf, flood, args.flood_clients, args.flood_seconds, singles, args.clients,
                10))
            print("flood:", results["flood"], flush=True)
        finally:
            results["exit_status"] = {"textclf": textclf.stop(), "ceiling": ceiling.stop()}
            results["log_lines"] = {s.label: len(s.log_path.read_text().splitlines())
                                    for s in (textclf, ceiling)}
    results["goals"] = goals(results)
    print(json.dumps(results["goals"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def goals(r: dict) -> dict:
    single, ceiling = r["single_textclf"], r["single_ceiling"]
    batch = r["batch_textclf"]
    errors = sum(r[k]["errors"] for k in ("single_textclf", "batch_textclf"))
    return {
        "zero errors (single, batch)": errors == 0,
        "p99 < 100 ms (single)": single["p99_ms"] < 100,
        "single req/s >= 70% of the ceiling": round(single["requests_per_s"]
                                                    / ceiling["requests_per_s"], 3),
        "batched docs/s >= 50% of in-process": round(batch["docs_per_s"]
                                                     / r["in_process"]["docs_per_s"], 3),
    }


if __name__ == "__main__":
    main()
