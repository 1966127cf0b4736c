# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The catalogue (CONTRACT.md, "GPU types, pools and data centres"): its
# defaults and their consistency, the gpuTypes filter, lowestPrice and its
# all-null answer, data centres and their GPU availability, the pools,
# saveEndpoint's checks of gpuIds and locations against it, seeding (shapes,
# patches, reset, state file) and the documented profile.

import pytest
import requests

from ansible_collections.tensorone.cloud.tests.emulator import GPU_POOLS, EmulatorServer
from ansible_collections.tensorone.cloud.tests.emulator.state import DATA_CENTERS

GPU_TYPES = "query Types($input: GpuTypeFilter) { gpuTypes(input: $input) { id displayName memoryInGb } }"
LOWEST = "query Lowest($id: String, $price: GpuLowestPriceInput) { gpuTypes(input: {id: $id}) { lowestPrice(input: $price) { %s } } }"
PRICE = "gpuName gpuTypeId stockStatus uninterruptablePrice minimumBidPrice maxGpuCount availableGpuCounts countryCode totalCount"
DATA_CENTERS_QUERY = (
    "query { dataCenters { id name location region storageSupport s3apiEnabled globalNetwork listed compliance "
    "gpuAvailability { id available stockStatus gpuTypeId gpuTypeDisplayName displayName gpuType { id memoryInGb } } } }"
)
POOLS = "query { serverlessGpuPools { id gpuTypeIds } }"
SAVE = "mutation Save($input: EndpointInput!) { saveEndpoint(input: $input) { id gpuIds locations } }"
ENDPOINT = {"name": "catalogue", "templateId": "tpl", "gpuIds": "AMPERE_48"}
RTX_4090 = "NVIDIA GeForce RTX 4090"


def data(emulator, query, variables=None):
    status, _headers, body = emulator.call(query, variables)
    assert status == 200 and "errors" not in body, body
    return body["data"]


def save_error(emulator, **fields):
    status, _headers, body = emulator.call(SAVE, {"input": dict(ENDPOINT, **fields)})
    assert status == 200 and body["data"] is None and len(body["errors"]) == 1, body
    return body["errors"][0]["message"]


def lowest(emulator, type_id, **price):
    return data(emulator, LOWEST % PRICE, {"id": type_id, "price": price})["gpuTypes"][0]["lowestPrice"]


# -- the defaults ----------------------------------------------------------------------


def test_the_defaults_hold_together(emulator):
    types = data(emulator, GPU_TYPES)["gpuTypes"]
    type_ids = [t["id"] for t in types]
    pools = data(emulator, POOLS)["serverlessGpuPools"]
    data_centers = data(emulator, DATA_CENTERS_QUERY)["dataCenters"]
    # every pool gpuIds takes by default, each of GPU types the catalogue has
    assert set(p["id"] for p in pools) == set(GPU_POOLS) and {"AMPERE_16", "AMPERE_48", "ADA_48_PRO", "ADA_24", "HOPPER_141"} <= GPU_POOLS
    assert all(p["gpuTypeIds"] and set(p["gpuTypeIds"]) <= set(type_ids) for p in pools)
    # every GPU type is in a pool and held by a data centre
    assert set(type_ids) == set(t for p in pools for t in p["gpuTypeIds"])
    assert set(type_ids) == set(row["gpuTypeId"] for dc in data_centers for row in dc["gpuAvailability"])
    assert [dc["id"] for dc in data_centers] == list(DATA_CENTERS) and {"EU-RO-1", "US-TX-3", "EU-CZ-1", "US-KS-2"} <= set(DATA_CENTERS)
    assert len(type_ids) == len(set(type_ids)) and all(t["displayName"] and t["memoryInGb"] for t in types)


