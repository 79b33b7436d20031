"""The sandbox: right verdicts for correct and wrong programs, and a hostile-program suite.

Every hostile program is written so that a successful attack makes it *pass*; the suite expects
each to fail, time out, run out of memory or crash, checks from the host that nothing escaped
(no connection reached a host listener, no file appeared on the host, no process survived),
and then checks that the pool still serves at full speed.
"""

import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from codealign.sandbox import Limits, Sandbox, SandboxConfig, SandboxUnavailable
from codealign.sandbox.pool import PREIMPORT, imported_modules, warm_imports

LIMITS = Limits(timeout_s=2.0, memory_mb=512, processes=64, file_size_mb=8, open_files=64)
TRIVIAL = "def double(x):\n    return 2 * x\n\nassert double(2) == 4\nassert double(0) == 0\nassert double(-3) == -6\n"


@pytest.fixture(scope="module", params=["nsjail", "namespaces"])
def sandbox(request):
    try:
        box = Sandbox(SandboxConfig(workers=2, isolation=request.param, limits=LIMITS))
    except SandboxUnavailable as err:
        if request.param == "nsjail":
            pytest.fail(f"nsjail must run here (make setup installs it): {err}")
        pytest.skip(str(err))
    yield box
    box.close()


def run(box, code):
    return box.run([code])[0]


# --- ordinary programs ----------------------------------------------------------------------


def test_correct_program_passes(sandbox):
    v = run(sandbox, TRIVIAL)
    assert v.status == "pass" and v.exit_code == 0 and v.duration_s < 2


def test_wrong_program_fails_with_its_traceback(sandbox):
    v = run(sandbox, "def double(x):\n    return x + 1\n\nassert double(1) == 2\nassert double(3) == 6\n")
    assert v.status == "fail" and v.detail == "AssertionError"
    assert 'File "program.py", line 5' in v.stderr_tail and "assert double(3) == 6" in v.stderr_tail
    assert "worker.py" not in v.stderr_tail


def test_exception_and_syntax_error_fail(sandbox):
    assert run(sandbox, "{}['missing']").detail == "KeyError: 'missing'"
    v = run(sandbox, "def broken(:\n    pass\n")
    assert v.status == "fail" and v.detail.startswith("SyntaxError")


def test_output_is_captured_as_tails(sandbox):
    v = run(sandbox, "import sys\nprint('hello')\nprint('oops', file=sys.stderr)\n")
    assert v.status == "pass" and v.stdout_tail == "hello\n" and v.stderr_tail == "oops\n"


def test_programs_see_the_warm_standard_library_and_numpy(sandbox):
    assert run(sandbox, "import collections, heapq, re\nassert re.sub('a', 'b', 'aa') == 'bb'\n").status == "pass"
    assert run(sandbox, "import numpy as np\nassert np.arange(4).sum() == 6\n").status == "pass"


def test_verdicts_come_back_in_order(sandbox):
    programs = [f"assert {i} % 3 != 0" for i in range(30)]
    assert [v.status for v in sandbox.run(programs)] == ["fail" if i % 3 == 0 else "pass" for i in range(30)]


