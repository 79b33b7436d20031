"""Few-shot prompts for base models in completion mode, rendered from the few-shot banks.

Every task is a sequence of ``### Header`` blocks; a prompt is a one-line preamble, k filled
examples, and the target with its last block left open for the model to complete. The model
stops at the next ``###`` header (the start of what would be another example).

Few-shot selection (``fewshot.selection``): ``random`` draws a fresh sample of k examples per
item (the paper); ``grouped`` uses ``fewshot.groups`` fixed samples and lets a stage submit the
items of one group together, so an engine with prefix caching reuses the shared prefix.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

CATEGORIES = ("function implementation", "class implementation", "program implementation")
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Example:
    """One entry of the Self-OSS-Instruct few-shot bank."""

    id: str
    category: str
    difficulty: str
    snippet: str
    concepts: str
    instruction: str
    reasoning: str
    implementation: str
    explanation: str
    tests: str

    @property
    def response(self) -> str:
        return render_response(self.reasoning, self.implementation, self.explanation, self.tests)


@dataclass(frozen=True)
class JudgeExample:
    id: str
    answer: str
    docstring: str
    code: str


@cache
def load_bank(path: str | None = None) -> tuple[Example, ...]:
    text = Path(path).read_text() if path else resources.files("codealign.data").joinpath("fewshot.yaml").read_text()
    entries = yaml.safe_load(text)
    bank = tuple(
        Example(
            **{k: (str(v).strip() if k in ("id", "category", "difficulty", "concepts") else str(v).rstrip() + "\n") for k, v in e.items()}
        )
        for e in entries
    )
    return bank


@cache
def load_judge_bank(path: str | None = None) -> tuple[JudgeExample, ...]:
    text = Path(path).read_text() if path else resources.files("codealign.data").joinpath("judge_fewshot.yaml").read_text()
    return tuple(
        JudgeExample(
            id=e["id"], answer=str(e["answer"]).strip(), docstring=str(e["docstring"]).strip(), code=str(e["code"]).rstrip() + "\n"
        )
        for e in yaml.safe_load(text)
    )


def render_response(reasoning: str, implementation: str, explanation: str, tests: str) -> str:
    return (
        f"## Reasoning\n{reasoning.strip()}\n\n"
        f"## Implementation\n```python\n{implementation.strip()}\n```\n\n"
        f"## Explanation\n{explanation.strip()}\n\n"
        f"## Tests\n```python\n{tests.strip()}\n```\n"
    )


SECTION_HEADER = re.compile(r"^##\s*(Reasoning|Implementation|Explanation|Tests)\s*$", re.M | re.I)


def without_tests(response: str) -> str:
    """A response up to its ``## Tests`` section: reasoning, implementation and explanation (what
    the paper trains on; it splits at ``</response>\\n\\n<tests>``)."""
    tests = [m for m in SECTION_HEADER.finditer(response) if m.group(1).lower() == "tests"]
    return response[: tests[-1].start()].rstrip() + "\n" if tests else response


def choose(bank, k: int, index: int, random_seed: int, selection: str = "random", groups: int = 1) -> tuple[list, int]:
    """The k examples for item ``index`` and its group (its own index when selection is random)."""
    k = min(k, len(bank))
    if selection == "grouped":
        group = index % max(1, groups)
        rng = random.Random(f"{random_seed}/fewshot-group/{group}")
    else:
        group = index
        rng = random.Random(f"{random_seed}/fewshot/{index}")
    return rng.sample(list(bank), k), group


def _code(text: str) -> str:
    return f"```python\n{text.rstrip()}\n```\n"


# --- S→C: snippet → concepts -------------------------------------------------------------

CONCEPTS_PREAMBLE = "Each snippet below is followed by the programming concepts it uses, as a comma-separated list.\n\n"


def concepts_prompt(snippet: str, examples: list[Example]) -> str:
    shots = "".join(f"### Snippet\n{_code(e.snippet)}### Concepts\n{e.concepts}\n\n" for e in examples)
    return f"{CONCEPTS_PREAMBLE}{shots}### Snippet\n{_code(snippet)}### Concepts\n"


# --- C→I: concepts + category + difficulty → instruction ---------------------------------

INSTRUCTION_PREAMBLE = "Each task below is a self-contained coding instruction that exercises the listed concepts.\n\n"


def _task(source: str, category: str, difficulty: str, instruction: str = "") -> str:
    """One instruction block: what it is written from (concepts or a snippet), category, difficulty."""
    return f"{source}### Category\n{category}\n### Difficulty\n{difficulty}\n### Instruction\n{instruction}"


def _instruction_prompt(preamble: str, source: str, category: str, difficulty: str, examples: list[Example], source_of) -> str:
    shots = "".join(_task(source_of(e), e.category, e.difficulty, f"{e.instruction.strip()}\n\n") for e in examples)
    return f"{preamble}{shots}{_task(source, category, difficulty)}"


def instruction_prompt(concepts: str, category: str, difficulty: str, examples: list[Example]) -> str:
    source = f"### Concepts\n{concepts}\n"
    return _instruction_prompt(INSTRUCTION_PREAMBLE, source, category, difficulty, examples, lambda e: f"### Concepts\n{e.concepts}\n")


# --- S→I: snippet → instruction directly (the paper's ablation) ---------------------------

SEED_INSTRUCTION_PREAMBLE = "Each task below is a self-contained coding instruction inspired by the snippet above it.\n\n"


def seed_instruction_prompt(snippet: str, category: str, difficulty: str, examples: list[Example]) -> str:
    source = f"### Snippet\n{_code(snippet)}"
    return _instruction_prompt(
        SEED_INSTRUCTION_PREAMBLE, source, category, difficulty, examples, lambda e: f"### Snippet\n{_code(e.snippet)}"
    )


# --- I→R: instruction → response with tests ----------------------------------------------

RESPONSE_PREAMBLE = (
    "Each instruction below is answered with reasoning, a Python implementation, a short explanation, "
    "and tests that check the implementation with assert statements.\n\n"
)


def response_prompt(instruction: str, examples: list[Example]) -> str:
    shots = "".join(f"### Instruction\n{e.instruction.strip()}\n\n### Response\n{e.response}\n" for e in examples)
    return f"{RESPONSE_PREAMBLE}{shots}### Instruction\n{instruction.strip()}\n\n### Response\n## Reasoning\n"


# --- the instruction template of the tuned model (training and evaluation) -----------------


def instruction_prompt_of(instruction: str, template: dict) -> str:
    """``train.template`` around an instruction: system line, instruction header, the instruction,
    a blank line, the response header. BOS is the tokenizer's business (``train.bos_prefix``)."""
    return f"{template.get('system', '')}{template['instruction']}{instruction.strip()}\n\n{template['response']}"


# --- the docstring judge --------------------------------------------------------------------

JUDGE_PREAMBLE = (
    "For each function below, the question is whether its docstring alone gives enough information to "
    "re-implement the function, and whether it matches what the function does.\n\n"
)
JUDGE_QUESTION = "Is the docstring enough to re-implement the function, and does it match it? Answer Yes or No."


def judge_prompt(code: str, docstring: str, examples: list[JudgeExample]) -> str:
    shots = "".join(
        f"### Function\n{_code(e.code)}### Docstring\n{e.docstring}\n### Question\n{JUDGE_QUESTION}\n### Answer\n{e.answer}\n\n"
        for e in examples
    )
    return (
        f"{JUDGE_PREAMBLE}{shots}### Function\n{_code(code)}### Docstring\n{docstring.strip()}\n"
        f"### Question\n{JUDGE_QUESTION}\n### Answer\n"
    )
