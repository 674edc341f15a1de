"""Start a Debian 12 test host: the cached image behind an overlay, in its own namespaces.

A test host is the cached root file system (``image.py``) under a throw-away overlay, run by
``unshare`` in new mount, UTS and PID namespaces (``tini`` is PID 1 and reaps the daemons roles
start; ``sshd -D`` is its child) inside its own network namespace. A veth pair joins that namespace
to this machine with a private /30 that exists only between the two ends, so Ansible reaches the
host over SSH exactly as it reaches a real machine while the host itself reaches nothing beyond
this machine. systemd is not PID 1 there, so ``ansible_service_mgr`` is not ``systemd`` and roles
take their init-script paths.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.testhosts.image import APT_ARCHIVES, ensure_image

RUN_ROOT = Path(os.environ.get("KIEMKE_TESTHOST_RUN", "/var/tmp/kiemke-testhost"))
TMPFS_SIZE = os.environ.get("KIEMKE_TESTHOST_TMPFS", "6g")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


class TestHostError(RuntimeError):
    """The test host could not be started or a command inside it failed."""


def can_run_test_hosts() -> str | None:
    """Return why test hosts cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "test hosts need root (namespaces, mounts, debootstrap)"
    for tool in ("unshare", "nsenter", "ip", "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"test hosts need {tool!r} on PATH"
    return None


def _sh(argv: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a host-side setup command, failing loudly with its output."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
    if proc.returncode != 0:
        raise TestHostError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.stdout}")
    return proc


def reap_stale() -> None:
    """Remove what killed sessions left: network namespaces with no process, their workdirs."""
    names = _sh(["ip", "netns", "list"]).stdout.split()
    for name in names:
        if not name.startswith("kiemke-th") or not name[len("kiemke-th"):].isdigit():
            continue
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                              check=False).stdout.split()
        workdirs = list(RUN_ROOT.glob(f"{name}-*"))
        # A host being started has its workdir before its namespace, and processes within a
        # second or so: only an empty namespace whose workdir is not new is left over.
        if pids or any(time.time() - w.stat().st_mtime < 120 for w in workdirs):
            continue
        index = name[len("kiemke-th"):]
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", f"kth{index}h"], capture_output=True, check=False)
        for workdir in workdirs:
            shutil.rmtree(workdir, ignore_errors=True)


def _free_subnet_index() -> int:
    """Pick an index N whose 10.254.N.0/30 is not already used on this machine."""
    used = _sh(["ip", "-4", "-o", "addr", "show"]).stdout + _sh(["ip", "-4", "route"]).stdout
    start = os.getpid() % 250
    for i in range(250):
        n = (start + i) % 250 + 1
        if f"10.254.{n}." not in used:
            return n
    raise TestHostError("no free 10.254.N.0/30 subnet for a test host")


