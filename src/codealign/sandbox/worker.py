"""A sandbox worker: one long-lived interpreter inside the jail that forks a child per program.

Runs under any Python >= 3.8 with the standard library only (inside the jail there is nothing
else), started by :mod:`codealign.sandbox.pool`. Protocol: JSON lines on stdin/stdout; the first
line out is ``{"ready": ...}``, then one verdict line per program line in.

Per program, the child:
  * starts a new session, moves to a fresh empty directory, drops limits on address space, CPU
    time, processes, file size and open files; stdin is /dev/null, stdout and stderr are pipes
    whose tails the worker keeps;
  * runs the program as ``__main__``; when the program returns it writes "P" and a per-run nonce
    on a private status pipe, so ``os._exit(0)``, ``sys.exit(0)`` or a tampered builtin in the middle
    of a test cannot pass for a completed run.
The worker waits for the child with a wall-clock deadline (then SIGKILLs its process group). When
the worker is PID 1 of its own PID namespace (nsjail, unshare), one ``kill(-1, SIGKILL)`` after
every program removes whatever the program left running — forks, daemons, double-forked
orphans — and the kernel ignores SIGKILL sent to PID 1 from inside, so a program cannot kill it.
/tmp and /dev/shm, private to the jail, are emptied after every program.

Before its first fork the worker imports what it was told to preimport and runs the child's own
path once per outcome (``_warm_up``), so children start with a warm compiler and traceback
machinery. The pool may queue the next request while a program runs; a child inherits the
worker's memory and so could read that next program's source — generated code of the same
model, nothing secret — but never its nonce, which is drawn after the child exits.
"""

import errno
import gc
import io
import json
import linecache
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback

STATUS_FD = 3
TAIL = 4096
VERDICT_SIGNALS = {signal.SIGXCPU: "timeout"}  # CPU-time limit; any other signal is a crash


def _tail(buf, data):
    buf += data
    if len(buf) > 2 * TAIL:
        del buf[: len(buf) - TAIL]


def _libc():
    import ctypes

    return ctypes, ctypes.CDLL(None, use_errno=True)


def _harden_mounts(tmp_mb, keep=()):
    """Namespaces mode (we are root of a fresh user+mount namespace): every filesystem read-only,
    private /tmp and /dev/shm. Directories under /tmp that programs import from (``keep``: a
    checkout's venv there) are bound back, read-only, at the same path over the private /tmp.
    Returns how many mounts could not be made read-only."""
    ctypes, libc = _libc()
    MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
    atime = {"noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21, "strictatime": 1 << 24}

    def mount(source, target, fstype, flags, data):
        if libc.mount(source, target.encode(), fstype, flags, data) != 0:
            raise OSError(ctypes.get_errno(), f"mount {target}")

    mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    failures = 0
    with open("/proc/self/mountinfo") as fh:
        mounts = [line.split() for line in fh]
    for fields in mounts:
        target = fields[4].encode().decode("unicode_escape")
        if target.startswith(("/proc", "/dev", "/sys")) or target in ("/tmp",):
            continue
        opts = fields[5].split(",")
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        flags |= (MS_NOSUID if "nosuid" in opts else 0) | (MS_NODEV if "nodev" in opts else 0) | (MS_NOEXEC if "noexec" in opts else 0)
        flags |= sum(v for k, v in atime.items() if k in opts)
        try:
            mount(None, target, None, flags, None)
        except OSError:
            failures += 1
    held = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in keep if path.startswith("/tmp/") and os.path.isdir(path)}
    mount(b"tmpfs", "/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m".encode())
    for path, fd in held.items():  # the fd still reaches the directory the new /tmp hides
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}".encode(), path, None, MS_BIND | MS_REC, None)
        mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
        os.close(fd)
    mount(b"tmpfs", "/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=16m")
    return failures


def _drop_capabilities():
    """Namespaces mode: the child, root of its user namespace, gives up every capability."""
    ctypes, libc = _libc()
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (fails harmlessly past the last capability)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    if libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def _become_subreaper():
    """Without a PID namespace, orphans of a program come to us instead of escaping to init."""
    _, libc = _libc()
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _descendants(pid):
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{current}/task/{tid}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except OSError:
                continue
            out.extend(kids)
            todo.extend(kids)
    return out


def _limit(kind, value):
    if value is None:
        return
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            resource.setrlimit(kind, (min(value, hard), hard))


