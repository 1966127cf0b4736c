# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The template model without the API: environment normalisation, comparison
# of what the task sets, the full input of a save, masking; and properties
# like those of the endpoint model.

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tensorone.cloud.plugins.module_utils import _template as model
from ansible_collections.tensorone.cloud.plugins.module_utils._env import CHANGED_MASK, normalise_env
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import MASK, ModelError, secret_variants
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run

API_TEMPLATE = {
    "id": "tpl0000001",
    "name": "llm-worker",
    "imageName": "reg/llm:1.0",
    "containerDiskInGb": 20,
    "volumeInGb": 0,
    "volumeMountPath": None,
    "dockerArgs": "python handler.py",
    "isServerless": True,
    "readme": "## made in the console",
    "containerRegistryAuthId": "cred-1",
    "ports": "8000/http",
    "startScript": None,
    "isPublic": True,
    "env": [{"key": "MODEL", "value": "llama"}, None, {"key": "CONSOLE_TOKEN", "value": "console-secret-71"}, {"key": "LICENSE", "value": "old-license-value"}],
}


def params(**options):
    base = dict((option, None) for option in model.template_argument_spec())
    base.update(state="present", wait_timeout=180)
    base.update(options)
    return base


def current():
    return model.template_from_api(API_TEMPLATE, [{"id": "ep1", "name": "uses-it", "templateId": "tpl0000001"}])


def test_template_from_api_uses_option_names_and_keeps_every_value():
    assert current() == {
        "id": "tpl0000001",
        "name": "llm-worker",
        "image_name": "reg/llm:1.0",
        "container_disk_in_gb": 20,
        "volume_in_gb": 0,
        "volume_mount_path": None,
        "docker_args": "python handler.py",
        "is_serverless": True,
        "readme": "## made in the console",
        "container_registry_auth_id": "cred-1",
        "ports": "8000/http",
        "start_script": None,
        "is_public": True,
        "env": {"MODEL": "llama", "CONSOLE_TOKEN": "console-secret-71", "LICENSE": "old-license-value"},
        "endpoint_ids": ["ep1"],
    }


@pytest.mark.parametrize(
    "env, expected",
    [
        (None, None),
        ({}, {}),
        ({"A": "x"}, {"A": "x"}),
        ({"N": 1, "F": 0.5}, {"N": "1", "F": "0.5"}),  # numbers are sent as strings
        ({"GONE": None}, {"GONE": None}),  # null removes the variable
    ],
)
def test_env_normalisation(env, expected):
    assert normalise_env(env) == expected


def test_env_and_secret_env_together_are_the_managed_variables():
    env = model.Wanted(params(env={"A": "1"}, secret_env={"S": "s3cr3t-value"})).env
    assert env.values == {"A": "1", "S": "s3cr3t-value"} and env.secret_keys == frozenset(["S"]) and env.plain == {"A": "1"}


def test_only_what_the_task_sets_is_compared():
    wanted = model.Wanted(params(name="llm-worker", image_name="reg/llm:1.0", env={"MODEL": "llama"}, readme="## made in the console"))
    assert wanted.changes(current()) == []
    wanted = model.Wanted(params(name="llm-worker", docker_args=""))  # "" and null both mean the image's own command
    assert wanted.changes(dict(current(), docker_args=None)) == []


def test_changes_name_the_variables_and_never_a_value():
    wanted = model.Wanted(
        params(name="llm-worker", image_name="reg/llm:2.0", env={"MODEL": "mistral", "GONE": None}, secret_env={"LICENSE": "new-license-value"})
    )
    changes = wanted.changes(current())
    assert changes == ["image_name", "env (MODEL)", "secret_env (LICENSE)"]
    assert "new-license-value" not in json.dumps(changes) and "mistral" not in json.dumps(changes)
    # removing a variable the template has is a change; removing an absent one is not
    assert model.Wanted(params(name="llm-worker", env={"MODEL": None})).changes(current()) == ["env (MODEL)"]
    assert model.Wanted(params(name="llm-worker", env={"ABSENT": None})).changes(current()) == []


def test_update_input_is_full_merged_and_writes_back_what_was_read():
    wanted = model.Wanted(params(name="llm-worker", image_name="reg/llm:2.0", env={"NEW": "n", "MODEL": None}, secret_env={"LICENSE": "new-license-value"}))
    api_input = model.build_input(dict(API_TEMPLATE, isServerless=None, isPublic=None), wanted)
    assert api_input == {
        "id": "tpl0000001",
        "name": "llm-worker",
        "imageName": "reg/llm:2.0",
        "containerDiskInGb": 20,
        "volumeInGb": 0,
        # read as null, written as null (never made up as false)
        "volumeMountPath": None,
        "dockerArgs": "python handler.py",
        "isServerless": None,
        "readme": "## made in the console",
        "containerRegistryAuthId": "cred-1",
        "ports": "8000/http",
        "startScript": None,
        "isPublic": None,
        # as read, in order (the null item dropped), managed ones set or removed, new ones appended
        "env": [{"key": "CONSOLE_TOKEN", "value": "console-secret-71"}, {"key": "LICENSE", "value": "new-license-value"}, {"key": "NEW", "value": "n"}],
    }


