# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tensorone.cloud.plugins.module_utils import _endpoint as model

API_ENDPOINT = {
    "id": "abc123",
    "name": "llm",
    "templateId": "tpl",
    "gpuIds": "AMPERE_48, ADA_48_PRO",
    "idleTimeout": 7,
    "locations": "US,CZ",
    "networkVolumeId": "",
    "scalerType": "REQUEST_COUNT",
    "scalerValue": 2,
    "workersMin": 1,
    "workersMax": 4,
    "clusters": [{"id": "w1", "desiredStatus": "RUNNING"}],
}


def current():
    return model.endpoint_from_api(API_ENDPOINT)


def test_endpoint_from_api_uses_option_names_and_normal_forms():
    assert current() == {
        "id": "abc123",
        "name": "llm",
        "template_id": "tpl",
        "gpu_ids": ["AMPERE_48", "ADA_48_PRO"],
        "idle_timeout": 7,
        "locations": ["US", "CZ"],
        "network_volume_id": None,
        "scaler_type": "REQUEST_COUNT",
        "scaler_value": 2,
        "workers_min": 1,
        "workers_max": 4,
        "workers": [{"id": "w1", "desired_status": "RUNNING"}],
    }


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("gpu_ids", "A, B", ["A", "B"]),
        ("gpu_ids", ["A,B", " C "], ["A", "B", "C"]),
        ("gpu_ids", ["B", "A"], ["B", "A"]),  # a priority list: order kept
        ("locations", None, []),
        ("locations", "", []),
        ("network_volume_id", "", None),
        ("network_volume_id", "vol", "vol"),
        ("workers_max", "3", 3),
        ("name", " spaced name ", " spaced name "),  # names are returned verbatim by the API
    ],
)
def test_values_read_from_the_api_normalise(option, value, expected):
    assert model.FIELD_OF[option].view(value) == expected


def test_desired_holds_only_what_the_user_set():
    desired = model.desired_from_params({"name": "llm", "workers_max": 5, "idle_timeout": None, "state": "present"})
    assert desired == {"name": "llm", "workers_max": 5}


def test_equal_after_normalisation_is_no_difference():
    desired = model.desired_from_params({"name": "llm", "gpu_ids": ["AMPERE_48", "ADA_48_PRO"], "locations": ["US", "CZ"], "network_volume_id": ""})
    assert model.differences(current(), desired) == {}


def test_gpu_order_is_a_difference():
    desired = model.desired_from_params({"gpu_ids": ["ADA_48_PRO", "AMPERE_48"]})
    assert model.differences(current(), desired) == {"gpu_ids": (["AMPERE_48", "ADA_48_PRO"], ["ADA_48_PRO", "AMPERE_48"])}


def test_update_input_carries_every_field_exactly_as_read():
    api_input = model.build_input(API_ENDPOINT, {"workers_max": 6})
    assert api_input == {
        "id": "abc123",
        "name": "llm",
        "templateId": "tpl",
        "gpuIds": "AMPERE_48, ADA_48_PRO",
        "idleTimeout": 7,
        "locations": "US,CZ",
        "networkVolumeId": "",
        "scalerType": "REQUEST_COUNT",
        "scalerValue": 2,
        "workersMin": 1,
        "workersMax": 6,
    }


def test_update_input_writes_back_every_field_the_endpoint_has_in_the_input_shape():
    full = dict(
        API_ENDPOINT,
        gpuCount=2,
        executionTimeoutMs=0,
        flashBootType="FLASHBOOT",
        allowedCudaVersions="12.8,12.4",
        minCudaVersion="12.4",
        type="LB",
        instanceIds=None,
        modelReferences=["m1", None],
        networkVolumeIds=[{"networkVolumeId": "v1", "dataCenterId": "EU-RO-1"}, None],
        env=[{"key": "A", "value": "1"}, None, {"key": "B", "value": ""}],
        workersPFBTarget=2,
        computeType="GPU",
        version=3,
        template={"id": "x"},
    )
    api_input = model.build_input(full, {"idle_timeout": 9})
    assert api_input["idleTimeout"] == 9
    assert api_input["allowedCudaVersions"] == "12.8,12.4"  # as read, not reordered
    assert api_input["networkVolumeIds"] == [{"networkVolumeId": "v1"}]
    assert api_input["env"] == [{"key": "A", "value": "1"}, {"key": "B", "value": ""}]
    assert api_input["modelReferences"] == ["m1"]
    assert api_input["instanceIds"] is None and api_input["flashBootType"] == "FLASHBOOT"
    assert "type" not in api_input and "computeType" not in api_input and "version" not in api_input
    assert "template" not in api_input


def test_create_input_leaves_unset_fields_to_the_service():
    api_input = model.build_input(None, {"name": "n1", "template_id": "t", "gpu_ids": ["A", "B"], "locations": []})
    assert api_input == {"name": "n1", "templateId": "t", "gpuIds": "A,B"}


