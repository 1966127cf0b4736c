# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The collection's own checks against slips, one test per rule: each refusal
# names the option (or the item), and the planner refuses before any change.

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _endpoint as model
from ansible_collections.tensorone.cloud.plugins.module_utils._api import (
    API_ARGUMENT_SPEC,
    check_api_params,
    redactor,
    url_host,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import INT32_MAX, ModelError
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import raw_type_errors


def view(endpoint_id, name, workers_max=3, workers_min=0):
    return model.endpoint_from_api(
        {"id": endpoint_id, "name": name, "templateId": "t", "gpuIds": "AMPERE_48", "workersMin": workers_min, "workersMax": workers_max, "clusters": []}
    )


ACCOUNT = [view("id-a", "team-a"), view("id-b", "team-b"), view("id-x", "other")]


def fleet(items, **options):
    params = dict(
        endpoints=[dict(dict(state="present"), **item) for item in items], prune=False, prune_prefix=None, prune_all=False, prune_max=None, wait_timeout=300
    )
    params.update(options)
    return params


# --- 1. the prune guard ------------------------------------------------------------


@pytest.mark.parametrize("items", [[], [dict(name="team-a", state="absent")]])
def test_a_prune_that_keeps_nothing_without_prefix_is_refused_listing_what_it_would_delete(items):
    with pytest.raises(ModelError) as info:
        model.plan_fleet(ACCOUNT, fleet(items, prune=True))
    assert "prune_all" in info.value.message and "'other' (id-x)" in info.value.message


def test_an_empty_prune_prefix_is_no_prefix():
    with pytest.raises(ModelError, match="prune_all"):
        model.plan_fleet(ACCOUNT, fleet([], prune=True, prune_prefix=""))


def test_prune_all_opts_in_and_a_prefix_limits():
    steps = model.plan_fleet(ACCOUNT, fleet([], prune=True, prune_all=True))
    assert sorted(s.before["id"] for s in steps) == ["id-a", "id-b", "id-x"]
    steps = model.plan_fleet(ACCOUNT, fleet([], prune=True, prune_prefix="team-"))
    assert sorted(s.before["id"] for s in steps) == ["id-a", "id-b"]


def test_a_prune_that_keeps_a_declared_endpoint_needs_no_opt_in():
    steps = model.plan_fleet(ACCOUNT, fleet([dict(name="team-a")], prune=True))
    assert [(s.action, s.before["id"]) for s in steps] == [("none", "id-a"), ("delete", "id-b"), ("delete", "id-x")]


def test_prune_max_caps_the_deletes():
    with pytest.raises(ModelError, match=r"would delete 2 endpoints, more than prune_max \(1\)"):
        model.plan_fleet(ACCOUNT, fleet([dict(name="other")], prune=True, prune_max=1))
    assert len(model.plan_fleet(ACCOUNT, fleet([dict(name="other")], prune=True, prune_max=2))) == 3


# --- 2. colliding items --------------------------------------------------------------


@pytest.mark.parametrize(
    "items, names",
    [
        ([dict(name="team-a"), dict(id="id-a", name="team-a2")], ["endpoints[0] (team-a)", "endpoints[1] (team-a2)"]),
        ([dict(name="team-a", state="absent"), dict(id="id-a", name="renamed")], ["endpoints[0]", "endpoints[1]"]),
    ],
)
def test_two_items_on_one_endpoint_are_refused_naming_both(items, names):
    with pytest.raises(ModelError) as info:
        model.plan_fleet(ACCOUNT, fleet(items))
    assert all(name in info.value.message for name in names)


def test_the_same_id_twice_is_refused_before_any_request():
    errors = model.validate_fleet(fleet([dict(id="id-a", name="one"), dict(id="id-a", name="two")]))
    assert any("endpoints[0] (one) and endpoints[1] (two)" in e for e in errors)


@pytest.mark.parametrize(
    "items",
    [
        [dict(id="id-a", name="team-b"), dict(id="id-b", name="team-a")],  # a swap
        [dict(id="id-a", name="other")],  # onto an undeclared endpoint's name
    ],
)
def test_a_rename_onto_a_taken_name_is_refused(items):
    with pytest.raises(ModelError, match="already has that name"):
        model.plan_fleet(ACCOUNT, fleet(items))


def test_a_rename_onto_a_name_another_item_declares_is_refused_before_any_request():
    errors = model.validate_fleet(fleet([dict(id="id-a", name="fresh"), dict(name="fresh")]))
    assert any("appears more than once" in e for e in errors)


# --- 3. absent with an id and someone else's name ---------------------------------------


def test_absent_by_id_with_another_name_deletes_nothing():
    with pytest.raises(ModelError, match="is named 'team-a', not 'team-b': nothing was deleted"):
        model.plan_endpoint(ACCOUNT, dict(state="absent", id="id-a", name="team-b"))
    assert model.plan_endpoint(ACCOUNT, dict(state="absent", id="id-a", name="team-a")).action == "delete"
    assert model.plan_endpoint(ACCOUNT, dict(state="present", id="id-a", name="team-c")).action == "update"


# --- 4. empty means not set, or is refused ------------------------------------------------


def api_params(**overrides):
    params = dict(api_key="k", api_url="https://api.example/graphql", api_timeout=30, api_retries=5)
    params.update(overrides)
    return params


@pytest.mark.parametrize(
    "params, fragment",
    [
        (dict(id=""), "id must not be empty"),
        (dict(id="  "), "id must not be empty"),
        (dict(name="   "), "name must not be blank"),
        (dict(name=""), "name must not be blank"),
        (dict(workers_max=INT32_MAX + 1), "workers_max must be at most 2147483647"),
        (dict(scaler_value=2**40), "scaler_value must be at most 2147483647"),
    ],
)
def test_endpoint_values_refused_naming_the_option(params, fragment):
    assert any(fragment in e for e in model.validate_params(params)), model.validate_params(params)


def test_an_explicit_null_id_and_name_is_refused():
    assert model.validate_endpoint(dict(id=None, name=None))[0] == "one of id or name is required"


def test_a_fleet_item_with_a_null_name_is_refused():
    assert "endpoints[1]: name is required" in model.validate_fleet(fleet([dict(name="ok-1"), dict(name=None)]))


def test_info_refuses_an_empty_id():
    assert model.validate_info(dict(id="", name=None))
    assert model.validate_info(dict(id=None, name=None)) == []


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        (dict(api_key=""), "api_key is set but empty, so the TENSORONE_API_KEY environment variable is not used"),
        (dict(api_key=None), "api_key is required: set it or the TENSORONE_API_KEY environment variable"),
        (dict(api_timeout=0), "api_timeout must be between 1 and 600"),
        (dict(api_timeout=10**12), "api_timeout must be between 1 and 600"),
        (dict(api_retries=21), "api_retries must be between 0 and 20"),
        (dict(api_url="http://[::1/graphql"), "api_url is not a valid URL"),
        (dict(api_url="http://127.0.0.1:99999/graphql"), "api_url is not a valid URL"),
        (dict(api_url="ftp://h/graphql"), "api_url must be an http(s) URL"),
        (dict(api_url="https:///graphql"), "api_url must be an http(s) URL with a host"),
        (dict(api_url="https://h/graphql?api_key=sk-123"), "api_url must not carry an api_key"),
    ],
)
def test_api_options_refused_naming_the_option_never_the_value(overrides, fragment):
    errors = check_api_params(api_params(**overrides))
    assert any(fragment in e for e in errors), errors
    assert not any("sk-123" in e or "99999" in e for e in errors)


