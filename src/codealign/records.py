"""Typed records exchanged between stages, with their columns documented once.

Each record is a frozen dataclass; :func:`schema` derives the Arrow schema from its type hints,
so a shard's columns are exactly the fields documented here. ``docs(cls)`` returns the column
documentation (used by dataset cards and the report).
"""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyarrow as pa


def col(doc: str, **kw) -> Any:
    """A dataclass field carrying its column documentation."""
    return field(metadata={"doc": doc}, **kw)


def content_id(*parts: str, length: int = 16) -> str:
    """A stable id: the first ``length`` hex digits of the SHA-256 of the parts."""
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode("utf-8", "surrogatepass"))
        sha.update(b"\0")
    return sha.hexdigest()[:length]


_SCALARS = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}

# The two column types that are not scalars, named once: a list of strings (Arrow list<string>)
# and an integer that may be missing (a nullable int64).
Strings = list[str]
NullableInt = int | None


def _arrow_type(hint) -> tuple[pa.DataType, bool]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {hint}")
        return _arrow_type(args[0])[0], True
    if origin is list:
        (item,) = typing.get_args(hint)
        return pa.list_(_arrow_type(item)[0]), False
    if hint in _SCALARS:
        return _SCALARS[hint], False
    raise TypeError(f"unsupported column type {hint}")


@cache
def schema(cls) -> pa.Schema:
    """The Arrow schema of a record class (field order = column order)."""
    hints = typing.get_type_hints(cls)
    fields = []
    for f in dataclasses.fields(cls):
        dtype, nullable = _arrow_type(hints[f.name])
        fields.append(pa.field(f.name, dtype, nullable=nullable, metadata={"doc": f.metadata.get("doc", "")}))
    return pa.schema(fields)


def docs(cls) -> dict[str, str]:
    """Column name → documentation."""
    return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(cls)}


def to_row(record) -> dict:
    """A record as a row: field name → value, in field order. Records are flat (no nested
    dataclasses), so a shallow copy is the row — several times faster than ``dataclasses.asdict``
    on the extract path, which makes one per function of the corpus."""
    return dict(vars(record))


def from_row(cls, row: dict):
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in row.items() if k in names})


@dataclass(frozen=True)
class Document:
    """One source file of the corpus."""

    doc_id: str = col("content hash of the file text (16 hex digits)")
    source: str = col("which configured source it came from, e.g. 'python:stdlib', 'files:0', 'hf:bigcode/the-stack'")
    repo: str = col("repository name when known (The Stack's max_stars_repo_name), else ''")
    path: str = col("file path inside the repo or on disk")
    license: str = col("license(s) when known, comma-separated, else ''")
    content: str = col("the file's text, UTF-8")


@dataclass(frozen=True)
class Seed:
    """A top-level function whose first statement is a docstring, with the facts the filters need."""

    seed_id: str = col("content hash of the function's source (16 hex digits); stable across runs")
    name: str = col("function name")
    code: str = col("standalone snippet: the imports it needs, then the function (after autoimport once filtered)")
    function: str = col("the function's source exactly as it stands in the file")
    docstring: str = col("the docstring, dedented")
    imports: Strings = col("module-level import statements of its file that the function uses")
    free_names: Strings = col("global names the function reads that neither its file's imports nor builtins bind")
    n_lines: int = col("lines of the function's source")
    n_args: int = col("number of parameters (positional, keyword-only, *args, **kwargs)")
    returns_value: bool = col("whether some return statement of its own (not of a nested def) returns a value")
    doc_id: str = col("document it was extracted from")
    source: str = col("corpus source of that document")
    repo: str = col("repository, when known")
    path: str = col("file path")
    license: str = col("license, when known")
    lineno: int = col("1-based line of the 'def' in the file")


@dataclass(frozen=True)
class DecontaminationHit:
    """One match of a seed (or SFT example) against a benchmark."""

    item_id: str = col("id of the matching item (seed_id or example id)")
    benchmark: str = col("benchmark name: humaneval, humanevalplus, mbppplus, …")
    task_id: str = col("benchmark task id")
    kind: str = col("what matched: 'docstring', 'solution' or 'ngram'")
    matched: str = col("the matched benchmark text (first 500 characters)")


@dataclass(frozen=True)
class Judgment:
    """The docstring judge's verdict on one seed."""

    seed_id: str = col("the judged seed")
    verdict: bool = col("True when more votes said Yes than No (ties count as No, as in the paper)")
    votes_yes: int = col("answers counted as Yes")
    votes_no: int = col("answers counted as No or undecided")
    answers: Strings = col("the raw answers, one per vote (one few-shot permutation each)")
    fewshot_ids: Strings = col("few-shot examples of the first vote, in prompt order")


@dataclass(frozen=True)
class Concepts:
    """S→C: the programming concepts the model read off a seed."""

    seed_id: str = col("the seed they were read from")
    concepts: Strings = col("the concepts, in the model's order, deduplicated")
    text: str = col("the raw completion")
    fewshot_ids: Strings = col("few-shot examples in prompt order")
    model: str = col("fingerprint of the model that wrote them")


