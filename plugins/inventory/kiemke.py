"""Ansible inventory plugin reading hosts and groups from a Kiemke server."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kiemke
short_description: Hosts and groups from a Kiemke inventory server
description:
  - Reads C(GET <url>/api/v1/ansible/inventory) from a Kiemke server with an API token and
    builds the inventory from it - groups C(unit_<code>) nested along the organisation tree,
    C(os_<family>), C(role_workstation) and C(role_server), and C(policy_fail_<check id>) for
    hosts failing a compliance check; host variables C(kiemke_host_id), C(kiemke_unit),
    C(kiemke_role), C(kiemke_os_family) and C(ansible_host).
  - The configuration file name must end in C(kiemke.yml) or C(kiemke.yaml).
options:
  plugin:
    description: Marks the file as this plugin's configuration.
    required: true
    choices: [kiemke]
  url:
    description: Base URL of the Kiemke server.
    type: str
    env:
      - name: KIEMKE_URL
    default: http://127.0.0.1:8080
  token:
    description: API token (C(kiemke-server token create)); prefer the environment variable.
    type: str
    env:
      - name: KIEMKE_TOKEN
  ca_file:
    description: CA bundle that signs the server's certificate (HTTPS).
    type: path
    env:
      - name: KIEMKE_CA_FILE
  validate_certs:
    description: Whether the server's certificate is checked.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the server.
    type: int
    default: 30
"""

EXAMPLES = r"""
# kiemke.kiemke.yml (token from KIEMKE_TOKEN)
plugin: kiemke
url: https://kiemke.tinh.gov.vn
"""

import contextlib  # noqa: E402 - DOCUMENTATION comes first, as Ansible plugins are laid out
import json  # noqa: E402
import ssl  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

from ansible.errors import AnsibleParserError  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin  # noqa: E402

API_PATH = "/api/v1/ansible/inventory"


def fetch_inventory(url: str, token: str, *, ca_file: str | None = None,
                    validate_certs: bool = True, timeout: int = 30) -> dict:
    """Return the server's inventory document, raising ValueError with a clear message."""
    if not token:
        raise ValueError("no API token: set KIEMKE_TOKEN (or 'token' in the plugin file)")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, not {url!r}")
    endpoint = url.rstrip("/") + API_PATH
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        endpoint, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    context = None
    if endpoint.startswith("https://"):
        context = ssl.create_default_context(cafile=ca_file or None)
        if not validate_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310 - scheme checked above
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        with contextlib.suppress(ValueError, KeyError, TypeError):
            detail = json.loads(detail)["error"]["message"]
        raise ValueError(f"{endpoint} answered {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ValueError(f"cannot reach {endpoint}: {exc}") from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"{endpoint} did not answer JSON: {exc}") from exc
    validate_inventory(data)
    return data


def validate_inventory(data: object) -> None:
    """Raise ValueError naming the first part of the document that breaks the contract."""
    if not isinstance(data, dict):
        raise ValueError("inventory must be a JSON object")
    hostvars = data.get("_meta", {}).get("hostvars", {}) if isinstance(data.get("_meta"), dict) \
        else None
    if not isinstance(hostvars, dict):
        raise ValueError("inventory '_meta.hostvars' must be an object")
    for host, hvars in hostvars.items():
        if not isinstance(hvars, dict):
            raise ValueError(f"hostvars of {host!r} must be an object")
    for group, body in data.items():
        if group == "_meta":
            continue
        if not isinstance(body, dict):
            raise ValueError(f"group {group!r} must be an object")
        for key in ("hosts", "children"):
            if key in body and not (
                isinstance(body[key], list) and all(isinstance(x, str) for x in body[key])
            ):
                raise ValueError(f"group {group!r}: {key!r} must be a list of names")
        if "vars" in body and not isinstance(body["vars"], dict):
            raise ValueError(f"group {group!r}: 'vars' must be an object")


class InventoryModule(BaseInventoryPlugin):
    """Build the inventory from a Kiemke server's ``/api/v1/ansible/inventory``."""

    NAME = "kiemke"

    def verify_file(self, path):
        """Accept only files named ``*kiemke.yml`` or ``*kiemke.yaml``."""
        return super().verify_file(path) and path.endswith(("kiemke.yml", "kiemke.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        """Read the plugin file, fetch the server's document and add its groups and hosts."""
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            data = fetch_inventory(
                self.get_option("url"),
                self.get_option("token") or "",
                ca_file=self.get_option("ca_file"),
                validate_certs=self.get_option("validate_certs"),
                timeout=self.get_option("timeout"),
            )
        except ValueError as exc:
            raise AnsibleParserError(f"kiemke inventory: {exc}") from exc
        self.populate(data)

    def populate(self, data: dict) -> None:
        """Add the document's groups, hosts, nesting and variables to the inventory."""
        inv = self.inventory
        groups = {name: body for name, body in data.items() if name != "_meta"}
        for name in groups:
            if name not in ("all", "ungrouped"):
                inv.add_group(name)
        for name, body in groups.items():
            for child in body.get("children", []):
                if child in ("all", "ungrouped"):
                    continue
                inv.add_group(child)
                if name != "all":
                    inv.add_child(name, child)
            for host in body.get("hosts", []):
                inv.add_host(host, group=None if name == "all" else name)
            for key, value in body.get("vars", {}).items():
                inv.set_variable(name, key, value)
        for host, hvars in data["_meta"]["hostvars"].items():
            inv.add_host(host)
            for key, value in hvars.items():
                inv.set_variable(host, key, value)
