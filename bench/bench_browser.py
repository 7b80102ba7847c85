"""What a visitor waits for in a real browser: this page against the Spaces a visitor would use instead.

    python bench/bench_browser.py [--rounds R] [--visitors V] [--crowd-rounds C] [--json]

Starts the label-only Space and the typical Grad-CAM Space of ``bench_peers.py`` (same
checkpoint, same Gradio) and this app on loopback, then drives Debian's Chromium (Playwright).
Each round opens a fresh page of each app in turn (apps alternated), chooses the photo in the
page's file input (the peers also get their Submit click, as a visitor must) and times, inside
the page, from the input's ``change`` event to

- **top-5 shown**: the Label component renders its top class (``.output-class``), an element it
  only has once it holds a value (a progress indicator never creates it);
- **heatmap painted**: an ``<img>`` inside the heatmap component has loaded and decoded.

Medians over R rounds with one visitor, then over C rounds of V visitors choosing at once (each
visitor's own time). Ratios compare figures of this run. The ``gradio_client`` round trip of each
endpoint is measured in the same run and printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench_peers import PHOTO, connect, start_apps

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WAIT_MS = 120_000
SETTLE_S = 0.7  # a page is ready when it has fetched nothing new for this long (its own load events done)

# Installed before any page script runs: records performance.now() at the photo's ``change``
# event and when the answer's own elements appear (a MutationObserver and the image's load event,
# so hidden or throttled pages are timed as well as the visible one).
TIMER_JS = """
window.__t = {};
const stamp = (key) => { if (window.__t.start !== undefined && window.__t[key] === undefined)
  window.__t[key] = performance.now() - window.__t.start; };
const check = () => {
  const label = document.querySelector('#top5_answer .output-class');
  if (label && label.textContent.trim()) stamp('top5');
  for (const img of document.querySelectorAll('#heatmap_answer img')) {
    if (img.complete && img.naturalWidth > 0 && (img.src || '').includes('file=')) stamp('heatmap');
  }
};
document.addEventListener('change', (e) => {
  if (e.target.type === 'file' && window.__t.start === undefined) window.__t.start = performance.now();
}, true);
document.addEventListener('load', (e) => { if (e.target.tagName === 'IMG') e.target.decode().then(check, check); }, true);
new MutationObserver(check).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""

# Where each app keeps its answer: (label's elem_id, heatmap's elem_id or None, a Submit button?).
APPS = {
    "label-only Space": ("top5", None, True),
    "Grad-CAM Space": ("top5", "heatmap", True),
    "this page": ("labels", "heatmap", False),
}


async def visit(browser, url: str, app: str) -> dict:
    """One visitor's fresh page of ``app``, loaded (its answer elements are timed by TIMER_JS)."""
    label_id, heatmap_id, submit = APPS[app]
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = await context.new_page()
    script = TIMER_JS.replace("#top5_answer", f"#{label_id}").replace("#heatmap_answer", f"#{heatmap_id or 'none'}")
    await page.add_init_script(script)
    await page.goto(url)
    await page.locator("input[type=file]").first.wait_for(state="attached", timeout=WAIT_MS)
    return {"page": page, "context": context, "submit": submit, "heatmap": heatmap_id is not None}


async def settled(page, limit_s: float = 60) -> None:
    """Wait until the page has fetched nothing new for SETTLE_S (its load events are done)."""
    count, since, deadline = -1, time.monotonic(), time.monotonic() + limit_s
    while time.monotonic() < deadline:
        now = await page.evaluate("performance.getEntriesByType('resource').length")
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= SETTLE_S:
            return
        await asyncio.sleep(0.1)


async def choose(visitor: dict) -> dict[str, float]:
    """The photo chosen (and submitted); milliseconds from its ``change`` event to each answer."""
    page = visitor["page"]
    await page.locator("input[type=file]").first.set_input_files(str(PHOTO))
    if visitor["submit"]:
        await page.get_by_role("button", name="Submit").click()
    wanted = "window.__t.top5 !== undefined" + (" && window.__t.heatmap !== undefined" if visitor["heatmap"] else "")
    await page.wait_for_function(wanted, timeout=WAIT_MS, polling=20)
    times = await page.evaluate("window.__t")
    await visitor["context"].close()
    return {key: times[key] for key in ("top5", "heatmap") if key in times}


