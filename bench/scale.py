"""Scale benchmark: how each CPU stage's time and memory grow, projected to the paper's per-job sizes.

Inputs are synthetic but shaped like real ones: real functions and files of this interpreter's
standard library, renamed and perturbed so that every copy is distinct (and near-duplicates stay
rare, as after The Stack's own dedup), plus responses and verdicts shaped like the default run's.
Each stage runs one job's worth of work at three sizes, each 4x the last, in a fresh process
(its peak RSS is the process's own). Printed per stage: seconds and peak RSS at each size, the
growth exponent of time and of memory above the idle interpreter (log-log slope over the two
largest sizes), and the projection to the paper config's per-job size beside the mem_mb and
runtime its rule declares (tests/test_resources.py checks those fit the SLURM profile).

A projection scales the largest size's figure by (paper size / largest size) to the measured
exponent — for time never less than 1 (linear). For memory it takes the larger of that scaling of
the memory above the idle process (a stage whose own memory stays under 30 MB counts as bounded)
and the marginal growth between the two largest sizes carried on linearly.
Target: every projected job within its rule's declaration (and so within 16 GB and 4 h), and no
stage growing faster than n log n (exponent <= 1.15 over a 4x step).

    python bench/scale.py [--scale 1.0] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

# Paper per-job sizes (config/paper.yaml: 64 seed shards, 256 response shards). The Stack v1 dedup
# Python: ~12M files -> 5.36M docstring functions; 19% of them survive the filters (the default
# run's rate) and 22% reach Pyright; 90% of the filtered survive dedup; 2.4M responses, 500k pass.
SEED_SHARDS, RESPONSE_SHARDS = 64, 256
PAPER = {
    "corpus read": ("seeds_extract", 12_000_000 / SEED_SHARDS, "files"),
    "extract": ("seeds_extract", 12_000_000 / SEED_SHARDS, "files"),
    "filter: rules + autoimport": ("seeds_filter", 5_360_000 / SEED_SHARDS, "functions"),
    "filter: pyright": ("seeds_filter", 0.22 * 5_360_000 / SEED_SHARDS, "functions"),
    "signatures": ("seeds_signatures", 0.19 * 5_360_000 / SEED_SHARDS, "functions"),
    "dedup gather": ("seeds_dedup", 0.19 * 5_360_000, "functions"),
    "decontaminate": ("seeds_decontaminate", 0.9 * 0.19 * 5_360_000, "functions"),
    "execution gather": ("execution_gather", 2_400_000, "verdicts"),
    "selection candidates": ("selection_candidates", 2_400_000 / RESPONSE_SHARDS, "responses"),
    "selection gather": ("selection", 500_000, "candidates"),
}
SIZES = {  # the smallest size of each stage; the others are 4x and 16x
    "corpus read": 1000,
    "extract": 300,
    "filter: rules + autoimport": 300,
    "filter: pyright": 120,
    "signatures": 1000,
    "dedup gather": 4000,
    "decontaminate": 2000,
    "execution gather": 50_000,
    "selection candidates": 250,
    "selection gather": 4000,
}


# ---------------------------------------------------------------- synthetic inputs (parent process)


def stdlib_texts() -> list[str]:
    from codealign.seeds import corpus

    texts = []
    for unit in corpus.manifest({"sources": [{"kind": "python"}], "max_file_bytes": 200_000}):
        try:
            texts.append(corpus.decode_source(Path(unit.path).read_bytes()))
        except Exception:
            continue
    return texts


def perturb(text: str, i: int) -> str:
    """A distinct copy: every top-level function renamed, and a marker comment."""
    return re.sub(r"^def (\w+)\(", lambda m: f"def {m.group(1)}_{i}(", text, flags=re.M) + f"\n# copy {i}\n"


def stdlib_seeds() -> list[dict]:
    from codealign.records import Document
    from codealign.seeds import extract

    seeds = []
    for k, text in enumerate(stdlib_texts()):
        found, _, _ = extract.extract(Document(str(k), "python:stdlib", "", f"{k}.py", "", text))
        seeds += [s.__dict__ for s in found]
    return seeds


def distinct_seed(seed: dict, i: int, rng: random.Random) -> dict:
    """A renamed copy of a real seed: new function name, new argument names, a new constant."""
    code = seed["code"].replace(f"def {seed['name']}(", f"def {seed['name']}_{i}(")
    code = code.rstrip("\n") + f"\n\n\n_MARK_{i} = {rng.randrange(10**9)}\n"
    return {**seed, "seed_id": f"{seed['seed_id']}-{i}", "name": f"{seed['name']}_{i}", "code": code}


def write_inputs(root: Path, largest: dict[str, int]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from codealign import io
    from codealign.algorithms import dedup
    from codealign.records import Execution, Instruction, Response, Seed, schema
    from codealign.seeds.dedup import SIGNATURE_SCHEMA

    rng = random.Random(0)
    texts = stdlib_texts()
    n_docs = max(largest["corpus read"], largest["extract"])
    rows = [
        {
            "content": perturb(texts[i % len(texts)], i),
            "max_stars_repo_name": f"octo/r{i % 997}",
            "max_stars_repo_path": f"m{i}.py",
            "max_stars_repo_licenses": ["MIT"],
            "max_stars_count": i,
            "hexsha": f"{i:040x}",
        }
        for i in range(n_docs)
    ]
    pq.write_table(pa.Table.from_pylist(rows), root / "stack.parquet", row_group_size=2048)  # The Stack ships 2k-10k-row groups

    seeds = [s for s in stdlib_seeds() if s["returns_value"] and s["n_args"] >= 1]
    n_seeds = max(largest[k] for k in ("filter: rules + autoimport", "filter: pyright", "signatures", "dedup gather", "decontaminate"))
    many = [distinct_seed(seeds[i % len(seeds)], i, rng) for i in range(n_seeds)]
    io.write_rows(root / "seeds.parquet", many, schema(Seed))

    # Signature shards for the dedup gather: 8 shards, as the gather reads them.
    n = largest["dedup gather"]
    for k in range(8):
        part = many[n * k // 8 : n * (k + 1) // 8]
        io.write_rows(root / f"filtered-{k}.parquet", part, schema(Seed))
        io.write_rows(
            root / f"signatures-{k}.parquet",
            [{"seed_id": s["seed_id"], "exact": dedup.exact_key(s["code"]), "signature": dedup.signature(s["code"])} for s in part],
            SIGNATURE_SCHEMA,
        )

    # Responses shaped like the default run's, 2 samples per instruction. When the selection gather
    # is measured every verdict is a pass (its input is the passing pool), else 1 in 5.
    n_resp = max(largest["selection candidates"], largest["selection gather"], 1)
    instructions, responses, verdicts = [], [], []
    for i in range(n_resp):
        seed = many[i % len(many)]
        if i % 2 == 0:
            instructions.append(
                Instruction(
                    f"i{i // 2}",
                    seed["seed_id"],
                    f"Write `{seed['name']}`: {seed['docstring'][:300]} (variant {i})",
                    ["c"],
                    "function implementation",
                    "medium",
                    "concepts",
                    [],
                    "m",
                ).__dict__
            )
        impl = seed["code"].replace(seed["name"], f"{seed['name']}_s{i % 2}")
        tests = f"assert {seed['name']}_s{i % 2} is not None\n"
        body = (
            f"## Reasoning\nBecause {i}.\n\n## Implementation\n```python\n{impl}```\n\n"
            f"## Explanation\nIt works ({i}).\n\n## Tests\n```python\n{tests}```\n"
        )
        responses.append(Response(f"r{i}", f"i{i // 2}", seed["seed_id"], i % 2, "x", body, impl, tests, 100, 400, "m").__dict__)
        verdicts.append(
            Execution(
                f"r{i}",
                f"i{i // 2}",
                "pass" if i % 5 == 0 or largest["selection gather"] else "fail",
                "",
                0,
                0.05,
                "Traceback (most recent call last):\n  ...\nAssertionError\n" * 8,
            ).__dict__
        )
    io.write_rows(root / "instructions.parquet", instructions, schema(Instruction))
    io.write_rows(root / "responses.parquet", responses, schema(Response))
    io.write_rows(root / "verdicts.parquet", verdicts, schema(Execution))


# ---------------------------------------------------------------- one stage at one size (child process)


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (pool workers, Pyright's node), MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


class PeakMemory:
    """Samples the process tree's resident memory every 20 ms (ru_maxrss survives exec, so it
    would report the parent's; VmRSS of the tree counts what this stage really holds)."""

    def __enter__(self):
        import threading

        self.idle = self.peak = _tree_rss_mb(os.getpid())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss_mb(os.getpid()))


