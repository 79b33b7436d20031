"""The four CodeOcean tasks: what the generator is shown, how its output is parsed, how code repair
gets its bug, and the discriminator's checklist.

Everything the raw code already tells us is filled in by us, not by the model: the information
(the code to summarize, the signature to implement, the source to translate, the buggy code), the
reference and the bug. The generator writes the instruction and the solution — the parts that need
a model — which keeps a small model on task and makes each item checkable against its source.
"""

from __future__ import annotations

import ast
import io
import random
import re
import tokenize
from dataclasses import dataclass, field
from importlib import resources

import yaml

TASKS = ("code summarization", "code generation", "code translation", "code repair")
CODE_TASKS = ("code generation", "code translation", "code repair")

DESCRIPTIONS = {
    "code summarization": "read the code in Information and explain in plain words what it does",
    "code generation": "ask for the function whose signature is in Information; the solution implements it",
    "code translation": "ask to translate the code in Information into the target language; the solution is the translation",
    "code repair": (
        "the code in Information has the known bug; ask to find and fix it; the solution explains the fix and gives the corrected code"
    ),
}

# The discriminator's checklist: (key, question). Every task asks the common questions.
COMMON = (
    ("language", "Does the instruction name the programming language?"),
    ("fits", "Does the solution correctly do what the instruction and the information ask?"),
    ("readable", "Is the solution clear, with readable logic?"),
)
CHECKLIST = {
    "code summarization": COMMON + (("no_code", "Is the solution a summary in words rather than code?"),),
    "code generation": COMMON
    + (
        ("code_only", "Is the solution code, with at most a short explanation?"),
        ("imports", "Does the solution import every module it uses?"),
    ),
    "code translation": COMMON
    + (
        ("code_only", "Is the solution code in the target language, with at most a short explanation?"),
        ("imports", "Does the solution import every module it uses?"),
    ),
    "code repair": COMMON
    + (("fixes_bug", "Does the solution fix the bug in the information?"), ("imports", "Does the solution import every module it uses?")),
}

FENCE = {"python": "python", "javascript": "javascript", "java": "java", "go": "go", "php": "php", "ruby": "ruby"}
END = "### End"
STOP = (END, "\n### Example")


def display(language: str) -> str:
    return {"javascript": "JavaScript", "php": "PHP"}.get(language, language.capitalize())


@dataclass
class Item:
    """One item of the recipe on its way through generator and discriminator."""

    raw_id: str
    task: str
    language: str
    target_language: str
    information: str
    reference: str = ""
    bug: str = ""
    instruction: str = ""
    solution: str = ""
    answers: dict[str, str] = field(default_factory=dict)  # checklist key -> "Yes. reason" / "No. reason"
    id: str = ""  # bank id or item id, once known


# ---------------------------------------------------------------- bug injection (code repair)

PY_SWAPS = {
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "==": "!=",
    "!=": "==",
    "+": "-",
    "-": "+",
    "and": "or",
    "or": "and",
    "True": "False",
    "False": "True",
}
JS_SWAPS = {
    **{k: v for k, v in PY_SWAPS.items() if k not in ("and", "or", "True", "False")},
    "===": "!==",
    "!==": "===",
    "&&": "||",
    "||": "&&",
    "true": "false",
    "false": "true",
}
_JS_TOKEN = re.compile(
    r"===|!==|==|!=|<=|>=|&&|\|\||(?<![<=>!+\-])[<>](?![<>=])|(?<![+\-=])[+\-](?![+\-=>])|\btrue\b|\bfalse\b|(?<![\w.$])\d+(?![\w.])"
)


def _python_candidates(code: str) -> list[tuple[int, int, str, str]]:
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            text = tok.string
            if tok.type == tokenize.OP and text in PY_SWAPS or tok.type == tokenize.NAME and text in ("and", "or", "True", "False"):
                found.append((tok.start[0], tok.start[1], text, PY_SWAPS[text]))
            elif tok.type == tokenize.NUMBER and text.isdigit() and len(text) < 6:
                found.append((tok.start[0], tok.start[1], text, str(int(text) + 1)))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return found


def _mask_js(code: str) -> str:
    """``code`` with string contents and comments blanked (same length, same line breaks)."""
    out, i, n = list(code), 0, len(code)
    while i < n:
        c = code[i]
        if c in "\"'`":
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            for p in range(i + 1, min(j, n)):
                out[p] = out[p] if code[p] == "\n" else " "
            i = j + 1
        elif code.startswith("//", i):
            j = code.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [ch if ch == "\n" else " " for ch in code[i:j]]
            i = j
        else:
            i += 1
    return "".join(out)


def _js_candidates(code: str) -> list[tuple[int, int, str, str]]:
    masked = _mask_js(code)
    line_starts = [0] + [m.end() for m in re.finditer("\n", code)]
    found = []
    for m in _JS_TOKEN.finditer(masked):
        text = m.group()
        new = JS_SWAPS.get(text) or (str(int(text) + 1) if text.isdigit() and len(text) < 6 else None)
        if new is None:
            continue
        row = next(k for k in range(len(line_starts) - 1, -1, -1) if line_starts[k] <= m.start())
        found.append((row + 1, m.start() - line_starts[row], text, new))
    return found


def inject_bug(code: str, language: str, rng: random.Random) -> tuple[str, str] | None:
    """``(buggy code, description)`` with one operator, boolean or small integer changed, or None
    when the code offers nothing to change. Python results always still parse."""
    if language == "python":
        candidates = _python_candidates(code)
    elif language == "javascript":
        candidates = _js_candidates(code)
    else:
        return None
    rng.shuffle(candidates)
    lines = code.splitlines(keepends=True)
    for row, col, old, new in candidates:
        line = lines[row - 1]
        mutated = "".join(lines[: row - 1]) + line[:col] + new + line[col + len(old) :] + "".join(lines[row:])
        if language == "python":
            try:
                ast.parse(mutated)
            except SyntaxError:
                continue
        return mutated, f"line {row}: `{old}` was changed to `{new}`"
    return None


