# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The stateful test's model of other tools (stateful_machine.py), step by step
# against its in-process emulator: what another tool does to an account must be
# something the service can do, or the state machine reports the collection for
# the model's mistake. Plain scenarios, no hypothesis draws.

from unittest import mock

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _registry_auth, _secret
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils import stateful_machine
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.stateful_machine import FullAccount
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.stateful_tasks import Change, Faults, Task

DRAIN = 5
SAVE = "mutation($i: EndpointInput!) { saveEndpoint(input: $i) { id } }"


@pytest.fixture
def machine():
    """A full-profile account whose workers drain for DRAIN seconds; the machine's notes are kept, not sent to hypothesis."""
    notes = []
    with mock.patch.object(stateful_machine, "note", notes.append):
        account = FullAccount()
        account.notes = notes
        account.start(drain_seconds=DRAIN, others=[], console_template=False, odd_shapes=False, list_cap=None)
        yield account
        account.teardown()


def workers(machine, name):
    return [(c["id"], c["desiredStatus"]) for c in machine.endpoint_named(name)["clusters"]]


def scaled_to_zero(machine, name, workers_min):
    """app-b made by another tool with ``workers_min`` workers, then scaled to 0: its workers drain."""
    machine.other_tool(SAVE, {"i": {"name": name, "templateId": "tpl-other", "gpuIds": "ADA_24", "workersMin": workers_min, "workersMax": workers_min}})
    endpoint = machine.endpoint_named(name)
    machine.other_tool(SAVE, {"i": {"id": endpoint["id"], "name": name, "templateId": "tpl-other", "gpuIds": "ADA_24", "workersMin": 0, "workersMax": 0}})
    return endpoint["id"]


@pytest.mark.parametrize("status", ["EXITED", "DEAD"])
def test_another_tool_stopping_one_worker_mid_drain_leaves_the_others_draining(machine, status):
    endpoint_id = scaled_to_zero(machine, "app-b", 2)
    first, last = [worker_id for worker_id, _status in workers(machine, "app-b")]
    assert machine.change(Change("workers", name="app-b", status=status), machine.state())
    assert workers(machine, "app-b") == [(first, "RUNNING"), (last, status)]
    machine.clock.sleep(DRAIN)
    # the running worker's drain ended as it would have: only the stopped one is left, and it holds nothing back
    assert workers(machine, "app-b") == [(last, status)]
    machine.other_tool("mutation($id: String!) { deleteEndpoint(id: $id) }", {"id": endpoint_id})
    assert machine.endpoint_named("app-b") is None


def test_another_tool_draining_one_worker_mid_drain_leaves_the_others_draining(machine):
    scaled_to_zero(machine, "app-b", 2)
    machine.clock.sleep(DRAIN - 1)
    assert machine.change(Change("workers", name="app-b", status="draining"), machine.state())
    # the first worker now drains for 3 seconds more; the second keeps the second it had left
    machine.clock.sleep(1)
    assert [status for _id, status in workers(machine, "app-b")] == ["RUNNING"]
    machine.clock.sleep(2)
    assert workers(machine, "app-b") == []


def test_a_delete_converges_when_another_tool_stops_a_worker_while_it_drains(machine):
    """A fleet task deletes an endpoint while another tool stops one of its draining workers: the task converges."""
    created = dict(name="app-b", template_id="tpl-base", gpu_ids=["AMPERE_48"], workers_min=2)
    machine.task(Task("tensorone_endpoints", dict(endpoints=[created])), Faults())
    endpoint_id = machine.endpoint_named("app-b")["id"]
    # requests: the list, the read for the update, the scale to 0, then (4) the first read of the drain wait
    machine.task(
        Task("tensorone_endpoints", dict(endpoints=[dict(id=endpoint_id, name="app-b", state="absent")])),
        Faults(),
        meanwhile=(4, Change("workers", name="app-b", status="EXITED")),
    )
    assert machine.endpoint_named("app-b") is None
    # the first run itself deleted it (the change met the run, and no re-run was needed)
    acted = machine.notes.index("  meanwhile, workers {name: app-b, status: EXITED}")
    first_run = machine.notes[acted + 1]
    assert first_run.startswith("  changed") and "delete endpoint 'app-b' (%s)" % endpoint_id in first_run, machine.notes


def test_another_tool_deleting_an_endpoint_under_the_name_the_run_just_gave_it_is_not_blamed_on_the_run(machine):
    """A fleet task renames app-a to web-a, and another tool deletes web-a before the run's next request: the
    run did not delete it (its actions say so), and the invariants must not say it did."""
    for name in ("app-a", "app-b"):
        machine.other_tool(SAVE, {"i": {"name": name, "templateId": "tpl-other", "gpuIds": "ADA_24", "workersMax": 0}})
    renamed = machine.endpoint_named("app-a")["id"]
    # requests: the list, the read for the update, the rename, then (4) the delete of app-b
    machine.task(
        Task("tensorone_endpoints", dict(endpoints=[dict(name="app-b", state="absent"), dict(id=renamed, name="web-a")])),
        Faults(),
        meanwhile=(4, Change("deletes", name="web-a")),
    )
    assert machine.state()["endpoints"] == []
    acted = machine.notes.index("  meanwhile, deletes {name: web-a}")
    assert "delete endpoint 'web-a'" not in machine.notes[acted + 1] and "update endpoint 'app-a'" in machine.notes[acted + 1]


