# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The endpoint model's steps against the in-process emulator, which resets
# omitted fields on update and refuses deletes while workers run.

import time

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import Endpoints, converge, plan_endpoint
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import ModelError
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator, emulator_factory  # noqa: F401 pylint: disable=unused-import
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.runs import converge_one, run_for

FULL = dict(
    state="present",
    name="ep-one",
    template_id="tpl",
    gpu_ids=["AMPERE_48", "ADA_48_PRO"],
    locations=["US"],
    idle_timeout=60,
    scaler_type="REQUEST_COUNT",
    scaler_value=2,
    workers_min=1,
    workers_max=4,
    network_volume_id="vol-1",
)
# The network volume FULL attaches, in a data centre its locations allow (the service refuses a volume the account lacks).
VOLUME = {"id": "vol-1", "name": "models", "size": 50, "dataCenterId": "US-TX-3"}


def stored(server):
    return dict((e["name"], e) for e in server.state()["endpoints"])


def test_update_of_one_option_keeps_every_other_field(emulator):  # pylint: disable=redefined-outer-name
    emulator.seed(networkVolumes=[VOLUME])
    converge_one(emulator, FULL)
    before = stored(emulator)["ep-one"]
    step = converge_one(emulator, dict(state="present", name="ep-one", workers_max=6))[0]
    after = stored(emulator)["ep-one"]
    assert step.action == "update"
    assert after["workersMax"] == 6
    assert dict(after, workersMax=4, clusters=None) == dict(before, clusters=None)


def test_check_mode_sends_no_mutation(emulator):  # pylint: disable=redefined-outer-name
    step, run, result = converge_one(emulator, FULL, check_mode=True)
    assert step.action == "create" and step.after["id"] is None
    assert result["changed"] and result["endpoint"] == step.after
    assert run.actions == ["create endpoint 'ep-one'"]
    assert emulator.log()["counters"]["mutations"] == 0 and emulator.state()["endpoints"] == []


def test_check_mode_predicts_a_new_cpu_endpoint_as_the_run_returns_it(emulator):  # pylint: disable=redefined-outer-name
    """A CPU endpoint has no GPU pools: [] in the run's result, and so in check mode's prediction (not null)."""
    params = dict(state="present", name="cpu-one", template_id="tpl", instance_ids=["cpu3c-2-4"], workers_max=1)
    predicted = converge_one(emulator, params, check_mode=True)[2]["endpoint"]
    done = converge_one(emulator, params)[2]["endpoint"]
    assert predicted["gpu_ids"] == done["gpu_ids"] == []
    assert dict(predicted, id=None, workers=None) == dict(done, id=None, workers=None)


def test_a_new_endpoint_with_instance_ids_cleared_is_a_gpu_endpoint():
    """instance_ids: [] makes no CPU endpoint: a create takes the gpu_ids it is given, and needs them."""
    step = plan_endpoint([], dict(name="gpu-one", template_id="tpl", gpu_ids=["AMPERE_48"], instance_ids=[]))
    assert step.action == "create" and step.desired["gpu_ids"] == ["AMPERE_48"] and step.desired["instance_ids"] == []
    with pytest.raises(ModelError, match="Endpoint 'gpu-one' does not exist; creating it needs gpu_ids$"):
        plan_endpoint([], dict(name="gpu-one", template_id="tpl", instance_ids=[]))


def test_a_name_taken_by_a_concurrent_run_is_converged_not_failed(emulator):  # pylint: disable=redefined-outer-name
    emulator.seed(networkVolumes=[VOLUME])
    endpoints = Endpoints(run_for(emulator))
    step = plan_endpoint(endpoints.read(), FULL)  # reads an account without endpoints
    emulator.call(
        "mutation($i: EndpointInput!) { saveEndpoint(input: $i) { id } }",
        {"i": {"name": "ep-one", "templateId": "tpl", "gpuIds": "AMPERE_48,ADA_48_PRO", "workersMax": 2}},
    )
    outcome = endpoints.apply([step], 30)[0]
    assert step.action == "create" and outcome.action == "update"
    assert len(emulator.state()["endpoints"]) == 1
    assert stored(emulator)["ep-one"]["workersMax"] == 4 and stored(emulator)["ep-one"]["idleTimeout"] == 60


def test_delete_drains_every_endpoint_together(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(drain_seconds=0.6, worker_quota=100)
    server.seed(networkVolumes=[VOLUME])
    names = ["ep-%d" % i for i in range(4)]
    for name in names:
        converge_one(server, dict(FULL, name=name, workers_min=2, workers_max=2))
    run = run_for(server)
    run.sleep = time.sleep
    started = time.monotonic()
    converge(run, dict(endpoints=[dict(state="absent", name=n) for n in names], wait_timeout=30))
    elapsed = time.monotonic() - started
    assert server.state()["endpoints"] == []
    assert elapsed < 0.6 * len(names)  # one drain time, not one per endpoint
    kinds = [r["mutation_kind"] for r in server.log()["requests"] if r["mutation_kind"]]
    assert kinds[-8:] == ["update"] * 4 + ["delete"] * 4


def test_drain_timeout_names_the_workers_and_a_rerun_finishes(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(drain_seconds=1.0)
    server.seed(networkVolumes=[VOLUME])
    converge_one(server, dict(FULL, workers_min=2))
    with pytest.raises(ModelError, match=r"waiting for endpoint 'ep-one' \(\w+\) to drain: 2 worker\(s\) still running"):
        converge_one(server, dict(state="absent", name="ep-one"), wait_timeout=0)
    assert stored(server)["ep-one"]["workersMax"] == 0  # the scale-down happened
    step, run, _result = converge_one(server, dict(state="absent", name="ep-one"), wait_timeout=30)
    assert step.action == "delete" and run.actions == ["delete endpoint 'ep-one' (%s)" % step.before["id"]]
    assert server.state()["endpoints"] == []
