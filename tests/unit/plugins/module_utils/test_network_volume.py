# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The network volume model against the in-process emulator: create and a
# re-run in one request, the grow-only size and the fixed data centre refused
# before any mutation, names that are not unique (by id, by name within a data
# centre, by a name one volume has, an ambiguous name, a create beside a
# namesake elsewhere), rename by id, check and diff mode, lost responses, a
# volume gone meanwhile, the delete refused while an endpoint names it (both
# fields) or while the endpoints are not all listed, the documented service,
# the info module and the option checks.

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _network_volume as model
from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import ModelError
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run, outcome_of
from ansible_collections.tensorone.cloud.plugins.modules import tensorone_network_volume, tensorone_network_volume_info
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator_factory  # noqa: F401 pylint: disable=unused-import
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.runs import failed_result, module_run

VOLUME = dict(name="model-cache", size=50, data_center="EU-RO-1")


def make_run(server, params, check_mode=False, diff=False, spec=None):
    return module_run(server, spec or model.network_volume_argument_spec(), params, check_mode, diff)


def converge(server, params, check_mode=False, diff=False):
    run = make_run(server, params, check_mode=check_mode, diff=diff)
    return model.converge_network_volume(run), run


def fails(server, params, check_mode=False):
    """The shaped result of a run that fails (``outcome_of``), and the run."""
    run = make_run(server, params, check_mode=check_mode)
    return failed_result(run, model.converge_network_volume), run


def info(server, **params):
    run = make_run(server, params, spec=dict(id=dict(type="str"), name=dict(type="str"), data_center=dict(type="str")))
    return outcome_of(run, model.read_network_volumes), run


def stored(server):
    return [v for v in server.state()["networkVolumes"] if v]


def mutations(server):
    return [r for r in server.log()["requests"] if r["operation_type"] == "mutation"]


def kinds(server):
    return [m["mutation_kind"] for m in mutations(server)]


def seed_volumes(server, *volumes):
    server.seed(networkVolumes=[dict(dict(size=50, storageClusterId=None), **v) for v in volumes])


def endpoint_on(server, endpoint_id="volendpoint001", name="llm-inference", **fields):
    server.seed(endpoints=[dict(dict(id=endpoint_id, name=name, templateId="xkhgg72fuo", gpuIds="AMPERE_48", workersMin=0, workersMax=1), **fields)])


# --- create, converge, grow, rename ----------------------------------------------------------


