"""The summary printed at the end of ``make run``: each experiment's funnel from seeds to the SFT set
for both recipes, the scores with their task counts and 95% intervals, and where to look next.

    python -m codealign.report.summary [--results results] [--report results/report.html]

It reads only what the run wrote: each experiment's ``config.json`` (the effective config, which
says which experiment's directory owns a shared stage) and the stats and score files.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from codealign import io
from codealign.workflow import owner


def _experiments(results: Path) -> dict[str, dict]:
    return {p.parent.name: io.read_json(p)["config"] for p in sorted(results.glob("*/config.json"))}


def _partial(cfg: dict, at) -> str:
    """With selection.mode partial: how many more pass some of their asserts alone."""
    path = at("execution_gather", "execution/execution.stats.json")
    if cfg["selection"]["mode"] != "partial" or not path.exists():
        return ""
    return f" (+{io.read_json(path).get('per_assert', {}).get('with_a_passing_assert', 0):,} passing some asserts alone)"


def _count(path: Path, key: str = "out") -> str:
    return f"{io.read_json(path)[key]:,}" if path.exists() else "—"


def _ci(value) -> str:
    return f"[{100 * value[0]:.1f}, {100 * value[1]:.1f}]" if value else ""


def lines(results: str | os.PathLike, report: str | os.PathLike) -> list[str]:
    """The summary, line by line."""
    results = Path(results)
    experiments = _experiments(results)
    if not experiments:
        return [f"no experiment results under {results}/ (each writes <experiment>/config.json)"]
    out: list[str] = []
    for name, cfg in experiments.items():

        def at(stage: str, rel: str, name: str = name) -> Path:
            return results / owner(experiments, name, stage) / rel

        funnel = at("seeds_funnel", "seeds/funnel.json")
        steps = {s["stage"]: s for s in io.read_json(funnel)["steps"]} if funnel.exists() else {}
        functions = steps.get("seeds_extract", {}).get("out")
        out.append(f"experiment {name}")
        out.append(
            "  SelfCodeAlign: "
            + " → ".join(
                [
                    f"{functions:,} functions" if functions is not None else "— functions",
                    f"{_count(at('seeds_judge_gather', 'seeds/judged.stats.json'))} seeds",
                    f"{_count(at('instruct_instructions_gather', 'instruct/instructions.stats.json'))} instructions",
                    f"{_count(at('responses_gather', 'responses/responses.stats.json'), 'in')} responses",
                    f"{_count(at('execution_gather', 'execution/execution.stats.json'))} passing" + _partial(cfg, at),
                    f"{_count(at('selection', 'sft/stats.json'))} SFT examples",
                ]
            )
        )
        if cfg["codeocean"]["build"]:
            out.append(
                "  CodeOcean:     "
                + " → ".join(
                    [
                        f"{_count(at('codeocean_raw', 'codeocean/raw.stats.json'))} functions",
                        f"{_count(at('codeocean_coreset', 'codeocean/coreset.stats.json'))} in the coreset",
                        f"{_count(at('codeocean_gather', 'codeocean/items.stats.json'), 'generated')} items parsed",
                        f"{_count(at('codeocean_gather', 'codeocean/items.stats.json'))} accepted",
                        f"{_count(at('codeocean_sft', 'codeocean/sft/stats.json'))} SFT examples",
                    ]
                )
            )
        scores = at("eval_report", "eval/scores.json")
        for s in io.read_json(scores)["scores"] if scores.exists() else []:
            plus = "" if s.get("pass@1_plus") is None else f", plus {100 * s['pass@1_plus']:.1f}% {_ci(s.get('pass@1_plus_ci'))}"
            base = "—" if s.get("pass@1") is None else f"{100 * s['pass@1']:.1f}% {_ci(s.get('pass@1_ci'))}"
            out.append(
                f"  {s['benchmark']:<14} {s['model']:<6} pass@1 {base}{plus} on {s['tasks']} tasks"
                + (f" ({s['note']})" if s.get("note") else "")
            )
        sets = [at("selection", "sft/dataset.parquet")] + (
            [at("codeocean_sft", "codeocean/sft/dataset.parquet")] if cfg["codeocean"]["build"] else []
        )
        out.append("  SFT sets:      " + ", ".join(str(p) for p in sets if p.exists()))
    out.append(f"report:          {report}" + ("" if Path(report).exists() else " (not built)"))
    out.append("data browser:    in the report, or results/<experiment>/report/browser.html")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default="results")
    p.add_argument("--report", default="results/report.html")
    args = p.parse_args(argv)
    print("\n".join(lines(args.results, args.report)), flush=True)


if __name__ == "__main__":
    main()
