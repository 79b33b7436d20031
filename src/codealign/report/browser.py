"""A browser of the data for the report: per stage, a few kept items and a few dropped items for
every drop reason, as HTML tables. A researcher sees what the model wrote, what the sandbox said
and why each thing was dropped without opening a Parquet file.

Samples are chosen reproducibly: items are ordered by a hash of their id salted with the run's
``random_seed`` and the first ``per_group`` taken, so the same run shows the same items and a
rerun with another seed shows others.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
from collections import defaultdict
from collections.abc import Iterable

from codealign import io

log = logging.getLogger("codealign.report.browser")

CELL_CHARS = 1200  # a table cell shows at most this much of a long text


def sample(rows: Iterable[dict], key: str, k: int, random_seed: int) -> list[dict]:
    """``k`` rows, the same ones for the same ids and seed, in a stable order."""

    def rank(row: dict) -> str:
        return hashlib.sha256(f"{random_seed}:{row.get(key, '')}".encode()).hexdigest()

    return sorted(rows, key=rank)[:k]


def by_reason(rows: Iterable[dict], k: int, random_seed: int, key: str = "item_id", reason: str = "reason") -> dict[str, list[dict]]:
    """Up to ``k`` sampled rows for every value of ``reason``."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[str(row.get(reason))].append(row)
    return {name: sample(groups[name], key, k, random_seed) for name in sorted(groups)}


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        value = "\n".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, indent=1)
    text = "" if value is None else str(value)
    if len(text) > CELL_CHARS:
        text = text[:CELL_CHARS] + f"\n… ({len(text) - CELL_CHARS} more characters)"
    return f"<td><pre>{html.escape(text)}</pre></td>"


def table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(r.get(c)) for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(
    title: str,
    note: str,
    kept: list[dict],
    kept_columns: list[str],
    dropped: dict[str, list[dict]],
    dropped_columns: list[str],
    counts: dict[str, int] | None = None,
) -> str:
    """One stage: its kept sample, then a sample of every drop reason (with how many were dropped)."""
    counts = counts or {}
    parts = [f"<h2>{html.escape(title)}</h2>", f"<p>{html.escape(note)}</p>", "<h3>kept</h3>", table(kept, kept_columns)]
    for reason in sorted(set(dropped) | set(counts)):
        n = counts.get(reason, len(dropped.get(reason, [])))
        parts.append(f"<h3>dropped: {html.escape(reason)} ({n:,})</h3>")
        if reason in dropped:
            parts.append(table(dropped[reason], dropped_columns))
        else:
            parts.append("<p><em>counted only: this step keeps no copy of what it drops</em></p>")
    return "\n".join(parts)


STYLE = """<style>
body { font-family: sans-serif; font-size: 13px; }
table { border-collapse: collapse; margin-bottom: 1em; }
td, th { border: 1px solid #ccc; padding: 4px; vertical-align: top; text-align: left; }
pre { white-space: pre-wrap; max-width: 60em; margin: 0; font-size: 12px; }
</style>"""


def _rejected(paths: list[str]) -> list[dict]:
    return [row for path in paths for row in io.read_jsonl(path)]


def seeds_section(*, judged: str, judgments: str, hits: str, funnel: str, k: int, random_seed: int) -> str:
    steps = io.read_json(funnel)["steps"]
    counts = {f"{s['stage']}: {reason}": n for s in steps for reason, n in s["dropped"].items()}
    judgment_rows = io.read_rows(judgments)
    no = [r for r in judgment_rows if not r["verdict"]]
    dropped = {}
    hit_rows = io.read_jsonl(hits)
    if hit_rows:
        dropped["seeds_decontaminate: contaminated"] = sample(hit_rows, "item_id", k, random_seed)
    judge_stage = next((s for s in steps if s["stage"] == "seeds_judge_gather"), {"dropped": {}})
    if "judged_no" in judge_stage["dropped"]:
        dropped["seeds_judge_gather: judged_no"] = sample(no, "seed_id", k, random_seed)
    columns = ["seed_id", "name", "path", "docstring", "code"]
    kept = sample(io.read_rows(judged, columns=columns), "seed_id", k, random_seed)
    note = (
        "Seed functions after every filter, dedup, decontamination and the judge. The rule filters, "
        "dedup and the corpus count what they drop; decontamination keeps its hits and the judge its answers."
    )
    parts = [section("Seeds", note, kept, columns, {}, [], {})]
    parts.append("<h3>dropped, by step and reason</h3>")
    parts.append(table([{"step: reason": name, "items": n} for name, n in sorted(counts.items())], ["step: reason", "items"]))
    for name, rows in dropped.items():
        parts.append(f"<h3>dropped: {html.escape(name)}</h3>")
        cols = (
            ["item_id", "benchmark", "task_id", "kind", "matched"]
            if "contaminated" in name
            else ["seed_id", "answers", "votes_yes", "votes_no"]
        )
        parts.append(table(rows, cols))
    if judgment_rows:
        parts.append("<h3>judge answers (sample)</h3>")
        parts.append(table(sample(judgment_rows, "seed_id", k, random_seed), ["seed_id", "verdict", "votes_yes", "votes_no", "answers"]))
    return "\n".join(parts)


