"""How sure a pass@1 is: a 95% Wilson interval for each score, an exact McNemar test for a pair.

pass@1 on n tasks is a binomial proportion, so a score on HumanEval+'s 164 tasks moves by
several points between equally good models; the interval says how many. Base and tuned model
answer the *same* tasks, so their difference is tested on the discordant tasks alone (solved by
one model but not the other): under "no difference" each is equally likely either way, which is
McNemar's exact (binomial) test.
"""

from __future__ import annotations

from scipy.stats import binomtest

LEVEL = 0.95


def interval(passed: int, n: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of ``passed / n`` (None for no tasks)."""
    if n == 0:
        return None
    ci = binomtest(passed, n).proportion_ci(confidence_level=LEVEL, method="wilson")
    return round(float(ci.low), 4), round(float(ci.high), 4)


def mcnemar(a: dict[str, bool], b: dict[str, bool]) -> dict:
    """Paired comparison of two models' per-task outcomes on the tasks both were scored on."""
    tasks = sorted(set(a) & set(b))
    only_a = sum(a[t] and not b[t] for t in tasks)
    only_b = sum(b[t] and not a[t] for t in tasks)
    both = sum(a[t] and b[t] for t in tasks)
    discordant = only_a + only_b
    p = 1.0 if discordant == 0 else float(binomtest(min(only_a, only_b), discordant, 0.5).pvalue)
    return {
        "tasks": len(tasks),
        "both": both,
        "neither": len(tasks) - both - discordant,
        "only_first": only_a,
        "only_second": only_b,
        "p_value": round(min(1.0, p), 6),
        "test": "exact McNemar (two-sided binomial on the discordant tasks)",
    }
