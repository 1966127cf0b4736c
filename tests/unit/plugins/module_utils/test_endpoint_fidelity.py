# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Full-fidelity endpoints against the in-process emulator, on both of its
# profiles: nothing set elsewhere is lost by an update, the options beyond
# the documented ones work, a service that lacks fields is learned from its
# validation errors, and the real service's shapes (null items, endpoints
# without id or name, stopped workers, a capped list) never break a run.

import json

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _endpoint as model
from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import ModelError, unknown_fields
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator_factory  # noqa: F401 pylint: disable=unused-import
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.runs import converge_one, run_for

EXTRA = dict(
    gpuCount=2,
    executionTimeoutMs=1200000,
    flashBootType="FLASHBOOT",
    allowedCudaVersions="12.8,12.4",
    minCudaVersion="12.4",
    type="LB",
    env=[{"key": "HF_TOKEN_REF", "value": "console-set-value-93c1"}],
    networkVolumeIds=[{"networkVolumeId": "vol-eu-1", "dataCenterId": "EU-RO-1"}],
    modelReferences=["hf/llama"],
    workersPFBTarget=1,
)
SEEDED = dict(id="fidelity000001", name="fidelity", templateId="tpl", gpuIds="AMPERE_48", workersMax=2, **EXTRA)
# The network volumes the endpoints here attach (the service refuses a volume the account lacks).
VOLUMES = [
    {"id": "vol-eu-1", "name": "models", "size": 100, "dataCenterId": "EU-RO-1"},
    {"id": "vol-1", "name": "models", "size": 100, "dataCenterId": "US-TX-3"},
    {"id": "vol-a", "name": "data", "size": 20, "dataCenterId": "EU-RO-1"},
    {"id": "vol-b", "name": "data", "size": 20, "dataCenterId": "US-KS-2"},
]


def stored(server, endpoint_id="fidelity000001"):
    return [e for e in server.state(fields="all")["endpoints"] if e and e["id"] == endpoint_id][0]


