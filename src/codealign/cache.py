"""An append-only JSON Lines cache that makes long jobs resumable.

One line per finished item (``{"key": ..., "value": ...}``), appended and fsynced a batch at a
time. A line torn by a kill is ignored on the next read, so a rerun redoes only unfinished work
and reads back the rest exactly. Used for LLM requests and sandbox executions.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("codealign.cache")


class JsonlCache:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.entries: dict[str, Any] = {}
        self.torn = 0
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                        self.entries[entry["key"]] = self.decode(entry["value"])
                    except (json.JSONDecodeError, KeyError, TypeError):
                        self.torn += 1
            if self.torn:
                log.warning("%s: ignored %d torn line(s) left by an interrupted run", self.path, self.torn)

    def decode(self, value: Any) -> Any:
        return value

    def encode(self, value: Any) -> Any:
        return value

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __getitem__(self, key: str) -> Any:
        return self.entries[key]

    def __len__(self) -> int:
        return len(self.entries)

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        """Append finished items and make them durable before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps({"key": k, "value": self.encode(v)}, ensure_ascii=False) + "\n" for k, v in items)
        with open(self.path, "a", encoding="utf-8") as fh:
            if fh.tell() and not self._ends_with_newline():
                fh.write("\n")  # a torn last line stays on its own line
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())
        for key, value in items:
            self.entries[key] = value

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"