def test_update_input_fills_the_required_fields_the_read_lacks():
    read = dict(API_TEMPLATE, dockerArgs=None, volumeInGb=None, env=None)
    api_input = model.build_input(read, model.Wanted(params(name="llm-worker", readme="x")))
    assert (api_input["dockerArgs"], api_input["volumeInGb"], api_input["env"]) == ("", 0, [])
    with pytest.raises(ModelError, match="has no containerDiskInGb in the API's answer; set container_disk_in_gb"):
        model.build_input(dict(API_TEMPLATE, containerDiskInGb=None), model.Wanted(params(name="llm-worker", readme="x")))


def test_create_input_has_the_create_time_defaults_and_only_what_is_set():
    wanted = model.Wanted(params(name="new-one", image_name="reg/new:1", container_disk_in_gb=5, env={"A": "1", "B": None}, secret_env={"S": "s-value"}))
    assert model.build_input(None, wanted) == {
        "name": "new-one",
        "imageName": "reg/new:1",
        "containerDiskInGb": 5,
        "volumeInGb": 0,
        "isServerless": True,
        "dockerArgs": "",
        "env": [{"key": "A", "value": "1"}, {"key": "S", "value": "s-value"}],
    }


def test_a_decimal_number_as_a_variable_value_is_refused_saying_to_quote_it():
    """YAML reads PYTHON_VERSION: 3.10 as 3.1; a secret's number is not shown."""
    errors = model.validate_template(params(name="llm-worker", env={"PYTHON_VERSION": 3.1, "WORKERS": 2}, secret_env={"PIN": 4711.0815}))
    assert errors == [
        "env.PYTHON_VERSION must be a string, got the number 3.1: quote it as written (YAML reads 12.10 as the number 12.1)",
        "secret_env.PIN must be a string, got a number: quote it as written (YAML reads 12.10 as the number 12.1)",
    ]


def test_public_view_masks_secret_and_unmanaged_values():
    wanted = model.Wanted(params(name="llm-worker", env={"MODEL": "llama"}, secret_env={"LICENSE": "old-license-value"}))
    view = model.public_view(current(), wanted.env, changed_secrets=["LICENSE"])
    assert view["env"] == {"MODEL": "llama", "CONSOLE_TOKEN": MASK}
    assert view["secret_env"] == {"LICENSE": CHANGED_MASK}
    text = json.dumps(view)
    assert "console-secret-71" not in text and "old-license-value" not in text
    assert model.public_view(current(), show_values=True)["env"]["CONSOLE_TOKEN"] == "console-secret-71"
    assert model.public_view(None) is None


def test_public_view_shows_a_plain_value_read_from_the_service_only_where_it_is_the_tasks_own():
    """The task now sets MODEL plainly; the value read (set in the console, maybe a secret) is masked."""
    wanted = model.Wanted(params(name="llm-worker", env={"MODEL": "mistral", "CONSOLE_TOKEN": "console-secret-71"}))
    view = model.public_view(current(), wanted.env)
    assert view["env"] == {"MODEL": MASK, "CONSOLE_TOKEN": "console-secret-71", "LICENSE": MASK}
    assert model.public_view(wanted.apply(current()), wanted.env)["env"]["MODEL"] == "mistral"


def test_secret_variants_cover_escaped_quotes():
    variants = secret_variants('a"b\\c')
    assert 'a"b\\c' in variants and 'a\\"b\\\\c' in variants


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"name": " "}, "name must not be empty"),
        ({"image_name": ""}, "image_name must not be empty"),
        ({"container_disk_in_gb": 0}, "container_disk_in_gb must be at least 1, got 0"),
        ({"volume_in_gb": -1}, "volume_in_gb must be at least 0, got -1"),
        ({"wait_timeout": -1}, "wait_timeout must be at least 0, got -1"),
        ({"env": {"": "x"}}, "env must not have an empty key"),
        ({"env": {"DEBUG": True}}, "env.DEBUG must be a string, got a boolean (quote it, for example 'true')"),
        ({"secret_env": {"S": ["a"]}}, "secret_env.S must be a string, got a list"),
        ({"env": {"A": "1"}, "secret_env": {"A": "2"}}, "env and secret_env both set A"),
        ({"is_serverless": True, "volume_in_gb": 10}, "volume_in_gb must be 0 for a serverless template"),
    ],
)
def test_validation_names_the_option(options, fragment):
    errors = model.validate_template(params(**dict(dict(name="ok-name"), **options)))
    assert any(fragment in e for e in errors), errors


