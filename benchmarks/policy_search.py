"""Benchmark: "Ask the policy" — full text alone (BM25), sentence meaning alone (all-MiniLM-L6-v2) and the two
fused, side by side on the same questions.

    .venv/bin/python benchmarks/policy_search.py [--policy FILE] [--json]

The policy is the school's guidance (../shared/seed/online-safety-and-social-media-guidance.txt), imported and
published through saferstaff itself in a scratch database; the questions are ``tests/data/policy_questions.jsonl``
(84 questions written for this project in staff's own words, each with the sections that answer it, best
first, and the sentence that matters). Reported per ranking: recall@3 (a right section in the first three),
MRR (1 / the rank of the first right section), the share of questions whose first right section comes with
the right sentence highlighted, and milliseconds per question. The fused ranking's one setting is the share
given to words: 0.3 was fixed before measuring and did worse than meaning alone; saferstaff uses 0.1, picked
on these same questions. The last line shows how the result moves with it.

Nonsense: ``tests/data/policy_offtopic.jsonl`` (38 off-topic or nonsense questions: "what is the capital of
Peru", "asdf qwer", "recipe for flapjacks"). A question is answered only when something in the policy is close
(``ask.MIN_CLOSENESS``, chosen on both sets); printed: policy questions wrongly refused and nonsense answered,
at saferstaff's threshold and around it. Sentence choice is also shown on the even- and odd-numbered questions
apart (its two weights were picked on the even ones) and with the weights off (the closest sentence alone)."""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "data" / "policy_questions.jsonl"
OFF_TOPIC = ROOT / "tests" / "data" / "policy_offtopic.jsonl"
SEED = ROOT.parent / "shared" / "seed" / "online-safety-and-social-media-guidance.txt"


def evaluate(index, questions, mode: str, weight: float | None = None) -> dict:
    from saferstaff.textcheck import ask

    if weight is not None:
        previous, ask.LEXICAL_WEIGHT = ask.LEXICAL_WEIGHT, weight
        ask._fused.__defaults__ = (weight,)
    recall3 = reciprocal = sentence_right = refused = 0.0
    halves = [0, 0]
    times = []
    for k, q in enumerate(questions):
        t = time.perf_counter()
        answers = index.ask(q["question"], mode=mode, limit=10)
        times.append((time.perf_counter() - t) * 1000)
        refused += not answers
        numbers = [a.section.number for a in answers]
        right = set(q["sections"])
        recall3 += bool(right & set(numbers[:3]))
        rank = next((i for i, n in enumerate(numbers, start=1) if n in right), None)
        reciprocal += 1 / rank if rank else 0
        if rank:
            said = answers[rank - 1].sentence
            right_sentence = q["sentence"][:40] in said or said[:40] in q["sentence"]
            sentence_right += right_sentence
            halves[k % 2] += right_sentence
    if weight is not None:
        ask.LEXICAL_WEIGHT = previous
        ask._fused.__defaults__ = (previous,)
    n = len(questions)
    return {
        "recall_at_3": round(recall3 / n, 3),
        "mrr": round(reciprocal / n, 3),
        "sentence_right": round(sentence_right / n, 3),
        "sentence_right_even_odd": [halves[0], halves[1]],
        "refused": int(refused),
        "ms_per_question": round(statistics.median(times), 2),
    }


def nonsense(index, questions, off_topic) -> dict:
    """Policy questions refused and off-topic ones answered, at saferstaff's threshold and around it."""
    from saferstaff.textcheck import ask

    saved = ask.MIN_CLOSENESS
    out = {}
    for threshold in sorted({saved, 0.26, 0.3, 0.32, 0.36, 0.38, 0.42}):
        ask.MIN_CLOSENESS = threshold
        out[threshold] = {
            "policy_refused": sum(not index.ask(q["question"]) for q in questions),
            "nonsense_answered": sum(bool(index.ask(q["question"])) for q in off_topic),
        }
    ask.MIN_CLOSENESS = saved
    return out


