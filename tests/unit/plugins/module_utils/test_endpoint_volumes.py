# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Endpoints that name their network volumes (network_volume, network_volumes),
# against the in-process emulator: resolved in the endpoints' one read, within
# the data centres the endpoint may use (its locations, set or as read; data
# centres told from region codes by the catalogue, read only when needed), an
# ambiguous or unknown name refused before any change, check mode's pending
# volumes, the one-volume-per-data-centre rule, the option checks, and a no-op
# without names that stays the same one request.

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _endpoint as model
from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError, Client
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import ModelError
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator_factory  # noqa: F401 pylint: disable=unused-import

ENDPOINT = dict(name="llm-inference", template_id="xkhgg72fuo", gpu_ids=["AMPERE_48"])
VOLUMES = (
    dict(id="voleuro001", name="model-cache", dataCenterId="EU-RO-1"),
    dict(id="volustx001", name="model-cache", dataCenterId="US-TX-3"),
    dict(id="voleuro002", name="datasets", dataCenterId="EU-RO-1"),
    dict(id="volczec001", name="datasets", dataCenterId="EU-CZ-1"),
)


def make_run(server, check_mode=False):
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=0, sleep=lambda s: None)
    return Run(client, {}, check_mode=check_mode, sleep=lambda s: None)


def single(server, params, check_mode=False):
    run = make_run(server, check_mode)
    run.params = dict(params, state=params.get("state", "present"), wait_timeout=30)
    return model.converge_endpoint(run), run


def fleet(server, items, check_mode=False):
    run = make_run(server, check_mode)
    run.params = dict(endpoints=items, wait_timeout=30, prune=False)
    return model.converge_fleet(run), run


def seeded(emulator_factory, volumes=VOLUMES, **options):  # pylint: disable=redefined-outer-name
    server = emulator_factory(**options)
    server.seed(networkVolumes=[dict(v, size=50) for v in volumes])
    return server


def reads(server):
    return [r["operation_name"] for r in server.log()["requests"] if r["operation_type"] == "query"]


def mutations(server):
    return [r for r in server.log()["requests"] if r["operation_type"] == "mutation"]


def stored(server, name="llm-inference"):
    return [e for e in server.state(fields="all")["endpoints"] if e["name"] == name]


