"""A real single-node SLURM on localhost for tests: munge, slurmctld and slurmd from Debian's
slurm-wlm, one node with the machine's CPUs and one fake GPU (a gres backed by /dev/null), and two
partitions, ``cpu`` and ``gpu``.

The config must live at /etc/slurm/slurm.conf: the SLURM executor's job step clears SLURM_*
variables (SLURM_CONF included) inside jobs, so ``srun`` there only finds the default path. A
config there that this module did not write is never touched (the test skips instead).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

CONF = Path("/etc/slurm/slurm.conf")
GRES = Path("/etc/slurm/gres.conf")
MARKER = "# written by codealign tests/slurmutil.py"


class Unavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalSlurm:
    def __init__(self, root: Path):
        self.root = root
        self.host = socket.gethostname()
        self.pids: list[Path] = []

    def check(self) -> None:
        if os.geteuid() != 0:
            raise Unavailable("needs root (slurmd runs jobs as their user and writes /etc/slurm)")
        missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol") if not shutil.which(b)]
        if missing:
            raise Unavailable(f"{', '.join(missing)} not installed (apt-get install slurm-wlm munge; make setup does it as root)")
        if CONF.exists() and MARKER not in CONF.read_text():
            raise Unavailable(f"{CONF} exists and belongs to a real cluster; not touching it")

    def start(self) -> LocalSlurm:
        self.check()
        r = self.root
        for d in ("state", "spool", "log", "munge"):
            (r / d).mkdir(parents=True, exist_ok=True)
        key = r / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        sock = r / "munge" / "munge.socket"
        cpus = os.cpu_count() or 1
        CONF.parent.mkdir(parents=True, exist_ok=True)
        CONF.write_text(f"""{MARKER}
ClusterName=codealign-test
SlurmctldHost={self.host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=3600
GresTypes=gpu
# The rules declare paper-scale memory (up to 64 GB); memory is not consumed here (CR_CPU), and the
# node may claim more than the machine has.
SlurmdParameters=config_overrides
NodeName={self.host} CPUs={cpus} RealMemory=65536 Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=ALL MaxTime=INFINITE State=UP
""")
        GRES.write_text(f"{MARKER}\nNodeName={self.host} Name=gpu File=/dev/null\n")
        env = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
        subprocess.run(
            [
                "munged",
                f"--key-file={key}",
                f"--socket={sock}",
                f"--pid-file={r}/munge/munged.pid",
                f"--log-file={r}/munge/munged.log",
                f"--seed-file={r}/munge/seed",
                "--force",
            ],
            check=True,
            env=env,
        )
        self.pids.append(r / "munge" / "munged.pid")
        subprocess.run(["slurmctld"], check=True, env=env)
        self.pids.append(r / "slurmctld.pid")
        subprocess.run(["slurmd"], check=True, env=env)
        self.pids.append(r / "slurmd.pid")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.split()
            if state and all(s == "idle" for s in state):
                return self
            if any("drain" in s or "inval" in s for s in state):
                subprocess.run(["scontrol", "update", f"nodename={self.host}", "state=resume"], capture_output=True)
            time.sleep(0.5)
        raise Unavailable(f"the node never became idle: {state}; see {r}/log")

    def job(self, job_id: str) -> dict[str, str]:
        out = subprocess.run(["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True, check=True).stdout
        return dict(field.split("=", 1) for field in out.split() if "=" in field)

    def stop(self) -> None:
        for pid_file in reversed(self.pids):
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        time.sleep(1)
        for path in (CONF, GRES):
            if path.exists() and MARKER in path.read_text():
                path.unlink()