# ---------------------------------------------------------------- the few-shot bank


def load_bank(path: str | None = None) -> tuple[list[Item], list[Item]]:
    """(good, bad) examples from ``path`` or the bank shipped with the package."""
    if path is None:
        text = resources.files("codealign.data").joinpath("codeocean_fewshot.yaml").read_text()
    else:
        with open(path) as f:
            text = f.read()
    data = yaml.safe_load(text)

    def item(entry: dict, bad: bool) -> Item:
        if entry["task"] not in TASKS:
            raise ValueError(f"few-shot example {entry.get('id')!r}: unknown task {entry['task']!r}")
        answers = {key: "Yes." for key, _ in CHECKLIST[entry["task"]]}
        answers.update(entry.get("answers") or {})
        if bad and all(a.startswith("Yes") for a in answers.values()):
            raise ValueError(f"bad few-shot example {entry.get('id')!r} answers no question with No")
        return Item(
            raw_id="",
            task=entry["task"],
            language=entry["language"],
            target_language=entry["target_language"],
            information=entry["information"].rstrip("\n"),
            reference=entry.get("reference", "").rstrip("\n"),
            bug=entry.get("bug", ""),
            instruction=entry["instruction"].strip(),
            solution=entry["solution"].strip(),
            answers=answers,
            id=entry["id"],
        )

    return [item(e, False) for e in data["good"]], [item(e, True) for e in data["bad"]]


# ---------------------------------------------------------------- generator prompt and parsing


def _header(item: Item) -> str:
    lines = [f"Task: {item.task}", f"Language: {display(item.language)}"]
    if item.target_language != item.language:
        lines.append(f"Target language: {display(item.target_language)}")
    if item.reference:
        lines.append(f"Reference code:\n```{FENCE.get(item.language, '')}\n{item.reference}\n```")
    if item.bug:
        lines.append(f"Known bug: {item.bug}")
    info_lang = FENCE.get(item.language, "") if item.task != "code generation" else ""
    lines.append(f"Information:\n```{info_lang}\n{item.information}\n```")
    return "\n".join(lines)


def generator_prompt(item: Item, examples: list[Item]) -> str:
    intro = (
        "Each example below turns a piece of real code into training data for a code assistant. "
        f"The task is {item.task}: {DESCRIPTIONS[item.task]}. The instruction names the language; "
        "the solution answers it.\n\n"
    )
    shots = "".join(f"### Example\n{_header(e)}\nInstruction: {e.instruction}\nSolution:\n{e.solution}\n{END}\n\n" for e in examples)
    return intro + shots + f"### Example\n{_header(item)}\nInstruction:"


_FENCED = re.compile(r"```[\w+-]*\n(.*?)(?:```|$)", re.S)


def code_of(solution: str) -> str:
    """The code of a solution: its first fenced block, else the whole text."""
    m = _FENCED.search(solution)
    return (m.group(1) if m else solution).strip("\n")


def looks_like_code(text: str, language: str) -> bool:
    if language == "python":
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return False
        return any(not isinstance(n, ast.Expr) for n in tree.body)
    return bool(re.search(r"[{};]|=>", text))


def parse_generation(text: str, finish_reason: str, item: Item) -> tuple[str, str] | str:
    """``(instruction, solution)`` from a generator completion, or the reason it is unusable."""
    ended = END in text
    body = text.split(END)[0]
    if "Solution:" not in body:
        return "truncated" if finish_reason == "length" and not ended else "no_solution"
    instruction, solution = body.split("Solution:", 1)
    instruction, solution = " ".join(instruction.split()), solution.strip()
    if finish_reason == "length" and not ended:
        return "truncated"
    if not instruction:
        return "empty_instruction"
    if not solution:
        return "empty_solution"
    if item.task in CODE_TASKS:
        code = code_of(solution)
        if not looks_like_code(code, item.target_language):
            return "no_code"
        if " ".join(code.split()) == " ".join(item.information.split()):
            return "solution_repeats_information"
    return instruction, solution


# ---------------------------------------------------------------- discriminator prompt and parsing


def _shown(item: Item) -> str:
    lines = [f"Task: {item.task}", f"Instruction: {item.instruction}"]
    if item.target_language != item.language:
        lines.append(f"Target language: {display(item.target_language)}")
    lines.append(f"Information:\n```\n{item.information}\n```")
    lines.append(f"Solution:\n{item.solution}")
    return "\n".join(lines)


def discriminator_prompt(item: Item, key: str, examples: list[Item]) -> str:
    question = dict(CHECKLIST[item.task])[key]
    intro = (
        "Each example below is checked before it may train a code assistant. The checker answers the "
        "question with Yes or No and one short reason.\n\n"
    )
    shots = "".join(f"### Example\n{_shown(e)}\nQuestion: {question}\nAnswer: {e.answers[key]}\n\n" for e in examples)
    return intro + shots + f"### Example\n{_shown(item)}\nQuestion: {question}\nAnswer:"


def parse_answer(text: str) -> tuple[str, str]:
    """(``yes`` / ``no`` / ``undecided``, the reason the model gave)."""
    first = text.strip().split("\n")[0].strip()
    m = re.match(r"(yes|no)\b[\s.,:;!-]*(.*)", first, re.I)
    if not m:
        return "undecided", first[:200]
    return m.group(1).lower(), m.group(2).strip()[:200]
