"""Routing a case and working out who may decide it, with a large policy.

Pure functions, measured in-process: `route_case` (the first of the policy's rules that matches, the
reasons built from the amounts compared) followed by `deciding_tier` (the lowest tier of a person body
that covers the case). The large policy has 30 bodies (20 person bodies with 3 tiers each, 5 meetings,
5 panels) and 200 rules over every kind of condition, most of them comparing amounts, so a case is
compared with many rules before one matches; the floor is the shipped default policy (5 bodies, 8
rules) routing the same cases. Target: p99 under 1 ms for the large policy.

    .venv/bin/python bench/bench_routing.py [--cases 20000] [--seed 20261130]

Exits 0 whatever the figures (1 only if a case routes nowhere).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.bodies import BodyKind
from bot.domain.routing import CaseRequest, RequestType, Service, deciding_tier, route_case
from bot.policy import Policy, default_policy_path, load_policy

TARGET_MS = 1.0
BANDS = ["0-17", "18-25", "26-64", "65+"]
TEAMS = [f"team{n}" for n in range(12)]


def large_policy(rng: random.Random) -> Policy:
    """The default policy's tables, with 30 bodies and 200 rules of every kind of condition."""
    data = tomllib.loads(default_policy_path().read_text(encoding="utf-8"))
    data["case_form"].update(age_bands=BANDS, teams=TEAMS)
    bodies: dict[str, object] = {}
    for n in range(20):
        role = f"managers_{n}"
        data["roles"][role] = [f"S0MGR{n:05d}"]
        data["roles"][f"{role}_senior"] = [f"S0SNR{n:05d}"]
        data["roles"][f"{role}_head"] = [f"S0HED{n:05d}"]
        bodies[f"person_{n}"] = {
            "name": f"sign-off {n}", "kind": "person", "channel": "C0PERSON01", "beyond_limits": f"panel_{n % 5}",
            "tiers": [{"role": role, "max_yearly": 20000}, {"role": f"{role}_senior", "max_yearly": 50000},
                      {"role": f"{role}_head", "max_weekly": 2500, "max_yearly": 100000}]}
    forum = data["bodies"]["forum"]
    panel = data["bodies"]["send_panel"]
    for n in range(5):
        bodies[f"meeting_{n}"] = {**forum, "name": f"forum {n}"}
        bodies[f"panel_{n}"] = {**panel, "name": f"panel {n}"}
    data["bodies"] = bodies
    kinds = [kind.value for kind in RequestType]
    rules: list[dict[str, object]] = []
    for n in range(200):
        when: dict[str, object] = {}
        shape = n % 8
        if shape == 0:
            when = {"request_type": rng.sample(kinds, 2), "weekly_over": rng.randrange(400, 3000)}
        elif shape == 1:
            when = {"age_band": rng.choice(BANDS), "yearly_over": rng.randrange(20000, 150000)}
        elif shape == 2:
            when = {"team": rng.sample(TEAMS, 2), "within_ras": True, "weekly_at_most": rng.randrange(200, 900)}
        elif shape == 3:
            when = {"service": "adults", "respite_weeks_over": rng.randrange(3, 10)}
        elif shape == 4:
            when = {"hours_per_month_over": rng.randrange(30, 200), "service": "children_send"}
        elif shape == 5:
            when = {"top_up": True, "weekly_over": rng.randrange(100, 2000)}
        elif shape == 6:
            when = {"request_type": ["increase"], "change_weekly_over": rng.randrange(20, 400)}
        else:
            when = {"urgent": True, "team": [TEAMS[n % len(TEAMS)]], "current_weekly_over": rng.randrange(50, 900)}
        when.setdefault("weekly_at_most", 24000 + n)  # every rule distinct, so none is refused as unreachable
        target = rng.choice([f"person_{n % 20}", f"meeting_{n % 5}", f"panel_{n % 5}"])
        rule: dict[str, object] = {"when": when, "to": target}
        if when.get("urgent"):
            rule["endorse_at"] = f"panel_{n % 5}"
        rules.append(rule)
    data["routing"].update(default="person_0", rules=rules)
    data["spot_checks"]["refer_to"] = "meeting_0"  # the seeds' forum is replaced by the bodies above
    return Policy.model_validate(data)