def test_pools_name_the_documented_gpu_types(emulator):
    pools = dict((p["id"], p["gpuTypeIds"]) for p in data(emulator, POOLS)["serverlessGpuPools"])
    names = dict((t["id"], t["displayName"]) for t in data(emulator, GPU_TYPES)["gpuTypes"])
    assert [names[t] for t in pools["AMPERE_48"]] == ["RTX A6000", "A40"]
    assert [names[t] for t in pools["ADA_48_PRO"]] == ["L40", "L40S", "RTX 6000 Ada"]
    assert [names[t] for t in pools["ADA_24"]] == ["RTX 4090"] and pools["ADA_24"] == [RTX_4090]
    assert [names[t] for t in pools["HOPPER_141"]] == ["H200"]


# -- gpuTypes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gpu_filter, expected",
    [
        ({"id": RTX_4090}, [RTX_4090]),
        ({"id": "RTX 4090"}, []),  # the id is the full name, not the display name
        ({"ids": ["NVIDIA H200", RTX_4090, "nothing"]}, [RTX_4090, "NVIDIA H200"]),  # in catalogue order
        ({"ids": []}, []),
        ({"id": RTX_4090, "ids": ["NVIDIA H200"]}, []),  # both apply
        ({"cluster": True}, ["NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3", "NVIDIA H200", "NVIDIA B200"]),
    ],
)
def test_the_gpu_type_filter(emulator, gpu_filter, expected):
    assert [t["id"] for t in data(emulator, GPU_TYPES, {"input": gpu_filter})["gpuTypes"]] == expected


def test_no_filter_lists_every_gpu_type(emulator):
    every = data(emulator, GPU_TYPES)["gpuTypes"]
    assert data(emulator, GPU_TYPES, {"input": {}})["gpuTypes"] == every == data(emulator, GPU_TYPES, {"input": {"cluster": False}})["gpuTypes"]
    assert len(every) == len(emulator.state()["gpuTypes"]) > 20
    assert every[0] == {"id": "NVIDIA RTX 2000 Ada Generation", "displayName": "RTX 2000 Ada", "memoryInGb": 16}


def test_the_filter_takes_the_schemas_types(emulator):
    status, _headers, body = emulator.call(GPU_TYPES, {"input": {"ids": [RTX_4090, None]}})  # [String!]
    assert status == 400 and "data" not in body
    status, _headers, body = emulator.call("{ gpuTypes { stockStatus } }")  # not a GpuType field
    assert status == 400 and body["errors"][0]["message"] == "Cannot query field 'stockStatus' on type 'GpuType'."


def test_lowest_price_is_the_best_stocked_data_centre(emulator):
    price = lowest(emulator, RTX_4090, gpuCount=2)
    assert price == {
        "gpuName": "RTX 4090",
        "gpuTypeId": RTX_4090,
        "stockStatus": "High",
        "uninterruptablePrice": 0.69,
        "minimumBidPrice": 0.34,  # spot: half the price
        "maxGpuCount": 8,
        "availableGpuCounts": [1, 2, 3, 4, 5, 6, 7, 8],
        "countryCode": "RO",
        "totalCount": None,
    }
    community = lowest(emulator, RTX_4090, gpuCount=1, secureCloud=False)
    assert (community["uninterruptablePrice"], community["minimumBidPrice"]) == (0.34, 0.17)
    assert lowest(emulator, RTX_4090, gpuCount=1, dataCenterId="US-CA-2")["stockStatus"] == "Medium"
    assert lowest(emulator, RTX_4090, gpuCount=1, countryCode="JP")["stockStatus"] == "Low"


@pytest.mark.parametrize(
    "type_id, price",
    [
        ("NVIDIA B200", {"gpuCount": 1}),  # listed without stock
        (RTX_4090, {"gpuCount": 9}),  # more GPUs than it has
        (RTX_4090, {"gpuCount": 1, "dataCenterId": "EU-CZ-1"}),  # not held there
        ("NVIDIA L4", {"gpuCount": 1, "secureCloud": False}),  # no community price
    ],
)
def test_without_capacity_lowest_price_is_an_object_of_nulls(emulator, type_id, price):
    answer = data(emulator, LOWEST % PRICE, {"id": type_id, "price": price})["gpuTypes"][0]["lowestPrice"]
    assert answer == dict.fromkeys(PRICE.split())


