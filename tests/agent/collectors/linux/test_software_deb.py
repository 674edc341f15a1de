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