def _run_program(code):
    """Compile and run ``code`` as ``__main__``; an exception it raises propagates."""
    linecache.cache["program.py"] = (len(code), None, code.splitlines(True), "program.py")  # tracebacks show lines
    compiled = compile(code, "program.py", "exec")
    exec(compiled, {"__name__": "__main__", "__file__": "program.py", "__builtins__": __builtins__})
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _report(err):
    """Write the traceback of an exception the program raised (its own frames only) to stderr;
    return its type and message for the verdict."""
    try:
        tb = err.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == _run_program.__code__.co_filename:
            tb = tb.tb_next  # this module's frames are not the program's
        text = "".join(traceback.format_exception(type(err), err, tb))
        sys.stderr.write(text[-TAIL:])
        sys.stderr.flush()
        return {"type": type(err).__name__, "message": str(err)[:500]}
    except BaseException:
        return {"type": "unprintable exception", "message": ""}


# One program per outcome the child reports, in the constructs generated code uses most.
WARM_UP = (
    "import dataclasses, typing\n"
    "@dataclasses.dataclass\nclass Point:\n    x: int\n    y: int = 0\n\n"
    "def norm(points: typing.List[Point], scale: float = 1.0) -> typing.Dict[str, float]:\n"
    '    """Sum of coordinates."""\n'
    "    total = sum(p.x + p.y for p in points)\n"
    "    squares = [v * v for v in range(3) if v]\n"
    "    try:\n        ratio = total / len(points)\n    except ZeroDivisionError:\n        ratio = 0.0\n"
    "    return {f'{k}': v * scale for k, v in sorted({'t': total, 'r': ratio}.items(), key=lambda kv: kv[0])}\n\n"
    "assert norm([Point(1, 2), Point(3)]) == {'r': 3.0, 't': 6}\n"
    "assert isinstance(repr(Point(0)), str)\n",
    "def double(x):\n    return x + 1\n\nassert double(1) == 2\nassert double(3) == 6, 'double(3)'\n",
    "def pick(d, key):\n    return d[key]\n\npick({}, 'missing')\n",
    "def broken(:\n    pass\n",
)


def _warm_up():
    """Run the child's path once per outcome here, in the worker, so that every forked child
    inherits a warm compiler and traceback machinery: cold, the first compile and the first
    traceback cost a child several milliseconds, more than the rest of a short program's run."""
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    try:
        for code in WARM_UP:
            try:
                _run_program(code)
            except BaseException as err:
                _report(err)
    finally:
        sys.stdout, sys.stderr = saved
        linecache.cache.pop("program.py", None)


def _child(code, limits, status_w, out_w, err_w, workdir, nonce, settings):
    """Runs in the forked child; never returns."""
    write, exit_ = os.write, os._exit
    try:
        os.setsid()
        if settings.get("drop_caps"):
            _drop_capabilities()
        if settings.get("run_as"):  # process mode started as root: run the program as nobody
            uid, gid = settings["run_as"]
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        os.chdir(workdir)
        os.dup2(_DEVNULL[0], 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(status_w, STATUS_FD)
        os.closerange(STATUS_FD + 1, 4096)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes fail with EFBIG instead
        mb = 1024 * 1024
        _limit(resource.RLIMIT_AS, limits["memory_mb"] * mb)
        _limit(resource.RLIMIT_CPU, int(limits["timeout_s"]) + 1)
        _limit(resource.RLIMIT_NPROC, settings.get("nproc_base", 0) + limits["processes"])
        _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb)
        _limit(resource.RLIMIT_NOFILE, limits["open_files"])
        _limit(resource.RLIMIT_CORE, 0)
        sys.argv = ["program.py"]
        _run_program(code)
        write(STATUS_FD, b"P" + nonce)
        exit_(0)
    except MemoryError:
        write(STATUS_FD, b"M")
        exit_(1)
    except BaseException as err:  # every exception, SystemExit and KeyboardInterrupt included, is a failure
        detail = _report(err)
        try:
            write(STATUS_FD, b"F" + json.dumps(detail).encode())
        finally:
            exit_(1)


