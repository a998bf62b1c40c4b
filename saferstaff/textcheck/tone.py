"""Tone: is a sentence abusive, harassing, threatening or disparaging about pupils, parents, colleagues or
the school (§4, §9)?

A logistic-regression model over the sentence's words and word pairs and a handful of signals the words
alone miss: a put-down word near a person
in the school community, a threat ("he'll regret it"), swearing aimed at someone. Its weights are trained
here (``python -m saferstaff.textcheck.train_tone``) on ``data/tone_train.jsonl`` — drafts written for this
project and kept apart from the evaluation set — and ship in this package as ``data/tone_model.json``.
Scoring a sentence is a few dictionary look-ups: microseconds.

Two thresholds: above the first a draft gets a tone finding ("think again"); only above the second, where the
model is sure, is it "don't post this" — a kind post about the head wrongly stopped teaches staff to ignore
the checker."""

import bisect
import functools
import json
import math
import re
import zlib
from importlib import resources

THRESHOLD_KEY = "threshold"
STOP_THRESHOLD_KEY = "stop_threshold"
_TOKEN = re.compile(r"[a-z0-9']+|[!?]")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")

# People in the school community a put-down can be aimed at.
TARGETS = frozenset(
    """
    kid kids child children pupil pupils student students class parent parents mum mums dad dads mam
    mother father families family carers head headteacher deputy boss slt management leadership colleague
    colleagues staff teacher teachers ta tas caretaker office governor governors senco school place
    he she they him her them his hers their lot year reception nursery toddler brat brats
    """.split()
)
# Words that put people down or threaten them. Alone they are weak evidence (we say "feral" of the wind);
# near a person they are strong.
PUTDOWNS = frozenset(
    """
    feral thick stupid idiot idiots useless clueless hopeless pathetic disgusting vile scum scrounger
    scroungers chav chavs gobby mouthy lazy incompetent moron morons numpty pillock jobsworth waste
    liar liars nasty spiteful weirdo weirdos creep creepy ugly fat smelly dirty filthy thicko dimwit
    dense brainless animals vermin trash rubbish shambles joke clown clowns loser losers
    halfwit muppet muppets cow witch snake snakes toxic vicious sly two-faced backstabbing grass
    grassed dumb dumbest dire awful worst terrible horrible horrid tramp tramps pig pigs
    """.split()
)
THREATS = re.compile(
    r"\b(?:regret it|watch (?:your|his|her|their) back|know where (?:you|he|she|they) (?:live|lives|park|parks)|"
    r"sort (?:him|her|them|you) out|have (?:him|her|them|you)|get (?:him|her|them|you)|coming for|"
    r"wait till|wait until|(?:smack|slap|punch|batter|deck|thump|hit|kill|strangle|throttle) (?:him|her|them|you|that|the|those|some)|"
    r"won't know what hit|sorry (?:he|she|they) ever|teach (?:him|her|them|you) a lesson|pay for (?:this|that|it))\b"
)
SWEARS = frozenset(
    "fuck fucking fucker fuckers shit shite shitty bastard bastards bitch bitches cunt cunts twat twats "
    "wanker wankers dick dickhead prick pricks arse arsehole arseholes piss pissed bollocks slag slags "
    "tosser tossers bellend knob knobhead".split()
)


def tokens(sentence: str) -> list[str]:
    return _TOKEN.findall(sentence)


def features(sentence: str) -> list[str]:
    """The names of the features present in a folded (lower-case) sentence."""
    words = tokens(sentence)
    out = [f"w:{w}" for w in words]
    out += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    targets = [i for i, w in enumerate(words) if w in TARGETS]
    putdowns = [i for i, w in enumerate(words) if w in PUTDOWNS]
    swears = [i for i, w in enumerate(words) if w in SWEARS]
    if putdowns:
        out.append("s:putdown")
    if _near(putdowns, targets, 5):
        out.append("s:putdown-near-person")
    if swears:
        out.append("s:swear")
    if _near(swears, targets, 4):
        out.append("s:swear-near-person")
    if THREATS.search(sentence):
        out.append("s:threat")
    out.append("bias")
    return out


def _near(these: list[int], those: list[int], distance: int) -> bool:
    """Is any position in ``these`` within ``distance`` of one in ``those``? (Both ascending: one pass with
    bisection, not every pair — a long draft of put-downs and pronouns stays linear.)"""
    for p in these:
        i = bisect.bisect_left(those, p - distance)
        if i < len(those) and those[i] <= p + distance:
            return True
    return False


def bucket(name: str, size: int) -> int:
    return zlib.crc32(name.encode()) % size


@functools.cache
def model() -> dict:
    with resources.files("saferstaff.textcheck").joinpath("data/tone_model.json").open() as f:
        data = json.load(f)
    return {
        "weights": data["weights"],
        "size": data["size"],
        "threshold": data[THRESHOLD_KEY],
        "stop_threshold": data[STOP_THRESHOLD_KEY],
    }


def probability(sentence: str) -> float:
    m = model()
    weights, size = m["weights"], m["size"]
    # Each feature counts once, as in training (a feature is present or not): "her ... her" is no more
    # abusive than "her".
    z = sum(weights.get(str(b), 0.0) for b in {bucket(f, size) for f in features(sentence)})
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def find(text: str) -> list[tuple[int, int, bool]]:
    """[(start, end, sure)] of the sentence that carries it when the folded draft as a whole reads as abusive,
    harassing, threatening or disparaging (the model is trained on whole drafts); ``sure`` when the draft
    scores above the stop threshold; else []."""
    if not text.strip():
        return []
    p = probability(text)
    if p < model()["threshold"]:
        return []
    best, span = -1.0, (0, len(text))
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        if len(sentence.strip()) >= 3 and (q := probability(sentence)) > best:
            start = m.start() + len(sentence) - len(sentence.lstrip())
            best, span = q, (start, m.start() + len(sentence.rstrip()))
    return [(*span, p >= model()["stop_threshold"])]
