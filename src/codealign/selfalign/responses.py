"""I→R: the model answers each instruction with reasoning, an implementation, an explanation and
tests — n samples per instruction (default 10, temperature 0.7, 1-shot from the bank).

Each sample is split into the code of its Implementation and Tests sections; the program the
sandbox runs is the implementation followed by the tests. A sample is rejected, per reason, when
it is ``truncated`` (hit max_new_tokens), ``empty``, has ``no_code`` or ``no_tests`` (no tests
section, or no assert in it), its program does not parse (``syntax_error``) or is nested too deep
for the parser (``too_deep``: RecursionError or MemoryError), or it repeats the few-shot
example's implementation (``echoed_fewshot``).
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass

from codealign import cli
from codealign.generation import llmstage
from codealign.generation.backend import Completion, Request, Sampling
from codealign.generation.prompts import SECTION_HEADER, response_prompt
from codealign.records import Response, content_id, to_row

log = logging.getLogger("codealign.selfalign.responses")
# The bank shipped with the package that this stage prompts with by default: part of its code version.
PACKAGE_DATA = ("data/fewshot.yaml",)

RESPONSE_START = "## Reasoning\n"  # the prompt ends with it; the model continues from there
_BLOCK = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)```", re.S)


@dataclass(frozen=True)
class Parsed:
    response: str
    implementation: str
    tests: str
    n_asserts: int


def split(text: str) -> Parsed | str:
    """The parsed response, or the reason it cannot be used."""
    full = RESPONSE_START + text
    if not text.strip():
        return "empty"
    headers = {m.group(1).lower(): m for m in SECTION_HEADER.finditer(full)}
    blocks = list(_BLOCK.finditer(full))
    if not blocks:
        return "no_code"

    def first_block_after(name):
        header = headers.get(name)
        if header is None:
            return None
        return next((b for b in blocks if b.start() > header.end()), None)

    impl = first_block_after("implementation") or blocks[0]
    tests = first_block_after("tests")
    if tests is None or tests is impl:
        tests = next((b for b in blocks if b.start() > impl.end() and "assert" in b.group(1)), None)
    if tests is None:
        return "no_tests"
    try:
        tree = ast.parse(tests.group(1))
    except (SyntaxError, ValueError):
        return "syntax_error"
    except (RecursionError, MemoryError):  # deeply nested generated code: the parser gives up
        return "too_deep"
    n_asserts = sum(isinstance(node, ast.Assert) for node in ast.walk(tree))
    if n_asserts == 0:
        return "no_tests"
    program = impl.group(1) + "\n\n" + tests.group(1)
    try:
        compile(program, "program.py", "exec")
    except (SyntaxError, ValueError):
        return "syntax_error"
    except (RecursionError, MemoryError):
        return "too_deep"
    return Parsed(full[: tests.end()].rstrip() + "\n", impl.group(1).rstrip() + "\n", tests.group(1).rstrip() + "\n", n_asserts)


def reason_for(c: Completion, examples) -> str | Parsed:
    if c.finish_reason == "length":
        return "truncated"
    parsed = split(c.text)
    if isinstance(parsed, str):
        return parsed
    if " ".join(parsed.implementation.split()) in {" ".join(e.implementation.split()) for e in examples}:
        return "echoed_fewshot"
    return parsed


class ResponsesStage(llmstage.Stage, name="responses", record=Response, item_id="instruction_id", units=("samples", "samples"), bank=True):
    """I→R for one shard of the instructions: n samples each, parsed or rejected by reason."""

    def samples_per_item(self, section: dict) -> int:
        return section["n"]

    def build(self, job: llmstage.Job, item: dict, index: int) -> list[Request]:
        cfg = job.cfg
        sampling = Sampling(
            temperature=cfg["temperature"],
            top_p=cfg["top_p"],
            max_new_tokens=cfg["max_new_tokens"],
            stop=("\n### ",),
            n=cfg["n"],
            seed=job.random_seed + index,
        )
        return [Request(response_prompt(item["instruction"], job.examples(index)), sampling)]

    def parse(self, job: llmstage.Job, item: dict, results) -> tuple[list[dict], list]:
        shots = job.examples(job.index_of[item["instruction_id"]])
        records, rejects = [], []
        for sample, c in enumerate(results[0]):
            parsed = reason_for(c, shots)
            if isinstance(parsed, str):
                rejects.append((sample, parsed, c.text))
                continue
            response = Response(
                response_id=content_id(item["instruction_id"], str(sample)),
                instruction_id=item["instruction_id"],
                seed_id=item["seed_id"],
                sample=sample,
                instruction=item["instruction"],
                response=parsed.response,
                implementation=parsed.implementation,
                tests=parsed.tests,
                n_asserts=parsed.n_asserts,
                completion_tokens=c.completion_tokens,
                model=job.spec.model_fingerprint,
            )
            records.append(to_row(response))
        return records, rejects


STAGE = ResponsesStage()
run_shard = llmstage.shard_function(STAGE)
SHARD = llmstage.shard_entry(STAGE, items="instructions", out="responses", section="responses")
GATHER = llmstage.gather_entry(STAGE, out="responses")
ENTRIES = {"shard": SHARD, "gather": GATHER}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.selfalign.responses")
