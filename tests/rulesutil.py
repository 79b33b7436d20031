"""The rules' text, rule by rule, for static checks: ``use rule A as B with:`` gives B the
directives of A, with those B states in place of A's (params merged by name, as Snakemake does)."""

import re

from conftest import REPO

DIRECTIVE = re.compile(r"(?ms)^    (\w+):( .*?)?\n(.*?)(?=^    \w+:|\Z)")


def directives(body: str) -> dict[str, str]:
    """directive → its text (an inline value such as ``threads: 4`` kept on its own line)."""
    return {m.group(1): ((m.group(2) or "").strip() + "\n" if m.group(2) else "") + m.group(3) for m in DIRECTIVE.finditer(body)}


def _render(name: str, parts: dict[str, str]) -> str:
    text = f"rule {name}:\n"
    for key, value in parts.items():
        inline = key == "threads"
        text += f"    {key}: {value.strip()}\n" if inline else f"    {key}:\n{value}"
    return text


def rule_blocks() -> dict[str, str]:
    """rule name → the text of its directives, ``use rule`` resolved."""
    raw: dict[str, dict[str, str]] = {}
    derived: list[tuple[str, str, str]] = []
    for path in sorted((REPO / "rules").glob("*.smk")):
        for block in re.split(r"(?m)^(?=(?:use )?rule \w+)", path.read_text()):
            if m := re.match(r"rule (\w+):\n", block):
                raw[m.group(1)] = directives(block[m.end() :])
            elif m := re.match(r"use rule (\w+) as (\w+) with:\n", block):
                derived.append((m.group(2), m.group(1), block[m.end() :]))
    for name, base, body in derived:
        parts = dict(raw[base])
        for key, value in directives(body).items():
            if key == "params":
                merged = dict(re.findall(r"(?m)^        (\w+)=(.*)$", parts.get("params", "")))
                merged.update(re.findall(r"(?m)^        (\w+)=(.*)$", value))
                value = "".join(f"        {k}={v}\n" for k, v in merged.items())
            parts[key] = value
        raw[name] = parts
    return {name: _render(name, parts) for name, parts in raw.items()}
