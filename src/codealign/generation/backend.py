"""One interface for every LLM backend: a batch of prompts plus sampling settings in, completions out.

Backends (``generation.backend`` or a stage's own ``backend`` key):

``transformers``  Hugging Face transformers on CPU or GPU, batched, per-row seeded sampling.
``vllm``          vLLM's offline engine (prefix caching, tensor parallel) in a worker process,
                  so that vLLM can live in its own environment (``generation.vllm.python``).
``openai``        any OpenAI-compatible completions endpoint (vllm serve, llama.cpp, TGI).

All drive base models in completion mode. A :class:`Request` carries its own seed, so the same
request gives the same completions however requests are batched or sharded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Sampling:
    """Sampling settings of one request."""

    temperature: float = 0.7
    top_p: float = 1.0
    max_new_tokens: int = 1536
    stop: tuple[str, ...] = ()
    n: int = 1
    seed: int | None = None

    def without_seed(self) -> Sampling:
        return Sampling(self.temperature, self.top_p, self.max_new_tokens, self.stop, self.n, None)


@dataclass(frozen=True)
class Request:
    prompt: str
    sampling: Sampling


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str  # "stop" (a stop string or end of sequence) or "length" (max_new_tokens)
    prompt_tokens: int
    completion_tokens: int

    @staticmethod
    def from_dict(d: dict) -> Completion:
        return Completion(d["text"], d["finish_reason"], int(d["prompt_tokens"]), int(d["completion_tokens"]))


class BackendUnavailable(RuntimeError):
    """The configured backend cannot run here (not installed, model missing, endpoint down)."""


class Backend(Protocol):
    kind: str
    model_id: str

    def generate(self, requests: list[Request], progress: Callable[[int], None] | None = None) -> list[list[Completion]]:
        """Completions for each request, ``request.sampling.n`` of them, in request order.
        A backend whose calls run long reports how many requests of this call have finished
        through ``progress`` while it works."""

    def chunk_size(self, sampling: Sampling) -> int:
        """How many requests to hand over per call (a resumable unit of work)."""

    def close(self) -> None: ...


# Backend settings that can change what a request generates; the rest (timeouts, progress, retries,
# concurrency of an endpoint that batches by arrival anyway) only change how long it takes.
OUTPUT_SETTINGS = {
    "transformers": ("dtype", "device", "batch_size"),
    "vllm": (
        "python",
        "dtype",
        "max_model_len",
        "tensor_parallel_size",
        "gpu_memory_utilization",
        "enable_prefix_caching",
        "enforce_eager",
        "chunk_requests",
        "deterministic_batches",
    ),
    "openai": ("base_url", "model"),
}


@dataclass(frozen=True)
class BackendSpec:
    """Everything needed to build a backend, and to key its cached results."""

    kind: str
    model_path: str  # a local folder, or a hub id (model_local False) on an online machine
    model_fingerprint: str
    model_local: bool = True
    settings: dict = field(default_factory=dict)
    threads: int = 1

    def identity(self) -> dict:
        """What decides a completion besides the request: backend, model, and the settings of the
        backend that change its outputs (numerics, batching, truncation, which server answers)."""
        chosen = OUTPUT_SETTINGS.get(self.kind, ())
        return {"backend": self.kind, "model": self.model_fingerprint, "settings": {k: self.settings.get(k) for k in chosen}}

    def request_key(self, request: Request) -> str:
        payload = {**self.identity(), "prompt": request.prompt, "sampling": asdict(request.sampling)}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def check(self) -> None:
        """Fail now, before a shard starts, if this backend cannot run."""
        if self.kind == "transformers":
            from codealign.generation.hf import check_available
        elif self.kind == "vllm":
            from codealign.generation.vllm_backend import check_available
        elif self.kind == "openai":
            from codealign.generation.openai_backend import check_available
        else:
            raise BackendUnavailable(f"unknown backend {self.kind!r}")
        check_available(self)

    def build(self) -> Backend:
        if self.kind == "transformers":
            from codealign.generation.hf import TransformersBackend

            return TransformersBackend(self)
        if self.kind == "vllm":
            from codealign.generation.vllm_backend import VLLMBackend

            return VLLMBackend(self)
        if self.kind == "openai":
            from codealign.generation.openai_backend import OpenAIBackend

            return OpenAIBackend(self)
        raise BackendUnavailable(f"unknown backend {self.kind!r}")