def test_apply_desired_predicts_a_create_with_null_id():
    predicted = model.apply_desired(None, {"name": "n1", "template_id": "t", "gpu_ids": ["A"]})
    assert predicted["id"] is None and predicted["name"] == "n1" and predicted["locations"] == [] and predicted["workers"] == []


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"name": "ab"}, "name must be 3 to 191"),
        ({"name": "x" * 192}, "name must be 3 to 191"),
        ({"gpu_ids": []}, "gpu_ids must list at least one"),
        ({"gpu_ids": ["A", " "]}, "gpu_ids must not contain empty items"),
        ({"gpu_ids": ["A,,B"]}, "gpu_ids must not contain empty items"),
        ({"locations": [""]}, "locations must not contain empty items"),
        ({"idle_timeout": 0}, "idle_timeout must be between 1 and 3600"),
        ({"idle_timeout": 3601}, "idle_timeout must be between 1 and 3600"),
        ({"scaler_value": 0}, "scaler_value must be at least 1"),
        ({"workers_min": -1}, "workers_min must be at least 0"),
        ({"workers_max": -1}, "workers_max must be at least 0"),
        ({"wait_timeout": -5}, "wait_timeout must be at least 0"),
        ({"workers_min": 4, "workers_max": 2}, "workers_min (4) must not exceed workers_max (2)"),
        ({"template_id": "  "}, "template_id must not be empty"),
    ],
)
def test_validation_names_the_option(params, fragment):
    errors = model.validate_params(params)
    assert any(fragment in e for e in errors), errors


def test_valid_params_pass():
    assert model.validate_params({"name": "abc", "gpu_ids": ["A"], "idle_timeout": 3600, "workers_min": 2, "workers_max": 2}) == []


def test_workers_checked_against_current_values():
    assert model.validate_workers(5, None, current()) == ["workers_min (5) must not exceed workers_max (4) (with the endpoint's current values)"]
    assert model.validate_workers(None, 0, current())  # current workers_min is 1
    assert model.validate_workers(3, None, current()) == []


def test_find_endpoint_by_name_fails_on_duplicates_listing_ids():
    endpoints = [model.endpoint_from_api(dict(API_ENDPOINT, id=i)) for i in ("a1", "b2")]
    with pytest.raises(model.ModelError, match="Found 2 endpoints named 'llm' \\(ids: a1, b2\\)"):
        model.find_endpoint(endpoints, name="llm")
    assert model.find_endpoint(endpoints, endpoint_id="b2")["id"] == "b2"
    assert model.find_endpoint(endpoints, name="other") is None


def test_running_workers_ignore_stopped_ones():
    endpoint = {"workers": [{"id": "a", "desired_status": "RUNNING"}, {"id": "b", "desired_status": "EXITED"}]}
    assert [w["id"] for w in model.running_workers(endpoint)] == ["a"]


# --- properties -----------------------------------------------------------

token = st.text(alphabet=st.characters(blacklist_characters=",", blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(lambda t: t.strip() == t and t)
csv_list = st.lists(token, max_size=4)
option_values = {
    "name": st.text(min_size=3, max_size=30),
    "template_id": st.text(min_size=1, max_size=12),
    "gpu_ids": st.lists(token, min_size=1, max_size=4),
    "idle_timeout": st.integers(1, 3600),
    "locations": csv_list,
    "network_volume_id": st.one_of(st.none(), st.just(""), token),
    "scaler_type": st.sampled_from(model.SCALER_TYPES),
    "scaler_value": st.integers(1, 100),
    "workers_min": st.integers(0, 10),
    "workers_max": st.integers(0, 10),
}
api_endpoints = st.fixed_dictionaries(
    {
        "id": token,
        "name": option_values["name"],
        "templateId": option_values["template_id"],
        "gpuIds": option_values["gpu_ids"].map(",".join),
        "idleTimeout": option_values["idle_timeout"],
        "locations": st.one_of(st.none(), csv_list.map(",".join)),
        "networkVolumeId": option_values["network_volume_id"],
        "scalerType": option_values["scaler_type"],
        "scalerValue": option_values["scaler_value"],
        "workersMin": option_values["workers_min"],
        "workersMax": option_values["workers_max"],
        "clusters": st.just([]),
    }
)
user_options = st.fixed_dictionaries({}, optional=option_values)


def apply_input_like_the_api(api_input):
    """What the service stores for a full update input: every field as sent."""
    stored = dict(api_input)
    stored["clusters"] = []
    return stored


@settings(max_examples=300, deadline=None)
@given(api_endpoints, user_options)
def test_update_input_is_full_and_converges(api_endpoint, params):
    endpoint = model.endpoint_from_api(api_endpoint)
    desired = model.desired_from_params(params)
    api_input = model.build_input(api_endpoint, desired)
    assert set(api_input) == set(["id"] + [f.api for f in model.DOCUMENTED_FIELDS])
    stored = model.endpoint_from_api(apply_input_like_the_api(api_input))
    assert model.differences(stored, desired) == {}
    untouched = [o for o in model.OPTIONS if o in endpoint and o not in desired]
    assert untouched or desired
    assert all(stored[o] == endpoint[o] for o in untouched)


@settings(max_examples=300, deadline=None)
@given(user_options)
def test_normalisation_is_idempotent(params):
    once = model.desired_from_params(params)
    # "" for network_volume_id is a setting ("none"); only None means "not set"
    assert set(once) == set(o for o, v in params.items() if v is not None)
    assert dict((o, model.normalise(o, v)) for o, v in once.items()) == once