# --- registry credentials and secrets ------------------------------------------------------


def stored(machine, table, name):
    found = [r for r in machine.state()[table] if r and r["name"] == name]
    return found[0] if found else None


def test_another_tool_deleting_a_credential_clears_the_templates_that_name_it_and_a_new_one_gets_a_new_id(machine):
    machine.task(
        Task("tensorone_template", dict(name="worker-a", image_name="reg.example/llm:1.0", container_disk_in_gb=20, container_registry_auth="registry")),
        Faults(),
    )
    assert [t["containerRegistryAuthId"] for t in machine.state()["templates"]] == ["reg-auth-1"]
    change = Change("deletes credential", name="registry")
    assert machine.change(change, machine.state())
    # as the service does: the template silently loses its reference (and the change says which templates it touched)
    assert [t["containerRegistryAuthId"] for t in machine.state()["templates"]] == [None]
    assert change.touched == set(["worker-a"])
    assert machine.change(Change("creates credential", name="registry"), machine.state())
    assert stored(machine, "registryAuths", "registry")["id"] not in ("reg-auth-1", None)
    # the template names it again by name: the next run saves the new id
    machine.task(Task("tensorone_template", dict(name="worker-a", container_registry_auth="registry")), Faults())
    assert [t["containerRegistryAuthId"] for t in machine.state()["templates"]] == [stored(machine, "registryAuths", "registry")["id"]]


def test_another_tool_rotating_counts_as_the_service_counts_and_keeps_no_value(machine):
    machine.task(Task("tensorone_secret", dict(name="hf_token", value="hf-live-token-aaa111")), Faults())
    before = stored(machine, "secrets", "hf_token")
    assert machine.change(Change("rotates secret", name="hf_token"), machine.state())
    after = stored(machine, "secrets", "hf_token")
    assert after["valueUpdates"] == before["valueUpdates"] + 1 and after["valueFingerprint"] != before["valueFingerprint"]
    assert machine.change(Change("rotates credential", name="registry"), machine.state())
    assert stored(machine, "registryAuths", "registry")["rotations"] == 1
    assert "console-secret-5a9e" not in repr(machine.state())


def test_a_secret_an_endpoint_refers_to_is_not_deleted_until_the_reference_is_dropped(machine):
    machine.other_tool(SAVE, {"i": {"name": "app-a", "templateId": "tpl-other", "gpuIds": "ADA_24", "workersMax": 0}})
    machine.task(Task("tensorone_secret", dict(name="db-pass", value="hf-live-token-bbb222")), Faults())
    assert machine.change(Change("refers to secret", name="app-a", secret="db-pass"), machine.state())
    machine.task(Task("tensorone_secret", dict(name="db-pass", state="absent")), Faults())
    assert stored(machine, "secrets", "db-pass") is not None
    assert any(line.startswith("  refused: Secret 'db-pass'") and "is used by endpoint 'app-a'" in line for line in machine.notes), machine.notes
    assert machine.change(Change("drops secret references", name="app-a"), machine.state())
    machine.task(Task("tensorone_secret", dict(name="db-pass", state="absent")), Faults())
    assert stored(machine, "secrets", "db-pass") is None


def test_a_rotation_task_and_its_repeat_are_one_update_each_even_after_a_lost_response(machine):
    task = Task("tensorone_registry_auth", dict(name="registry", username="registry-user-one", password="pa55word-first-4d1", update_password="always"))
    machine.task(task, Faults(lost=["registry_auth_update"]))
    # the run's update, sent again after its lost response, then the repeat's one
    assert stored(machine, "registryAuths", "registry")["rotations"] == 3


ROTATE_ON_CREATE = Task("tensorone_registry_auth", dict(name="registry", username="registry-user-one", password="pa55word-first-4d1"))
DELETE_CREDENTIAL = Task("tensorone_registry_auth", dict(name="registry", state="absent"))
SECRET = Task("tensorone_secret", dict(name="hf_token", value="hf-live-token-aaa111"))


@pytest.mark.parametrize(
    "owner, attribute, replacement, task, violation",
    [
        # sends the username and password on every run, whatever update_password says
        (_registry_auth.RegistryAuths, "changes", lambda self, view, desired: ["username", "password"], ROTATE_ON_CREATE, "update_password=on_create sent"),
        # deletes a credential whatever names it (the service then drops the template's reference)
        (_registry_auth.RegistryAuths, "users", lambda self, auth_id: [], DELETE_CREDENTIAL, "changed templates|deleted while templates named it"),
        # shows the secret's value in a warning
        (_secret, "secret_warnings", lambda params: ["value: %s" % params.get("value")], SECRET, "a result or message shows"),
    ],
    ids=["rotates on create", "deletes in use", "shows the value"],
)
def test_the_invariants_catch_a_module_that_breaks_a_promise(machine, owner, attribute, replacement, task, violation):  # pylint: disable=too-many-arguments
    machine.task(
        Task("tensorone_template", dict(name="worker-a", image_name="reg.example/llm:1.0", container_disk_in_gb=20, container_registry_auth="registry")),
        Faults(),
    )
    with mock.patch.object(owner, attribute, replacement), pytest.raises(stateful_machine.Violation, match=violation):
        machine.task(task, Faults())
