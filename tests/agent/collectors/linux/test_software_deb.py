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


CHROME = """Package: google-chrome-stable
Status: install ok installed
Priority: optional
Section: web
Installed-Size: 347152
Maintainer: Chrome Linux Team <chromium-dev@chromium.org>
Architecture: amd64
Version: 120.0.6099.109-1
Description: The web browser from Google
"""


def test_third_party_origin_from_apt_lists(make_tree):
    from tests.agent.helpers import FIXTURES

    lists = FIXTURES / "linux" / "apt" / "lists"
    files = {f"var/lib/apt/lists/{p.name}": p.read_text() for p in lists.iterdir()}
    files["var/lib/dpkg/status"] = fixture_text("linux", "dpkg", "status-excerpt") + "\n" + CHROME
    pkgs = {p.name: p for p in software_deb.collect(Context(root=make_tree(files)))}
    assert pkgs["google-chrome-stable"].origin == "Google LLC"
    assert pkgs["bash"].origin is None  # from the distribution (its lists are not read)


def test_release_and_index_parsers():
    from tests.agent.helpers import FIXTURES

    lists = FIXTURES / "linux" / "apt" / "lists"
    debian = (lists / "deb.debian.org_debian_dists_bookworm-updates_InRelease").read_text()
    assert software_deb.parse_release(debian) == "Debian"
    index = (lists / "dl.google.com_linux_chrome_deb_dists_stable_main_binary-amd64_Packages"
             ).read_text()
    assert software_deb.parse_packages_index(index) == [
        ("google-chrome-beta", "121.0.6167.16-1"), ("google-chrome-stable", "120.0.6099.109-1")]


def test_paragraph_edges():
    # Extra blank lines between paragraphs, continuation lines that look like fields, a last
    # paragraph without a final newline: each paragraph is read on its own.
    text = ("Package: a\nStatus: install ok installed\nVersion: 1\nDescription: x\n"
            " Version: not a field\n\n\n\nPackage: b\nStatus: deinstall ok config-files\n"
            "Version: 2\n\nPackage: c\nArchitecture: all\nStatus: hold ok installed\n"
            "Installed-Size: many\nVersion:3")
    assert [(p.name, p.version, p.arch, p.size_kb) for p in software_deb.parse_status(text)] == [
        ("a", "1", None, None), ("c", "3", "all", None)]
    assert software_deb.parse_status("") == []
    assert software_deb.parse_status("Status: install ok installed\n") == []  # no Package


def test_package_version_reads_whole_paragraphs_only():
    text = ("Package: clamav-base\nStatus: install ok installed\nVersion: 9\n\n"
            "Package: clamav\nStatus: deinstall ok config-files\nVersion: 0.9\n\n"
            "Package: clamav\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0.7\n")
    assert software_deb.package_version(text, "clamav") == "1.0.7"
    assert software_deb.package_version(text, "clamav-base") == "9"
    # After three newlines the paragraph starts with a newline, as str.split("\n\n") reads it.
    odd = "Package: x\nVersion: 1\n\n\nPackage: clamav\nStatus: install ok installed\nVersion: 2\n"
    assert software_deb.package_version(odd, "clamav") is None
    assert software_deb.package_version(odd.replace("\n\n\n", "\n\n\n\n"), "clamav") == "2"


MULTIARCH = """Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0
"""


def test_install_dates_from_list_files(make_tree):
    import os

    root = make_tree({
        "var/lib/dpkg/status": MULTIARCH,
        "var/lib/dpkg/info/libc6:amd64.list": "/lib\n",
        "var/lib/dpkg/info/libc6.list": "/stale\n",  # name:arch.list wins for Multi-Arch: same
        "var/lib/dpkg/info/bash.list": "/bin/bash\n",
    })
    info = os.path.join(root, "var/lib/dpkg/info")
    os.utime(os.path.join(info, "libc6:amd64.list"), (1_700_000_000, 1_700_000_000))
    os.utime(os.path.join(info, "libc6.list"), (1_600_000_000, 1_600_000_000))
    os.utime(os.path.join(info, "bash.list"), (1_650_000_000.7, 1_650_000_000.7))
    pkgs = {p.name: p for p in software_deb.collect(Context(root=root))}
    assert pkgs["libc6"].install_date.timestamp() == 1_700_000_000
    assert pkgs["bash"].install_date.timestamp() == 1_650_000_000  # whole seconds
    assert pkgs["tzdata"].install_date is None  # no list file


def test_no_install_dates_when_the_info_directory_cannot_be_read(make_tree):
    # A file where the directory should be: opening it as a directory fails (as root, which
    # the tests may run as, a directory without permissions would still be readable).
    root = make_tree({"var/lib/dpkg/status": MULTIARCH, "var/lib/dpkg/info": "not a directory"})
    pkgs = software_deb.collect(Context(root=root))
    assert [p.name for p in pkgs] == ["libc6", "bash", "tzdata"]
    assert all(p.install_date is None for p in pkgs)
