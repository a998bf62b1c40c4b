"""Benchmark: sweeping a school's own website (§5) — a 500-page site on loopback, every image on it looked up
among 50,000 published copies, with ``HashIndex`` and, in the same run, the named baseline ``LinearScan``.

    nice -n 10 .venv/bin/python benchmarks/sweep.py [--pages 500] [--copies 50000]

The site (served by a process of its own, so the sweep's CPU time is the sweep's): ``--pages`` HTML pages, each
linking the next few and showing three photos; every tenth page also links a PDF newsletter with two photos.
The photos are generated scenes (tests/photo_scenes.py, 480-900 px), each served under several addresses at
other sizes and JPEG qualities, so every image address is a download and a fingerprint. The index: the
fingerprints of 20 of the site's scenes (the photos the school must not show; each is found) and of unrelated
scenes, and, to reach ``--copies``, copies of those with 16 random bits of every hash flipped (as far from each
other as unrelated photos).

Measured, with the polite delay 0: the sweep's time (time spent in delays is left out by the sweep itself),
pages and images per second, index lookup p50/p95 in µs per image, and the CPU time of the sweeping process.
Goal: a 500-page site in under 2 minutes on loopback, a lookup under 1 ms."""

import argparse
import io
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

from _machine import machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from saferstaff.crawling import Limits, Sweep  # noqa: E402
from saferstaff.imagematch import fingerprint  # noqa: E402
from saferstaff.imagematch.hashes import Fingerprint  # noqa: E402
from saferstaff.imagematch.index import HashIndex, LinearScan  # noqa: E402
from tests.loopback_site import html, serve  # noqa: E402
from tests.photo_scenes import pdf_with, resized, scene, shoot  # noqa: E402

SCENES = 120  # distinct photos on the site
INDEXED = 20  # of them, in the index
UNRELATED = 100  # unrelated photos fingerprinted for the index, before the flipped copies


def jpeg(image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def site(pages: int) -> tuple[dict, int]:
    """The routes of the site, and how many images it shows (on pages and in PDFs)."""
    rng = random.Random(3)
    photos = [shoot(scene(s)) for s in range(SCENES)]

    def variant(n: int):
        return resized(photos[n % SCENES], rng.uniform(0.6, 1.0))

    routes = {"/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /staff/\n")}
    images = 0
    for p in range(pages):
        links = "".join(
            f'<a href="{"/" if q == 0 else f"/p/{q}"}">page {q}</a> '
            for q in (p + 1, p + 2, rng.randrange(pages))
            if q < pages
        )
        shown = ""
        for i in range(3):
            n = 3 * p + i
            routes[f"/img/{n}.jpg"] = (200, "image/jpeg", jpeg(variant(n), rng.choice((60, 75, 85))))
            shown += f'<img src="/img/{n}.jpg" alt="">'
            images += 1
        if p % 10 == 0:
            routes[f"/news/{p}.pdf"] = (
                200,
                "application/pdf",
                pdf_with([variant(7 * p + 1), variant(7 * p + 2)]),
            )
            links += f'<a href="/news/{p}.pdf">newsletter</a>'
            images += 2
        routes["/" if p == 0 else f"/p/{p}"] = html(f"<h1>Page {p}</h1>{links}{shown}")
    return routes, images


def stored(copies: int) -> list[tuple[str, Fingerprint]]:
    rng = random.Random(7)
    own = [(f"site-{s}", fingerprint(shoot(scene(s)))) for s in range(INDEXED)]
    others = [fingerprint(shoot(scene(800_000 + s, scale=0.5))) for s in range(UNRELATED)]

    def flipped(h: int) -> int:
        for bit in rng.sample(range(64), 16):
            h ^= 1 << bit
        return h

    while len(own) + len(others) < copies:
        base = others[rng.randrange(UNRELATED)]
        others.append(
            Fingerprint(*[tuple((flipped(p), flipped(d)) for p, d in g) for g in (base.variants, base.crops)])
        )
    return own + [(f"other-{n}", fp) for n, fp in enumerate(others)]


class Timed:
    """The index the sweep is given, timing each lookup: wall-clock and the CPU time of the sweeping thread (on
    a shared machine the wall-clock tail is mostly waiting for a CPU)."""

    def __init__(self, index):
        self.index, self.wall, self.cpu = index, [], []

    def matches(self, found):
        wall, cpu = time.perf_counter(), time.thread_time()
        answer = self.index.matches(found)
        self.cpu.append((time.thread_time() - cpu) * 1e6)
        self.wall.append((time.perf_counter() - wall) * 1e6)
        return answer


def percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[int(0.95 * len(values))]


def run(url: str, index, pages: int) -> dict:
    timed = Timed(index)
    before = resource.getrusage(resource.RUSAGE_SELF)
    sweep = Sweep([url + "/"], timed, Limits(max_pages=2 * pages, delay=0, allow_loopback=True))
    findings = list(sweep)
    after = resource.getrusage(resource.RUSAGE_SELF)
    s = sweep.summary
    (p50, p95), (cpu50, cpu95) = percentiles(timed.wall), percentiles(timed.cpu)
    return {
        "seconds": s.seconds,
        "pages": s.pages,
        "images": s.images,
        "bytes": s.bytes,
        "p50": p50,
        "p95": p95,
        "cpu50": cpu50,
        "cpu95": cpu95,
        "lookup_total": sum(timed.wall) / 1e6,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "found": sorted({(f.page_url, f.image_url, f.in_pdf, f.key) for f in findings}),
        "refused": dict(s.refused),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--copies", type=int, default=50_000)
    args = parser.parse_args()
    started = time.perf_counter()
    routes, shown = site(args.pages)
    server = serve(routes, start=False)
    serving = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    serving.start()
    server.socket.close()  # the serving process holds the listening socket; this one only connects
    index, scan = HashIndex(), LinearScan()
    for key, fp in stored(args.copies):
        index.add(key, fp)
        scan.add(key, fp)
    index.matches(fp), scan.matches(fp)  # both built before the clock starts
    built = time.perf_counter() - started
    try:
        results = {"index": run(server.url, index, args.pages), "scan": run(server.url, scan, args.pages)}
    finally:
        serving.terminate()
        serving.join()
    r, b = results["index"], results["scan"]
    print(f"Sweeping a school's site — {machine()}")
    print(f"site: {args.pages} pages + {args.pages // 10} PDFs on loopback, {shown:,} images ({SCENES} scenes at "
          f"several sizes), {sum(len(v[2]) for v in routes.values() if isinstance(v, tuple)) / 1e6:.0f} MB; "
          f"index: {len(index):,} published copies ({index._arrays[1].size:,} hashes); delay 0; set up in {built:.0f} s")  # fmt: skip
    rows = [
        ("sweep time (s, no delays)", "seconds", "{:.1f}"),
        ("pages + PDFs fetched", "pages", "{:,}"),
        ("pages/s", None, "{:.1f}"),
        ("images looked up", "images", "{:,}"),
        ("images/s", None, "{:.1f}"),
        ("lookup p50 (µs)", "p50", "{:,.0f}"),
        ("lookup p95 (µs)", "p95", "{:,.0f}"),
        ("lookup CPU p50 (µs)", "cpu50", "{:,.0f}"),
        ("lookup CPU p95 (µs)", "cpu95", "{:,.0f}"),
        ("all lookups (s)", "lookup_total", "{:.2f}"),
        ("CPU of the sweep (s)", "cpu", "{:.1f}"),
    ]
    print(f"\n{'':28} {'HashIndex':>12} {'LinearScan (baseline)':>22}")
    for label, key, fmt in rows:
        values = []
        for x in (r, b):
            value = x[key] if key else (x["pages"] if label == "pages/s" else x["images"]) / x["seconds"]
            values.append(fmt.format(value))
        print(f"{label:28} {values[0]:>12} {values[1]:>22}")
    own = sorted({key for *_, key in r["found"]})
    print(f"\nfound: {len(r['found'])} places of {len(own)} of the {INDEXED} indexed photos; same findings with "
          f"both: {r['found'] == b['found']}; refused/not visited: {r['refused'] or 'none'}")  # fmt: skip
    print(f"goal: a {args.pages}-page site in under 2 minutes — {'met' if r['seconds'] < 120 else 'NOT met'} "
          f"({r['seconds']:.0f} s); a lookup under 1 ms — p50 {'met' if r['p50'] < 1000 else 'NOT met'} "
          f"({r['p50']:,.0f} µs), p95 {'met' if r['p95'] < 1000 else 'NOT met'} ({r['p95']:,.0f} µs; "
          f"CPU {r['cpu95']:,.0f} µs)")  # fmt: skip
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print(f"whole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