def test_an_update_keeps_every_field_set_elsewhere(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed(networkVolumes=VOLUMES, endpoints=[SEEDED])
    mark = server.log()["counters"]["requests"]
    _step, run, result = converge_one(server, dict(name="fidelity", idle_timeout=30))
    after = stored(server)
    assert result["changed"] and after["idleTimeout"] == 30
    assert dict((key, after[key]) for key in EXTRA) == EXTRA
    # the comparison read, the read of every field, the save
    assert run.client.requests_sent == 3 and server.log()["counters"]["requests"] - mark == 3


def test_a_variable_listed_without_a_value_does_not_block_updates_or_deletes(emulator_factory):  # pylint: disable=redefined-outer-name
    """The read shape allows a null value, the input does not (EnvironmentVariableInput.value is String!):
    the variable goes back with an empty value, the others as they are."""
    server = emulator_factory()
    server.seed(networkVolumes=VOLUMES, endpoints=[dict(SEEDED, env=[{"key": "EMPTY", "value": None}, {"key": "KEPT", "value": "as-is"}])])
    _step, _run, result = converge_one(server, dict(name="fidelity", idle_timeout=30))
    assert result["changed"] and stored(server)["idleTimeout"] == 30
    assert stored(server)["env"] == [{"key": "EMPTY", "value": ""}, {"key": "KEPT", "value": "as-is"}]
    server.seed_endpoints([dict(id="fidelity000001", env=[{"key": "EMPTY", "value": None}])])
    step, _run, _result = converge_one(server, dict(name="fidelity", state="absent"))
    assert step.action == "delete" and server.state()["endpoints"] == []


def test_a_converged_endpoint_costs_one_request_on_both_profiles(emulator_factory):  # pylint: disable=redefined-outer-name
    for profile in ("full", "documented"):
        server = emulator_factory(profile=profile)
        server.seed_endpoints([dict((k, v) for k, v in SEEDED.items() if k not in EXTRA)])
        _step, run, result = converge_one(server, dict(name="fidelity", workers_max=2, gpu_ids=["AMPERE_48"]))
        assert not result["changed"] and run.client.requests_sent == 1, profile


def test_a_service_without_the_extra_fields_is_learned_and_the_update_still_works(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    server.seed_endpoints([dict((k, v) for k, v in SEEDED.items() if k not in EXTRA)])
    _step, run, result = converge_one(server, dict(name="fidelity", scaler_value=6))
    statuses = [r["status"] for r in server.log()["requests"]]
    assert result["changed"] and stored(server)["scalerValue"] == 6 and stored(server)["workersMax"] == 2
    assert statuses == [200, 400, 200, 200]  # the round-trip read is refused once, then sent without the lacking fields
    assert run.client.requests_sent == 4


def test_an_option_the_service_lacks_fails_naming_it_before_any_mutation(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    server.seed_endpoints([dict((k, v) for k, v in SEEDED.items() if k not in EXTRA)])
    with pytest.raises(ModelError, match=r"does not support execution_timeout_ms, gpu_count"):
        converge_one(server, dict(name="fidelity", gpu_count=2, execution_timeout_ms=0))
    assert server.log()["counters"]["mutations"] == 0


def test_the_new_options_create_converge_and_change_alone(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed(networkVolumes=VOLUMES)
    options = dict(
        name="fid-new",
        template_id="tpl",
        gpu_ids=["AMPERE_80"],
        workers_max=1,
        gpu_count=2,
        execution_timeout_ms=0,
        flashboot=True,
        allowed_cuda_versions=["12.8", "12.4"],
        min_cuda_version="12.4",
        endpoint_type="LB",
        network_volume_ids=["vol-1"],
    )
    _step, _run, created = converge_one(server, options)
    endpoint_id = created["endpoint"]["id"]
    assert stored(server, endpoint_id)["allowedCudaVersions"] == "12.4,12.8" and stored(server, endpoint_id)["type"] == "LB"
    _step, run, again = converge_one(server, dict(options, allowed_cuda_versions=["12.4", "12.8", "12.4"]))
    assert not again["changed"] and run.client.requests_sent == 1
    _step, _run, changed = converge_one(server, dict(name="fid-new", flashboot=False))
    assert changed["changed"] and stored(server, endpoint_id)["flashBootType"] == "OFF"
    assert stored(server, endpoint_id)["gpuCount"] == 2 and stored(server, endpoint_id)["executionTimeoutMs"] == 0


def test_every_option_the_api_can_store_empty_can_be_cleared(emulator_factory):  # pylint: disable=redefined-outer-name
    """min_cuda_version: "" (as network_volume_id); the lists: []. Each is stored empty, and a re-run changes nothing."""
    server = emulator_factory()
    server.seed_endpoints([SEEDED])
    cleared = dict(min_cuda_version="", allowed_cuda_versions=[], network_volume_ids=[])
    _step, _run, result = converge_one(server, dict(name="fidelity", **cleared))
    after = stored(server)
    assert result["changed"] and (after["minCudaVersion"], after["allowedCudaVersions"], after["networkVolumeIds"]) == (None, None, [])
    assert after["gpuCount"] == EXTRA["gpuCount"] and after["env"] == EXTRA["env"]  # the rest as it was
    assert dict((o, result["endpoint"][o]) for o in cleared) == dict(min_cuda_version=None, allowed_cuda_versions=[], network_volume_ids=[])
    _step, run, again = converge_one(server, dict(name="fidelity", **cleared))
    assert not again["changed"] and run.client.requests_sent == 1


@pytest.mark.parametrize("value, refused", [("", False), ("12.4", False), ("12", True), ("12.4 ", True), ("twelve", True)])
def test_min_cuda_version_is_a_major_minor_version_or_empty(value, refused):
    errors = [e for e in model.validate_params(dict(min_cuda_version=value)) if e.startswith("min_cuda_version")]
    assert bool(errors) == refused, errors


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(
            gpu_count=2,
            flashboot=True,
            allowed_cuda_versions=["12.4"],
            min_cuda_version="12.4",
            endpoint_type="LB",
            execution_timeout_ms=0,
            network_volume_ids=["vol-1"],
        ),
        dict(locations=["US"], network_volume_id="", workers_max=1, idle_timeout=30),
    ],
)
def test_check_mode_predicts_a_create_alike_in_both_modules_and_as_the_run_returns_it(emulator_factory, options):  # pylint: disable=redefined-outer-name
    """The single and the fleet module predict the same endpoint for the same create, with the service's create
    defaults, and that is what a run of either returns (but the new id)."""
    server = emulator_factory()
    server.seed(networkVolumes=VOLUMES)
    item = dict(dict((o, None) for o in model.endpoint_argument_spec()), state="present", name="new-one", template_id="tpl", gpu_ids=["AMPERE_48"], **options)
    single = dict(item, wait_timeout=30)
    fleet = dict(endpoints=[item], wait_timeout=30, prune=False)
    predicted = model.converge_endpoint(run_for(server, single, check_mode=True))["endpoint"]
    assert model.converge_fleet(run_for(server, fleet, check_mode=True))["endpoints"] == [predicted]
    assert server.log()["counters"]["mutations"] == 0
    assert all(predicted[o] == value for o, value in model.CREATE_DEFAULTS.items() if o in predicted and o not in options)
    created = model.converge_fleet(run_for(server, fleet))["endpoints"][0]
    assert dict(created, id=None) == predicted
    server.reset()
    server.seed(networkVolumes=VOLUMES)
    assert dict(model.converge_endpoint(run_for(server, single))["endpoint"], id=None) == predicted


def test_a_fleet_create_is_predicted_with_every_field_the_run_returns(emulator_factory):  # pylint: disable=redefined-outer-name
    """Another item's options widen the fleet's read: the new endpoint is predicted with those fields too, at the
    service's create defaults, as the run returns it."""
    server = emulator_factory()
    server.seed_endpoints([SEEDED])
    blank = dict((o, None) for o in model.endpoint_argument_spec())
    fleet = dict(
        endpoints=[
            dict(blank, state="present", name="new-one", template_id="tpl", gpu_ids=["AMPERE_48"]),
            dict(
                blank, state="present", name="fidelity", gpu_count=2, flashboot=True, execution_timeout_ms=1200000, endpoint_type="LB", min_cuda_version="12.4"
            ),
        ],
        wait_timeout=30,
        prune=False,
    )
    predicted = model.converge_fleet(run_for(server, fleet, check_mode=True))["endpoints"][0]
    assert (predicted["gpu_count"], predicted["flashboot"], predicted["execution_timeout_ms"], predicted["endpoint_type"], predicted["min_cuda_version"]) == (
        1,
        False,
        600000,
        "QB",
        None,
    )
    created = model.converge_fleet(run_for(server, fleet))["endpoints"][0]
    assert dict(created, id=None) == predicted


def test_an_info_item_fed_back_converges_without_workers_and_for_a_cpu_endpoint_without_gpu_ids(emulator_factory):  # pylint: disable=redefined-outer-name
    """What tensorone_endpoint_info's documentation says about feeding its items back."""
    server = emulator_factory()
    server.seed_endpoints([SEEDED, dict(id="cpuendpoint001", name="cpu-one", templateId="tpl", gpuIds="", instanceIds=["cpu3c-2-4"])])
    items = model.read_endpoints(run_for(server, dict(id=None, name=None)))["endpoints"]
    assert set(items[0]) - set(model.endpoint_argument_spec()) == {"workers"}
    for item in items:
        fed = dict((k, v) for k, v in item.items() if k != "workers")
        if item["instance_ids"]:
            assert item["gpu_ids"] == [] and "gpu_ids must list at least one GPU pool id" in model.validate_params(fed)
            del fed["gpu_ids"]
        assert model.validate_params(fed) == []
        _step, run, result = converge_one(server, fed)
        assert not result["changed"] and run.client.requests_sent == 1


def test_a_different_endpoint_type_is_refused_before_any_mutation(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed_endpoints([SEEDED])
    with pytest.raises(ModelError, match="needs a new endpoint"):
        converge_one(server, dict(name="fidelity", endpoint_type="QB"))
    assert server.log()["counters"]["mutations"] == 0


def test_a_cpu_endpoint_is_updated_and_deleted(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed_endpoints([dict(id="cpuendpoint001", name="cpu-one", templateId="tpl", gpuIds="", instanceIds=["cpu3c-2-4"], workersMax=1)])
    converge_one(server, dict(name="cpu-one", workers_max=2))
    assert stored(server, "cpuendpoint001")["instanceIds"] == ["cpu3c-2-4"]
    _step, _run, result = converge_one(server, dict(name="cpu-one", state="absent"))
    assert result["changed"] and server.state()["endpoints"] == []


def test_only_live_workers_hold_a_delete_back(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    stopped = [dict(id="w%d" % i, desiredStatus=status) for i, status in enumerate(("EXITED", "DEAD", "PAUSED", "TERMINATED"))]
    server.seed_endpoints([dict(id="stopped0000001", name="stopped", templateId="tpl", gpuIds="AMPERE_16", workersMax=0, clusters=stopped)])
    endpoint = model.endpoint_from_api(dict(clusters=[None] + stopped + [dict(id="live", desiredStatus="RUNNING")]))
    assert [w["id"] for w in model.running_workers(endpoint)] == ["live"]
    _step, run, result = converge_one(server, dict(name="stopped", state="absent"))
    assert result["changed"] and run.actions == ["delete endpoint 'stopped' (stopped0000001)"]


def test_null_items_and_endpoints_without_id_or_name_never_break_a_run(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed_endpoints(
        [
            None,
            dict(id=None, name="no-id", templateId="tpl", gpuIds="AMPERE_16", workersMax=0),
            dict(id="noname00000001", name=None, templateId="tpl", gpuIds="AMPERE_16", workersMax=0),
            dict(id="keep0000000001", name="keep-me", templateId="tpl", gpuIds="AMPERE_16", workersMax=0, clusters=[None]),
        ]
    )
    run = run_for(server, check_mode=True, retries=0)
    steps = model.converge(
        run, dict(endpoints=[dict(name="keep-me", state="present")], prune=True, prune_all=True, prune_prefix=None, prune_max=None, wait_timeout=30)
    )
    assert [s.action for s in steps] == ["none"]
    assert sorted(run.warnings) == [
        "prune skipped an endpoint the API lists without a name (noname00000001)",
        "prune skipped an endpoint the API lists without an id (no-id)",
    ]


def test_a_list_at_the_cap_refuses_prune_and_reads_an_unlisted_id_by_id(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    monkeypatch.setattr(model, "LIST_CAP", 3)
    server = emulator_factory(list_cap=3, worker_quota=100)
    server.seed_endpoints([dict(id="capped%08d" % i, name="capped-%d" % i, templateId="tpl", gpuIds="AMPERE_16") for i in range(4)])
    _step, run, result = converge_one(server, dict(id="capped00000003", workers_max=1))
    assert result["changed"] and stored(server, "capped00000003")["workersMax"] == 1
    assert run.client.requests_sent == 4  # the list, the read by id, the read of every field, the save
    with pytest.raises(ModelError, match="Give its id"):
        converge_one(server, dict(name="capped-new", template_id="tpl", gpu_ids=["AMPERE_16"]))
    with pytest.raises(ModelError, match="not fully known"):
        fleet = dict(endpoints=[dict(name="capped-0")], prune=True, prune_prefix="capped-", prune_all=False, prune_max=None, wait_timeout=30)
        model.converge(run_for(server, retries=0), fleet)
    assert len(server.state()["endpoints"]) == 4


@pytest.mark.parametrize(
    "message, names",
    [
        ("Cannot query field \"gpuCount\" on type \"Endpoint\".", {"gpuCount"}),  # graphql-js
        ("Cannot query field 'gpuCount' on type 'Endpoint'. Did you mean 'gpuIds'?", {"gpuCount"}),  # graphql-core
        ("Variable '$input' got invalid value {...}; Field 'flashBootType' is not defined by type 'EndpointInput'.", {"flashBootType"}),
        ('Variable "$input" got invalid value {...}; Field "minCudaVersion" is not defined by type "EndpointInput".', {"minCudaVersion"}),
        ("Expected value of type 'EndpointInput' not to include unknown field 'type'", {"type"}),
        ("Endpoint not found", set()),
    ],
)
def test_validation_errors_name_the_fields_a_service_lacks(message, names):
    assert unknown_fields(APIError("The API returned an error: " + message, "graphql", details=[message])) == names


def test_environment_values_read_for_an_update_never_show_in_a_message(emulator_factory):  # pylint: disable=redefined-outer-name
    """The runner masks run.redact() in every message: an API error that echoes the
    input (GraphQL coercion errors do) must not show environment values."""
    server = emulator_factory()
    server.seed_endpoints([SEEDED])
    run = run_for(server, retries=0)
    model.Endpoints(run).read_for_update([SEEDED["id"]])
    echoed = "Variable '$input' got invalid value {env: [{key: HF_TOKEN_REF, value: console-set-value-93c1}]} (key %s)" % server.api_key
    assert run.redact(echoed) == "Variable '$input' got invalid value {env: [{key: HF_TOKEN_REF, value: ********}]} (key ********)"


def capped_server(emulator_factory, monkeypatch, **options):  # pylint: disable=redefined-outer-name
    """An account of 4 endpoints on a service that lists 3 (the cap lowered from 400)."""
    monkeypatch.setattr(model, "LIST_CAP", 3)
    server = emulator_factory(list_cap=3, worker_quota=100, **options)
    server.seed_endpoints([dict(id="capped%08d" % i, name="capped-%d" % i, templateId="tpl", gpuIds="AMPERE_16") for i in range(4)])
    return server


def test_absent_by_a_name_the_capped_list_does_not_reach_is_refused(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = capped_server(emulator_factory, monkeypatch)
    with pytest.raises(ModelError, match="Endpoint 'capped-3' is not in the account's list, which came back with 3 endpoints.*Give its id to delete it"):
        converge_one(server, dict(name="capped-3", state="absent"))
    assert len(server.state()["endpoints"]) == 4


def test_a_delete_beyond_the_capped_list_waits_for_its_drain_and_really_deletes(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    """The drain re-reads the endpoint by id: missing from a capped list, it is not gone."""
    server = capped_server(emulator_factory, monkeypatch, drain_seconds=0.3)
    converge_one(server, dict(id="capped00000003", workers_min=1, workers_max=1))
    step, run, _result = converge_one(server, dict(id="capped00000003", state="absent"), wait_timeout=30)
    assert step.action == "delete" and run.actions[-1] == "delete endpoint 'capped-3' (capped00000003)"
    assert "capped00000003" not in [e["id"] for e in server.state()["endpoints"]]
    assert [r["mutation_kind"] for r in server.log()["requests"] if r["mutation_kind"]][-1] == "delete"


def test_info_at_the_capped_list_says_it_is_incomplete_and_reads_an_id_beyond_it(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = capped_server(emulator_factory, monkeypatch)
    run = run_for(server, dict(id=None, name="capped-3"))
    result = model.read_endpoints(run)
    assert result["endpoints"] == [] and result["complete"] is False
    assert run.warnings == [
        "The account's list of endpoints came back with 3 endpoints, the most the API lists: endpoints beyond them are missing from this result"
    ]
    run = run_for(server, dict(id="capped00000003", name=None))
    result = model.read_endpoints(run)
    assert [e["name"] for e in result["endpoints"]] == ["capped-3"] and result["complete"] is True and run.warnings == []


def test_gpu_ids_on_a_cpu_endpoint_is_refused_unless_instance_ids_is_cleared(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed_endpoints([dict(id="cpuendpoint001", name="cpu-one", templateId="tpl", gpuIds="", instanceIds=["cpu3c-2-4"], workersMax=1)])
    with pytest.raises(ModelError, match=r"gpu_ids cannot be set: it is a CPU endpoint \(instance_ids \['cpu3c-2-4'\]\)"):
        converge_one(server, dict(name="cpu-one", gpu_ids=["AMPERE_16"]))
    assert server.log()["counters"]["mutations"] == 0
    _step, _run, result = converge_one(server, dict(name="cpu-one", gpu_ids=["AMPERE_16"], instance_ids=[]))
    assert result["changed"] and result["endpoint"]["gpu_ids"] == ["AMPERE_16"] and result["endpoint"]["instance_ids"] == []
    assert stored(server, "cpuendpoint001")["gpuIds"] == "AMPERE_16" and not stored(server, "cpuendpoint001")["instanceIds"]
    again = converge_one(server, dict(name="cpu-one", gpu_ids=["AMPERE_16"], instance_ids=[]))[2]
    assert not again["changed"]


def test_network_volume_id_beside_network_volume_ids_is_refused_in_check_mode_too(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed(
        networkVolumes=VOLUMES,
        endpoints=[
            dict(
                id="volumes0000001",
                name="vols",
                templateId="tpl",
                gpuIds="AMPERE_16",
                workersMax=1,
                networkVolumeIds=[{"networkVolumeId": "vol-a", "dataCenterId": "EU-RO-1"}],
            )
        ],
    )
    for check_mode in (True, False):
        with pytest.raises(ModelError, match=r"network_volume_id cannot be set: it has network_volume_ids \['vol-a'\]"):
            converge_one(server, dict(name="vols", network_volume_id="vol-b"), check_mode=check_mode)
    assert server.log()["counters"]["mutations"] == 0
    _step, _run, result = converge_one(server, dict(name="vols", network_volume_id="vol-b", network_volume_ids=[]))
    assert result["changed"] and stored(server, "volumes0000001")["networkVolumeId"] == "vol-b"
    assert not stored(server, "volumes0000001")["networkVolumeIds"]


def test_no_result_diff_or_message_shows_the_endpoints_environment_values(emulator_factory):  # pylint: disable=redefined-outer-name
    """An endpoint's env is read (an update sends it back) but never shown; a short value masks no word of a message."""
    server = emulator_factory()
    server.seed(
        networkVolumes=VOLUMES, endpoints=[dict(SEEDED, env=[{"key": "HF_TOKEN_REF", "value": "console-set-value-93c1"}, {"key": "DEBUG", "value": "1"}])]
    )
    run = run_for(server, dict(name="fidelity", idle_timeout=30, state="present", wait_timeout=30))
    run.diff = True
    result = model.converge_endpoint(run)
    listed = model.read_endpoints(run_for(server, dict(id=None, name="fidelity")))
    assert result["changed"] and stored(server)["env"] == SEEDED["env"][:1] + [{"key": "DEBUG", "value": "1"}]
    assert "HF_TOKEN_REF" not in json.dumps([result, listed]) and "console-set-value-93c1" not in json.dumps([result, listed])
    echoed = 'found {"env": [{"key": "DEBUG", "value": "1"}]} after 1 attempt'
    assert run.redact(echoed) == 'found {"env": [{"key": "DEBUG", "value": "********"}]} after 1 attempt'
