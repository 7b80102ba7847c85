"""Server memory per open page, with real browser pages: Chromium pages that each explain a photo
and then stay open, read.

    python bench/bench_pages.py [--pages 16 100] [--json]

Starts this app (a seeded checkpoint, CPU) on loopback; a warm-up page explains a photo and
closes. Then, for each N: the server's resident memory settled (median of 10 one-second reads
after a quiet 20 s), N pages opened (8 at a time), each choosing the photo and waiting until
its other tabs' pictures have arrived, then the settled memory again with the N pages open,
and once more after they closed (a closed page's state is dropped when its heartbeat ends).
Per open page = (open − before) / N. The goal is 2 MB or less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from bench_browser import CHROMIUM, FLAGS, WAIT_MS, settled
from bench_peers import PHOTO, connect, start
from torchvision.models import resnet50

from common import memory_mb

AT_ONCE = 8  # pages opened and explaining at the same time


def settled_mb(pid: int, quiet_s: float = 20, reads: int = 10) -> float:
    """The server's resident memory once it has been quiet: the median of ``reads`` reads, 1 s apart."""
    time.sleep(quiet_s)
    samples = []
    for _ in range(reads):
        samples.append(memory_mb(pid))
        time.sleep(1)
    return statistics.median(samples)


async def open_explained(browser, url: str):
    """A fresh page that has explained the photo and drawn its other tabs' pictures."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = await context.new_page()
    await page.goto(url)
    await page.locator("input[type=file]").first.wait_for(state="attached", timeout=WAIT_MS)
    await settled(page)
    await page.locator("input[type=file]").first.set_input_files(str(PHOTO))
    await page.locator("#gallery img").first.wait_for(state="attached", timeout=WAIT_MS)  # feature maps: panels drawn
    await settled(page)
    return context


async def measure(url: str, pid: int, counts: list[int]) -> list[dict]:
    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        await (await open_explained(browser, url)).close()  # warm-up: every code path has run once
        for n in counts:
            before = settled_mb(pid)
            contexts, started = [], time.perf_counter()
            for start_at in range(0, n, AT_ONCE):
                batch = range(start_at, min(n, start_at + AT_ONCE))
                contexts += await asyncio.gather(*(open_explained(browser, url) for _ in batch))
                took = time.perf_counter() - started
                print(f"{len(contexts)}/{n} pages open, {took:.0f} s", file=sys.stderr, flush=True)
            opened = await asyncio.to_thread(settled_mb, pid)
            for context in contexts:
                await context.close()
            after = await asyncio.to_thread(settled_mb, pid, 25)
            rows.append({"pages": n, "before_mb": before, "open_mb": opened, "after_mb": after})
            rows[-1]["per_page_mb"] = (opened - before) / n
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        await browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[16, 100])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "resnet50.pth"
        torch.manual_seed(0)
        torch.save(resnet50().state_dict(), checkpoint)
        process, url = start([sys.executable, "app.py", "--weights", str(checkpoint), "--device", "cpu"])
        try:
            connect(url, process)
            rows = asyncio.run(measure(url, process.pid, args.pages))
        finally:
            process.terminate()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| open pages | before | open | per open page | after they closed |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['pages']} | {r['before_mb']:,.0f} MB | {r['open_mb']:,.0f} MB | **{r['per_page_mb']:.2f} MB** "
            f"| {r['after_mb']:,.0f} MB |"
        )


if __name__ == "__main__":
    main()