# --- the hostile suite -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def host_listener():
    """A TCP server on the host's loopback; counts connections that reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    hits = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            hits.append(1)
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], hits
    server.close()


def host_address() -> str:
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


HOSTILE = {
    # name: (program, allowed verdicts)
    "infinite loop": ("while True:\n    pass\n", {"timeout"}),
    "sleep past the limit": ("import time\ntime.sleep(60)\n", {"timeout"}),
    "ignores SIGTERM": ("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n", {"timeout"}),
    "fork bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", {"timeout"}),
    "thread bomb": (
        "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n",
        {"fail", "timeout", "out_of_memory"},
    ),
    "memory bomb": ("blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))\n", {"out_of_memory"}),
    "one huge allocation": ("x = [0] * (10 ** 10)\n", {"out_of_memory"}),
    "recursion bomb": ("def f(n):\n    return f(n + 1)\nf(0)\n", {"fail"}),
    "recursion bomb, limit lifted": (
        "import sys\nsys.setrecursionlimit(10 ** 8)\ndef f(n):\n    return f(n + 1)\nf(0)\n",
        {"crash", "out_of_memory", "fail", "timeout"},
    ),
    "huge file": ("with open('big', 'wb') as fh:\n    while True:\n        fh.write(b'x' * (1 << 20))\n", {"fail"}),
    "fill /tmp": (
        "i = 0\nwhile True:\n    with open(f'/tmp/fill{i}', 'wb') as fh:\n        fh.write(b'x' * (4 << 20))\n    i += 1\n",
        {"fail"},
    ),
    "fill /dev/shm": (
        "i = 0\nwhile True:\n    with open(f'/dev/shm/fill{i}', 'wb') as fh:\n        fh.write(b'x' * (4 << 20))\n    i += 1\n",
        {"fail"},
    ),
    "too many open files": ("files = [open('/dev/null') for _ in range(100000)]\n", {"fail"}),
    "DNS lookup": ("import socket\nsocket.getaddrinfo('pypi.org', 443)\n", {"fail"}),
    "write into /usr": ("open('/usr/lib/escape.txt', 'w').write('x')\n", {"fail"}),
    "read /etc/shadow": ("print(open('/etc/shadow').read())\n", {"fail"}),
    "read root's files": ("import os\nprint(os.listdir('/root'))\n", {"fail"}),
    # inside a user namespace the program already is uid 0 of that namespace, without capabilities
    "setuid root": ("import os\nos.setuid(0)\nos.setgid(0)\nopen('/etc/shadow').read()\n", {"fail"}),
    "ptrace the worker": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.ptrace(16, 1, 0, 0) == 0, ctypes.get_errno()\n",
        {"fail"},
    ),
    "mount": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.mount(b'none', b'/usr', b'tmpfs', 0, None) == 0\n",
        {"fail"},
    ),
    "os._exit(0) mid-test": ("import os\nos._exit(0)\nassert False\n", {"fail"}),
    "sys.exit(0) mid-test": ("import sys\nsys.exit(0)\nassert False\n", {"fail"}),
    "atexit hook that exits 0": ("import atexit, os\natexit.register(os._exit, 0)\nraise ValueError('failed test')\n", {"fail"}),
    "tampered builtins": (
        "import builtins, sys\nbuiltins.AssertionError = type('Harmless', (Exception,), {})\n"
        "sys.excepthook = lambda *a: None\nassert False\n",
        {"fail"},
    ),
    "forged status message": (
        "import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'P')\n    except OSError:\n        pass\nassert False\n",
        {"fail"},
    ),
    "kills its parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)\nassert True\n", {"pass"}),
    "kills everything it can": ("import os, signal\nos.kill(-1, signal.SIGKILL)\nassert False\n", {"fail", "crash"}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_gets_a_contained_verdict(sandbox, name):
    code, allowed = HOSTILE[name]
    if sandbox.isolation == "namespaces" and os.geteuid() != 0 and name in ("read /etc/shadow", "read root's files", "setuid root"):
        pytest.skip("namespaces isolation hides no files from the user who runs it (only nsjail does)")
    v = run(sandbox, code)
    assert v.status in allowed, (v.status, v.detail, v.stderr_tail[-500:])
    # whatever it did, the next program runs in a clean, working sandbox
    # /tmp holds the program's own directory, and the way to a venv bound back in when the checkout lives under /tmp
    kept = {p.split("/")[2] for p in sandbox.launcher.settings()["keep"] if p.startswith("/tmp/")}
    after = run(
        sandbox,
        f"import os\nassert os.listdir('.') == []\nassert set(os.listdir('/tmp')) <= {{os.path.basename(os.getcwd())}} | {kept!r}\n"
        + TRIVIAL,
    )
    assert after.status == "pass", (name, after.detail, after.stderr_tail[-300:])


def test_no_connection_reaches_the_host(sandbox, host_listener):
    port, hits = host_listener
    for address in ("127.0.0.1", host_address()):
        v = run(sandbox, f"import socket\nsocket.create_connection(({address!r}, {port}), timeout=1)\n")
        assert v.status == "fail", (address, v.detail)
    time.sleep(0.2)
    assert hits == []


def test_files_written_inside_never_reach_the_host(sandbox, tmp_path):
    target = tmp_path / "escape.txt"
    v = run(sandbox, f"open({str(target)!r}, 'w').write('out')\nimport os\nassert os.path.exists({str(target)!r})\n")
    assert v.status == "fail" and not target.exists()
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    assert run(sandbox, f"print(open({str(secret)!r}).read())\n").status == "fail"
    # /tmp inside is private: a file written there is gone for the next program and absent on the host
    assert run(sandbox, "open('/tmp/leftover', 'w').write('x')\n").status == "pass"
    assert run(sandbox, "import os\nassert not os.path.exists('/tmp/leftover')\n").status == "pass"
    assert not os.path.exists("/tmp/leftover")


def test_no_process_outlives_its_program(sandbox):
    marker = "631.25"  # an unusual duration identifies the processes this test starts
    code = (
        "import os, subprocess\n"
        f"subprocess.Popen(['sleep', '{marker}'])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execvp('sleep', ['sleep', '{marker}'])\n"
        "    os._exit(0)\n"
    )
    assert run(sandbox, code).status == "pass"
    alone = (
        "import os\nothers = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]\n"
        "assert others == [], others\n"
    )
    assert run(sandbox, alone).status == "pass"
    survivors = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout.split()
    assert survivors == []


def test_the_pool_keeps_serving_at_full_speed_after_the_suite(sandbox):
    def rate():
        start = time.perf_counter()
        verdicts = sandbox.run([TRIVIAL] * 400)
        assert all(v.status == "pass" for v in verdicts)
        return 400 / (time.perf_counter() - start)

    before = rate()
    for code, _ in HOSTILE.values():
        run(sandbox, code)
    after = rate()
    assert after >= 0.6 * before, (before, after)
    assert sandbox.describe()["workers_replaced"] == 0


def test_a_dead_worker_is_replaced(sandbox):
    worker = sandbox.workers[0]
    os.kill(worker.proc.pid, 9)
    time.sleep(0.2)
    verdicts = sandbox.run([TRIVIAL] * 6)
    statuses = [v.status for v in verdicts]
    assert statuses.count("crash") <= 1 and statuses.count("pass") >= 5  # only the program it held
    assert all("replaced" in v.detail for v in verdicts if v.status == "crash")
    assert run(sandbox, TRIVIAL).status == "pass"
    assert sandbox.workers[0].proc.poll() is None and sandbox.workers[0].started == 2


def test_programs_queued_behind_a_dying_worker_run_on_its_replacement():
    with Sandbox(SandboxConfig(workers=1, isolation="nsjail", limits=LIMITS)) as box:
        threading.Timer(0.5, os.kill, (box.workers[0].proc.pid, signal.SIGKILL)).start()
        verdicts = box.run(["import time\ntime.sleep(1.5)\n", TRIVIAL, "assert False", TRIVIAL])
        assert [v.status for v in verdicts] == ["crash", "pass", "fail", "pass"]
        assert "replaced" in verdicts[0].detail and box.workers[0].started == 2


# --- warm workers: what the programs import is imported once, before the first fork -------------


def test_imports_are_found_in_every_form():
    code = "import numpy as np, os.path\nfrom collections.abc import Iterable\nfrom . import sibling\ndef f():\n    import heapq  # late\n"
    assert imported_modules(code) == {"numpy", "os.path", "collections.abc", "heapq"}


def test_workers_warm_what_enough_programs_import():
    numeric = ["import numpy as np\nassert np.ones(2).sum() == 2\n"] * 3
    assert "numpy" in warm_imports(numeric + [TRIVIAL] * 97)  # 3 %
    assert "numpy" not in warm_imports(numeric[:1] + [TRIVIAL] * 99)  # 1 %
    assert "antigravity" not in warm_imports(["import antigravity\n"] * 10)  # not on the allow-list
    assert set(PREIMPORT) <= set(warm_imports([]))


def test_a_preimported_module_is_already_loaded_in_the_child():
    programs = ["import sys\nassert 'numpy' in sys.modules\nimport numpy\nassert numpy.arange(3).sum() == 3\n"] * 4
    with Sandbox(SandboxConfig(workers=1, isolation="nsjail", limits=LIMITS, preimport=warm_imports(programs))) as box:
        assert "numpy" in box.describe()["preimported"]
        assert [v.status for v in box.run(programs)] == ["pass"] * 4
    with Sandbox(SandboxConfig(workers=1, isolation="nsjail", limits=LIMITS)) as box:
        assert box.run(programs[:1])[0].status == "fail"  # not warmed: the child imports it itself


def test_a_module_that_prints_at_import_cannot_corrupt_the_verdicts():
    with Sandbox(SandboxConfig(workers=1, isolation="nsjail", limits=LIMITS, preimport=PREIMPORT + ("this",))) as box:
        assert "this" in box.describe()["preimported"]
        verdict = box.run(["print('mine')\n" + TRIVIAL])[0]
        assert verdict.status == "pass" and verdict.stdout_tail == "mine\n"


# --- the weakest isolation still gives right verdicts and never runs code as root ------------


def test_process_isolation_verdicts_and_user():
    with Sandbox(SandboxConfig(workers=1, isolation="process", limits=LIMITS)) as box:
        assert box.isolation == "process"
        statuses = [v.status for v in box.run([TRIVIAL, "assert False", "while True: pass", "x = [0] * 10**10"])]
        assert statuses == ["pass", "fail", "timeout", "out_of_memory"]
        if os.geteuid() == 0:
            assert run(box, "import os\nassert os.getuid() != 0\n").status == "pass"


def test_auto_picks_the_strongest_isolation_that_runs():
    with Sandbox(SandboxConfig(workers=1, isolation="auto", limits=LIMITS)) as box:
        assert box.isolation == "nsjail" and box.describe()["skipped"] == {}


# --- failing closed ----------------------------------------------------------------------------


def test_auto_never_falls_back_to_an_unconfined_process(monkeypatch, tmp_path):
    from codealign.sandbox import pool

    monkeypatch.setattr(pool, "_nsjail_binary", lambda: None)  # as on a machine without nsjail
    monkeypatch.setenv("PATH", str(tmp_path))  # … and without unshare
    with pytest.raises(SandboxUnavailable, match=r"execution\.isolation: auto found no isolation .* execution\.isolation: process"):
        Sandbox(SandboxConfig(workers=1, isolation="auto", limits=LIMITS))
    with pytest.raises(SandboxUnavailable, match=r"execution\.isolation: 'namespaces' cannot run here: no unshare"):
        Sandbox(SandboxConfig(workers=1, isolation="namespaces", limits=LIMITS))


def test_a_site_packages_the_jail_cannot_read_fails_loudly(tmp_path):
    hidden = tmp_path / "site"  # pytest's tmp dirs are private (0700)
    hidden.mkdir()
    with pytest.raises(SandboxUnavailable, match=r"execution\.site_packages: .* not readable by the jail's unprivileged user"):
        Sandbox(SandboxConfig(workers=1, isolation="nsjail", site_packages=str(hidden), limits=LIMITS))


@pytest.fixture
def site_under_tmp():
    """A package directory under /tmp, where a clone's venv lives when a user clones there."""
    import shutil
    import tempfile

    root = tempfile.mkdtemp(prefix="codealign-clone-", dir="/tmp")
    os.chmod(root, 0o755)
    site = os.path.join(root, ".venv", "lib", "site-packages")
    os.makedirs(os.path.join(site, "clonepkg"))
    for path in (os.path.join(root, ".venv"), os.path.join(root, ".venv", "lib"), site, os.path.join(site, "clonepkg")):
        os.chmod(path, 0o755)
    with open(os.path.join(site, "clonepkg", "__init__.py"), "w") as fh:
        fh.write("ANSWER = 42\n")
    os.chmod(os.path.join(site, "clonepkg", "__init__.py"), 0o644)
    import numpy  # and a real compiled package, as a venv there holds it

    source = os.path.dirname(os.path.dirname(numpy.__file__))
    for name in ("numpy", "numpy.libs"):
        if os.path.isdir(os.path.join(source, name)):
            shutil.copytree(os.path.join(source, name), os.path.join(site, name))
    yield site
    shutil.rmtree(root)


