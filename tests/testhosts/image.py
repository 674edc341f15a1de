"""Build and cache the Debian 12 root file system that test hosts boot from.

The image is made once with ``debootstrap`` and kept outside the repository under
``/var/cache/kiemke-testhost/<key>/rootfs``; the key hashes everything that shapes it (suite,
mirror, package lists, recipe version), so changing a list builds a new image. Packages are
downloaded into the machine's shared apt archive (``/var/cache/apt/archives``), which debootstrap
uses as its cache and which test hosts bind-mount, so a rebuild or a role's ``apt`` install
downloads nothing already there.

The packages that roles install during tests (``ROLE_PACKAGES``) are only *downloaded* while the
image is built, with the image's own package lists; a test host has no route to any mirror, so
its ``apt`` installs from that archive exactly the versions its lists name.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shlex
import shutil
import subprocess
from pathlib import Path

SUITE = "bookworm"
MIRROR = os.environ.get("KIEMKE_TESTHOST_MIRROR", "http://deb.debian.org/debian")
CACHE_ROOT = Path(os.environ.get("KIEMKE_TESTHOST_CACHE", "/var/cache/kiemke-testhost"))
APT_ARCHIVES = Path("/var/cache/apt/archives")
RECIPE_VERSION = 4

# Installed in the image: what any managed Debian machine has before Ansible reaches it
# (sshd, Python and python3-apt for the apt module), plus tini as PID 1 to reap daemons.
BASE_PACKAGES = (
    "openssh-server",
    "python3",
    "python3-apt",
    "python3-venv",
    "ca-certificates",
    "iproute2",
    "procps",
    "tini",
)

# Downloaded only: what the roles install on a test host (see tests/roles/conftest.py), one
# group per role. apt resolves recommends against what is already installed, so each group is
# downloaded alone and all together, covering the orders in which the playbooks install them.
ROLE_PACKAGE_GROUPS = (
    ("postfix", "libsasl2-modules"),
    ("clamav", "clamav-daemon", "clamav-freshclam"),
    ("libreoffice-writer-nogui", "libreoffice-calc-nogui", "python3-uno", "fonts-liberation",
     "libreoffice-l10n-vi", "hunspell-vi"),
)
ROLE_PACKAGES = tuple(p for group in ROLE_PACKAGE_GROUPS for p in group)


class ImageError(RuntimeError):
    """The root file system could not be built."""


def cache_key() -> str:
    """Return the key naming one image: a hash of everything that shapes it."""
    text = "\n".join(
        [SUITE, MIRROR, str(RECIPE_VERSION), *sorted(BASE_PACKAGES), "--",
         *(" ".join(g) for g in ROLE_PACKAGE_GROUPS)]
    )
    return f"{SUITE}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _run(argv: list[str], log, **kw) -> None:
    """Run one build step, appending its output to the build log; raise ImageError on failure."""
    log.write(f"$ {' '.join(argv)}\n")
    log.flush()
    proc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=False, **kw)
    if proc.returncode != 0:
        raise ImageError(f"image build step failed ({proc.returncode}): {' '.join(argv)}")


def _chroot_script(rootfs: Path, script: str, log) -> None:
    """Run a shell script inside the image with /proc and the shared apt archive mounted."""
    inner = (
        "set -e\n"
        f"mount -t proc proc {rootfs}/proc\n"
        f"mount --bind {APT_ARCHIVES} {rootfs}/var/cache/apt/archives\n"
        f"chroot {rootfs} /bin/sh -ec '{script}'\n"
    )
    # A private mount namespace: the mounts vanish with the shell, whatever happens.
    _run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", inner], log)


def build(dest: Path, log) -> None:
    """Build a fresh image at ``dest`` (which must not exist)."""
    if shutil.which("debootstrap") is None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run(["apt-get", "update", "-q"], log, env=env)
        _run(["apt-get", "install", "-y", "-q", "debootstrap"], log, env=env)
    APT_ARCHIVES.mkdir(parents=True, exist_ok=True)
    # debootstrap runs in a tmpfs (dpkg's many fsyncs cost nothing there), then the result is
    # copied to disk; the tmpfs lives in a private mount namespace and vanishes with it.
    scratch = dest.parent / "scratch"
    scratch.mkdir(exist_ok=True)
    dest.mkdir()
    debootstrap = shlex.join([
        "debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
        f"--cache-dir={APT_ARCHIVES}", SUITE, str(scratch), MIRROR,
    ])
    _run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
          f"set -e; mount -t tmpfs -o size=4g,mode=0755 tmpfs {scratch}; {debootstrap}; "
          f"cp -a {scratch}/. {dest}/"], log)
    scratch.rmdir()
    shutil.copy("/etc/resolv.conf", dest / "etc/resolv.conf")
    env = "DEBIAN_FRONTEND=noninteractive"
    _chroot_script(
        dest,
        f"{env} apt-get update -q; "
        + "".join(
            f"{env} apt-get install -y -q --download-only {' '.join(group)}; "
            for group in (*ROLE_PACKAGE_GROUPS, ROLE_PACKAGES)
        ),
        log,
    )
    # No resolver and no retries inside a test host: it reaches nothing outside this machine.
    (dest / "etc/resolv.conf").write_text("")
    (dest / "etc/apt/apt.conf.d/90kiemke-testhost").write_text(
        'Acquire::Retries "0";\nAPT::Keep-Downloaded-Packages "true";\n'
    )
    # The debs live in the shared archive, not in the image.
    (dest / "etc/hostname").write_text("kiemke-testhost\n")
    (dest / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.1.1 kiemke-testhost\n")
    (dest / "etc/ssh/sshd_config.d/kiemke-testhost.conf").write_text(
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n"
    )


def ensure_image() -> Path:
    """Return the cached image's root directory, building it first if needed."""
    key = cache_key()
    base = CACHE_ROOT / key
    rootfs = base / "rootfs"
    done = base / "complete"
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "lock", "a") as lock:
        # Running hosts hold a shared lock on their image: a built image needs only that.
        fcntl.flock(lock, fcntl.LOCK_SH)
        if done.exists() and rootfs.is_dir():
            return rootfs
    with open(base / "lock", "a") as lock:
        # Concurrent test sessions (xdist workers) wait for one build instead of racing.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists() and rootfs.is_dir():
            return rootfs
        tmp = base / "rootfs.partial"
        if tmp.exists():
            shutil.rmtree(tmp)
        with open(base / "build.log", "w") as log:
            try:
                build(tmp, log)
            except ImageError as exc:
                raise ImageError(f"{exc} (log: {base / 'build.log'})") from exc
        if rootfs.exists():
            shutil.rmtree(rootfs)
        tmp.rename(rootfs)
        done.write_text(key + "\n")
    prune(keep=key)
    return rootfs


def prune(*, keep: str) -> None:
    """Delete cached images of other keys that no session is using (their lock is free)."""
    for other in CACHE_ROOT.glob(f"{SUITE}-*"):
        if other.name == keep or not (other / "lock").exists():
            continue
        with open(other / "lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(other, ignore_errors=True)
