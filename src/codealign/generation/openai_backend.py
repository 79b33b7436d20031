"""The OpenAI-compatible backend: completions from a server a lab already runs.

Works with ``vllm serve``, llama.cpp's server, TGI — anything with ``/v1/completions``. Each
sample is its own request with its own seed (so token counts and determinism are per sample);
requests run concurrently up to ``max_concurrency``; connection errors, timeouts, 429 and 5xx
are retried with exponential backoff, other errors fail at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random

import httpx

from codealign.generation.backend import BackendSpec, BackendUnavailable, Completion, Request, Sampling
from codealign.generation.hf import sample_seed

log = logging.getLogger("codealign.generation.openai")

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def _headers(settings: dict) -> dict:
    key = os.environ.get(settings.get("api_key_env") or "", "")
    return {"Authorization": f"Bearer {key}"} if key else {}


def served_model(spec: BackendSpec) -> str:
    return spec.settings.get("model") or spec.model_path


def check_available(spec: BackendSpec) -> None:
    base = spec.settings["base_url"].rstrip("/")
    try:
        response = httpx.get(f"{base}/models", headers=_headers(spec.settings), timeout=30)
        response.raise_for_status()
    except httpx.HTTPError as err:
        raise BackendUnavailable(f"the OpenAI-compatible endpoint {base} is unreachable: {err}") from err
    served = [m.get("id") for m in response.json().get("data", [])]
    if served and served_model(spec) not in served:
        raise BackendUnavailable(f"{base} serves {served}, not {served_model(spec)!r} (set generation.openai.model)")


class OpenAIBackend:
    kind = "openai"

    def __init__(self, spec: BackendSpec):
        check_available(spec)
        self.model_id = spec.model_fingerprint
        self.settings = spec.settings
        self.base = spec.settings["base_url"].rstrip("/")
        self.model = served_model(spec)
        self.concurrency = int(spec.settings.get("max_concurrency", 16))
        self.retries = int(spec.settings.get("max_retries", 5))
        self.timeout = float(spec.settings.get("timeout_s", 600))
        self.backoff = float(spec.settings.get("backoff_s", 1.0))

    def chunk_size(self, sampling: Sampling) -> int:
        return max(1, 4 * self.concurrency // max(1, sampling.n))

    def generate(self, requests: list[Request], progress=None) -> list[list[Completion]]:
        return asyncio.run(self._generate(requests))  # a call is a few rounds of concurrent requests: short

    async def _generate(self, requests: list[Request]) -> list[list[Completion]]:
        limit = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(headers=_headers(self.settings), timeout=self.timeout) as client:
            jobs = [[self._one(client, limit, r, j) for j in range(r.sampling.n)] for r in requests]
            flat = await asyncio.gather(*(job for per_request in jobs for job in per_request))
        out, k = [], 0
        for r in requests:
            out.append(list(flat[k : k + r.sampling.n]))
            k += r.sampling.n
        return out

    async def _one(self, client: httpx.AsyncClient, limit: asyncio.Semaphore, request: Request, index: int) -> Completion:
        s = request.sampling
        body = {
            "model": self.model,
            "prompt": request.prompt,
            "max_tokens": s.max_new_tokens,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "n": 1,
            "seed": sample_seed(s.seed, index) if s.seed is not None else None,
        }
        if s.stop:
            body["stop"] = list(s.stop)
        attempt = 0
        while True:
            try:
                async with limit:
                    response = await client.post(f"{self.base}/completions", json=body)
                if response.status_code in RETRYABLE_STATUS:
                    raise httpx.HTTPStatusError(f"status {response.status_code}", request=response.request, response=response)
                response.raise_for_status()
                data = response.json()
                choice = data["choices"][0]
                usage = data.get("usage") or {}
                finish = "length" if choice.get("finish_reason") == "length" else "stop"
                return Completion(
                    choice.get("text") or "", finish, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
                )
            except (httpx.TransportError, httpx.HTTPStatusError) as err:
                status = getattr(getattr(err, "response", None), "status_code", None)
                if status is not None and status not in RETRYABLE_STATUS:
                    raise RuntimeError(f"{self.base}/completions answered {status}: {err.response.text[:300]}") from err
                attempt += 1
                if attempt > self.retries:
                    raise RuntimeError(f"{self.base}/completions failed after {self.retries} retries: {err}") from err
                delay = self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2)
                log.warning("request failed (%s); retry %d/%d in %.1fs", err, attempt, self.retries, delay)
                await asyncio.sleep(delay)

    def close(self) -> None:
        pass
