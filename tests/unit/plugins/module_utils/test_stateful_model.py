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