def test_a_volume_name_is_resolved_within_the_endpoint_s_locations_and_converges_in_one_request(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    created, run = single(server, dict(ENDPOINT, locations=["EU-RO-1"], network_volume="model-cache"))
    assert created["changed"] and created["endpoint"]["network_volume_id"] == "voleuro001" and run.client.requests_sent == 2
    assert stored(server)[0]["networkVolumeId"] == "voleuro001"
    # the locations are read with the endpoint when the task does not set them
    again, run = single(server, dict(ENDPOINT, network_volume="model-cache"))
    assert not again["changed"] and run.client.requests_sent == 1 and run.warnings == []
    assert reads(server)[-1] == "TensorOneEndpointsAndVolumesDataCenters" and len(mutations(server)) == 1


def test_a_list_of_names_and_mappings_is_resolved_in_order_and_compared(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    task = dict(ENDPOINT, network_volumes=[{"name": "model-cache", "data_center": "US-TX-3"}, {"name": "datasets", "data_center": "EU-RO-1"}])
    created, run = single(server, task)
    assert created["endpoint"]["network_volume_ids"] == ["volustx001", "voleuro002"] and run.client.requests_sent == 2
    assert stored(server)[0]["networkVolumeIds"] == [
        dict(networkVolumeId="volustx001", dataCenterId="US-TX-3"),
        dict(networkVolumeId="voleuro002", dataCenterId="EU-RO-1"),
    ]
    again, run = single(server, task)
    assert not again["changed"] and run.client.requests_sent == 1
    # every item gives its data centre: the catalogue is not read
    assert reads(server)[-1] == "TensorOneEndpointsAndVolumes"
    swapped, run = single(
        server, dict(ENDPOINT, network_volumes=[{"name": "datasets", "data_center": "EU-RO-1"}, {"name": "model-cache", "data_center": "US-TX-3"}])
    )
    assert swapped["changed"] and run.actions == ["update endpoint 'llm-inference' (%s): network_volume_ids" % created["endpoint"]["id"]]


def test_a_fleet_resolves_each_item_within_its_own_locations(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    items = [
        dict(ENDPOINT, name="eu-endpoint", locations=["EU-RO-1", "EU-CZ-1"], network_volume="model-cache"),
        dict(ENDPOINT, name="us-endpoint", locations=["US-TX-3"], network_volumes=["model-cache"]),
        dict(ENDPOINT, name="cz-endpoint", locations=["EU-CZ-1"], network_volumes=["datasets"]),
    ]
    created, run = fleet(server, items)
    assert [e["name"] for e in created["endpoints"]] == ["eu-endpoint", "us-endpoint", "cz-endpoint"] and run.client.requests_sent == 4
    assert [stored(server, i["name"])[0]["networkVolumeId"] for i in items] == ["voleuro001", None, None]
    assert stored(server, "us-endpoint")[0]["networkVolumeIds"][0]["networkVolumeId"] == "volustx001"
    assert stored(server, "cz-endpoint")[0]["networkVolumeIds"][0]["networkVolumeId"] == "volczec001"
    again, run = fleet(server, items)
    assert not again["changed"] and run.client.requests_sent == 1


def test_an_ambiguous_name_is_refused_listing_each_volume_and_its_data_centre(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    with pytest.raises(ModelError) as refusal:
        single(server, dict(ENDPOINT, network_volume="model-cache"))
    assert refusal.value.kind == "ambiguous" and refusal.value.message == (
        "Found 2 network volumes named 'model-cache' (ids: voleuro001 in EU-RO-1, volustx001 in US-TX-3): "
        "name its data centre ({name, data_center} in network_volumes) or give its id"
    )
    with pytest.raises(ModelError, match=r"^endpoints\[1\] \(two\): Found 2 network volumes named 'datasets'") as refusal:
        fleet(server, [dict(ENDPOINT, name="one"), dict(ENDPOINT, name="two", locations=["EU"], network_volumes=["datasets"])])
    assert refusal.value.kind == "ambiguous" and mutations(server) == []


def test_a_region_code_does_not_narrow_a_name_whose_data_centres_the_api_does_not_list(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    with pytest.raises(ModelError) as refusal:
        single(server, dict(ENDPOINT, locations=["US"], network_volume="model-cache"))
    assert refusal.value.kind == "ambiguous" and (
        "locations name US, whose data centres the API does not list, so any of them may be meant" in refusal.value.message
    )
    # the one volume of a name is adopted, and the service judges whether the region allows it
    server.seed(networkVolumes=[dict(id="volsolo001", name="solo-cache", size=50, dataCenterId="EU-CZ-1")])
    created, _run = single(server, dict(ENDPOINT, name="cz-endpoint", locations=["CZ"], network_volumes=["solo-cache"]))
    assert created["endpoint"]["network_volume_ids"] == ["volsolo001"]
    with pytest.raises(APIError, match="which locations \"US\" does not include"):
        single(server, dict(ENDPOINT, name="us-endpoint", locations=["US"], network_volumes=["solo-cache"]))


def test_the_data_centres_tell_a_data_centre_without_volumes_from_a_region_code(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    # EU-FR-1 holds no volume: a data centre, not a region that may hold the model-cache in US-TX-3
    created, _run = single(server, dict(ENDPOINT, locations=["EU-RO-1", "EU-FR-1"], network_volume="model-cache"))
    assert created["endpoint"]["network_volume_id"] == "voleuro001"


def test_a_service_without_the_data_centres_is_learned_and_an_unknown_token_stays_a_region(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)

    class NoDataCentres(Client):
        def execute(self, document, variables=None, **options):
            if "dataCenters" in document:
                message = "Cannot query field 'dataCenters' on type 'Query'."
                raise APIError(message, "graphql", details=[message])
            return Client.execute(self, document, variables, **options)

    run = Run(NoDataCentres(server.graphql_url, server.api_key, timeout=5, retries=0), dict(ENDPOINT, state="present", wait_timeout=30))
    run.params.update(locations=["EU-RO-1", "EU-FR-1"], network_volume="model-cache")
    with pytest.raises(ModelError, match="locations name EU-FR-1, whose data centres the API does not list") as refusal:
        model.converge_endpoint(run)
    assert refusal.value.kind == "ambiguous" and reads(server) == ["TensorOneEndpointsAndVolumes"]
    run.params.update(locations=["EU-RO-1"])
    assert model.converge_endpoint(run)["endpoint"]["network_volume_id"] == "voleuro001"


def test_an_unknown_name_is_refused_listing_the_account_s_volumes(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory, volumes=VOLUMES[:2])
    with pytest.raises(ModelError) as refusal:
        single(server, dict(ENDPOINT, locations=["EU-RO-1"], network_volumes=["model-cache", "datasets"]))
    assert refusal.value.kind == "not_found" and refusal.value.message == (
        "No network volume named 'datasets' exists in the data centres of locations EU-RO-1 (network_volumes); the account's network volumes: "
        "'model-cache' (voleuro001 in EU-RO-1), 'model-cache' (volustx001 in US-TX-3). Create it first, for example with "
        "tensorone.cloud.tensorone_network_volume"
    )
    with pytest.raises(ModelError, match=r"No network volume named 'model-cache' exists in EU-CZ-1 \(network_volumes\)"):
        single(server, dict(ENDPOINT, network_volumes=[{"name": "model-cache", "data_center": "EU-CZ-1"}]))
    assert mutations(server) == [] and stored(server) == []


def test_check_mode_predicts_a_volume_the_play_creates_first_as_null_with_a_warning(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    planned, run = single(
        server, check_mode=True, params=dict(ENDPOINT, network_volumes=[{"name": "new-cache", "data_center": "EU-RO-1"}, "model-cache"], locations=["US-TX-3"])
    )
    assert planned["changed"] and planned["endpoint"]["network_volume_ids"] == [None, "volustx001"] and mutations(server) == []
    assert run.warnings == [
        "No network volume named 'new-cache' exists in EU-RO-1 yet: check mode predicts the endpoint with network_volume_ids null; "
        "a run fails unless the network volume exists by then"
    ]
    planned, run = single(server, check_mode=True, params=dict(ENDPOINT, network_volume="new-cache"))
    assert planned["endpoint"]["network_volume_id"] is None and len(run.warnings) == 1 and mutations(server) == []


def test_two_volumes_of_one_data_centre_are_refused_before_any_save_naming_both(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    for check_mode in (True, False):
        with pytest.raises(ModelError) as refusal:
            single(
                server,
                check_mode=check_mode,
                params=dict(ENDPOINT, network_volumes=[{"name": "model-cache", "data_center": "EU-RO-1"}, {"name": "datasets", "data_center": "EU-RO-1"}]),
            )
        assert refusal.value.kind == "invalid_option" and refusal.value.message == (
            "network_volumes names two network volumes in EU-RO-1, 'model-cache' (voleuro001) and 'datasets' (voleuro002): "
            "an endpoint takes at most one network volume per data centre"
        )
    with pytest.raises(ModelError, match=r"network_volumes names network volume 'datasets' \(volczec001\) twice") as refusal:
        single(server, dict(ENDPOINT, locations=["EU-CZ-1"], network_volumes=["datasets", {"name": "datasets", "data_center": "EU-CZ-1"}]))
    with pytest.raises(ModelError, match=r"'model-cache' \(voleuro001\) and 'new-cache' \(not created yet\)"):
        single(
            server,
            check_mode=True,
            params=dict(ENDPOINT, network_volumes=[{"name": "model-cache", "data_center": "EU-RO-1"}, {"name": "new-cache", "data_center": "EU-RO-1"}]),
        )
    assert mutations(server) == []


def test_a_no_op_without_names_stays_one_request_and_a_delete_resolves_no_name(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    created, _run = single(server, dict(ENDPOINT, network_volume_id="voleuro001"))
    again, run = single(server, dict(ENDPOINT, network_volume_id="voleuro001"))
    assert not again["changed"] and run.client.requests_sent == 1 and reads(server)[-1] == "TensorOneEndpoints"
    # an empty list names nothing, and an absent item's names (even of volumes gone) are not looked up
    single(server, dict(ENDPOINT, network_volumes=[]))
    assert reads(server)[-1] == "TensorOneEndpoints"
    before = len(reads(server))
    deleted, run = single(server, dict(name="llm-inference", state="absent", network_volume="gone-volume"))
    assert deleted["changed"] and reads(server)[before] == "TensorOneEndpoints" and stored(server) == []
    assert created["endpoint"]["network_volume_id"] == "voleuro001"


def test_locations_anywhere_read_no_data_centres(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory, volumes=VOLUMES[:1])
    created, _run = single(server, dict(ENDPOINT, locations=[], network_volume="model-cache"))
    assert created["endpoint"]["network_volume_id"] == "voleuro001" and reads(server) == ["TensorOneEndpointsAndVolumes"]


def test_the_documented_service_cannot_resolve_volume_names(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    with pytest.raises(ModelError) as refusal:
        single(server, dict(ENDPOINT, network_volume="model-cache"))
    assert refusal.value.kind == "unsupported" and refusal.value.message.startswith(
        "network_volume and network_volumes (volumes' names) cannot be used on this service: the service does not support network volumes"
    )
    assert mutations(server) == []


@pytest.mark.parametrize(
    "params, message",
    [
        (
            dict(network_volume="a", network_volume_id="b"),
            "network_volume and network_volume_id are mutually exclusive (one names the volume, the other gives the IDs)",
        ),
        (
            dict(network_volumes=["a"], network_volume_ids=[]),
            "network_volumes and network_volume_ids are mutually exclusive (one names the volumes, the other gives the IDs)",
        ),
        (dict(network_volume="a", network_volumes=["b"]), "network_volume and network_volumes are mutually exclusive"),
        (dict(network_volume_id="a", network_volumes=["b"]), "network_volume_id and network_volumes are mutually exclusive"),
        (dict(network_volume="a", network_volume_ids=["b"]), "network_volume and network_volume_ids are mutually exclusive"),
        (dict(network_volume=" "), "network_volume must not be empty"),
        (dict(network_volumes=[""]), "network_volumes[0] must be a volume's name or a mapping with name and data_center, got ''"),
        (dict(network_volumes=["a", 12.1]), "network_volumes[1] must be a volume's name or a mapping with name and data_center, got 12.1"),
        (dict(network_volumes=[{"data_center": "EU-RO-1"}]), "network_volumes[0].name must be a non-empty string, got None"),
        (dict(network_volumes=[{"name": "a", "data_center": ""}]), "network_volumes[0].data_center must be a non-empty string, got ''"),
        (dict(network_volumes=[{"name": "a", "dc": "EU-RO-1"}]), "network_volumes[0] has keys other than name and data_center: dc"),
    ],
)
def test_volume_options_are_checked_before_any_request(params, message):
    assert model.validate_params(params) == [message]
    assert model.validate_fleet(dict(endpoints=[dict(params, name="item")])) == ["endpoints[0] (item): " + message]
