"""The vLLM engine, driven over JSON lines by :class:`codealign.generation.vllm_backend.VLLMBackend`.

Runs in whatever Python has vLLM (``generation.vllm.python``); imports nothing from codealign
but this file, so the vLLM environment needs no other codealign dependency. Protocol: the first
line it writes is ``{"ok": true, ...}`` once the engine is up (or ``{"ok": false, "error": …}``);
then, per request line, ``{"progress": k}`` lines (k requests of the call finished, at most every
few seconds) and one response line. It writes protocol lines to a private copy of stdout;
everything vLLM prints goes to stderr.
"""

import io
import json
import os
import sys
import time


def _engine(args):
    from vllm import LLM
    from vllm.platforms import current_platform

    on_cpu = current_platform.is_cpu()
    kwargs = {
        "model": args["model"],
        "dtype": args.get("dtype") or "auto",
        "tensor_parallel_size": args.get("tensor_parallel_size", 1),
        "enable_prefix_caching": args.get("enable_prefix_caching", True),
        "max_model_len": args.get("max_model_len", 4096),
        "seed": 0,
    }
    if on_cpu:
        # On the CPU engine a seeded request whose prompt is split by chunked prefill crashes
        # ("CPU Generator does not use offset"), so prompts are prefilled whole.
        kwargs["enable_chunked_prefill"] = False
        kwargs["max_num_batched_tokens"] = kwargs["max_model_len"]
        kwargs["enforce_eager"] = True
        kwargs["gpu_memory_utilization"] = args.get("gpu_memory_utilization") or 0.3
        if kwargs["dtype"] == "auto":
            kwargs["dtype"] = "bfloat16"
    else:
        kwargs["gpu_memory_utilization"] = args.get("gpu_memory_utilization") or 0.9
        kwargs["enforce_eager"] = args.get("enforce_eager", False)
    return LLM(**kwargs), on_cpu


def _reporter(send, interval):
    """A progress-bar class for ``LLM.generate``: vLLM's own engine loop updates it once per
    finished request; it reports the count over the protocol instead of drawing a bar."""
    from tqdm import tqdm

    class Reporter(tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "file": io.StringIO(), "dynamic_ncols": False})
            self.requests = 0
            self.reported_at = time.monotonic()

        def update(self, n=1):
            self.requests += 1
            now = time.monotonic()
            if now - self.reported_at >= interval:
                self.reported_at = now
                send({"progress": self.requests})
            return super().update(n)

    return Reporter


def _generate(llm, requests, send, progress_interval):
    from vllm import SamplingParams

    params = [
        SamplingParams(
            n=r["n"],
            temperature=r["temperature"],
            top_p=r["top_p"],
            max_tokens=r["max_new_tokens"],
            stop=r["stop"] or None,
            seed=r["seed"],
        )
        for r in requests
    ]
    outputs = llm.generate([r["prompt"] for r in requests], params, use_tqdm=_reporter(send, progress_interval))
    return [
        [
            {
                "text": c.text,
                "finish_reason": "length" if c.finish_reason == "length" else "stop",
                "prompt_tokens": len(o.prompt_token_ids),
                "completion_tokens": len(c.token_ids),
            }
            for c in o.outputs
        ]
        for o in outputs
    ]


def main():
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def send(message):
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    args = json.loads(sys.argv[1])
    try:
        import vllm

        llm, on_cpu = _engine(args)
    except Exception as err:  # report why the engine cannot start, then exit
        send({"ok": False, "error": f"{type(err).__name__}: {err}"})
        return 1
    send({"ok": True, "vllm": vllm.__version__, "cpu": on_cpu})
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("op") == "close":
            break
        try:
            send({"ok": True, "results": _generate(llm, message["requests"], send, args.get("progress_interval_s", 10.0))})
        except Exception as err:
            send({"ok": False, "error": f"{type(err).__name__}: {err}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
