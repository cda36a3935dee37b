"""Drives Herald's SCIM service with a real SCIM client (PyPI scim2-client and
scim2-models, which validate every request and response against RFC 7643/7644),
then posts events and checks who Herald notified.

    python3 scim_client_flow.py BASE_URL SCIM_TOKEN OPS_TOKEN

Herald's config must map the SCIM group "Herald Managers" to the role `manager` and
have a rule `load` (threshold 10) notifying role `manager` and the owner. Exits 0 when
every step holds, 1 with the failing step otherwise. Bounded: every request has a
timeout and every wait a deadline.
"""
import json
import sys
import time

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import PatchOp, PatchOperation

base, scim_token, ops_token = sys.argv[1], sys.argv[2], sys.argv[3]
api = Client(base_url=base, timeout=10)
scim = SyncSCIMClient(Client(base_url=base + "/scim/v2", timeout=10, headers={"Authorization": "Bearer " + scim_token}))
scim.discover()
User = scim.get_resource_model("User")
Group = scim.get_resource_model("Group")


def check(condition, step):
    if not condition:
        print("FAILED: " + step, file=sys.stderr)
        sys.exit(1)
    print("ok: " + step)


def notified(subject):
    """Posts an event above the threshold and returns the recipients of its notice."""
    body = {"metric": "load", "value": 20, "subject": {"id": subject}}
    answer = api.post("/v1/events", json=body, headers={"Authorization": "Bearer " + ops_token})
    check(answer.status_code == 202, "event for %s accepted (%s)" % (subject, answer.text))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        page = api.get("/v1/notifications", params={"subject": subject}, headers={"Authorization": "Bearer " + ops_token}).json()
        if page["notifications"]:
            return sorted(r["id"] for r in page["notifications"][0]["recipients"])
        time.sleep(0.05)
    return None


# Users: created with a name and an e-mail, one holding a role directly.
ann = scim.create(User(user_name="ann@example.org", display_name="Ann Archer", emails=[{"value": "ann@example.org", "primary": True}]))
check(ann.id == "ann@example.org" and ann.meta.version == 'W/"1"', "create ann")
bob = scim.create(User(user_name="bob@example.org", roles=[{"value": "manager"}]))
check(bob.roles[0].value == "manager", "create bob as a manager")
cy = scim.create(User(user_name="cy@example.org"))
check(cy.active is True, "create cy")
check(notified("p-1") == ["bob@example.org", "cfg-user", "owner"], "bob (manager) is notified")

# A role group: its members become managers.
managers = scim.create(Group(display_name="Herald Managers", members=[{"value": "ann@example.org"}]))
check(managers.display_name == "Herald Managers", "create the Herald Managers group")
check(notified("p-2") == ["ann@example.org", "bob@example.org", "cfg-user", "owner"], "ann is a manager through the group")

# Patch: bob deactivated; cy's name and phone replaced.
off = scim.modify(User, "bob@example.org", PatchOp[User](operations=[PatchOperation(op="replace", path="active", value=False)]))
check(off.active is False, "deactivate bob")
cy2 = scim.modify(User, "cy@example.org", PatchOp[User](operations=[
    PatchOperation(op="replace", path="displayName", value="Cy Cole"),
    PatchOperation(op="add", path="phoneNumbers", value=[{"value": "+44 20 7946 0000", "type": "mobile"}])]))
check(cy2.display_name == "Cy Cole" and cy2.phone_numbers[0].value == "+44 20 7946 0000", "patch cy's name and phone")

# Move group members: ann out, cy in.
moved = scim.modify(Group, managers.id, PatchOp[Group](operations=[
    PatchOperation(op="remove", path='members[value eq "ann@example.org"]'),
    PatchOperation(op="add", path="members", value=[{"value": "cy@example.org"}])]))
check([m.value for m in moved.members] == ["cy@example.org"], "move the group's members")
check(notified("p-3") == ["cfg-user", "cy@example.org", "owner"], "cy replaces ann; inactive bob is not told")

# Queries a provisioning run makes.
found = scim.query(User, query_parameters={"filter": 'userName eq "cy@example.org"'})
check(found.total_results == 1 and found.resources[0].display_name == "Cy Cole", "filter userName eq")
inactive = scim.query(User, query_parameters={"filter": "active eq false"})
check([u.user_name for u in inactive.resources] == ["bob@example.org"], "filter active eq false")
page = scim.query(User, query_parameters={"start_index": 2, "count": 1})
check(page.total_results == 3 and page.start_index == 2 and len(page.resources) == 1, "paging")

# Delete deactivates: gone for SCIM, still in Herald's directory as inactive.
scim.delete(User, "cy@example.org")
gone = api.get("/scim/v2/Users/cy@example.org", headers={"Authorization": "Bearer " + scim_token})
check(gone.status_code == 404, "a deleted user answers 404")
kept = api.get("/v1/directory/users/cy@example.org", headers={"Authorization": "Bearer " + ops_token}).json()
check(kept["active"] is False and kept["source"]["kind"] == "scim", "a deleted user stays, inactive")
check(notified("p-4") == ["cfg-user", "owner"], "nobody deleted or inactive is told")
print(json.dumps({"result": "all steps passed"}))