def test_create_then_a_rerun_costs_one_request_and_sends_nothing(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, run = converge(server, VOLUME, diff=True)
    volume = stored(server)[0]
    assert created["changed"] and run.actions == ["create network volume 'model-cache'"] and run.client.requests_sent == 2 and run.warnings == []
    assert created["network_volume"] == dict(id=volume["id"], name="model-cache", size=50, data_center="EU-RO-1", endpoint_ids=[])
    assert mutations(server)[0]["variables"] == {"input": {"name": "model-cache", "size": 50, "dataCenterId": "EU-RO-1"}}
    assert created["diff"] == dict(before={}, after=created["network_volume"])
    again, run = converge(server, VOLUME)
    assert not again["changed"] and run.client.requests_sent == 1 and run.actions == [] and kinds(server) == ["network_volume_create"]
    assert again["network_volume"] == created["network_volume"]


def test_a_volume_grows_with_one_update_that_sends_the_name_and_the_size(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1"))
    grown, run = converge(server, dict(VOLUME, size=120), diff=True)
    assert grown["changed"] and run.actions == ["update network volume 'model-cache' (vol0000001): size"] and run.client.requests_sent == 2
    assert mutations(server)[0]["variables"] == {"input": {"id": "vol0000001", "name": "model-cache", "size": 120}}
    assert stored(server)[0]["size"] == 120 and grown["network_volume"]["size"] == 120
    assert grown["diff"]["before"]["size"] == 50 and grown["diff"]["after"]["size"] == 120
    same, run = converge(server, dict(VOLUME, size=120))
    assert not same["changed"] and run.client.requests_sent == 1 and len(mutations(server)) == 1


def test_a_smaller_size_is_refused_before_any_mutation_saying_the_current_size(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1", size=80))
    for check_mode in (True, False):
        result, _run = fails(server, VOLUME, check_mode=check_mode)
        assert result["failure"]["kind"] == "invalid_option" and result["api_calls"]["requests"] == 1
        assert result["msg"] == "Network volume 'model-cache' (vol0000001) has 80 GB: a network volume's size can grow, never shrink, so size 50 is refused"
    assert mutations(server) == [] and stored(server)[0]["size"] == 80


def test_another_data_centre_for_a_volume_is_refused_saying_a_volume_elsewhere_is_new_and_empty(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1"))
    for state in ("present", "absent"):
        result, _run = fails(server, dict(id="vol0000001", data_center="US-TX-3", state=state))
        assert result["failure"]["kind"] == "invalid_option"
        assert result["msg"].startswith(
            "Network volume 'model-cache' (vol0000001) is in EU-RO-1: the data centre is fixed at creation, so data_center US-TX-3 is refused"
        )
        assert "a volume in another data centre is a new, empty volume" in result["msg"]
    assert mutations(server) == [] and len(stored(server)) == 1


def test_rename_by_id_keeps_the_size_and_the_data_centre(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1", size=70))
    renamed, run = converge(server, dict(id="vol0000001", name="llm-model-cache"))
    assert renamed["changed"] and run.actions == ["update network volume 'model-cache' (vol0000001): name"]
    assert mutations(server)[0]["variables"] == {"input": {"id": "vol0000001", "name": "llm-model-cache", "size": 70}}
    assert [(v["id"], v["name"], v["size"], v["dataCenterId"]) for v in stored(server)] == [("vol0000001", "llm-model-cache", 70, "EU-RO-1")]
    again, run = converge(server, dict(id="vol0000001", name="llm-model-cache"))
    assert not again["changed"] and run.client.requests_sent == 1


def test_an_unknown_id_never_creates(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    result, _run = fails(server, dict(VOLUME, id="nosuchvol1"))
    assert result["failure"]["kind"] == "not_found" and result["msg"].startswith("No network volume with id 'nosuchvol1' exists") and mutations(server) == []
    absent, run = converge(server, dict(id="nosuchvol1", state="absent"))
    assert not absent["changed"] and absent["network_volume"] is None and run.client.requests_sent == 1


def test_a_create_needs_size_and_data_centre(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    result, _run = fails(server, dict(name="model-cache", data_center="EU-RO-1"))
    assert result["failure"]["kind"] == "create_needs" and result["msg"] == "Network volume 'model-cache' does not exist; creating it needs size"
    result, _run = fails(server, dict(name="model-cache"))
    assert result["failure"]["kind"] == "create_needs" and result["msg"].endswith("creating it needs size, data_center") and mutations(server) == []


# --- names are not unique -----------------------------------------------------------------------


def test_a_name_is_found_within_its_data_centre_and_a_name_elsewhere_makes_a_new_empty_volume(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="volustx001", name="model-cache", dataCenterId="US-TX-3"), dict(id="voleuro001", name="model-cache", dataCenterId="EU-RO-1"))
    adopted, run = converge(server, dict(name="model-cache", data_center="EU-RO-1"))
    assert not adopted["changed"] and adopted["network_volume"]["id"] == "voleuro001" and run.warnings == []
    created, run = converge(server, dict(VOLUME, data_center="EU-CZ-1"))
    assert created["changed"] and created["network_volume"]["data_center"] == "EU-CZ-1"
    assert run.warnings == [
        "Network volume 'model-cache' is not in EU-CZ-1 but in US-TX-3 (volustx001), EU-RO-1 (voleuro001): this run creates a new, "
        "empty volume in EU-CZ-1 (data is not copied between data centres)"
    ]
    assert len(stored(server)) == 3


def test_a_name_alone_adopts_the_one_volume_with_it_and_refuses_several_listing_id_and_data_centre(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="volustx001", name="model-cache", dataCenterId="US-TX-3"), dict(id="volother01", name="other", dataCenterId="EU-RO-1"))
    adopted, _run = converge(server, dict(name="model-cache", size=60))
    assert adopted["changed"] and adopted["network_volume"]["id"] == "volustx001" and stored(server)[0]["size"] == 60
    seed_volumes(server, dict(id="voleuro001", name="model-cache", dataCenterId="EU-RO-1"))
    before = len(mutations(server))
    for params in (dict(name="model-cache"), dict(name="model-cache", state="absent")):
        result, _run = fails(server, params)
        assert result["failure"]["kind"] == "ambiguous"
        assert result["msg"] == (
            "Found 2 network volumes named 'model-cache' (ids: volustx001 in US-TX-3, voleuro001 in EU-RO-1): set data_center or id to choose one"
        )
    assert len(mutations(server)) == before


def test_white_space_around_a_name_is_kept_with_a_warning(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, run = converge(server, dict(VOLUME, name="model-cache "))
    assert created["network_volume"]["name"] == "model-cache " and run.warnings == [
        "The network volume's name 'model-cache ' starts or ends with white space; the API keeps it as given"
    ]


# --- check mode, lost responses, gone ----------------------------------------------------------------


def test_check_mode_predicts_and_sends_no_mutation(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    planned, run = converge(server, VOLUME, check_mode=True, diff=True)
    assert planned["changed"] and run.actions == ["create network volume 'model-cache'"] and mutations(server) == []
    assert planned["network_volume"] == dict(id=None, name="model-cache", size=50, data_center="EU-RO-1", endpoint_ids=[])
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1"))
    planned, run = converge(server, dict(id="vol0000001", name="renamed", size=90), check_mode=True, diff=True)
    assert planned["changed"] and run.actions == ["update network volume 'model-cache' (vol0000001): name, size"]
    assert planned["diff"]["after"] == dict(id="vol0000001", name="renamed", size=90, data_center="EU-RO-1", endpoint_ids=[])
    planned, run = converge(server, dict(id="vol0000001", state="absent"), check_mode=True)
    assert planned["changed"] and run.actions == ["delete network volume 'model-cache' (vol0000001)"]
    assert mutations(server) == [] and len(stored(server)) == 1


def test_a_lost_create_response_makes_exactly_one_volume(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.set_faults(drop_after_apply=["network_volume_create"])
    created, run = converge(server, VOLUME)
    assert created["changed"] and run.actions == ["create network volume 'model-cache'"]
    assert [v["id"] for v in stored(server)] == [created["network_volume"]["id"]] and kinds(server) == ["network_volume_create"]
    again, _run = converge(server, VOLUME)
    assert not again["changed"] and len(stored(server)) == 1


def test_lost_update_and_delete_responses(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1"))
    server.set_faults(drop_after_apply=["network_volume_update", "network_volume_delete"])
    grown, run = converge(server, dict(VOLUME, size=60))
    assert grown["changed"] and grown["network_volume"]["size"] == 60 and run.client.retries_done == 1 and run.warnings == []
    deleted, run = converge(server, dict(id="vol0000001", state="absent"))
    assert deleted["changed"] and run.actions == ["delete network volume 'model-cache' (vol0000001)"] and stored(server) == []
    # the update is sent again (the same name and size: the same volume), the delete's resend finds it gone
    assert [m["mutation_kind"] for m in mutations(server) if m["applied"]] == ["network_volume_update", "network_volume_update", "network_volume_delete"]


def test_a_volume_deleted_since_the_read_is_gone(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="Model-Cache", dataCenterId="EU-RO-1"))
    original = model.NetworkVolumes.read
    reads = []

    def read_then_delete(self):
        found = original(self)
        if not reads:
            server.call("mutation($input: DeleteNetworkVolumeInput!) { deleteNetworkVolume(input: $input) }", {"input": {"id": "vol0000001"}})
        reads.append(found)
        return found

    monkeypatch.setattr(model.NetworkVolumes, "read", read_then_delete)
    result, _run = fails(server, dict(id="vol0000001", size=60))
    assert result["failure"]["kind"] == "gone" and result["msg"] == "Network volume 'Model-Cache' (vol0000001) is gone: it was deleted since this run read it"


# --- delete ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attached", [dict(networkVolumeId="vol0000001"), dict(networkVolumeIds=[dict(networkVolumeId="vol0000001", dataCenterId="EU-RO-1")])])
def test_delete_is_refused_while_an_endpoint_names_the_volume_and_allowed_after(emulator_factory, attached):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1"))
    endpoint_on(server, **attached)
    kept, _run = converge(server, VOLUME)
    assert kept["network_volume"]["endpoint_ids"] == ["volendpoint001"]
    for check_mode in (True, False):
        result, _run = fails(server, dict(name="model-cache", state="absent"), check_mode=check_mode)
        assert result["failure"]["kind"] == "in_use" and result["api_calls"]["requests"] == 1
        assert result["msg"] == (
            "Network volume 'model-cache' (vol0000001) is used by endpoint 'llm-inference' (volendpoint001): nothing was deleted. "
            "Detach it from it (network_volume_id, network_volume_ids) or delete it first"
        )
    assert mutations(server) == [] and len(stored(server)) == 1
    endpoint_on(server, networkVolumeId=None, networkVolumeIds=None)
    deleted, run = converge(server, dict(name="model-cache", state="absent"), diff=True)
    assert deleted["changed"] and deleted["network_volume"] is None and stored(server) == [] and run.client.requests_sent == 2
    assert mutations(server)[0]["variables"] == {"input": {"id": "vol0000001"}} and deleted["diff"]["after"] == {}
    again, run = converge(server, dict(name="model-cache", state="absent"))
    assert not again["changed"] and run.client.requests_sent == 1


def test_delete_by_id_with_another_name_deletes_nothing(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1"))
    result, _run = fails(server, dict(id="vol0000001", name="other", state="absent"))
    assert result["failure"]["kind"] == "invalid_option" and "is not named 'other': nothing was deleted" in result["msg"]
    assert mutations(server) == []


def test_delete_at_the_endpoint_list_cap_is_refused(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.configure(list_cap=2)
    monkeypatch.setattr(model, "LIST_CAP", 2)
    seed_volumes(server, dict(id="vol0000001", name="model-cache", dataCenterId="EU-RO-1"))
    endpoint_on(server, "capendpoint001", "cap-one")
    endpoint_on(server, "capendpoint002", "cap-two")
    result, _run = fails(server, dict(name="model-cache", state="absent"))
    assert result["failure"]["kind"] == "list_incomplete" and "an endpoint beyond them may use the volume" in result["msg"]
    assert mutations(server) == []
    kept, run = converge(server, VOLUME)
    assert not kept["changed"] and run.warnings == [
        "endpoint_ids may miss endpoints: the account's list of endpoints came back with 2 endpoints, the most the API lists"
    ]


def test_a_service_without_network_volume_ids_is_learned_and_its_network_volume_id_users_are_found():
    class NoVolumeIdsClient:
        """A service with volumes and endpoints whose only volume field is networkVolumeId."""

        def __init__(self):
            self.documents = []

        def execute(self, document, variables=None, **_options):
            self.documents.append(document)
            if "networkVolumeIds" in document:
                message = "Cannot query field 'networkVolumeIds' on type 'Endpoint'."
                raise APIError(message, "graphql", details=[message])
            return {
                "myself": {
                    "networkVolumes": [dict(id="vol0000001", name="model-cache", size=50, dataCenterId="EU-RO-1")],
                    "endpoints": [dict(id="ep1", name="llm", networkVolumeId="vol0000001")],
                }
            }

    client = NoVolumeIdsClient()
    run = Run(client, dict(id=None, name="model-cache", size=None, data_center=None, state="absent"), check_mode=True)
    with pytest.raises(ModelError) as refusal:
        model.converge_network_volume(run)
    assert refusal.value.kind == "in_use" and "endpoint 'llm' (ep1)" in refusal.value.message
    assert len(client.documents) == 2 and "networkVolumeIds" not in client.documents[1]


def test_the_documented_service_does_not_support_network_volumes(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    message = "The service does not support network volumes (its API has no myself.networkVolumes field)"
    for params in (VOLUME, dict(name="model-cache", state="absent")):
        result, _run = fails(server, params)
        assert result["failure"]["kind"] == "unsupported" and result["msg"] == message and result["api_calls"]["requests"] == 1
    listed, _run = info(server)
    assert listed["failure"]["kind"] == "unsupported" and listed["msg"] == message and mutations(server) == []


# --- info and options ----------------------------------------------------------------------------------


def test_info_filters_by_id_name_and_data_centre_in_one_request(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_volumes(
        server,
        dict(id="volustx001", name="model-cache", dataCenterId="US-TX-3"),
        dict(id="voleuro001", name="model-cache", dataCenterId="EU-RO-1", size=90),
        dict(id="voleuro002", name="datasets", dataCenterId="EU-RO-1"),
    )
    endpoint_on(server, networkVolumeId="voleuro001")
    everything, run = info(server)
    assert [v["id"] for v in everything["network_volumes"]] == ["volustx001", "voleuro001", "voleuro002"] and run.client.requests_sent == 1
    assert everything["network_volumes"][1] == dict(id="voleuro001", name="model-cache", size=90, data_center="EU-RO-1", endpoint_ids=["volendpoint001"])
    assert [v["id"] for v in info(server, name="model-cache")[0]["network_volumes"]] == ["volustx001", "voleuro001"]
    assert [v["id"] for v in info(server, data_center="EU-RO-1")[0]["network_volumes"]] == ["voleuro001", "voleuro002"]
    assert [v["id"] for v in info(server, name="model-cache", data_center="EU-RO-1")[0]["network_volumes"]] == ["voleuro001"]
    assert info(server, id="voleuro002", name="model-cache")[0]["network_volumes"] == []
    assert not everything["changed"] and mutations(server) == []


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(), "one of id or name is required"),
        (dict(name=""), "one of id or name is required; name must not be empty"),
        (dict(name="  "), "name must not be empty"),
        (dict(id=" "), "id must not be empty"),
        (dict(name="model-cache", data_center=""), "data_center must not be empty"),
        (dict(name="model-cache", size=9), "size must be at least 10, got 9"),
        (dict(name="model-cache", size=2**31), "size must be at most 2147483647 (the API's largest integer), got 2147483648"),
    ],
)
def test_bad_options_are_refused_before_any_request(params, message):
    full = dict(dict((option, None) for option in model.network_volume_argument_spec()), state="present")
    assert "; ".join(model.validate_network_volume(dict(full, **params))) == message


def test_info_filters_blank_refused():
    assert model.validate_info(dict(id="", name=" ", data_center="")) == ["id must not be empty", "name must not be empty", "data_center must not be empty"]


def test_the_modules_take_the_model_s_options():
    # the modules are thin: what they run is the model's
    assert tensorone_network_volume.converge_network_volume is model.converge_network_volume
    assert tensorone_network_volume_info.read_network_volumes is model.read_network_volumes
