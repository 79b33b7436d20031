"""The OpenAI-compatible backend against a real `vllm serve`, and its retries against failing servers."""

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from conftest import REPO, free_port

from codealign.generation.backend import BackendSpec, BackendUnavailable, Request, Sampling

PROMPT = 'def is_even(n):\n    """Whether n is even."""\n'


@pytest.fixture(scope="module")
def server(gemma_model, vllm_python, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {"PYTHONPATH": str(REPO / "src"), "VLLM_CPU_OMP_THREADS_BIND": "0-1", "PATH": "/usr/bin:/bin"}
    cmd = [
        str(vllm_python),
        "-m",
        "codealign.generation.vllm_serve",
        str(gemma_model),
        "--port",
        str(port),
        "--served-model-name",
        "gemma",
        "--max-model-len",
        "2048",
        "--no-enable-chunked-prefill",
        "--max-num-batched-tokens",
        "2048",
        "--dtype",
        "bfloat16",
        "--enforce-eager",
        "--gpu-memory-utilization",
        "0.3",
    ]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"vllm serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(2)
    else:
        proc.kill()
        pytest.fail("vllm serve did not come up in 10 minutes")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def spec_for(base, **settings):
    return BackendSpec(
        "openai",
        "gemma",
        "hub:gemma",
        False,
        {"base_url": base, "model": "gemma", "max_concurrency": 8, "timeout_s": 120, "max_retries": 2, "backoff_s": 0.05, **settings},
    )


def test_concurrent_seeded_completions_repeat(server):
    backend = spec_for(server).build()
    reqs = [Request(PROMPT, Sampling(temperature=0.9, max_new_tokens=20, n=3, seed=s)) for s in range(4)]
    first = backend.generate(reqs)
    second = backend.generate(reqs)
    assert [[c.text for c in r] for r in first] == [[c.text for c in r] for r in second]
    assert all(len(r) == 3 and all(c.completion_tokens > 0 and c.prompt_tokens > 0 for c in r) for r in first)
    assert len({c.text for r in first for c in r}) > 3


def test_stop_and_length(server):
    backend = spec_for(server).build()
    (limited,), (stopped,) = backend.generate(
        [
            Request(PROMPT, Sampling(temperature=0.0, max_new_tokens=5)),
            Request(PROMPT, Sampling(temperature=0.0, max_new_tokens=60, stop=("\n",))),
        ]
    )
    assert limited.finish_reason == "length" and limited.completion_tokens == 5
    assert stopped.finish_reason == "stop" and "\n" not in stopped.text


def test_wrong_model_name_is_refused_naming_what_is_served(server):
    with pytest.raises(BackendUnavailable, match=r"serves \['gemma'\]"):
        spec_for(server, model="starcoder").check()


def test_unreachable_endpoint_is_refused_before_the_shard():
    with pytest.raises(BackendUnavailable, match="unreachable"):
        spec_for(f"http://127.0.0.1:{free_port()}/v1").check()


class Scripted(BaseHTTPRequestHandler):
    """A server that answers /completions from a script of (status, delay) steps."""

    script: list = []
    calls: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._reply(200, {"data": [{"id": "m"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Scripted.calls.append(body)
        status, delay = Scripted.script.pop(0) if Scripted.script else (200, 0)
        time.sleep(delay)
        self._reply(status, {"choices": [{"text": "ok", "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}})

    def _reply(self, status, payload):
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def scripted():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Scripted.calls = []
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def one_request():
    return [Request("x", Sampling(temperature=0.5, max_new_tokens=4, seed=1))]


def test_server_errors_are_retried_with_backoff(scripted):
    _, base = scripted
    Scripted.script = [(503, 0), (502, 0)]
    (result,) = (
        BackendSpec("openai", "m", "hub:m", False, {"base_url": base, "model": "m", "max_retries": 3, "backoff_s": 0.01, "timeout_s": 5})
        .build()
        .generate(one_request())
    )
    assert result[0].text == "ok" and len(Scripted.calls) == 3


def test_timeouts_are_retried_then_fail(scripted):
    _, base = scripted
    Scripted.script = [(200, 2.0)] * 3
    backend = BackendSpec(
        "openai", "m", "hub:m", False, {"base_url": base, "model": "m", "max_retries": 2, "backoff_s": 0.01, "timeout_s": 0.5}
    ).build()
    with pytest.raises(RuntimeError, match="failed after 2 retries"):
        backend.generate(one_request())
    assert len(Scripted.calls) == 3


def test_client_errors_fail_at_once(scripted):
    _, base = scripted
    Scripted.script = [(400, 0)]
    backend = BackendSpec(
        "openai", "m", "hub:m", False, {"base_url": base, "model": "m", "max_retries": 5, "backoff_s": 0.01, "timeout_s": 5}
    ).build()
    with pytest.raises(RuntimeError, match="answered 400"):
        backend.generate(one_request())
    assert len(Scripted.calls) == 1
