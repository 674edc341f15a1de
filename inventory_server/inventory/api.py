"""GET /api/v1/ansible/inventory: the hosts as Ansible ``--list`` JSON, grouped for playbooks.

Groups: ``unit_<code>`` nested along the org tree, ``os_<family>``, ``role_<role>``, and any
group an INVENTORY_GROUPS hook adds (e.g. ``policy_fail_<check_id>``).
"""

import re

from flask import Blueprint, jsonify
from sqlalchemy import select

from inventory_server.app import get_db
from inventory_server.auth import api_auth, load_user, scope_path
from inventory_server.hooks import inventory_groups
from inventory_server.models import Host, HostAddress, OrgUnit

bp = Blueprint("inventory", __name__, url_prefix="/api/v1")

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def group_name(prefix: str, value: str) -> str:
    """Return an Ansible-safe group name."""
    return f"{prefix}_{_UNSAFE.sub('_', value).lower()}"


def build_inventory(db, scope: str | None) -> dict:
    """Return the inventory of active hosts visible within ``scope``."""
    units = list(db.scalars(select(OrgUnit).order_by(OrgUnit.path)))
    if scope is not None:
        units = [u for u in units if u.path.startswith(scope)]
    unit_by_id = {u.id: u for u in units}
    stmt = select(Host).where(Host.status == "active", Host.unit_id.in_(list(unit_by_id)))
    hosts = list(db.scalars(stmt.order_by(Host.hostname)).unique())
    ids = [h.id for h in hosts]
    addr: dict[int, str] = {}
    if ids:
        for host_id, address in db.execute(
            select(HostAddress.host_id, HostAddress.address)
            .where(HostAddress.host_id.in_(ids))
            .order_by(HostAddress.id)
        ):
            if ":" not in address:
                addr.setdefault(host_id, address)
    inv: dict = {
        "_meta": {"hostvars": {}},
        "all": {"children": ["ungrouped"]},
        "ungrouped": {"hosts": []},
    }
    names: dict[int, str] = {}
    for h in hosts:
        name = h.hostname if h.hostname not in inv["_meta"]["hostvars"] else f"{h.hostname}-{h.id}"
        names[h.id] = name
        unit = unit_by_id.get(h.unit_id)
        hv = {
            "kiemke_host_id": h.id,
            "kiemke_unit": unit.code if unit else None,
            "kiemke_role": h.role,
            "kiemke_os_family": h.os_family,
            "kiemke_os_name": h.os_name,
        }
        if h.id in addr:
            hv["ansible_host"] = addr[h.id]
        inv["_meta"]["hostvars"][name] = hv
    for u in units:
        g = inv.setdefault(group_name("unit", u.code), {"hosts": [], "children": []})
        g["vars"] = {"kiemke_unit_name": u.name}
        parent = unit_by_id.get(u.parent_id)
        if parent is not None:
            inv[group_name("unit", parent.code)]["children"].append(group_name("unit", u.code))
        else:
            inv["all"]["children"].append(group_name("unit", u.code))
    for h in hosts:
        inv[group_name("unit", unit_by_id[h.unit_id].code)]["hosts"].append(names[h.id])
        for prefix, value in (("os", h.os_family), ("role", h.role)):
            if value:
                g = inv.setdefault(group_name(prefix, value), {"hosts": []})
                g["hosts"].append(names[h.id])
    for gname, host_ids in inventory_groups(db, ids).items():
        g = inv.setdefault(_UNSAFE.sub("_", gname), {"hosts": []})
        g["hosts"].extend(names[i] for i in host_ids if i in names)
    for key in list(inv):
        if (
            key not in ("_meta", "all", "ungrouped")
            and key not in inv["all"]["children"]
            and (key.startswith(("os_", "role_", "policy_")))
        ):
            inv["all"]["children"].append(key)
    return inv


@bp.get("/ansible/inventory")
@api_auth()
def ansible_inventory():
    """Return the inventory visible to the caller."""
    return jsonify(build_inventory(get_db(), scope_path(load_user())))