def test_lowest_price_needs_a_gpu_count(emulator):
    status, _headers, body = emulator.call(LOWEST % "stockStatus", {"id": RTX_4090})
    assert status == 200 and body["data"] == {"gpuTypes": [{"lowestPrice": None}]} and body["errors"][0]["message"] == "gpuCount is required."
    status, _headers, body = emulator.call(LOWEST % "stockStatus", {"id": RTX_4090, "price": {"dataCenterId": "EU-RO-1"}})  # gpuCount: Int!
    assert status == 400 and "gpuCount" in body["errors"][0]["message"]


def test_node_group_data_centers(emulator):
    query = "query($input: GpuTypeFilter) { gpuTypes(input: $input) { id nodeGroupGpuSizes nodeGroupDatacenters { id } } }"
    h200, l4 = data(emulator, query, {"input": {"ids": ["NVIDIA H200", "NVIDIA L4"]}})["gpuTypes"][::-1]
    assert h200 == {"id": "NVIDIA H200", "nodeGroupGpuSizes": [8], "nodeGroupDatacenters": [{"id": "EU-RO-1"}, {"id": "US-GA-1"}]}
    assert l4 == {"id": "NVIDIA L4", "nodeGroupGpuSizes": [], "nodeGroupDatacenters": []}


# -- data centres and pools ----------------------------------------------------------------


def test_data_centers_and_their_gpu_availability(emulator):
    data_centers = data(emulator, DATA_CENTERS_QUERY)["dataCenters"]
    romania = data_centers[0]
    assert dict((k, v) for k, v in romania.items() if k != "gpuAvailability") == {
        "id": "EU-RO-1",
        "name": "EU-RO-1",
        "location": "Romania",
        "region": "EUROPE",
        "storageSupport": True,
        "s3apiEnabled": True,
        "globalNetwork": True,
        "listed": True,
        "compliance": ["GDPR", "ISO_IEC_27001"],
    }
    assert romania["gpuAvailability"][0] == {
        "id": RTX_4090,
        "available": True,
        "stockStatus": "High",
        "gpuTypeId": RTX_4090,
        "gpuTypeDisplayName": "RTX 4090",
        "displayName": "RTX 4090",
        "gpuType": {"id": RTX_4090, "memoryInGb": 24},
    }
    b200 = [row for dc in data_centers for row in dc["gpuAvailability"] if row["gpuTypeId"] == "NVIDIA B200"]
    assert [(row["available"], row["stockStatus"]) for row in b200] == [(False, None)]
    assert [dc["id"] for dc in data_centers if not dc["storageSupport"]] == ["AP-IN-1"]
    # myself.datacenters (lower-case c) is the same list; gpuAvailability takes its input, which changes nothing here
    same = data(emulator, DATA_CENTERS_QUERY.replace("dataCenters", "myself { datacenters").replace("} } }", "} } } }"))
    assert same["myself"]["datacenters"] == data_centers
    filtered = data(emulator, "{ dataCenters { gpuAvailability(input: {gpuCount: 8, minMemoryInGb: 80}) { gpuTypeId } } }")["dataCenters"]
    assert [len(dc["gpuAvailability"]) for dc in filtered] == [len(dc["gpuAvailability"]) for dc in data_centers]


def test_the_catalogue_has_no_mutation(emulator):
    status, _headers, body = emulator.call('mutation { saveGpuType(input: {id: "x"}) }')
    assert status == 400 and "saveGpuType" in body["errors"][0]["message"]


# -- saveEndpoint against the catalogue ---------------------------------------------------------