def _sweep(pid, own_namespace):
    """Kill what the program left running and reap it."""
    if own_namespace:
        try:
            os.kill(-1, signal.SIGKILL)  # every process in this PID namespace but us
        except ProcessLookupError:
            pass
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for _ in range(3):  # orphans re-parented to us (we are their subreaper), breeding as we go
            victims = _descendants(os.getpid())
            if not victims:
                break
            for victim in victims:
                try:
                    os.kill(victim, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            while True:
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
    while True:
        try:
            reaped, _ = os.waitpid(-1, os.WNOHANG if not own_namespace else 0)
        except ChildProcessError:
            return
        if reaped == 0:
            return


def _remove(path):
    """Remove a file or tree the program made, even one it chmod-ed unwritable."""

    def retry(function, failed, _exc):
        try:
            os.chmod(os.path.dirname(failed), 0o700)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, 0o700)
            function(failed)
        except OSError:
            pass

    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=retry)
        else:
            os.unlink(path)
    except OSError:
        pass


def _empty(directory, keep=()):
    """Remove everything in ``directory`` but the way to the ``keep`` directories bound into it."""
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for name in entries:
        path = os.path.join(directory, name)
        if not any(k == path or k.startswith(path + "/") for k in keep):
            _remove(path)


_RUNS = [0]
_DEVNULL = [None]  # opened once by main(); every child's stdin


def run(request, settings):
    limits = request["limits"]
    _RUNS[0] += 1
    workdir = os.path.join(settings["tmp"], f"run-{os.getpid()}-{_RUNS[0]}")
    os.mkdir(workdir, 0o700)
    if settings.get("run_as"):
        os.chown(workdir, *settings["run_as"])
    status_r, status_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    nonce = os.urandom(16).hex().encode()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(request["code"], limits, status_w, out_w, err_w, workdir, nonce, settings)
        finally:
            os._exit(70)
    for fd in (status_w, out_w, err_w):
        os.close(fd)
    pipes = _Pipes(status_r, out_r, err_r)
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    exited, timed_out, too_big = _supervise(pid, pidfd, pipes, started, limits)
    duration = time.monotonic() - started
    pipes.drain()  # what the program wrote just before exiting (grandchildren may hold the pipes open)
    for fd in (status_r, out_r, err_r):
        os.close(fd)
    if pidfd is not None:
        os.close(pidfd)
    _sweep(pid, settings["own_namespace"])
    if settings["own_tmp"]:  # /tmp (the work directory's parent) and /dev/shm are the jail's own: empty them
        _empty(settings["tmp"], settings.get("keep", ()))
        _empty("/dev/shm")
    else:
        _remove(workdir)
    verdict = _verdict(bytes(pipes.status), nonce, exited, timed_out, duration, bytes(pipes.out), bytes(pipes.err))
    if too_big:
        verdict.update(
            status="out_of_memory", detail=f"its processes together used {too_big >> 20} MB, over the {limits['memory_mb']} MB limit"
        )
    return verdict


class _Pipes:
    """The program's status, stdout and stderr pipes: the status kept to its first 4 KB, the
    output streams to their last bytes (``_tail``)."""

    def __init__(self, status_r, out_r, err_r):
        self.status_r = status_r
        self.status, self.out, self.err = bytearray(), bytearray(), bytearray()
        self.buffers = {status_r: self.status, out_r: self.out, err_r: self.err}
        self.open = [status_r, out_r, err_r]

    def read(self, fd):
        data = os.read(fd, 65536)
        if not data:
            self.open.remove(fd)
        elif fd == self.status_r:
            self.status.extend(data[:4096])
        else:
            _tail(self.buffers[fd], data)
        return data

    def drain(self):
        for fd in list(self.open):
            while fd in self.open and select.select([fd], [], [], 0)[0] and self.read(fd):
                pass


def _supervise(pid, pidfd, pipes, started, limits):
    """Wait for the program while reading its pipes; kill its process tree at the deadline or once
    the tree's memory passes the limit. Returns (wait status, timed out, bytes used when over)."""
    deadline = started + limits["timeout_s"]
    budget = limits["memory_mb"] << 20
    next_check = started + MEMORY_CHECK_S
    too_big = None
    while True:
        now = time.monotonic()
        remaining = deadline - now
        if now >= next_check:  # the program's processes together, not each on its own (RLIMIT_AS)
            used = _tree_rss(pid)
            if used > budget:
                too_big = used
            next_check = now + MEMORY_CHECK_S
        if remaining <= 0 or too_big:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            _kill_descendants(pid)
            return os.waitpid(pid, 0)[1], not too_big, too_big
        watch = pipes.open + ([pidfd] if pidfd is not None else [])
        ready, _, _ = select.select(watch, [], [], max(0.0, min(remaining, next_check - now)))
        exited = None
        for fd in ready:
            if fd == pidfd:
                exited = os.waitpid(pid, 0)[1]
            else:
                pipes.read(fd)
        if pidfd is None and exited is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                exited = code
        if exited is not None:
            return exited, False, too_big


