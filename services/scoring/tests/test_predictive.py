"""The predictive score ranks held-out synthetic converters above non-converters."""

import random

from lodestone_scoring.domain.predictive import (
    NEGATIVE,
    POSITIVE,
    NaiveBayes,
    features,
    training_deltas,
)


def synthetic(rnd: random.Random, converts: bool) -> dict[str, str]:
    """Converters lean to software, bigger companies, senior titles and more engagement."""
    p = 0.7 if converts else 0.3
    profile = {
        "industry": "software" if rnd.random() < p else rnd.choice(["retail", "energy", "edu"]),
        "company_size": rnd.choice([300, 800, 2000]) if rnd.random() < p else rnd.choice([5, 30]),
        "title": "VP Sales" if rnd.random() < p else rnd.choice(["Analyst", "Intern"]),
        "country": rnd.choice(["FR", "US", "DE"]),  # noise
    }
    activity = {
        "page_visit": rnd.randint(4, 12) if rnd.random() < p else rnd.randint(0, 3),
        "meeting_held": 1 if rnd.random() < p * 0.6 else 0,
    }
    return features(profile, activity)


def auc(scored: list[tuple[float, bool]]) -> float:
    pos = [s for s, y in scored if y]
    neg = [s for s, y in scored if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def train(
    model: NaiveBayes,
    outcome: str,
    x: dict[str, str],
    previous: tuple[str, dict[str, str]] | None = None,
) -> None:
    for key, delta in training_deltas(previous, outcome, x).items():
        model.counts[key] = model.counts.get(key, 0) + delta


def test_held_out_converters_rank_above_non_converters() -> None:
    rnd = random.Random(7)
    people = [(synthetic(rnd, y), y) for y in [True, False] * 300]
    training, held_out = people[:400], people[400:]
    model = NaiveBayes()
    assert model.predict(training[0][0]) is None  # not enough outcomes yet
    for x, converted in training:
        train(model, POSITIVE if converted else NEGATIVE, x)
    scored = []
    for x, converted in held_out:
        prediction = model.predict(x)
        assert prediction is not None
        scored.append((prediction.probability, converted))
    assert auc(scored) > 0.85  # chance is 0.5
    top = model.predict(held_out[0][0])
    assert top and top.factors[0].feature != "country"  # noise never leads
    assert top.trained_on == {"converted": 200, "lost": 200}


def test_a_changed_outcome_moves_the_contact_between_classes() -> None:
    model = NaiveBayes()
    x = {"industry": "software"}
    train(model, POSITIVE, x)
    train(model, NEGATIVE, x, previous=(POSITIVE, x))
    assert model.total(POSITIVE) == 0 and model.total(NEGATIVE) == 1
    assert model.counts[f"{NEGATIVE}:industry=software"] == 1
    assert model.counts.get(f"{POSITIVE}:industry=software", 0) == 0
