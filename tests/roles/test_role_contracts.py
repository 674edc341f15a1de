"""Contract tests over every role's files: shape, argument specs, names, modules and tags."""

import re
from pathlib import Path

import pytest
import yaml

from tests.testhosts.packs import SPECIFIED_CHECK_IDS, role_remediations

REPO = Path(__file__).resolve().parents[2]
ROLES_DIR = REPO / "roles"
ROLES = sorted(p.name for p in ROLES_DIR.iterdir() if p.is_dir())
REMEDIATIONS = role_remediations()
CHECK_IDS = SPECIFIED_CHECK_IDS | {t for _, tags in REMEDIATIONS.values() for t in tags}
LINUX_FAMILIES = ("debian", "redhat")


def load(path: Path):
    return yaml.safe_load(path.read_text())


def task_files(role: str) -> list[Path]:
    return sorted((ROLES_DIR / role / "tasks").glob("*.yml"))


def walk_tasks(tasks):
    """Yield every task, descending into blocks."""
    for task in tasks or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from walk_tasks(task.get(key))


def test_the_expected_roles_exist():
    assert set(ROLES) == {
        "antivirus", "antivirus_mirror", "kiemke_agent", "mail_client", "mail_relay",
        "office_suite",
    }


@pytest.mark.parametrize("role", ROLES)
def test_role_has_the_house_layout(role):
    base = ROLES_DIR / role
    for rel in ("defaults/main.yml", "tasks/main.yml", "handlers/main.yml", "meta/main.yml",
                "meta/argument_specs.yml"):
        assert (base / rel).is_file(), f"{role}: {rel} missing"
    assert any((base / "templates").iterdir()), f"{role}: no templates"
    for family in LINUX_FAMILIES:
        assert (base / "vars" / f"{family}.yml").is_file(), f"{role}: vars/{family}.yml missing"


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_described_in_argument_specs(role):
    defaults = load(ROLES_DIR / role / "defaults/main.yml")
    options = load(ROLES_DIR / role / "meta/argument_specs.yml")["argument_specs"]["main"][
        "options"]
    assert set(defaults) == set(options), (
        f"{role}: only in defaults {set(defaults) - set(options)}, "
        f"only in argument_specs {set(options) - set(defaults)}"
    )
    for name, spec in options.items():
        assert spec.get("description"), f"{role}: {name} has no description"
        assert "type" in spec, f"{role}: {name} has no type"
        if defaults[name] is None:
            assert spec.get("default") is None, f"{role}: {name} default differs"
        else:
            assert spec.get("default") == defaults[name], f"{role}: {name} default differs"


@pytest.mark.parametrize("role", ROLES)
def test_variables_are_prefixed_with_the_role_name(role):
    names = set(load(ROLES_DIR / role / "defaults/main.yml"))
    for vars_file in (ROLES_DIR / role / "vars").glob("*.yml"):
        names |= set(load(vars_file) or {})
    for task_file in task_files(role):
        for task in walk_tasks(load(task_file)):
            if "register" in task:
                names.add(task["register"])
    bad = sorted(n for n in names if not n.startswith(role + "_"))
    assert not bad, f"{role}: variables without the {role}_ prefix: {bad}"


@pytest.mark.parametrize("role", ROLES)
def test_modules_are_fully_qualified_builtin_on_linux_and_windows_on_windows(role):
    for task_file in task_files(role):
        windows = "windows" in task_file.stem
        for task in walk_tasks(load(task_file)):
            modules = [k for k in task if "." in k and k.split(".")[0] == "ansible"]
            assert modules or "block" in task, f"{task_file.name}: {task.get('name')}: no FQCN"
            for module in modules:
                prefix = "ansible.windows." if windows else "ansible.builtin."
                assert module.startswith(prefix), f"{task_file.name}: {module}"


@pytest.mark.parametrize("role", ROLES)
def test_task_names_are_sentences_stating_a_state(role):
    for task_file in task_files(role):
        for task in walk_tasks(load(task_file)):
            name = task.get("name", "")
            assert re.match(r"^(Ensure|Load|Report) \S", name), f"{task_file.name}: {name!r}"


def role_tags(role: str) -> set[str]:
    """Return every tag on the role's tasks, including tags applied to included files."""
    tags: set[str] = set()
    for task_file in task_files(role):
        for task in walk_tasks(load(task_file)):
            for source in (task, (task.get("ansible.builtin.include_tasks") or {}).get("apply")
                           if isinstance(task.get("ansible.builtin.include_tasks"), dict)
                           else {}):
                value = (source or {}).get("tags", [])
                tags |= {value} if isinstance(value, str) else set(value)
    return tags


def test_every_pack_remediation_names_an_existing_role_and_tag():
    assert REMEDIATIONS, "the compliance packs name no role remediation"
    for check, (role, tags) in REMEDIATIONS.items():
        assert role in ROLES, f"{check}: remediation role {role} does not exist"
        missing = set(tags) - role_tags(role)
        assert not missing, f"{check}: no task of {role} is tagged {missing}"


def test_tags_are_policy_check_ids():
    seen = set()
    for role in ROLES:
        for task_file in task_files(role):
            for task in walk_tasks(load(task_file)):
                tags = task.get("tags", [])
                tags = [tags] if isinstance(tags, str) else tags
                assert set(tags) <= CHECK_IDS, f"{task_file}: unknown tags {set(tags) - CHECK_IDS}"
                seen |= set(tags)
    assert seen == CHECK_IDS, f"no task is tagged {CHECK_IDS - seen}"


def test_octal_modes_are_quoted_strings():
    for path in ROLES_DIR.rglob("*.yml"):
        for match in re.finditer(r"^\s*(?:directory_)?mode:\s*(\S+)", path.read_text(), re.M):
            value = match.group(1)
            assert value.startswith(('"', "'", "{")), f"{path}: unquoted mode {value}"


def test_config_writes_are_validated():
    """Every template or copy that writes a daemon's configuration carries validate:."""
    needs_validate = re.compile(r"(main\.cf|clamd\.conf|freshclam|policies\.json|\.xml|\.xcd|"
                                r"agent\.conf|nginx|kiemke-agent\.(service|init))")
    for role in ROLES:
        for task_file in task_files(role):
            if "windows" in task_file.stem:
                continue
            for task in walk_tasks(load(task_file)):
                args = task.get("ansible.builtin.template") or task.get("ansible.builtin.copy")
                if args and needs_validate.search(str(args.get("src", "")) +
                                                  str(args.get("dest", ""))):
                    assert "validate" in args, f"{task_file.name}: {task['name']}"
