"""The per-request cache that makes LLM shards resumable and re-shardable (see :mod:`codealign.cache`).

Keyed by backend, model fingerprint, the backend settings that change outputs, prompt and sampling
settings (seed included; see ``BackendSpec.identity``); the value is
the request's list of completions.
"""

from __future__ import annotations

from codealign.cache import JsonlCache
from codealign.generation.backend import Completion
from codealign.records import to_row


class RequestCache(JsonlCache):
    def decode(self, value) -> list[Completion]:
        return [Completion.from_dict(c) for c in value]

    def encode(self, value: list[Completion]) -> list[dict]:
        return [to_row(c) for c in value]
