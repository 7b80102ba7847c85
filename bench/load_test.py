"""Load test: the app on loopback, Locust's scenario for 8, 32 and 64 visitors, one table.

    python bench/load_test.py [--seconds 30] [--users 8 32 64]
    python bench/load_test.py --pages 100 [--seconds 150]    # memory per open page
    python bench/load_test.py --engine ray --replicas 2 --fronts 2 --users 64 128

Needs ``pip install locust`` (not a test requirement). Starts ``python app.py --weights random``
on a free loopback port (speed does not depend on the weights), runs ``bench/locustfile.py``
headless for each visitor count (bounded by ``--seconds``), and prints throughput, latency
percentiles and failures by message: below the queue size (32) there must be none, beyond it
only Gradio's "queue is full".

With ``--engine ray`` it first starts a Ray head (``ray start --head``, 2 CPUs), then ``--fronts``
app processes with ``--engine ray`` on it (the first starts ``--replicas`` replicas of 0.5 CPU
each, the others join them); each visitor keeps to one front end (session affinity). The head
is stopped at the end.

With ``--pages N`` it measures memory instead: after a warm-up (4 pages opened, used in
every way the visitors will, and closed), N ``ReadingPage`` visitors arrive (one a second); each analyses a photo, does one more
thing (another class, method or feature maps, or a new photo) and then reads, page open. The
server's resident memory is sampled every second. It reports the resident memory before, with
all N pages open and idle (median of the last 10 s of the run; make ``--seconds`` at least N +
30), per open page, and 25 s after the pages closed (a closed page is noticed within 15 s).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))  # page_session: one open page in the browser's protocol

from page_session import PageSession

from common import free_port, memory_mb


def wait_until_up(url: str, server: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(f"{url}/config", timeout=5).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the app did not start") from None
            time.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_cpu(servers: list, run) -> dict:
    """``run()``'s Locust figures plus the front ends' CPU time per request (ms, all front ends)."""
    before = sum(cpu_seconds(s.pid) for s in servers)
    result = run()
    used = sum(cpu_seconds(s.pid) for s in servers) - before
    return {**result, "front_cpu_ms_per_request": round(1000 * used / max(result["requests"], 1), 1)}


def start_ray_head() -> str:
    """A Ray head on this machine (2 CPUs, no dashboard, loopback only: no token authentication,
    for the front ends started here too); its GCS address."""
    os.environ["RAY_AUTH_MODE"] = "disabled"
    port = free_port()
    subprocess.run(
        [str(Path(sys.executable).parent / "ray"), "start", "--head", f"--port={port}", "--num-cpus=2",
         "--include-dashboard=false", "--disable-usage-stats"],
        check=True, capture_output=True,
    )  # fmt: skip
    return f"127.0.0.1:{port}"


def run_locust(url: str, users: int, seconds: int, folder: Path, user_class="Visitor", rate=None) -> dict:
    prefix = folder / f"u{users}"
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
         "-r", str(rate or users), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix), "--only-summary",
         user_class],
        cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120,
    )  # fmt: skip
    rows = {row["Name"]: row for row in csv.DictReader(Path(f"{prefix}_stats.csv").read_text().splitlines())}
    total = rows["Aggregated"]
    failures = {}
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        for row in csv.DictReader(failures_file.read_text().splitlines()):
            failures[row["Error"][:80]] = failures.get(row["Error"][:80], 0) + int(row["Occurrences"])
    return {
        "users": users,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 2),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "failure_messages": failures,
    }


def measure_pages(url: str, pid: int, pages: int, seconds: int) -> dict:
    """Resident memory of the server with ``pages`` open pages, and after they closed."""
    warm = []
    for photo in sorted((ROOT / "assets").glob("*.jpg"))[:4]:
        page = PageSession(url)
        page.trigger("button", "click", image=page.upload(photo))
        page.trigger("any_class", "input", any_class=281)
        page.trigger("method", "input", method="HiResCAM")  # the package's private model copy (~100 MB, once)
        page.trigger("channels", "release", channels=8)
        warm.append(page)
    for page in warm:
        page.close()
    time.sleep(25)
    before = memory_mb(pid)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            samples.append((time.monotonic(), memory_mb(pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        load = run_locust(url, pages, seconds, Path(tmp), user_class="ReadingPage", rate=1)
        end = time.monotonic()
    done.set()
    sampler.join()
    last = [rss for t, rss in samples if end - 12 <= t <= end - 2]  # the pages are open and in use
    open_mb = statistics.median(last)
    time.sleep(25)
    after = memory_mb(pid)
    return {
        "pages": pages,
        "before_mb": round(before, 1),
        "open_mb": round(open_mb, 1),
        "per_page_mb": round((open_mb - before) / pages, 2),
        "after_close_mb": round(after, 1),
        "given_back_mb": round(open_mb - after, 1),
        "page_actions": load["requests"],
        "failed_actions": load["failures"],
        "failure_messages": load["failure_messages"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--users", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--pages", type=int, help="measure memory with this many open pages instead")
    parser.add_argument("--engine", choices=["local", "ray"], default="local")
    parser.add_argument("--replicas", type=int, default=1, help="with --engine ray")
    parser.add_argument("--fronts", type=int, default=1, help="front ends (with --engine ray)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ray_address = start_ray_head() if args.engine == "ray" else None
    servers, urls = [], []
    try:
        for _ in range(args.fronts if ray_address else 1):
            port = free_port()
            urls.append(f"http://127.0.0.1:{port}")
            command = [sys.executable, "app.py", "--weights", "random", "--device", "cpu", "--port", str(port)]
            if ray_address:
                command += ["--engine", "ray", "--ray-address", ray_address, "--replicas", str(args.replicas),
                            "--replica-cpus", "0.5"]  # fmt: skip
            servers.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_until_up(urls[-1], servers[-1], timeout_s=300)  # one at a time: the first starts the replicas
        if args.pages:
            print(json.dumps(measure_pages(urls[0], servers[0].pid, args.pages, args.seconds), indent=2))
            return
        with tempfile.TemporaryDirectory() as tmp:
            results = [with_cpu(servers, lambda u=users: run_locust(",".join(urls), u, args.seconds, Path(tmp)))
                       for users in args.users]  # fmt: skip
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if ray_address:
            subprocess.run([str(Path(sys.executable).parent / "ray"), "stop", "--force"], capture_output=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        "| visitors | requests | failed | requests/s | p50 ms | p95 ms | p99 ms | front-end CPU ms/request | failure messages |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        messages = "; ".join(f"{n}× {m}" for m, n in r["failure_messages"].items()) or "none"
        print(
            f"| {r['users']} | {r['requests']} | {r['failures']} | {r['rps']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} "
            f"| {r['p99_ms']:.0f} | {r['front_cpu_ms_per_request']} | {messages} |"
        )


if __name__ == "__main__":
    main()