@pytest.mark.parametrize(
    "gpu_ids, message",
    [
        ("AMPERE_48,HOPPER_999", 'gpuIds contains an unknown GPU pool: "HOPPER_999".'),
        ("AMPERE_48,-A100", 'gpuIds excludes an unknown GPU type: "A100".'),  # the full name, not a short one
        ("AMPERE_48,-RTX 4090", 'gpuIds excludes an unknown GPU type: "RTX 4090".'),
        ("-" + RTX_4090, "gpuIds must name at least one GPU pool."),
    ],
)
def test_gpu_ids_name_the_catalogues_pools_and_gpu_types(emulator, gpu_ids, message):
    assert save_error(emulator, gpuIds=gpu_ids) == message


def test_a_seeded_pool_and_gpu_type_are_accepted(emulator):
    assert save_error(emulator, gpuIds="VOLTA_32,-NVIDIA V100") == 'gpuIds contains an unknown GPU pool: "VOLTA_32".'
    emulator.seed(
        gpuTypes=[{"id": "NVIDIA V100", "displayName": "V100", "memoryInGb": 32}], serverlessGpuPools=[{"id": "VOLTA_32", "gpuTypeIds": ["NVIDIA V100"]}]
    )
    assert (
        data(emulator, SAVE, {"input": dict(ENDPOINT, gpuIds="VOLTA_32,AMPERE_48,-NVIDIA V100")})["saveEndpoint"]["gpuIds"] == "VOLTA_32,AMPERE_48,-NVIDIA V100"
    )


@pytest.mark.parametrize("locations", ["US", "US,CZ", "EU-RO-1", "GB,NO,FR,RO", "US-TX-3,EU-CZ-1", ""])
def test_locations_are_data_centres_or_their_region_codes(emulator, locations):
    assert data(emulator, SAVE, {"input": dict(ENDPOINT, locations=locations)})["saveEndpoint"]["locations"] == locations


@pytest.mark.parametrize(
    "locations, token",
    [("US,XX", "XX"), ("EU", "EU"), ("us", "us"), ("US, CZ", " CZ"), ("US,", ""), ("EU-RO-9", "EU-RO-9"), ("Romania", "Romania")],
)
def test_unknown_locations_are_refused(emulator, locations, token):
    assert save_error(emulator, locations=locations) == 'locations contains an unknown location: "%s".' % token


def test_a_seeded_data_centre_is_a_location(emulator):
    assert save_error(emulator, locations="SA-BR-1") == 'locations contains an unknown location: "SA-BR-1".'
    emulator.seed(dataCenters=[{"id": "SA-BR-1", "name": "SA-BR-1", "location": "Brazil", "countryCode": "BR", "region": "SOUTH_AMERICA"}])
    assert data(emulator, SAVE, {"input": dict(ENDPOINT, locations="SA-BR-1,BR")})["saveEndpoint"]["locations"] == "SA-BR-1,BR"


# -- seeding, reset, state file, profiles --------------------------------------------------------