def test_a_create_with_gpu_ids_and_an_empty_instance_ids_is_a_gpu_endpoint():
    assert model.plan_endpoint([], dict(name="new-one", template_id="t", gpu_ids=["AMPERE_48"], instance_ids=[])).action == "create"
    with pytest.raises(ModelError, match="creating it needs gpu_ids"):
        model.plan_endpoint([], dict(name="new-one", template_id="t", instance_ids=[]))


def test_a_create_with_workers_min_above_the_default_maximum_is_refused():
    with pytest.raises(ModelError, match=r"workers_min \(4\) must not exceed workers_max \(3\).*defaults to 3"):
        model.plan_endpoint([], dict(name="new-one", template_id="t", gpu_ids=["AMPERE_48"], workers_min=4))
    assert model.plan_endpoint([], dict(name="new-one", template_id="t", gpu_ids=["AMPERE_48"], workers_min=4, workers_max=4)).action == "create"


# --- 5. secrets in URLs ---------------------------------------------------------------------


def test_api_url_is_no_log_and_has_no_default():
    assert API_ARGUMENT_SPEC["api_url"]["no_log"] is True and "default" not in API_ARGUMENT_SPEC["api_url"]


def test_url_credentials_are_redacted_and_never_in_the_host():
    url = "https://alice:s3cr3t-pw@api.example:8443/graphql"
    assert url_host(url) == "api.example:8443"
    assert url_host("http://[::1]:8080/graphql") == "[::1]:8080"
    text = redactor("key-123", url)("failed for alice:s3cr3t-pw@api.example with key-123")
    assert "s3cr3t-pw" not in text and "alice" not in text and "key-123" not in text