def requests(rng: random.Random, count: int) -> list[CaseRequest]:
    found = []
    for _ in range(count):
        kind = rng.choice(list(RequestType))
        weekly = Decimal(rng.randrange(5000, 300000)) / 100
        current = None
        if kind is RequestType.INCREASE:
            current = weekly - Decimal(rng.randrange(100, 5000)) / 100
        elif kind is RequestType.DECREASE:
            current = weekly + Decimal(rng.randrange(100, 5000)) / 100
        if current is not None and current <= 0:
            kind, current = RequestType.NEW_PACKAGE, None
        found.append(CaseRequest(
            rng.choice(list(Service)), kind, weekly, ras_weekly=Decimal(rng.randrange(10000, 100000)) / 100,
            current_weekly=current, hours_per_month=Decimal(rng.randrange(0, 200)),
            respite_weeks_per_year=Decimal(rng.randrange(1, 12)) if kind is RequestType.RESPITE else None,
            urgent=rng.random() < 0.1, age_band=rng.choice(BANDS), top_up=rng.random() < 0.2,
            team=rng.choice(TEAMS)))
    return found


class Nowhere(Exception):
    """A case the policy routes nowhere, or to a person body with nobody to decide it: the figures would lie."""


def measure(policy: Policy, cases: list[CaseRequest]) -> tuple[list[float], dict[str, int]]:
    """Each case routed and its deciding tier found, timed. Raises Nowhere."""
    times: list[float] = []
    where: dict[str, int] = {}
    weeks = policy.routing.weeks_per_year
    for request in cases:
        tier = None
        started = time.perf_counter()
        try:
            route = route_case(policy, request)
        except ValueError as exc:  # a person body with no tier covering the case and nowhere beyond
            raise Nowhere(f"{request}: {exc}") from None
        if route.kind is BodyKind.PERSON:
            tier = deciding_tier(policy.bodies[route.body], request.proposed_weekly, weeks)
        times.append((time.perf_counter() - started) * 1000)
        if route.kind is BodyKind.PERSON and tier is None:
            raise Nowhere(f"{request}: routed to {route.body}, whose tiers do not cover it")
        where[route.kind.value] = where.get(route.kind.value, 0) + 1
    return times, where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    large = large_policy(rng)
    default = load_policy(default_policy_path())
    cases = requests(rng, args.cases)
    warm = cases[:500]
    try:
        measure(large, warm)
        measure(default, warm)
    except Nowhere as exc:
        print(f"aborted: {exc}", file=sys.stderr)
        return 1
    print(f"bench_routing on {datetime.now(UTC).date()}: {args.cases} cases, Python {sys.version.split()[0]}")
    print(f"large policy: {len(large.bodies)} bodies, {len(large.routing.rules)} rules; "
          f"floor: the default policy, {len(default.bodies)} bodies, {len(default.routing.rules)} rules")
    print("| policy | p50 ms | p99 ms | max ms | routed to | target |")
    print("|---|---|---|---|---|---|")
    for name, policy in (("large", large), ("default (floor)", default)):
        try:
            times, where = measure(policy, cases)
        except Nowhere as exc:
            print(f"aborted: {exc}", file=sys.stderr)
            return 1
        p = statistics.quantiles(times, n=100, method="inclusive")
        verdict = ("PASS" if p[98] < TARGET_MS else "OVER") if name == "large" else "—"
        spread = ", ".join(f"{kind} {count}" for kind, count in sorted(where.items()))
        print(f"| {name} | {p[49]:.3f} | {p[98]:.3f} | {max(times):.3f} | {spread} | {verdict} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