def test_seeding_patches_by_id_and_a_reset_restores_the_defaults(emulator):
    defaults = emulator.state()
    answer = emulator.seed(
        gpuTypes=[{"id": RTX_4090, "memoryInGb": 25}, None],
        dataCenters=[{"id": "EU-RO-1", "gpuAvailability": [{"gpuTypeId": RTX_4090, "stockStatus": "None"}]}],
    )
    assert list(answer) == ["gpuTypes", "dataCenters"]
    patched = [t for t in answer["gpuTypes"] if t and t["id"] == RTX_4090][0]
    assert patched["memoryInGb"] == 25 and patched["displayName"] == "RTX 4090" and answer["gpuTypes"][-1] is None
    assert data(emulator, GPU_TYPES)["gpuTypes"][-1] is None  # a null item, listed without a filter
    assert data(emulator, GPU_TYPES, {"input": {"id": RTX_4090}})["gpuTypes"] == [{"id": RTX_4090, "displayName": "RTX 4090", "memoryInGb": 25}]
    # "None" is no stock: the best offer is now the next data centre with High
    best = lowest(emulator, RTX_4090, gpuCount=1)
    assert (best["stockStatus"], best["countryCode"]) == ("High", "US")
    emulator.reset()
    assert emulator.state() == defaults


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"gpuTypes": [{"displayName": "no id"}]}, "each GPU type needs an id (a string)"),
        ({"gpuTypes": [{"id": "x", "memoryInGb": "80"}]}, "GPU type memoryInGb must be a 32-bit integer or null"),
        ({"gpuTypes": [{"id": "x", "nodeGroupGpuSizes": [8, "16"]}]}, "GPU type nodeGroupGpuSizes must be a list of 32-bit integers"),
        ({"gpuTypes": [{"id": "x", "securePrice": "1.2"}]}, "GPU type securePrice must be a number or null"),
        ({"gpuTypes": [{"id": "x", "lowestPrice": {}}]}, "lowestPrice is derived"),
        ({"gpuTypes": [{"id": "x", "stockStatus": "High"}]}, "unknown GPU type field(s): stockStatus"),
        ({"serverlessGpuPools": [{"id": "P", "gpuTypeIds": "A,B"}]}, "serverless GPU pool gpuTypeIds must be a list of strings"),
        ({"dataCenters": [{"id": "X", "region": "EU"}]}, "data centre region must be one of NORTH_AMERICA"),
        ({"dataCenters": [{"id": "X", "compliance": ["GDPR", "SOC2"]}]}, "data centre compliance must be a list of GDPR"),
        ({"dataCenters": [{"id": "X", "gpuAvailability": [{"gpuTypeId": "t", "available": True}]}]}, "data centre gpuAvailability must be a list of"),
        ({"dataCenters": [{"id": "X", "storage": {"user": "u"}}]}, "unknown data centre field(s): storage"),
        ({"dataCenters": {"id": "X"}}, "dataCenters must be a list"),
    ],
)
def test_bad_catalogue_seeds_are_400_and_change_nothing(emulator, payload, message):
    before = emulator.state()
    response = requests.post(emulator.url + "/_emulator/seed", json=dict(payload, networkVolumes=[{"name": "fine"}]), timeout=10)
    assert response.status_code == 400 and message in response.json()["error"], response.text
    assert emulator.state() == before


def test_the_state_file_keeps_the_seeded_catalogue(tmp_path):
    state_file = str(tmp_path / "state.json")
    with EmulatorServer(api_keys=["k"], state_file=state_file) as first:
        first.seed(serverlessGpuPools=[{"id": "VOLTA_32", "gpuTypeIds": ["NVIDIA V100"]}], dataCenters=[{"id": "EU-RO-1", "storageSupport": False}])
        state = first.state()
    with EmulatorServer(api_keys=["k"], state_file=state_file) as second:
        assert second.state() == state
        assert second.state()["serverlessGpuPools"][-1] == {"id": "VOLTA_32", "gpuTypeIds": ["NVIDIA V100"]}
        status, _headers, body = second.call(
            "mutation($i: CreateNetworkVolumeInput!) { createNetworkVolume(input: $i) { id } }", {"i": {"name": "v", "size": 10, "dataCenterId": "EU-RO-1"}}
        )
        assert body["errors"][0]["message"] == 'Data centre "EU-RO-1" does not support network volumes.'


@pytest.mark.parametrize(
    "query, message",
    [
        ("{ gpuTypes { id } }", "Cannot query field 'gpuTypes' on type 'Query'."),
        ("{ dataCenters { id } }", "Cannot query field 'dataCenters' on type 'Query'."),
        ("{ serverlessGpuPools { id } }", "Cannot query field 'serverlessGpuPools' on type 'Query'."),
        ("{ myself { datacenters { id } } }", "Cannot query field 'datacenters' on type 'User'."),
    ],
)
def test_the_documented_profile_has_no_catalogue(emulator_factory, query, message):
    server = emulator_factory(profile="documented")
    status, _headers, body = server.call(query)
    assert status == 400 and "data" not in body and body["errors"][0]["message"] == message
    # its saves are checked against the same catalogue
    status, _headers, body = server.call(SAVE, {"input": dict(ENDPOINT, locations="XX")})
    assert body["errors"][0]["message"] == 'locations contains an unknown location: "XX".'
