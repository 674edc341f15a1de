#!/usr/bin/env python3
"""Benchmark: evaluate every shipped policy pack over 20,000 realistic hosts on one core.

Host fact sets are built from the compliance fixtures (the three base reports and every PASS/FAIL
case), varied per host: signature ages, screen-lock delays, administrators, password lengths,
installed packages, org units, per-unit param overrides. Prints host evaluations per second on
one core and the ratio to the 5,000/s target.

    .venv/bin/python bench/compliance.py [--hosts 20000] [--repeat 3] [--json]
"""

import argparse
import gc
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inventory_server.compliance import evaluator, facts, loader  # noqa: E402

TARGET = 5000.0
FIXTURES = ROOT / "tests" / "fixtures" / "compliance"
UNITS = [[f"U{p}-{c}", f"U{p}", "UBND"] for p in range(12) for c in range(8)]


def templates() -> list[dict]:
    """Return the fixture hosts (bases and cases) as {sections, host}."""
    bases = {p.stem: json.loads(p.read_text("utf-8")) for p in (FIXTURES / "base").glob("*.json")}
    out = list(bases.values())
    for path in sorted(FIXTURES.glob("*/*/*.json")):
        if path.parent.name == "base":
            continue
        case = json.loads(path.read_text("utf-8"))
        base = bases[case["base"]]
        out.append(
            {
                "sections": facts.merge_patch(base["sections"], case.get("patch") or {}),
                "host": facts.merge_patch(base["host"], case.get("host") or {}),
            }
        )
    return out


def vary(rng: random.Random, template: dict, i: int, extra_names: list[str]) -> dict:
    """Return a varied copy of a template's sections and host record."""
    sections = json.loads(json.dumps(template["sections"]))
    sec = sections.get("security") or {}
    av = sec.get("antivirus")
    if av and av.get("installed"):
        av["signature_age_days"] = round(rng.expovariate(0.6), 2)
        av["realtime"] = rng.random() > 0.05
    if sec.get("screen_lock", {}).get("idle_delay_seconds") is not None:
        sec["screen_lock"]["idle_delay_seconds"] = rng.choice([300, 600, 900, 1200, 1800])
    accounts = sec.get("accounts")
    if accounts:
        admins = list(accounts.get("administrators") or [])
        if rng.random() < 0.1:
            admins.append(f"user{rng.randrange(500)}")
        accounts["administrators"] = admins
        accounts["password_min_length"] = rng.choice([6, 8, 8, 10, 12, 14])
    software = sections.get("software")
    if software:
        pkgs = software.get("packages") or []
        keep = [p for p in pkgs if rng.random() > 0.05]
        keep += [
            {"name": n, "version": "1.0", "source": "deb"} for n in rng.sample(extra_names, 400)
        ]
        software["packages"] = keep
    host = dict(template["host"], id=i, hostname=f"host-{i:05d}", unit_path=rng.choice(UNITS))
    host["unit_code"] = host["unit_path"][0]
    return {"sections": sections, "host": host}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    packs = loader.load_shipped()
    engine = evaluator.Engine(packs.values())
    rng = random.Random(20261122)
    extra_names = [
        f"lib{w}{n}" for w in ("gtk", "qt", "x", "py", "perl", "font") for n in range(300)
    ]
    tmpl = templates()

    t0 = time.perf_counter()
    hosts = [vary(rng, tmpl[i % len(tmpl)], i, extra_names) for i in range(args.hosts)]
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    fact_sets = [facts.build_facts(h["sections"], h["host"]) for h in hosts]
    t_facts = time.perf_counter() - t0
    del hosts

    # A quarter of the units override params (as provinces do); resolved once per unit.
    overrides = {
        u[0]: {
            "vn-workstation-baseline": {"screen_lock_max_minutes": 10, "mail_domain": "a.gov.vn"}
        }
        for u in UNITS[::4]
    }
    params_by_unit = {u[0]: evaluator.unit_params(packs.values(), u, overrides) for u in UNITS}
    now = time.time()
    checks = sum(len(p.checks) for p in packs.values())

    best = best_cpu = None
    statuses: Counter = Counter()
    for rep in range(args.repeat):
        gc.collect()
        gc.disable()
        t0, c0 = time.perf_counter(), time.process_time()
        for f in fact_sets:
            results = engine.evaluate(f, params_by_unit[f["host"]["unit_code"]], now)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        gc.enable()
        best = elapsed if best is None else min(best, elapsed)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        if rep == 0:
            for f in fact_sets:
                statuses.update(
                    r.status
                    for r in engine.evaluate(f, params_by_unit[f["host"]["unit_code"]], now)
                )
    del results
    rate = len(fact_sets) / best
    cpu_rate = len(fact_sets) / best_cpu
    figures = {
        "hosts": len(fact_sets),
        "packs": len(packs),
        "checks": checks,
        "fact_paths": len(engine.fact_paths),
        "build_facts_per_s": round(len(fact_sets) / t_facts),
        "evaluations_per_s_wall": round(rate),
        "evaluations_per_s_per_core": round(cpu_rate),
        "cpu_us_per_host": round(best_cpu / len(fact_sets) * 1e6, 1),
        "target_per_s": TARGET,
        "ratio_to_target": round(cpu_rate / TARGET, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "statuses": dict(statuses),
        "generate_s": round(t_gen, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        print(
            f"packs {len(packs)}, checks {checks}, fact paths {len(engine.fact_paths)}, "
            f"hosts {len(fact_sets)}"
        )
        print(f"result statuses: {dict(statuses)}")
        print(
            f"build_facts: {figures['build_facts_per_s']:,} hosts/s "
            "(on ingest, once per changed section)"
        )
        print(
            f"evaluate all packs: {cpu_rate:,.0f} host evaluations per CPU-second on one core "
            f"({figures['cpu_us_per_host']} µs CPU/host); {rate:,.0f}/s wall-clock "
            f"(load average {figures['load_average']}); target {TARGET:,.0f}/s per core; "
            f"ratio {figures['ratio_to_target']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
