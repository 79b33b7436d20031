"""Decontamination against HumanEval(+) and MBPP(+), as the paper does, plus an optional n-gram check.

Exact check (the paper's): an item is contaminated when, lower-cased, it contains a benchmark
task's description (the prompt's docstring) or its canonical solution, stripped. A few trivial
solutions (``return x + y`` …) are whitelisted. Optional long n-gram overlap: an item sharing
any word n-gram (default 13 words) with a benchmark prompt or solution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from codealign import benchmarks
from codealign.benchmarks import Task
from codealign.records import DecontaminationHit

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Pattern:
    benchmark: str
    task_id: str
    kind: str  # "docstring" or "solution"
    text: str  # as given
    needle: str  # lower-cased, stripped: what is searched for


def patterns(tasks: Iterable[Task], whitelist: Iterable[str] = ()) -> list[Pattern]:
    """The substrings to search for, one per task description and solution (whitelist removed)."""
    allowed = {w.strip().lower() for w in whitelist}
    out, seen = [], set()
    for task in tasks:
        for kind, text in (("docstring", task.description), ("solution", task.canonical_solution)):
            needle = text.strip().lower()
            if not needle or needle in allowed or (task.benchmark, kind, needle) in seen:
                continue
            seen.add((task.benchmark, kind, needle))
            out.append(Pattern(task.benchmark, task.task_id, kind, text.strip(), needle))
    return out


def word_ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class Decontaminator:
    """Find benchmark matches in text. Build once, call :meth:`hits` per item."""

    def __init__(self, tasks: list[Task], whitelist: Iterable[str] = (), ngram: int | None = None):
        self.patterns = patterns(tasks, whitelist)
        self.ngram = ngram
        self._ngrams: dict[tuple[str, ...], Task] = {}
        if ngram:
            for task in tasks:
                for gram in word_ngrams(task.prompt + "\n" + task.canonical_solution, ngram):
                    self._ngrams.setdefault(gram, task)

    def hits(self, item_id: str, text: str) -> list[DecontaminationHit]:
        """Every benchmark match in ``text`` (empty when clean)."""
        lowered = text.lower()
        found = [DecontaminationHit(item_id, p.benchmark, p.task_id, p.kind, p.text[:500]) for p in self.patterns if p.needle in lowered]
        if self.ngram and self._ngrams:
            for gram in word_ngrams(text, self.ngram):
                task = self._ngrams.get(gram)
                if task is not None:
                    found.append(DecontaminationHit(item_id, task.benchmark, task.task_id, "ngram", " ".join(gram)))
                    break
        return found


def benchmark_names(cfg: dict, benchmark_paths: dict) -> list[str]:
    """The benchmarks decontaminated against: those listed, or (``all``) every one that names a file."""
    if cfg["benchmarks"] == "all":
        return [name for name in benchmarks.LOADERS if benchmark_paths.get(name)]
    return list(cfg["benchmarks"])


def build(cfg: dict, benchmark_paths: dict) -> Decontaminator:
    """A decontaminator over the benchmarks ``cfg`` names (paths from the ``benchmarks`` section)
    and its extra files."""
    tasks = []
    for name in benchmark_names(cfg, benchmark_paths):
        path = benchmark_paths.get(name)
        if not path:
            raise ValueError(f"seeds.decontamination.benchmarks: {name!r} has no file: set benchmarks.{name}")
        tasks += benchmarks.load(name, path)
    for extra in cfg.get("extra", []):
        tasks += benchmarks.load_fields(extra["path"], extra["fields"], extra.get("name"))
    ngram = cfg["ngram"]["n"] if cfg["ngram"]["enabled"] else None
    return Decontaminator(tasks, whitelist=cfg["whitelist"], ngram=ngram)
