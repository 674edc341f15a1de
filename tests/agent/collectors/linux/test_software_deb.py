"""dpkg status parsing against a captured excerpt of /var/lib/dpkg/status."""

from agent.collectors.context import Context
from agent.collectors.linux import software_deb
from tests.agent.helpers import fixture_text


def test_installed_packages_only_with_section_and_size():
    pkgs = {p.name: p for p in software_deb.parse_status(fixture_text("linux", "dpkg",
                                                                       "status-excerpt"))}
    assert "ufw" not in pkgs  # deinstall ok config-files: removed, configuration kept
    assert {"bash", "openssh-server", "clamav", "libc6"} <= set(pkgs)
    bash = pkgs["bash"]
    assert bash.source == "deb" and bash.arch == "amd64"
    assert bash.section == "shells" and bash.size_kb and bash.size_kb > 1000
    assert bash.version and bash.version[0].isdigit()
    assert "debian.org" in (bash.publisher or "")


def test_collect_from_a_tree_dates_from_list_files(make_tree):
    root = make_tree({
        "var/lib/dpkg/status": fixture_text("linux", "dpkg", "status-excerpt"),
        "var/lib/dpkg/info/bash.list": "/bin/bash\n",
    })
    pkgs = {p.name: p for p in software_deb.collect(Context(root=root))}
    assert pkgs["bash"].install_date is not None
    assert pkgs["libc6"].install_date is None


def test_package_version():
    text = fixture_text("linux", "dpkg", "status-excerpt")
    assert software_deb.package_version(text, "clamav").startswith("1.")
    assert software_deb.package_version(text, "ufw") is None  # not installed any more
    assert software_deb.package_version(text, "nonexistent") is None