class TestHost:
    """One running test host; use as a context manager or call start() and stop()."""

    __test__ = False  # not a pytest test class despite its name

    def __init__(self, name: str = "kiemke-testhost") -> None:
        self.name = name
        reap_stale()
        self.index = _free_subnet_index()
        self.netns = f"kiemke-th{self.index}"
        self.ip = f"10.254.{self.index}.2"
        self.gateway = f"10.254.{self.index}.1"
        self.port = 22
        self.workdir = Path()
        self.key_path = Path()
        self.inventory_path = Path()
        self._proc: subprocess.Popen | None = None
        self._image_lock = None
        self._init_pid = 0

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> TestHost:
        """Build or reuse the image, then boot the host and wait until sshd answers."""
        lower = ensure_image()
        # A shared lock on the image for the host's lifetime: pruning never removes it under us.
        self._image_lock = open(lower.parent / "lock")  # noqa: SIM115 - held until stop()
        fcntl.flock(self._image_lock, fcntl.LOCK_SH)
        RUN_ROOT.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.netns}-", dir=RUN_ROOT))
        for d in ("seed", "layer", "merged"):
            (self.workdir / d).mkdir()
        self.key_path = self.workdir / "id_ed25519"
        _sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kiemke-test",
             "-f", str(self.key_path)])
        ssh_dir = self.workdir / "seed/root/.ssh"
        ssh_dir.mkdir(parents=True, mode=0o700)
        (ssh_dir / "authorized_keys").write_text(Path(f"{self.key_path}.pub").read_text())
        os.chmod(ssh_dir / "authorized_keys", 0o600)
        self._network_up()
        self._boot(lower)
        self._write_inventory()
        return self

    def _network_up(self) -> None:
        """Create the network namespace and the veth pair with its private /30."""
        host_if, guest_if = f"kth{self.index}h", f"kth{self.index}g"
        _sh(["ip", "netns", "add", self.netns])
        _sh(["ip", "link", "add", host_if, "type", "veth", "peer", "name", guest_if])
        _sh(["ip", "link", "set", guest_if, "netns", self.netns])
        _sh(["ip", "addr", "add", f"{self.gateway}/30", "dev", host_if])
        _sh(["ip", "link", "set", host_if, "up"])
        inside = ["ip", "netns", "exec", self.netns]
        _sh([*inside, "ip", "link", "set", "lo", "up"])
        _sh([*inside, "ip", "addr", "add", f"{self.ip}/30", "dev", guest_if])
        _sh([*inside, "ip", "link", "set", guest_if, "up"])

    def _boot(self, lower: Path) -> None:
        """Mount the overlay and pseudo file systems in new namespaces and exec tini + sshd."""
        m = self.workdir / "merged"
        w = self.workdir
        lines = [
            "set -e",
            # The writable layer is a tmpfs: package installs run at memory speed, and it
            # vanishes with the mount namespace, so stopping the host deletes nothing on disk.
            f"mount -t tmpfs -o size={TMPFS_SIZE},mode=0755 tmpfs {w}/layer",
            f"mkdir {w}/layer/upper {w}/layer/work",
            f"cp -a {w}/seed/. {w}/layer/upper/",
            f"mount -t overlay overlay -o lowerdir={lower},upperdir={w}/layer/upper,"
            f"workdir={w}/layer/work {m}",
            f"mount -t proc proc {m}/proc",
            f"mount -t sysfs -o ro sysfs {m}/sys",
            f"mount -t tmpfs -o mode=0755,size=16m tmpfs {m}/dev",
        ]
        for dev in DEVICES:
            lines += [f"touch {m}/dev/{dev}", f"mount --bind /dev/{dev} {m}/dev/{dev}"]
        lines += [
            f"mkdir -p {m}/dev/pts {m}/dev/shm",
            f"mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts {m}/dev/pts",
            f"ln -s pts/ptmx {m}/dev/ptmx",
            f"ln -s /proc/self/fd {m}/dev/fd",
            f"mount -t tmpfs -o mode=1777 tmpfs {m}/dev/shm",
            f"mount -t tmpfs -o mode=0755 tmpfs {m}/run",
            f"mkdir -p {m}/run/sshd {m}/run/lock",
            f"mount -t tmpfs -o mode=1777 tmpfs {m}/tmp",
            f"mount --bind {APT_ARCHIVES} {m}/var/cache/apt/archives",
            f"hostname {self.name}",
            # The image's package lists are the snapshot the archive was filled from: tell apt
            # (and Ansible's cache_valid_time) they are fresh, since no mirror is reachable.
            f"mkdir -p {m}/var/lib/apt/periodic",
            f"touch {m}/var/lib/apt/periodic/update-success-stamp",
            f"exec chroot {m} /usr/bin/tini -s -- /usr/sbin/sshd -D -e",
        ]
        log = open(self.workdir / "console.log", "w")  # noqa: SIM115 - lives as long as the host
        self._proc = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "unshare", "--mount", "--uts", "--pid",
             "--fork", "--kill-child", "--propagation", "private", "/bin/sh", "-c",
             "\n".join(lines)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise TestHostError(f"test host exited at boot: {self.console()}")
            if not self._init_pid:
                self._init_pid = self._find_init()
            if self._init_pid and self._port_open():
                return
            time.sleep(0.2)
        raise TestHostError(f"sshd in the test host did not answer in 30 s: {self.console()}")

    def _find_init(self) -> int:
        """Return the host-side PID of the test host's PID 1 (unshare's forked child)."""
        assert self._proc is not None
        # ip netns exec execs unshare, so the Popen PID is unshare's; its child is PID 1 inside.
        path = Path(f"/proc/{self._proc.pid}/task/{self._proc.pid}/children")
        try:
            kids = path.read_text().split()
        except OSError:
            return 0
        return int(kids[0]) if kids else 0

    def _port_open(self) -> bool:
        """Whether sshd accepts TCP connections yet."""
        try:
            with socket.create_connection((self.ip, self.port), timeout=0.5) as s:
                return s.recv(4).startswith(b"SSH")
        except OSError:
            return False

    def _write_inventory(self) -> None:
        """Write an INI inventory naming this host in the groups the playbooks use."""
        ssh_args = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
        line = (
            f"{self.name} ansible_host={self.ip} ansible_port={self.port} ansible_user=root "
            f"ansible_ssh_private_key_file={self.key_path} "
            f"ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='{ssh_args}'"
        )
        self.inventory_path = self.workdir / "inventory.ini"
        self.inventory_path.write_text(
            f"[testhosts]\n{line}\n\n"
            "[role_workstation:children]\ntesthosts\n\n"
            "[role_server:children]\ntesthosts\n"
        )

    def console(self) -> str:
        """Return what the host's init and sshd printed so far."""
        try:
            return (self.workdir / "console.log").read_text()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Kill every process in the host, drop its namespaces and its overlay."""
        if self._proc is not None and self._proc.poll() is None:
            # Killing PID 1 of the host's PID namespace kills every process in it; unshare
            # (which ignores SIGTERM while it waits) then exits, and so does the mount namespace.
            if self._init_pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._init_pid, signal.SIGKILL)
            else:
                self._proc.kill()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", f"kth{self.index}h"], capture_output=True,
                       check=False)
        if self._image_lock is not None:
            self._image_lock.close()
            self._image_lock = None
        if self.workdir != Path() and self.workdir.exists():
            # The overlay and its tmpfs were mounted only in the host's mount namespace.
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> TestHost:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- inside the host ----------------------------------------------------------------------

    def run(self, cmd: str | list[str], *, check: bool = True, timeout: float = 120,
            input: str | None = None) -> subprocess.CompletedProcess:
        """Run a command inside the host (its namespaces and root), returning text output."""
        if not self._init_pid:
            raise TestHostError("the test host is not running")
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else cmd
        proc = subprocess.run(
            ["nsenter", "--target", str(self._init_pid), "--mount", "--uts", "--pid", "--net",
             "--root", "--wd", "--", "/usr/bin/env", "-i",
             "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "HOME=/root", "LANG=C.UTF-8", *argv],
            capture_output=True, text=True, timeout=timeout, check=False, input=input,
        )
        if check and proc.returncode != 0:
            raise TestHostError(
                f"in test host: {shlex.join(argv)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
            )
        return proc

    def read_text(self, path: str) -> str:
        """Return the text of a file inside the host."""
        return self.run(["cat", path]).stdout

    def ssh(self, cmd: str, *, check: bool = True) -> subprocess.CompletedProcess:
        """Run a command over SSH, the way Ansible reaches the host."""
        proc = subprocess.run(
            ["ssh", "-i", str(self.key_path), "-p", str(self.port), "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR", f"root@{self.ip}", cmd],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if check and proc.returncode != 0:
            raise TestHostError(f"ssh {cmd!r} exited {proc.returncode}: {proc.stderr}")
        return proc