# --- 6. values Ansible converts silently ------------------------------------------------------

SPEC = dict(
    name=dict(type="str"),
    workers_max=dict(type="int"),
    gpu_ids=dict(type="list", elements="str"),
    endpoints=dict(type="list", elements="dict", options=dict(name=dict(type="str"), idle_timeout=dict(type="int"))),
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dict(name=["a", "b"]), "name must be a string, got a list"),
        (dict(name={"a": 1}), "name must be a string, got a mapping"),
        (dict(workers_max=True), "workers_max must be an integer, got a boolean"),
        (dict(gpu_ids=["AMPERE_48", ["x"]]), "gpu_ids[1] must be a string, got a list"),
        (dict(endpoints=[dict(name="ok"), dict(name={"n": 1})]), "endpoints[1].name must be a string, got a mapping"),
        (dict(endpoints=[dict(name="ok", idle_timeout=False)]), "endpoints[0].idle_timeout must be an integer, got a boolean"),
    ],
)
def test_silent_conversions_are_refused_naming_the_option(raw, expected):
    assert raw_type_errors(SPEC, raw) == [expected]


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dict(name=12.1), "name must be a string, got the number 12.1"),
        (dict(gpu_ids=["12.4", 12.1]), "gpu_ids[1] must be a string, got the number 12.1"),
        (dict(endpoints=[dict(name=3.1)]), "endpoints[0].name must be a string, got the number 3.1"),
    ],
)
def test_a_decimal_number_given_as_text_is_refused_saying_to_quote_it(raw, expected):
    """YAML reads 12.10 as 12.1: the text the user wrote is lost before the module sees it."""
    errors = raw_type_errors(SPEC, raw)
    assert len(errors) == 1 and errors[0].startswith(expected) and "quote it" in errors[0], errors


def test_a_number_given_to_a_secret_option_is_refused_without_showing_it():
    errors = raw_type_errors(dict(api_key=dict(type="str", no_log=True)), dict(api_key=4711.0815))
    assert errors == ["api_key must be a string, got a number: quote it as written (YAML reads 12.10 as the number 12.1)"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dict(value=True), "value must be a string, got a boolean: quote it as written"),
        (dict(value=83), "value must be a string, got a number: quote it as written"),
        (dict(value=0), "value must be a string, got a number: quote it as written"),
    ],
)
def test_a_boolean_or_whole_number_given_to_a_secret_option_is_refused_without_showing_it(raw, expected):
    """Ansible would send the text it makes of it (True; 83 for an unquoted 0123), which no output shows."""
    assert raw_type_errors(dict(value=dict(type="str", no_log=True)), raw) == [expected]
    assert raw_type_errors(dict(value=dict(type="str")), raw) == []  # a plain option shows what it got


def test_plain_values_pass_the_raw_check():
    assert raw_type_errors(SPEC, dict(name="n", workers_max=3, gpu_ids=["A", "B"], endpoints=[dict(name="x")])) == []


# --- 8. the fleet's order ------------------------------------------------------------------------


def test_quota_is_freed_before_it_is_used():
    account = [view("id-old", "old", workers_max=3), view("id-up", "up", workers_max=1), view("id-down", "down", workers_max=5)]
    steps = model.plan_fleet(
        account,
        fleet(
            [
                dict(name="new", template_id="t", gpu_ids=["AMPERE_48"], workers_max=3),
                dict(name="up", workers_max=4),
                dict(name="old", state="absent"),
                dict(name="down", workers_max=1),
            ]
        ),
    )
    assert [s.raises_workers for s in steps] == [True, True, False, False]