@dataclass(frozen=True)
class Instruction:
    """C→I (or S→I): a self-contained coding instruction written by the model."""

    instruction_id: str = col("content hash of seed id and instruction text")
    seed_id: str = col("the seed it descends from")
    instruction: str = col("the instruction text")
    concepts: Strings = col("the concepts it was asked to exercise (empty in S→I mode)")
    category: str = col("function / class / program implementation, sampled per item")
    difficulty: str = col("easy / medium / hard, sampled per item")
    mode: str = col("'concepts' (S→C→I, the paper) or 'seed' (S→I ablation)")
    fewshot_ids: Strings = col("few-shot examples in prompt order")
    model: str = col("fingerprint of the model that wrote it")


@dataclass(frozen=True)
class Rejected:
    """An LLM output a stage could not use, with its reason (kept for inspection)."""

    item_id: str = col("id of the input item")
    sample: int = col("sample index within the item's request")
    reason: str = col("why it was rejected (also counted in the stage stats)")
    text: str = col("the raw completion (first 2000 characters)")


@dataclass(frozen=True)
class Response:
    """I→R: one sampled answer to an instruction, with the program its tests make."""

    response_id: str = col("content hash of instruction id and sample index")
    instruction_id: str = col("the instruction it answers")
    seed_id: str = col("the seed the instruction descends from")
    sample: int = col("sample index among the instruction's n samples")
    instruction: str = col("the instruction text")
    response: str = col("the response as it would be trained on: reasoning, implementation, explanation, tests")
    implementation: str = col("the code of the Implementation section")
    tests: str = col("the code of the Tests section")
    n_asserts: int = col("assert statements in the tests")
    completion_tokens: int = col("tokens the model generated")
    model: str = col("fingerprint of the model that wrote it")


@dataclass(frozen=True)
class Execution:
    """The sandbox's verdict on a response's program (implementation, then tests)."""

    response_id: str = col("the response whose program ran")
    instruction_id: str = col("its instruction")
    status: str = col("pass, fail, timeout, out_of_memory or crash")
    detail: str = col("exception type and message, or why it was stopped")
    exit_code: NullableInt = col("the program's exit code (negative: killed by that signal)")
    duration_s: float = col("wall-clock seconds (the only column that varies between identical runs)")
    stderr_tail: str = col("the last 4 KB of the program's stderr")
    asserts_total: NullableInt = col("execution.per_assert: the top-level asserts of its tests (null: not counted)", default=None)
    asserts_passed: NullableInt = col("execution.per_assert: how many pass when each runs alone after the implementation", default=None)


@dataclass(frozen=True)
class SFTExample:
    """One instruction–response pair of the SFT set, with its provenance."""

    example_id: str = col("content hash of instruction and response")
    instruction: str = col("the instruction")
    response: str = col("the response (reasoning, implementation, explanation, tests)")
    seed_id: str = col("the seed function it descends from")
    instruction_id: str = col("its instruction")
    response_id: str = col("the chosen response")
    concepts: Strings = col("concepts the instruction was written from (empty for S→I)")
    category: str = col("function / class / program implementation")
    difficulty: str = col("easy / medium / hard")
    sample: int = col("index of the chosen response among the instruction's samples")
    verdict: str = col("the sandbox verdict of the chosen response's own tests")
    model: str = col("fingerprint of the model that wrote instruction and response")
    source: str = col("which recipe produced it: selfalign or codeocean")
    task: str = col("task type: code generation (selfalign), or a CodeOcean task name")


@dataclass(frozen=True)
class RawCode:
    """CodeOcean raw code: a function with its comment, CodeSearchNet-style."""

    raw_id: str = col("content hash of language and code")
    language: str = col("python, javascript, … (CodeSearchNet's six languages)")
    name: str = col("function name")
    code: str = col("the function without its comment")
    comment: str = col("its docstring / JSDoc / leading comment, cleaned")
    source: str = col("which configured source it came from")
    path: str = col("file it came from")
    repo: str = col("repository, when known")


@dataclass(frozen=True)
class CoresetPick:
    """One pick of KCenterGreedy over the raw-code embeddings."""

    raw_id: str = col("the picked item")
    rank: int = col("order of the pick (0 is the seeded start)")
    radius: float = col("coverage radius after this pick: the largest distance from any item to its nearest pick")


@dataclass(frozen=True)
class TaskItem:
    """A generated CodeOcean task instance and the discriminator's judgment of it."""

    item_id: str = col("content hash of raw id, task and the generated text")
    raw_id: str = col("the raw code it was built from")
    task: str = col("code summarization, code generation, code translation or code repair")
    language: str = col("language of the raw code")
    target_language: str = col("language of the solution (code translation: the other language)")
    instruction: str = col("the instruction the generator wrote")
    information: str = col("the input the task needs: the code, the source to translate, the buggy code, or a signature")
    solution: str = col("the generator's solution")
    bug: str = col("code repair: the bug introduced into the working code, else ''")
    reference: str = col("what the solution should match when known (the original code for repair and generation)")
    accepted: bool = col("the discriminator's overall verdict")
    checklist: Strings = col("the discriminator's answers, one 'question: yes/no' per checklist item")
    reasons: str = col("the discriminator's reasons")
    executes: str = col("sandbox status of a Python solution run as written (pass, fail, …), or 'not_run'")
    fewshot_ids: Strings = col("generator few-shot examples (seed ids or pool item ids)")
    batch: int = col("batch index within the shard (pools grow between batches)")