MEMORY_CHECK_S = 0.05  # how often a running program's process tree is measured


def _tree_rss(pid):
    """Memory of a program and all its descendants: the sum of their proportional set sizes, so
    pages that forked processes share (copy-on-write) count once, not once per process."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:")) << 10
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return total


def _kill_descendants(pid):
    for child in _descendants(pid):
        try:
            os.kill(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _verdict(status, nonce, wait_status, timed_out, duration, out, err):
    code = os.waitstatus_to_exitcode(wait_status) if wait_status is not None else None
    sig = -code if code is not None and code < 0 else None
    verdict = {
        "status": "crash",
        "exit_code": code,
        "signal": sig,
        "duration_s": round(duration, 6),
        "detail": "",
        "stdout_tail": out[-TAIL:].decode("utf-8", "replace"),
        "stderr_tail": err[-TAIL:].decode("utf-8", "replace"),
    }
    if timed_out:
        verdict.update(status="timeout", detail="wall-clock limit reached")
    elif status == b"M":
        verdict.update(status="out_of_memory", detail="MemoryError")
    elif status == b"P" + nonce and code == 0:
        verdict.update(status="pass")
    elif status.startswith(b"F"):
        try:
            info = json.loads(status[1:].decode("utf-8", "replace"))
            verdict.update(status="fail", detail=f"{info['type']}: {info['message']}".strip(": "))
        except (ValueError, KeyError, TypeError):
            verdict.update(status="fail", detail="malformed failure report")
    elif sig is not None:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        verdict.update(status=VERDICT_SIGNALS.get(sig, "crash"), detail=f"killed by {name}")
    else:
        verdict.update(status="fail", detail=f"exited with code {code} before the program finished")
    return verdict


def main():
    settings = json.loads(sys.argv[1])
    # The protocol moves to private descriptors before anything is imported: whatever a module
    # prints lands in the worker's log (stderr), never in the verdict stream.
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")
    _DEVNULL[0] = os.open(os.devnull, os.O_RDONLY)
    os.dup2(_DEVNULL[0], 0)
    os.dup2(2, 1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # numerical libraries start no thread pools in a worker that forks
    if settings.get("site"):
        sys.path.append(settings["site"])
    preimported = []
    for name in settings.get("preimport", []):
        try:
            __import__(name)
            preimported.append(name)
        except Exception:
            pass
    if settings.get("harden_mounts"):
        settings["mounts_left_writable"] = _harden_mounts(settings.get("tmp_mb", 256), settings.get("keep", ()))
    os.makedirs(settings["tmp"], exist_ok=True)
    _warm_up()
    sys.stdout.flush()  # children inherit these buffers: nothing of the worker's may reach their output
    sys.stderr.flush()
    gc.collect()
    gc.freeze()  # keep the warm heap out of later collections: cheaper, copy-on-write-friendlier forks
    settings["own_namespace"] = os.getpid() == 1
    if not settings["own_namespace"]:
        _become_subreaper()
    hello = {
        "ready": True,
        "pid": os.getpid(),
        "uid": os.getuid(),
        "python": sys.version.split()[0],
        "own_namespace": settings["own_namespace"],
        "mounts_left_writable": settings.get("mounts_left_writable"),
        "preimported": preimported,
    }
    protocol_out.write(json.dumps(hello).encode() + b"\n")
    protocol_out.flush()
    for line in protocol_in:
        request = json.loads(line)
        try:
            result = run(request, settings)
        except OSError as err:  # e.g. the jail's process limit reached: report, keep serving
            result = {
                "status": "crash",
                "exit_code": None,
                "signal": None,
                "duration_s": 0.0,
                "detail": f"sandbox error: {errno.errorcode.get(err.errno, err.errno)} {err}",
                "stdout_tail": "",
                "stderr_tail": "",
            }
        protocol_out.write(json.dumps(result).encode() + b"\n")
        protocol_out.flush()


if __name__ == "__main__":
    main()
