"""The Hugging Face transformers backend: batched generation on CPU or GPU.

Sampling is done by :class:`SeededSampler`, a logits processor that draws each row's token from
that row's own ``torch.Generator`` (seeded from the request seed and the sample index) and hands
greedy search a one-hot choice. A request's samples therefore do not depend on which other
requests share its batch, and a rerun of the same batch reproduces it exactly.
"""

from __future__ import annotations

import logging
from pathlib import Path

from codealign.generation.backend import BackendSpec, BackendUnavailable, Completion, Request, Sampling

log = logging.getLogger("codealign.generation.hf")


def check_available(spec: BackendSpec) -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as err:
        raise BackendUnavailable(f"the transformers backend needs torch and transformers: {err}") from err
    if spec.model_local and not (Path(spec.model_path) / "config.json").is_file():
        raise BackendUnavailable(f"model folder {spec.model_path!r} has no config.json (not a Hugging Face model)")


def sample_seed(seed: int | None, index: int) -> int:
    """The generator seed of sample ``index`` of a request (independent of everything else)."""
    return ((seed or 0) * 1_000_003 + index) % (2**63 - 1)


def _cpu_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as fh:
            flags = fh.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_dtype(name: str, device: str):
    import torch

    if name == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if _cpu_has_bf16() else torch.float32
    return getattr(torch, name)


def _sampler_class():
    import torch
    from transformers import LogitsProcessor

    class SeededSampler(LogitsProcessor):
        """Temperature / top-p sampling with one generator per row; returns a one-hot score."""

        def __init__(self, seeds: list[int], temperature: float, top_p: float, device):
            self.generators = [torch.Generator(device="cpu").manual_seed(s) for s in seeds]
            self.temperature = temperature
            self.top_p = top_p
            self.device = device

        def __call__(self, input_ids, scores):
            probs = torch.softmax(scores.float() / self.temperature, dim=-1).cpu()
            if self.top_p < 1.0:
                sorted_probs, order = torch.sort(probs, descending=True, dim=-1)
                outside = torch.cumsum(sorted_probs, dim=-1) - sorted_probs > self.top_p
                sorted_probs[outside] = 0.0
                probs = torch.zeros_like(probs).scatter_(-1, order, sorted_probs)
            chosen = torch.stack([torch.multinomial(probs[i], 1, generator=g) for i, g in enumerate(self.generators)])
            out = torch.full_like(scores, float("-inf"))
            out.scatter_(-1, chosen.to(scores.device), 0.0)
            return out

    return SeededSampler


class TransformersBackend:
    kind = "transformers"

    def __init__(self, spec: BackendSpec):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        check_available(spec)
        settings = spec.settings
        device = settings.get("device", "auto")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cpu" and spec.threads:
            torch.set_num_threads(spec.threads)
        self.device = device
        self.dtype = resolve_dtype(settings.get("dtype", "auto"), device)
        self.batch_size = int(settings.get("batch_size", 16))
        self.model_id = spec.model_fingerprint
        self.tokenizer = AutoTokenizer.from_pretrained(spec.model_path)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(spec.model_path, dtype=self.dtype).to(device).eval()
        self._sampler = _sampler_class()
        eos = self.model.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) if eos is not None else set()
        if self.tokenizer.eos_token_id is not None:
            self.eos_ids.add(self.tokenizer.eos_token_id)
        log.info("transformers backend: %s on %s (%s), batch size %d", spec.model_path, device, self.dtype, self.batch_size)

    def chunk_size(self, sampling: Sampling) -> int:
        return max(1, self.batch_size // max(1, sampling.n))

    def generate(self, requests: list[Request], progress=None) -> list[list[Completion]]:
        out: list[list[Completion]] = []  # a call is one batch: nothing to report before it ends
        # Consecutive requests with the same settings (all but the seed) share a batch.
        group: list[Request] = []
        for request in requests:
            if group and request.sampling.without_seed() != group[0].sampling.without_seed():
                out += self._generate_group(group)
                group = []
            group.append(request)
        if group:
            out += self._generate_group(group)
        return out

    def _generate_group(self, requests: list[Request]) -> list[list[Completion]]:
        import torch
        from transformers import GenerationConfig

        sampling = requests[0].sampling
        rows = [(i, j) for i, r in enumerate(requests) for j in range(r.sampling.n)]
        results: list[list[Completion | None]] = [[None] * r.sampling.n for r in requests]
        step = max(self.batch_size, requests[0].sampling.n)
        for start in range(0, len(rows), step):
            batch = rows[start : start + step]
            prompts = [requests[i].prompt for i, _ in batch]
            enc = self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.device)
            config = GenerationConfig(
                max_new_tokens=sampling.max_new_tokens,
                do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=sorted(self.eos_ids) or None,
                stop_strings=list(sampling.stop) or None,
            )
            processors = []
            if sampling.temperature > 0:
                seeds = [sample_seed(requests[i].sampling.seed, j) for i, j in batch]
                processors.append(self._sampler(seeds, sampling.temperature, sampling.top_p, self.device))
            with torch.inference_mode():
                generated = self.model.generate(
                    **enc,
                    generation_config=config,
                    logits_processor=processors or None,
                    tokenizer=self.tokenizer if sampling.stop else None,
                )
            new_tokens = generated[:, enc["input_ids"].shape[1] :].tolist()
            prompt_lengths = enc["attention_mask"].sum(dim=1).tolist()
            for (i, j), tokens, n_prompt in zip(batch, new_tokens, prompt_lengths):
                results[i][j] = self._completion(tokens, int(n_prompt), sampling)
        return results  # type: ignore[return-value]

    def _completion(self, tokens: list[int], n_prompt: int, sampling: Sampling) -> Completion:
        pad = self.tokenizer.pad_token_id
        end, hit_eos = len(tokens), False
        for k, tok in enumerate(tokens):
            if tok in self.eos_ids:
                end, hit_eos = k, True
                break
            if tok == pad and pad not in self.eos_ids:
                end = k
                break
        text = self.tokenizer.decode(tokens[:end], skip_special_tokens=True)
        cut = min((text.find(s) for s in sampling.stop if s in text), default=-1)
        if cut >= 0:
            return Completion(text[:cut], "stop", n_prompt, end)
        finish = "stop" if hit_eos or end < sampling.max_new_tokens else "length"
        return Completion(text, finish, n_prompt, end)

    def close(self) -> None:
        self.model = None