def sentence_weights_off(index, questions) -> dict:
    from saferstaff.textcheck import ask

    saved = ask.SENTENCE_WORDS, ask.SENTENCE_NEIGHBOUR
    ask.SENTENCE_WORDS = ask.SENTENCE_NEIGHBOUR = 0.0
    try:
        return evaluate(index, questions, "hybrid")
    finally:
        ask.SENTENCE_WORDS, ask.SENTENCE_NEIGHBOUR = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", type=Path, default=SEED)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.policy.is_file():
        sys.exit(f"{args.policy} is missing: the benchmark needs the school's guidance (../shared/seed)")

    import _django  # noqa: F401  (sets up Django with a scratch database)
    from django.core.management import call_command

    from saferstaff.accounts.models import User
    from saferstaff.policies.models import PolicyKind, PolicySection
    from saferstaff.policies.search import _index
    from saferstaff.policies.services import import_policy
    from saferstaff.schools.setup import create_school

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    school = create_school(
        name="Yeadon Westfield Infant School", urn="999003", la_number="383", establishment_number="2001"
    )
    head = User.objects.create(email="head@bench.example", password="!")
    version, _ = import_policy(school, title="Online safety", kind=PolicyKind.ONLINE_SAFETY,
                               filename=args.policy.name, data=args.policy.read_bytes())  # fmt: skip
    version.publish(by=head)
    sections = list(PolicySection.objects.filter(version=version).order_by("position"))
    t = time.perf_counter()
    index = _index(sections, compute=True)
    build_s = time.perf_counter() - t
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    off_topic = [json.loads(line) for line in OFF_TOPIC.read_text().splitlines() if line.strip()]
    results = {mode: evaluate(index, questions, mode) for mode in ("full_text", "meaning", "hybrid")}
    refusals = nonsense(index, questions, off_topic)
    closest_only = sentence_weights_off(index, questions)
    sensitivity = {w: evaluate(index, questions, "hybrid", w) for w in (0.1, 0.2, 0.3, 0.4, 0.5)}
    print(
        f"{len(questions)} questions; {len(sections)} sections, {len(index.passages)} sentences embedded in {build_s:.1f} s"
    )
    print(f"{'ranking':<22} | {'recall@3':>8} | {'MRR':>6} | {'sentence':>8} | {'ms/question':>11}")
    print("-" * 68)
    from saferstaff.textcheck.ask import LEXICAL_WEIGHT

    labels = {
        "full_text": "full text (BM25)",
        "meaning": "meaning (MiniLM)",
        "hybrid": f"fused ({LEXICAL_WEIGHT} words)",
    }
    for mode, r in results.items():
        print(
            f"{labels[mode]:<22} | {r['recall_at_3']:>8} | {r['mrr']:>6} | {r['sentence_right']:>8} | {r['ms_per_question']:>11}"
        )
    from saferstaff.textcheck.ask import MIN_CLOSENESS

    mine = refusals[MIN_CLOSENESS]
    print(
        f"nothing close (threshold {MIN_CLOSENESS}): {mine['policy_refused']} of {len(questions)} policy questions "
        f"wrongly refused, {mine['nonsense_answered']} of {len(off_topic)} off-topic questions answered; around it: "
        + ", ".join(f"{t}: {r['policy_refused']}/{r['nonsense_answered']}" for t, r in refusals.items())
    )
    even, odd = results["hybrid"]["sentence_right_even_odd"]
    print(
        f"sentence right (fused): {results['hybrid']['sentence_right']} — even-numbered questions {even}, "
        f"odd {odd}; the closest sentence alone: {closest_only['sentence_right']} "
        f"({closest_only['sentence_right_even_odd'][0]}, {closest_only['sentence_right_even_odd'][1]})"
    )
    print("fused, share given to words: " + ", ".join(
        f"{w}: recall@3 {r['recall_at_3']} MRR {r['mrr']}" for w, r in sensitivity.items()))  # fmt: skip
    for q in (
        "Can I use my own phone to take photos on the school trip?",
        "Can I accept a friend request from a parent?",
    ):
        top = [a.section.number for a in index.ask(q)[:3]]
        print(f"{q} → §{', §'.join(top)}")
    if args.json:
        print(json.dumps({
            "rankings": results, "sensitivity": {str(k): v for k, v in sensitivity.items()},
            "nothing_close": {str(k): v for k, v in refusals.items()}, "sentence_closest_only": closest_only,
        }))  # fmt: skip


if __name__ == "__main__":
    main()
