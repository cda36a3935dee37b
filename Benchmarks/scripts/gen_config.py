#!/usr/bin/env python3
"""Generates Herald configs of realistic size for the benchmarks, and the events that
drive them.

One shape at every size, so figures compare across sizes:
- users u0..u{N-1}: 0.1 % admins, 1 % managers, 10 % coordinators, the rest team
  members (default role); ~1 % inactive; every 5th team member granted
  `participants.view`; some coordinators with it revoked; a few rights copies.
- groups g0..g{G-1} (G = 5,000 from 10,000 users up, N/2 below): 20 members each,
  every 500th group has min(10,000, N) members, every 10th nests the next one, every
  100th also takes all managers (role-based membership).
- 50 rules on 25 metrics (rules 25..49 add a label filter, so an event with the label
  matches two rules), 3 tiers each (10 / 20 / 30, |value|), `participants.view`
  required on 4 rules in 5. Typical tiers are small: tier 1 the event's
  `primary_coordinator` + a 20-member group, tier 2 `case_manager` + a nested
  group, tier 3 the owner + a nested group; every 10th rule's top tier tells all
  managers and above, rule 49's top tier a 10,000-member group.
- one batch-mode webhook target (one POST per notification) pointing at the sink.
  `make_fanout_config` makes it per-recipient and adds a rule telling g0 (the burst's
  fan-out row: one event, 10,000 webhooks).

Usage: gen_config.py --users N --sink URL --out FILE
"""

import argparse
import json

RULES = 50
METRICS = 25
THRESHOLDS = (10, 20, 30)
BIG_GROUP_EVERY = 500
BIG_GROUP_SIZE = 10_000
SMALL_GROUP_SIZE = 20
NEST_EVERY = 10
ROLE_GROUP_EVERY = 100


def group_count(users):
    return 5_000 if users >= 10_000 else max(10, users // 2)


def role_of(i):
    if i % 1000 == 1:
        return "admin"
    if i % 100 == 0:
        return "manager"
    if i % 10 == 3:
        return "coordinator"
    return None  # default role: team_member


def coordinators(users):
    """User ids that can be an event's relation targets (coordinators, active)."""
    return [f"u{i}" for i in range(users) if i % 10 == 3 and not is_inactive(i)]


def is_inactive(i):
    return i % 97 == 5


def make_user(i):
    user = {"id": f"u{i}", "name": f"User {i}", "contact": {"email": f"u{i}@example.org"}}
    role = role_of(i)
    if role:
        user["roles"] = [role]
    if i == 0:
        user["owner"] = True
    elif is_inactive(i):
        user["active"] = False
    if role is None and i % 5 == 0:
        user["rights"] = {"grant": ["participants.view"]}
    elif role == "coordinator" and i % 50 == 43:
        user["rights"] = {"revoke": ["participants.view"]}
    if i % 1000 == 999 and i > 0:
        user["copyRightsFrom"] = f"u{i - 996}"  # a coordinator's rights
    return user


def make_group(g, users, groups):
    size = min(BIG_GROUP_SIZE, users) if g % BIG_GROUP_EVERY == 0 else min(SMALL_GROUP_SIZE, users)
    start = (g * SMALL_GROUP_SIZE) % max(1, users - size + 1)
    group = {"id": f"g{g}", "members": [f"u{m}" for m in range(start, start + size)]}
    if g % NEST_EVERY == 0 and g + 1 < groups:
        group["groups"] = [f"g{g + 1}"]
    if g % ROLE_GROUP_EVERY == 7:
        group["roles"] = ["manager"]
    return group


def small_group(r, offset, groups):
    """A 20-member group for rule r; with offset 0 a nesting one (g % 10 == 0)."""
    g = (r * 37 + offset) % groups
    if offset == 0:
        g -= g % NEST_EVERY
    if g % BIG_GROUP_EVERY == 0:
        g += NEST_EVERY if offset == 0 else 1
    return f"g{g % groups}"


def make_rule(r, groups):
    top = [{"owner": True}, {"group": small_group(r, 0, groups)}]
    if r % 10 == 9:
        top.append({"role": "manager", "andAbove": True})
    if r == RULES - 1:
        top.append({"group": "g0"})
    rule = {
        "id": f"rule-{r}",
        "metric": f"metric_{r % METRICS}",
        "direction": "absolute",
        "hysteresis": 1,
        "tiers": [
            {"name": "low", "threshold": THRESHOLDS[0],
             "notify": [{"relation": "primary_coordinator"}, {"group": small_group(r, 3, groups)}]},
            {"name": "mid", "threshold": THRESHOLDS[1],
             "notify": [{"relation": "case_manager"}, {"group": small_group(r, 0, groups)}]},
            {"name": "high", "threshold": THRESHOLDS[2], "notify": top},
        ],
    }
    if r % 5 != 4:
        rule["requiredRights"] = ["participants.view"]
    if r >= METRICS:
        rule["labels"] = {"region": "north"}
    return rule


def make_config(users, sink_url, max_concurrent=64):
    groups = group_count(users)
    return {
        "roles": [
            {"id": "admin", "inherits": ["manager"], "recommendedRights": ["users.manage", "billing.manage"]},
            {"id": "manager", "inherits": ["coordinator"], "recommendedRights": ["reports.view"],
             "additionalRights": ["billing.view"]},
            {"id": "coordinator", "inherits": ["team_member"], "recommendedRights": ["participants.view"]},
            {"id": "team_member", "recommendedRights": ["participants.view_assigned"],
             "additionalRights": ["participants.view"]},
        ],
        "defaultRole": "team_member",
        "users": [make_user(i) for i in range(users)],
        "groups": [make_group(g, users, groups) for g in range(groups)],
        "targets": [{
            "id": "sink", "url": sink_url, "mode": "batch",
            "secrets": [{"env": "HERALD_WEBHOOK_SECRET"}],
            # Same concurrency as the plain libcurl baseline (64 in flight).
            "maxConcurrent": max_concurrent,
        }],
        "rules": [make_rule(r, groups) for r in range(RULES)],
        "server": {
            "maxBatchEvents": 1000,
            "tokens": [{"id": "bench", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]}],
        },
    }


def make_fanout_config(users, sink_url):
    """The same directory with a per-recipient target and one more rule, `fanout`, whose
    tier tells the 10,000-member group g0: one event, one webhook per active member."""
    config = make_config(users, sink_url)
    config["targets"][0]["mode"] = "per-recipient"
    config["rules"].append({"id": "fanout", "metric": "fanout", "direction": "absolute",
                            "tiers": [{"name": "all", "threshold": THRESHOLDS[0], "notify": [{"group": "g0"}]}]})
    return config


def fanout_recipients(config):
    """How many webhooks the `fanout` rule sends: g0's active members."""
    inactive = {u["id"] for u in config["users"] if u.get("active") is False}
    return len([m for m in config["groups"][0]["members"] if m not in inactive])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--sink", default="http://127.0.0.1:18093/hook")
    parser.add_argument("--max-concurrent", type=int, default=64)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.out, "w") as f:
        json.dump(make_config(args.users, args.sink, args.max_concurrent), f, separators=(",", ":"))


if __name__ == "__main__":
    main()