@pytest.mark.parametrize("isolation", ["nsjail", "namespaces", "process"])
def test_packages_of_a_venv_under_tmp_import_on_every_isolation(isolation, site_under_tmp):
    with Sandbox(SandboxConfig(workers=1, isolation=isolation, site_packages=site_under_tmp, limits=LIMITS, preimport=())) as box:
        program = "import clonepkg, numpy\nassert clonepkg.ANSWER == 42 and numpy.arange(4).sum() == 6\n"
        first, second = box.run([program] * 2)  # the second after the jail's /tmp was emptied
        assert (first.status, second.status) == ("pass", "pass"), (first.detail, second.detail)
        assert box.describe()["site_packages"]["path"] == site_under_tmp


FORK_AND_ALLOCATE = """
import os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (300 * 1024 * 1024)  # within the per-process limit, written so it is resident
        time.sleep(5)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
"""


@pytest.mark.parametrize("isolation", ["nsjail", "namespaces", "process"])
def test_the_memory_limit_bounds_a_programs_whole_process_tree(isolation):
    limits = Limits(timeout_s=8.0, memory_mb=512, processes=64, file_size_mb=8, open_files=64)
    with Sandbox(SandboxConfig(workers=1, isolation=isolation, limits=limits, preimport=())) as box:
        verdict = box.run([FORK_AND_ALLOCATE])[0]
        assert verdict.status == "out_of_memory" and "together used" in verdict.detail, verdict
        assert verdict.duration_s < 5  # killed as soon as it went over, not at the time limit
        assert box.run(["assert 1 + 1 == 2"])[0].status == "pass"  # the worker serves on
