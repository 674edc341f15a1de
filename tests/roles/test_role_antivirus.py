"""antivirus on a real test host: ClamAV configured for the provincial mirror and running.

The provincial mirror is unreachable from a test host by design, so no signatures are
downloaded: the fixture ships a one-signature database (EICAR) and the tests check that clamd
loaded it, and that freshclam is configured for, and running against, the provincial mirror.
"""

import re

import pytest

from tests.roles.samples import EICAR

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testhost")]


def clamconf(host) -> str:
    return host.run("clamconf").stdout


def test_clamconf_reads_both_files_without_errors(provisioned):
    out = provisioned.host.run("clamconf 2>&1").stdout
    assert "ERROR" not in out
    assert "Config file: clamd.conf" in out
    assert "Config file: freshclam.conf" in out


def test_freshclam_uses_only_the_provincial_mirrors(provisioned):
    out = clamconf(provisioned.host)
    fresh = out.split("Config file: freshclam.conf", 1)[1].split("Config file:", 1)[0]
    mirrors = provisioned.vars["antivirus_private_mirrors"]
    assert f'PrivateMirror = "{mirrors[0]}", "{mirrors[1]}"' in fresh
    assert re.search(r"^DatabaseMirror disabled$", fresh, re.MULTILINE)
    assert re.search(r"^ScriptedUpdates disabled$", fresh, re.MULTILINE)


def test_clamd_and_freshclam_are_running(provisioned):
    procs = provisioned.host.run("ps -eo user=,args=").stdout
    assert re.search(r"^clamav\s+/usr/sbin/clamd -c /etc/clamav/clamd.conf", procs, re.M)
    assert re.search(r"^clamav\s+/usr/bin/freshclam -d .*freshclam.conf", procs, re.M)


def test_clamd_scans_with_the_loaded_signatures(provisioned):
    host = provisioned.host
    host.run("cat > /tmp/eicar.txt", input=EICAR)
    proc = host.run("clamdscan --no-summary /tmp/eicar.txt", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 1 = a virus was found
    assert "Kiemke.Test.EICAR.UNOFFICIAL FOUND" in proc.stdout
    host.run("echo harmless > /tmp/clean.txt")
    assert host.run("clamdscan --no-summary /tmp/clean.txt", check=False).returncode == 0


def test_onaccess_is_off_by_default_and_not_configured(provisioned):
    assert "OnAccessIncludePath" not in provisioned.host.read_text("/etc/clamav/clamd.conf")