# --- 9. check mode predicts what a create stores ----------------------------------------------------


def test_a_predicted_create_shows_the_create_defaults():
    predicted = model.apply_desired(None, dict(name="n", template_id="t", gpu_ids=["A"]))
    assert predicted == dict(
        id=None,
        name="n",
        template_id="t",
        gpu_ids=["A"],
        idle_timeout=5,
        locations=[],
        network_volume_id=None,
        scaler_type="QUEUE_DELAY",
        scaler_value=4,
        workers_min=0,
        workers_max=3,
        workers=[],
    )


# --- 10. white space in names ------------------------------------------------------------------------


def test_names_with_outer_white_space_get_a_warning():
    assert len(model.name_warnings([dict(name=" padded"), dict(name="plain"), dict(name="tail ")])) == 2


# --- a prune whose list matches nothing ----------------------------------------------


@pytest.mark.parametrize(
    "items",
    [
        [dict(name="team-z", template_id="t", gpu_ids=["AMPERE_48"])],
        [dict(name="prod-a", template_id="t", gpu_ids=["AMPERE_48"]), dict(name="prod-b", state="absent")],
    ],
)
def test_a_prune_whose_list_names_no_existing_endpoint_is_refused_without_prefix(items):
    with pytest.raises(ModelError) as info:
        model.plan_fleet(ACCOUNT, fleet(items, prune=True))
    message = info.value.message
    assert "none of the endpoints the list declares exists in the account" in message
    assert "prune_all" in message and "'team-a' (id-a)" in message and "'other' (id-x)" in message


def test_a_prune_whose_list_names_no_existing_endpoint_runs_with_prune_all_or_a_prefix():
    items = [dict(name="team-z", template_id="t", gpu_ids=["AMPERE_48"])]
    steps = model.plan_fleet(ACCOUNT, fleet(items, prune=True, prune_all=True))
    assert [s.action for s in steps] == ["create", "delete", "delete", "delete"]
    steps = model.plan_fleet(ACCOUNT, fleet(items, prune=True, prune_prefix="team-"))
    assert [(s.action, s.before and s.before["id"]) for s in steps] == [("create", None), ("delete", "id-a"), ("delete", "id-b")]


# --- options that exclude each other ---------------------------------------------------


def cpu_view():
    return model.endpoint_from_api(
        {
            "id": "id-cpu",
            "name": "cpu-one",
            "templateId": "t",
            "gpuIds": "",
            "instanceIds": ["cpu3c-2-4"],
            "networkVolumeIds": [{"networkVolumeId": "vol-a", "dataCenterId": "EU-RO-1"}],
            "workersMin": 0,
            "workersMax": 1,
            "clusters": [],
        }
    )


@pytest.mark.parametrize(
    "options, fragment",
    [
        (dict(gpu_ids=["AMPERE_16"]), "gpu_ids cannot be set: it is a CPU endpoint (instance_ids ['cpu3c-2-4'])"),
        (dict(network_volume_id="vol-b"), "network_volume_id cannot be set: it has network_volume_ids ['vol-a']"),
    ],
)
def test_an_option_the_endpoints_other_field_would_override_is_refused(options, fragment):
    errors = model.exclusion_errors(cpu_view(), model.desired_from_params(options))
    assert len(errors) == 1 and fragment in errors[0]


@pytest.mark.parametrize(
    "options", [dict(gpu_ids=["AMPERE_16"], instance_ids=[]), dict(network_volume_id="vol-b", network_volume_ids=[]), dict(network_volume_id="")]
)  # no single volume: nothing to override
def test_clearing_the_other_field_in_the_same_task_is_accepted(options):
    assert model.exclusion_errors(cpu_view(), model.desired_from_params(options)) == []


def test_a_template_name_with_outer_white_space_gets_a_warning():
    warnings = model.name_warnings([dict(name="one", template=" llm-worker"), dict(name="two", template="plain")])
    assert warnings == ["The template name ' llm-worker' (template) starts or ends with white space; it must be the template's name exactly"]
