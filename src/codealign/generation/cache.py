"""The per-request cache that makes LLM shards resumable.

An append-only JSON Lines file, one line per finished request, keyed by backend, model
fingerprint, prompt and sampling settings (seed included). Lines are appended and fsynced a
chunk at a time; a line torn by a kill is ignored on the next read. A rerun of a killed shard
therefore redoes only what was not finished, and reads the rest back exactly.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from codealign.generation.backend import Completion

log = logging.getLogger("codealign.generation.cache")


class RequestCache:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.entries: dict[str, list[Completion]] = {}
        self.torn = 0
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                        self.entries[entry["key"]] = [Completion.from_dict(c) for c in entry["completions"]]
                    except (json.JSONDecodeError, KeyError, TypeError):
                        self.torn += 1
            if self.torn:
                log.warning("%s: ignored %d torn line(s) left by an interrupted run", self.path, self.torn)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __getitem__(self, key: str) -> list[Completion]:
        return self.entries[key]

    def __len__(self) -> int:
        return len(self.entries)

    def put_many(self, items: list[tuple[str, list[Completion]]]) -> None:
        """Append finished requests and make them durable before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(
            json.dumps({"key": key, "completions": [c.__dict__ for c in completions]}, ensure_ascii=False) + "\n"
            for key, completions in items
        )
        with open(self.path, "a", encoding="utf-8") as fh:
            if fh.tell() and not self._ends_with_newline():
                fh.write("\n")  # a torn last line stays on its own line
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())
        for key, completions in items:
            self.entries[key] = completions

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"