def llm_section(
    title: str, note: str, *, kept_path: str, key: str, columns: list[str], rejected: list[str], stats: str, k: int, random_seed: int
) -> str:
    kept = sample(io.read_rows(kept_path, columns=columns), key, k, random_seed)
    dropped = by_reason(_rejected(rejected), k, random_seed)
    return section(title, note, kept, columns, dropped, ["item_id", "sample", "reason", "text"], io.read_json(stats)["dropped"])


def responses_section(*, responses: str, verdicts: str, rejected: list[str], stats: str, k: int, random_seed: int) -> str:
    """Parsed responses with their tests and sandbox verdicts (a few per verdict), and the responses
    that did not parse, by reason."""
    columns = ["response_id", "instruction", "implementation", "tests"]
    by_id = {r["response_id"]: r for r in io.read_rows(responses, columns=columns)}
    verdict_rows = [{**by_id.get(v["response_id"], {}), **v} for v in io.read_rows(verdicts)]
    per_status = by_reason(verdict_rows, k, random_seed, key="response_id", reason="status")
    note = "Every parsed response ran its own tests in the sandbox; a few of each verdict, then the responses that did not parse."
    parts = [f"<h2>Responses</h2><p>{html.escape(note)}</p>"]
    counted = any(v.get("asserts_total") is not None for v in verdict_rows)  # execution.per_assert
    shown = [*columns, "status", *(["asserts_passed", "asserts_total"] if counted else []), "detail", "stderr_tail"]
    for status, rows in per_status.items():
        count = sum(v["status"] == status for v in verdict_rows)
        parts.append(f"<h3>sandbox verdict: {html.escape(status)} ({count:,})</h3>")
        parts.append(table(rows, shown))
    counts = io.read_json(stats)["dropped"]
    for reason, rows in by_reason(_rejected(rejected), k, random_seed).items():
        parts.append(f"<h3>did not parse: {html.escape(reason)} ({counts.get(reason, len(rows)):,})</h3>")
        parts.append(table(rows, ["item_id", "sample", "reason", "text"]))
    return "\n".join(parts)


def sft_section(*, dataset: str, stats: str, k: int, random_seed: int) -> str:
    columns = ["example_id", "instruction", "response", "verdict", "category", "difficulty"]
    kept = sample(io.read_rows(dataset, columns=columns), "example_id", k, random_seed)
    note = "The SelfCodeAlign SFT set; selection keeps counts of what each of its filters dropped."
    return section("SFT set", note, kept, columns, {}, [], io.read_json(stats)["dropped"])


def codeocean_section(*, items: str, rejected: list[str], stats: str, k: int, random_seed: int) -> str:
    columns = ["item_id", "task", "language", "instruction", "information", "solution", "checklist", "reasons", "executes"]
    rows = io.read_rows(items)
    accepted = sample([r for r in rows if r["accepted"]], "item_id", k, random_seed)
    refused = sample([r for r in rows if not r["accepted"]], "item_id", k, random_seed)
    dropped = {"rejected_by_discriminator": refused, **by_reason(_rejected(rejected), k, random_seed)}
    counts = io.read_json(stats)["dropped"]
    note = "Generator items with the discriminator's checklist answers and reasons; the accepted ones form the CodeOcean set."
    return section("CodeOcean items", note, accepted, columns, dropped, columns + ["sample", "reason", "text"], counts)


def write(out: str, *, experiment: str, random_seed: int, per_group: int, inputs: dict) -> None:
    """The browser page of one experiment from the named inputs of its rule (absent stages skipped)."""
    k, seed = per_group, random_seed
    parts = [f"<h1>Data browser — experiment <code>{html.escape(experiment)}</code></h1>"]
    parts.append(
        seeds_section(
            judged=inputs["seeds"], judgments=inputs["judgments"], hits=inputs["hits"], funnel=inputs["funnel"], k=k, random_seed=seed
        )
    )
    llm_stages = (  # (input name, title, note, id column, columns shown)
        ("concepts", "Concepts (S→C)", "What the base model read off each seed.", "seed_id", ["seed_id", "concepts", "text"]),
        (
            "instructions",
            "Instructions",
            "Instructions the base model wrote.",
            "instruction_id",
            ["instruction_id", "category", "difficulty", "concepts", "instruction"],
        ),
    )
    for name, title, note, key, columns in llm_stages:
        if name in inputs:  # no concepts in S→I mode
            rejected, stats = inputs[f"{name}_rejected"], inputs[f"{name}_stats"]
            parts.append(
                llm_section(
                    title, note, kept_path=inputs[name], key=key, columns=columns, rejected=rejected, stats=stats, k=k, random_seed=seed
                )
            )
    parts.append(
        responses_section(
            responses=inputs["responses"],
            verdicts=inputs["verdicts"],
            rejected=inputs["responses_rejected"],
            stats=inputs["responses_stats"],
            k=k,
            random_seed=seed,
        )
    )
    parts.append(sft_section(dataset=inputs["sft"], stats=inputs["sft_stats"], k=k, random_seed=seed))
    if "codeocean" in inputs:
        parts.append(
            codeocean_section(
                items=inputs["codeocean"], rejected=inputs["codeocean_rejected"], stats=inputs["codeocean_stats"], k=k, random_seed=seed
            )
        )
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'>{STYLE}</head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
    with io.atomic_path(out) as tmp:
        tmp.write_text(page)
    log.info("data browser: %s (%d bytes)", out, len(page))