async def one_round(browser, servers: dict, visitors: int) -> dict[str, list[dict]]:
    """Each app in turn: ``visitors`` fresh pages, settled, then the photo chosen in all at once."""
    results = {}
    for app, url in servers.items():
        opened = await asyncio.gather(*(visit(browser, url, app) for _ in range(visitors)))
        await asyncio.gather(*(settled(v["page"]) for v in opened))
        results[app] = await asyncio.gather(*(choose(v) for v in opened))
    return results


def medians(samples: list[dict]) -> dict[str, float]:
    keys = {key for sample in samples for key in sample}
    if not samples:
        return {}
    return {key: round(statistics.median(s[key] for s in samples if key in s), 1) for key in sorted(keys)}


async def measure(servers: dict, rounds: int, visitors: int, crowd_rounds: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        await one_round(browser, servers, 1)  # warm-up: first page load and first model pass, not counted
        alone = {app: [] for app in servers}
        for index in range(rounds):
            order = dict(list(servers.items())[index % 3 :] + list(servers.items())[: index % 3])  # alternate
            for app, samples in (await one_round(browser, order, 1)).items():
                alone[app] += samples
        crowd = {app: [] for app in servers}
        for index in range(crowd_rounds):
            order = dict(list(servers.items())[index % 3 :] + list(servers.items())[: index % 3])
            for app, samples in (await one_round(browser, order, visitors)).items():
                crowd[app] += samples
        await browser.close()
    return {"one visitor": {a: medians(s) for a, s in alone.items()}, f"{visitors} visitors": crowd_medians(crowd)}


def crowd_medians(crowd: dict) -> dict:
    return {app: medians(samples) for app, samples in crowd.items()}


def client_round_trips(servers: dict, processes: dict, rounds: int) -> dict[str, float]:
    """``gradio_client``'s round trip of each endpoint (median ms), for comparison."""
    from gradio_client import handle_file

    endpoints = {"label-only Space": "/classify", "Grad-CAM Space": "/explain", "this page": "/explain"}
    result = {}
    for app, api_name in endpoints.items():
        client = connect(servers[app], processes[app])
        times = []
        for _ in range(rounds + 1):
            start_s = time.perf_counter()
            client.predict(handle_file(str(PHOTO)), api_name=api_name)
            times.append((time.perf_counter() - start_s) * 1000)
        result[app] = round(statistics.median(times[1:]), 1)
    return result


def ratios(table: dict) -> dict[str, float]:
    ours, label, gradcam = table["this page"], table["label-only Space"], table["Grad-CAM Space"]
    return {
        "top-5 / label-only label": round(ours["top5"] / label["top5"], 2),
        "heatmap / Grad-CAM heatmap": round(ours["heatmap"] / gradcam["heatmap"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--crowd-rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = start_apps(Path(folder))
        started["this page"] = started.pop("this app")
        processes = {app: process for app, (process, _) in started.items()}
        servers = {app: url for app, (_, url) in started.items()}
        try:
            for app in servers:
                connect(servers[app], processes[app])  # listening
            browser = asyncio.run(measure(servers, args.rounds, args.visitors, args.crowd_rounds))
            client = client_round_trips(servers, processes, args.rounds)
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(timeout=30)
    report = {"browser_ms": browser, "ratios": {k: ratios(v) for k, v in browser.items()}, "gradio_client_ms": client}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for scenario, table in browser.items():
        print(f"{scenario:12} {'photo -> top-5 ms':>18} {'photo -> heatmap ms':>20} {'gradio_client ms':>17}")
        for app, row in table.items():
            heatmap = row.get("heatmap", "-")
            print(f"  {app:18} {row['top5']:>12} {heatmap:>20} {client[app] if scenario == 'one visitor' else '':>17}")
        for name, value in report["ratios"][scenario].items():
            print(f"  {name:32} {value}")


if __name__ == "__main__":
    main()