def _config():
    from codealign import config as cfglib

    return cfglib.validate({})


def run_stage(stage: str, n: int, root: Path, threads: int) -> dict:
    import pyarrow  # noqa: F401  (imported before the idle measurement: its memory is not the stage's)

    from codealign.seeds import corpus, decontaminate, dedup, extract, filter  # noqa: F401
    from codealign.selfalign import execution, selection  # noqa: F401

    cfg = _config()
    out = Path(tempfile.mkdtemp(dir=root))
    with PeakMemory() as memory:
        count, seconds = _stage(stage, n, root, out, cfg, threads)
    return {"seconds": seconds, "peak_mb": memory.peak, "idle_mb": memory.idle, "items_out": count}


def _stage(stage, n, root, out, cfg, threads):
    """Run one stage; return its output count and the seconds of its work (setup excluded)."""
    import pyarrow as pa

    from codealign import io
    from codealign.stats import Stats

    start = time.perf_counter()
    if stage in ("corpus read", "extract"):
        from codealign.seeds import corpus, extract

        corpus_cfg = {"sources": [{"kind": "hf", "data_files": [str(root / "stack.parquet")], "max_documents": n}], "max_file_bytes": 10**6}
        units = corpus.manifest(corpus_cfg)
        if stage == "corpus read":
            count = sum(1 for _ in corpus.read_units(units, corpus_cfg, Stats("c", unit_in="files")))
        else:
            rows, _, _ = extract.extract_part(units, corpus_cfg, threads)
            count = len(rows)
    elif stage == "filter: rules + autoimport":
        from codealign.seeds import filter as F

        seeds = root / f"seeds-{n}.parquet"
        io.write_table(seeds, io.read_table(root / "seeds.parquet").slice(0, n))
        start = time.perf_counter()
        filters = {**cfg["seeds"]["filters"], "typecheck": {**cfg["seeds"]["filters"]["typecheck"], "enabled": False}}
        count = F.run(seeds=str(seeds), out=str(out / "f.parquet"), stats_path=str(out / "f.json"), cfg=filters, threads=threads).n_out
    elif stage == "filter: pyright":
        from codealign.seeds import filter as F

        rows = io.read_table(root / "seeds.parquet", columns=["seed_id", "code"]).slice(0, n).to_pylist()
        count = len(F.typecheck_all(rows, cfg["seeds"]["filters"]["typecheck"], threads))
    elif stage == "signatures":
        from codealign.seeds import dedup

        seeds = root / f"sig-seeds-{n}.parquet"
        io.write_table(seeds, io.read_table(root / "seeds.parquet").slice(0, n))
        start = time.perf_counter()
        count = dedup.run_signatures(seeds=str(seeds), out=str(out / "s.parquet"), cfg=cfg["seeds"]["dedup"])
    elif stage == "dedup gather":
        from codealign.seeds import dedup

        total = sum(io.count_rows(root / f"signatures-{k}.parquet") for k in range(8))
        shards, sigs, stats_files = [], [], []
        for k in range(8):  # the first n functions of the 8 shards, the shards kept in order
            take = n * (k + 1) // 8 - n * k // 8
            for name, lst in (("filtered", shards), ("signatures", sigs)):
                path = out / f"{name}-{k}.parquet"
                io.write_table(path, io.read_table(root / f"{name}-{k}.parquet").slice(0, take))
                lst.append(str(path))
            s = Stats("seeds_filter", unit_in="functions", n_in=take, n_out=take)
            s.save(out / f"filtered-{k}.stats.json")
            stats_files.append(str(out / f"filtered-{k}.stats.json"))
        assert total >= n
        start = time.perf_counter()
        count = dedup.run_gather(
            shards=shards,
            signatures=sigs,
            shard_stats=stats_files,
            out=str(out / "d.parquet"),
            stats_path=str(out / "d.json"),
            cfg=cfg["seeds"]["dedup"],
        ).n_out
    elif stage == "decontaminate":
        from codealign.seeds import decontaminate

        seeds = root / f"dc-seeds-{n}.parquet"
        io.write_table(seeds, io.read_table(root / "seeds.parquet").slice(0, n))
        bench = {k: v for k, v in cfg["benchmarks"].items() if v and v.startswith("package:")}
        dc = {**cfg["seeds"]["decontamination"], "benchmarks": sorted(bench)}
        start = time.perf_counter()
        count = decontaminate.run(
            seeds=str(seeds),
            out=str(out / "c.parquet"),
            hits_path=str(out / "h.jsonl"),
            stats_path=str(out / "c.json"),
            cfg=dc,
            benchmark_paths=bench,
        ).n_out
    elif stage == "execution gather":
        from codealign.selfalign import execution

        base = io.read_table(root / "verdicts.parquet")
        shards, stats_files = [], []
        for k in range(4):
            rows = n // 4
            table = pa.concat_tables([base] * math.ceil(rows / base.num_rows)).slice(0, rows)
            path = out / f"v-{k}.parquet"
            io.write_table(path, table)
            s = Stats("execution", unit_in="responses", n_in=rows, n_out=rows)
            s.extra.update(verdicts={"pass": rows}, executed=rows, execution_seconds=1.0, sandbox={"isolation": "nsjail"})
            s.save(out / f"v-{k}.stats.json")
            shards.append(str(path))
            stats_files.append(str(out / f"v-{k}.stats.json"))
        start = time.perf_counter()
        count = execution.run_gather(
            shards=shards, shard_stats=stats_files, out=str(out / "e.parquet"), stats_path=str(out / "e.json")
        ).n_in
    elif stage == "selection candidates":
        from codealign.selfalign import selection

        for name in ("responses", "verdicts"):
            io.write_table(out / f"{name}.parquet", io.read_table(root / f"{name}.parquet").slice(0, n))
        start = time.perf_counter()
        count = selection.run_candidates(
            instructions_path=str(root / "instructions.parquet"),
            responses_path=str(out / "responses.parquet"),
            executions_path=str(out / "verdicts.parquet"),
            out=str(out / "c.parquet"),
            stats_path=str(out / "c.json"),
            cfg=cfg["selection"],
            random_seed=1,
        ).n_out
    elif stage == "selection gather":
        from codealign.selfalign import selection

        cands = root / "candidates.parquet"
        k = 8
        paths, stats_files = [], []
        table = io.read_table(cands).slice(0, n)
        for j in range(k):
            part = table.slice(n * j // k, n * (j + 1) // k - n * j // k)
            path = out / f"c-{j}.parquet"
            io.write_table(path, part)
            s = Stats("selection_candidates", unit_in="responses", n_in=part.num_rows, n_out=part.num_rows)
            s.extra["verdicts"] = {"pass": part.num_rows}
            s.save(out / f"c-{j}.stats.json")
            paths.append(str(path))
            stats_files.append(str(out / f"c-{j}.stats.json"))
        start = time.perf_counter()
        count = selection.run_gather(
            instructions_path=str(root / "instructions.parquet"),
            candidates=paths,
            candidate_stats=stats_files,
            out=str(out / "sft.parquet"),
            jsonl=str(out / "sft.jsonl"),
            card=str(out / "README.md"),
            stats_path=str(out / "sft.json"),
            cfg=cfg["selection"],
            decontamination={**cfg["seeds"]["decontamination"], "benchmarks": ["humaneval"]},
            benchmark_paths={"humaneval": cfg["benchmarks"]["humaneval"]},
            provenance={},
        ).n_out
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    return count, time.perf_counter() - start


def prepare_candidates(root: Path, n: int) -> None:
    """The selection gather's input: the candidates of n responses, made once by the real step."""
    from codealign.selfalign import selection

    cfg = _config()
    selection.run_candidates(
        instructions_path=str(root / "instructions.parquet"),
        responses_path=str(root / "responses.parquet"),
        executions_path=str(root / "verdicts.parquet"),
        out=str(root / "candidates.parquet"),
        stats_path=str(root / "candidates.stats.json"),
        cfg=cfg["selection"],
        random_seed=1,
    )


# ---------------------------------------------------------------- orchestration


def declared() -> dict[str, tuple[int, int]]:
    """rule -> (mem_mb, runtime minutes) on the first attempt, read from rules/*.smk."""
    out = {}
    for path in (REPO / "rules").glob("*.smk"):
        for block in re.split(r"(?m)^(?=rule \w+:)", path.read_text()):
            m = re.match(r"rule (\w+):", block)
            mem, rt = re.search(r"mem_mb=grow\((\d+)\)", block), re.search(r"runtime=grow\((\d+)\)", block)
            if m and mem and rt:
                out[m.group(1)] = (int(mem.group(1)), int(rt.group(1)))
    return out


NOISE_MB = 30


def slope(x1, y1, x2, y2) -> float:
    return math.log(max(y2, 1e-9) / max(y1, 1e-9)) / math.log(x2 / x1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="multiply every size (0.25 for a quick look)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--stages", nargs="*", default=list(PAPER))
    p.add_argument("--child", nargs=3, metavar=("STAGE", "N", "ROOT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        stage, n, root = args.child
        print(json.dumps(run_stage(stage, int(n), Path(root), args.threads)))
        return

    began = time.perf_counter()
    sizes = {s: [max(1, int(SIZES[s] * args.scale)) * 4**k for k in range(3)] for s in args.stages}
    largest = {s: (sizes[s][-1] if s in sizes else 0) for s in PAPER}
    with tempfile.TemporaryDirectory(prefix="codealign-scale-") as tmp:
        root = Path(tmp)
        write_inputs(root, largest)
        if "selection gather" in sizes:
            prepare_candidates(root, largest["selection gather"])
        print(f"inputs ready in {time.perf_counter() - began:.0f}s (threads {args.threads}, Python {sys.version.split()[0]})\n")
        limits = declared()
        header = (
            f"{'stage':<28}{'size':>22}{'seconds':>24}{'peak MB':>22}{'exp t':>7}{'exp m':>7}  "
            f"{'paper size':>11}{'proj. min':>10}{'proj. MB':>9}  {'declared':>14}  fits"
        )
        print(header)
        print("-" * len(header))
        all_fit = True
        by_rule: dict[str, list[tuple[float, float]]] = {}
        for stage in args.stages:
            runs = []
            for n in sizes[stage]:
                proc = subprocess.run(
                    [sys.executable, __file__, "--threads", str(args.threads), "--child", stage, str(n), str(root)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                )
                if proc.returncode:
                    raise SystemExit(f"{stage} at {n}: {proc.stderr[-3000:]}")
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            (n1, n2), (r1, r2) = sizes[stage][1:], runs[1:]
            k_t = slope(n1, r1["seconds"], n2, r2["seconds"])
            above = [max(r["peak_mb"] - r["idle_mb"], 1.0) for r in runs]
            # Below NOISE_MB the stage's own memory is not measurable (a streaming stage): bounded.
            k_m = max(0.0, slope(n1, above[1], n2, above[2])) if above[2] >= NOISE_MB else 0.0
            rule, paper_n, unit = PAPER[stage]
            factor = paper_n / n2
            proj_s = r2["seconds"] * factor ** max(k_t, 1.0)
            # The larger of: the memory above idle scaled by the measured exponent, and the
            # marginal growth between the two largest sizes carried on linearly (what an index
            # holding every item does, whatever constant dominates at small sizes).
            marginal = max(0.0, (r2["peak_mb"] - r1["peak_mb"]) / (n2 - n1))
            proj_mb = max(r2["idle_mb"] + above[2] * factor**k_m, r2["peak_mb"] + marginal * (paper_n - n2))
            mem, rt = limits[rule]
            fits = proj_mb <= mem and proj_s / 60 <= rt and k_t <= 1.15 and k_m <= 1.15
            all_fit &= fits
            by_rule.setdefault(rule, []).append((proj_s, proj_mb))
            ns = "/".join(str(n) for n in sizes[stage])
            secs = "/".join(f"{r['seconds']:.1f}" for r in runs)
            mbs = "/".join(f"{r['peak_mb']:.0f}" for r in runs)
            limit = f"{mem}/{rt}"
            print(
                f"{stage:<28}{ns:>22}{secs:>24}{mbs:>22}{k_t:>7.2f}{k_m:>7.2f}  {paper_n:>11,.0f}{proj_s / 60:>10.1f}{proj_mb:>9,.0f}"
                f"  {limit:>14}  {'yes' if fits else 'NO'}"
            )
        print()
        for rule, parts in by_rule.items():  # a rule whose job runs several measured steps: their sum must fit
            if len(parts) > 1:
                minutes, mb = sum(p[0] for p in parts) / 60, max(p[1] for p in parts)
                ok = mb <= limits[rule][0] and minutes <= limits[rule][1]
                all_fit &= ok
                print(
                    f"{rule}: the job's steps together: {minutes:.1f} min, {mb:,.0f} MB peak; declared {limits[rule][0]} MB / "
                    f"{limits[rule][1]} min: {'fits' if ok else 'DOES NOT FIT'}"
                )
        print(
            "\nunits: corpus read/extract in files, filter/signatures/dedup/decontaminate in functions, gathers in rows; "
            "declared = mem_mb/runtime min on the first attempt"
        )
        print(f"ALL PROJECTED JOBS FIT: {'yes' if all_fit else 'NO'}  ({time.perf_counter() - began:.0f}s in all)")


if __name__ == "__main__":
    main()