def planned(template, **options):
    wanted = model.Wanted(params(**options))
    return model.Templates(Run(None), wanted).plan(template, wanted.options)


def test_plan_refuses_a_create_without_image_or_disk_and_a_serverless_volume():
    with pytest.raises(ModelError, match="creating it needs image_name, container_disk_in_gb") as refusal:
        planned(None, name="new-one")
    assert refusal.value.kind == "create_needs"
    # the template is serverless: a volume is refused even though the task does not set is_serverless
    with pytest.raises(ModelError, match="volume_in_gb must be 0 for a serverless template"):
        planned(current(), name="llm-worker", volume_in_gb=5)
    assert planned(current(), name="llm-worker", is_serverless=False, volume_in_gb=5).action == "update"


# --- properties -----------------------------------------------------------

# Values that may be secrets carry a snowman, which no other generated text has.
SECRET_MARK = "\u2603"
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=SECRET_MARK), min_size=1, max_size=12)
secret_text = st.text(alphabet="abc", min_size=1, max_size=8).map(lambda v: SECRET_MARK + v)
keys = st.text(alphabet="ABCDEFGHIJ_", min_size=1, max_size=4)
env_lists = st.lists(st.fixed_dictionaries({"key": keys, "value": secret_text}), max_size=5, unique_by=lambda i: i["key"])
api_templates = st.fixed_dictionaries(
    {
        "id": st.just("tpl0000001"),
        "name": st.just("llm-worker"),
        "imageName": text,
        "containerDiskInGb": st.integers(1, 500),
        "volumeInGb": st.just(0),
        "volumeMountPath": st.one_of(st.none(), text),
        "dockerArgs": st.one_of(st.just(""), text),
        "env": env_lists,
        "isServerless": st.just(True),
        "readme": st.one_of(st.none(), text),
        "containerRegistryAuthId": st.one_of(st.none(), text),
        "ports": st.one_of(st.none(), text),
        "startScript": st.one_of(st.none(), text),
        "isPublic": st.booleans(),
    }
)
task_options = st.fixed_dictionaries(
    {},
    optional={
        "image_name": text,
        "container_disk_in_gb": st.integers(1, 500),
        "docker_args": st.one_of(st.just(""), text),
        "readme": st.one_of(st.just(""), text),
        "ports": text,
        "start_script": text,
        "volume_mount_path": text,
        "env": st.dictionaries(keys, st.one_of(st.none(), text), max_size=4),
        "secret_env": st.dictionaries(keys.map(lambda k: "S_" + k), st.one_of(st.none(), secret_text), max_size=3),
    },
)


def stored_like_the_api(api_input, read):
    """What the service stores for a full save input: every field as sent (the rest as read)."""
    stored = dict(read)
    stored.update(api_input)
    return stored


@settings(max_examples=300, deadline=None)
@given(api_templates, task_options)
def test_a_full_update_converges_and_keeps_everything_else(api_template, options):
    wanted = model.Wanted(params(name="llm-worker", **options))
    before = model.template_from_api(api_template)
    api_input = model.build_input(api_template, wanted)
    # full: every field (all are written back), and isServerless, every time
    assert set(api_input) == set(["id"] + [f.api for f in model.FIELDS])
    after = model.template_from_api(stored_like_the_api(api_input, api_template))
    assert wanted.changes(after) == []
    untouched = [o for o in model.VIEW_OPTIONS if o not in wanted.options]
    assert all(after[o] == before[o] for o in untouched)
    unmanaged = [k for k in before["env"] if k not in wanted.env.values]
    assert all(after["env"][k] == before["env"][k] for k in unmanaged)
    assert after == wanted.apply(before)


@settings(max_examples=300, deadline=None)
@given(api_templates, task_options)
def test_no_secret_value_in_the_public_view_or_the_changes(api_template, options):
    """Only values the task itself sets in env are shown: secret_env values and every value read
    from the service (for a variable the task sets plainly too) are masked, before and after, and in the changes."""
    wanted = model.Wanted(params(name="llm-worker", **options))
    before = model.template_from_api(api_template)
    before_view = model.public_view(before, wanted.env)
    after_view = model.public_view(wanted.apply(before), wanted.env)
    shown = json.dumps([before_view, after_view, wanted.changes(before)], ensure_ascii=False)
    assert SECRET_MARK not in shown


@settings(max_examples=200, deadline=None)
@given(task_options)
def test_normalisation_is_idempotent(options):
    once = model.Wanted(params(name="llm-worker", **options))
    set_once = dict((o, v) for o, v in once.options.items() if v is not None)
    again = model.Wanted(params(**dict(options, **set_once)))
    assert dict((o, v) for o, v in again.options.items() if v is not None) == set_once
    assert normalise_env(once.env.values) == once.env.values
