# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The template model against the in-process emulator: create, converge,
# release a new image in place (the endpoints roll), keep what was set in the
# console, lost responses, delete while in use and in the recently-used
# window, secrets in no output or message, the documented service, and
# endpoints that name their template.

import json

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _endpoint as endpoint_model
from ansible_collections.tensorone.cloud.plugins.module_utils import _template as model
from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError, Client
from ansible_collections.tensorone.cloud.plugins.module_utils._env import CHANGED_MASK
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import MASK, ModelError
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator_factory  # noqa: F401 pylint: disable=unused-import

SECRET = "sk-live-4f9a2c1e7b"
TEMPLATE = dict(
    name="llm-worker",
    image_name="reg.example/llm:1.0.0",
    container_disk_in_gb=20,
    docker_args="python handler.py",
    env={"MODEL": "llama-3"},
    secret_env={"LICENSE_KEY": SECRET},
)


class Clock:
    """A fake Run.clock / Run.sleep pair: sleeping moves the clock."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make_run(server, params, check_mode=False, diff=False, clock=None, retries=2):
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=retries, sleep=lambda s: None)
    full = dict((option, None) for option in model.template_argument_spec())
    full.update(state="present", wait_timeout=180)
    full.update(params)
    clock = clock or Clock()
    return Run(client, full, check_mode=check_mode, diff=diff, sleep=clock.sleep, clock=clock.clock)


def converge(server, params, check_mode=False, diff=False, clock=None):
    run = make_run(server, params, check_mode=check_mode, diff=diff, clock=clock)
    return model.converge_template(run), run


def stored(server, name="llm-worker"):
    return [t for t in server.state()["templates"] if t and t["name"] == name]


def mutations(server):
    return [r for r in server.log()["requests"] if r["operation_type"] == "mutation"]


def endpoint(server, template_id, endpoint_id="usesllm0000001", name="llm-inference"):
    server.seed_endpoints([dict(id=endpoint_id, name=name, templateId=template_id, gpuIds="AMPERE_48", workersMin=1, workersMax=2)])


def test_create_converge_and_release_a_new_image_in_place(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, run = converge(server, TEMPLATE)
    template_id = created["template"]["id"]
    assert created["changed"] and run.actions == ["create template 'llm-worker'"] and run.client.requests_sent == 2
    assert stored(server)[0]["isServerless"] is True and stored(server)[0]["volumeInGb"] == 0
    assert created["template"]["secret_env"] == {"LICENSE_KEY": MASK} and created["template"]["env"] == {"MODEL": "llama-3"}
    again, run = converge(server, TEMPLATE)
    assert not again["changed"] and run.client.requests_sent == 1 and len(mutations(server)) == 1
    endpoint(server, template_id)
    mark = server.log()["counters"]["requests"]
    released, run = converge(server, dict(TEMPLATE, image_name="reg.example/llm:1.1.0"))
    saves = [r for r in server.log()["requests"] if r["seq"] > mark and r["operation_type"] == "mutation"]
    assert [s["mutation_kind"] for s in saves] == ["template_update"] and saves[0]["variables"]["input"]["id"] == template_id
    assert run.actions == ["save template 'llm-worker' (%s): image_name; rolls the workers of endpoint 'llm-inference' (usesllm0000001)" % template_id]
    after = stored(server)[0]
    assert after["id"] == template_id and after["imageName"] == "reg.example/llm:1.1.0" and after["isServerless"] is True
    assert after["env"] == [{"key": "LICENSE_KEY", "value": SECRET}, {"key": "MODEL", "value": "llama-3"}]
    assert released["template"]["endpoint_ids"] == ["usesllm0000001"]
    rolled = server.state(fields="all")["endpoints"][0]
    assert rolled["id"] == "usesllm0000001" and rolled["version"] == 2 and [w["version"] for w in rolled["clusters"]] == [2]


def test_a_template_made_in_the_console_keeps_what_the_task_does_not_set(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    console = dict(
        id="consoletpl1",
        name="llm-worker",
        imageName="reg.example/llm:0.9",
        containerDiskInGb=30,
        volumeInGb=0,
        dockerArgs="bash run.sh",
        env=[{"key": "HF_TOKEN", "value": "{{ RUNPOD_SECRET_hf }}"}, {"key": "A", "value": "1"}],
        isServerless=True,
        readme="## console",
        containerRegistryAuthId="cred-9",
        ports="8000/http",
        startScript="echo hi",
        isPublic=True,
        volumeMountPath="/runpod-volume",
        category="NVIDIA",
    )
    server.seed(registryAuths=[{"id": "cred-9", "name": "console-registry"}], templates=[console])
    result, _run = converge(server, dict(name="llm-worker", image_name="reg.example/llm:1.0.0", env={"A": "2"}))
    after = stored(server)[0]
    assert result["changed"]
    assert dict(after, imageName=console["imageName"], env=console["env"]) == console
    assert after["env"] == [{"key": "HF_TOKEN", "value": "{{ RUNPOD_SECRET_hf }}"}, {"key": "A", "value": "2"}]
    assert result["template"]["env"] == {"HF_TOKEN": MASK, "A": "2"}  # a value the task does not set is masked


def test_a_boolean_read_as_null_is_written_back_as_null(emulator_factory):  # pylint: disable=redefined-outer-name
    """isServerless and isPublic are nullable: a save sends back exactly what was read, not a made-up false."""
    server = emulator_factory()
    server.seed_templates([dict(id="nulltpl001", name="llm-worker", imageName="reg.example/llm:1.0.0", containerDiskInGb=20, isServerless=None, isPublic=None)])
    result, _run = converge(server, dict(name="llm-worker", readme="## new readme"))
    assert result["changed"] and result["template"]["readme"] == "## new readme"
    sent = mutations(server)[-1]["variables"]["input"]
    assert "isServerless" in sent and sent["isServerless"] is None and sent["isPublic"] is None
    # what the emulator stores for a null (its documented reset value), read back as the service has it
    assert (stored(server)[0]["isServerless"], stored(server)[0]["isPublic"]) == (False, False)


def test_names_with_outer_white_space_are_kept_with_a_warning(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    _result, run = converge(
        server,
        dict(
            name="padded-worker ",
            image_name=" reg.example/llm:1.0.0",
            container_disk_in_gb=5,
            env={"MODEL ": "llama", "PLAIN": "x"},
            secret_env={" LICENSE_KEY": SECRET},
        ),
    )
    assert run.warnings == [
        "The template's %s %r starts or ends with white space; the API keeps it as given" % pair
        for pair in (("name", "padded-worker "), ("image_name", " reg.example/llm:1.0.0"), ("env key", "MODEL "), ("secret_env key", " LICENSE_KEY"))
    ]
    saved = stored(server, "padded-worker ")[0]
    assert saved["imageName"] == " reg.example/llm:1.0.0" and [v["key"] for v in saved["env"]] == [" LICENSE_KEY", "MODEL ", "PLAIN"]
    assert SECRET not in json.dumps(run.warnings)


def test_two_runs_saving_one_template_at_once_the_last_save_wins(emulator_factory):  # pylint: disable=redefined-outer-name
    """Each save is a full replace of the template as its own run read it: for an option both set the last save
    wins, and a variable the first run added is dropped by the second run's save (what the guide says)."""
    server = emulator_factory()
    converge(server, dict(name="llm-worker", image_name="reg.example/llm:1.0.0", container_disk_in_gb=20, env={"MODEL": "llama"}))
    runs = []
    for params in (
        dict(name="llm-worker", image_name="reg.example/llm:2.0.0", env={"ADDED_BY_FIRST": "1"}),
        dict(name="llm-worker", image_name="reg.example/llm:3.0.0", readme="## second"),
    ):
        run = make_run(server, params)
        wanted = model.Wanted(run.params)
        templates = model.Templates(run, wanted)
        runs.append((templates, templates.find("llm-worker"), wanted))  # both read before either saves
    for templates, before, wanted in runs:
        templates.update(before, wanted)
    saved = stored(server)[0]
    assert [m["mutation_kind"] for m in mutations(server)][-2:] == ["template_update", "template_update"]
    assert saved["imageName"] == "reg.example/llm:3.0.0" and saved["readme"] == "## second"
    assert saved["env"] == [{"key": "MODEL", "value": "llama"}]  # ADDED_BY_FIRST is gone


def test_check_and_diff_mode_touch_nothing_and_show_no_secret(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    planned, run = converge(server, TEMPLATE, check_mode=True, diff=True)
    assert planned["changed"] and planned["template"]["id"] is None and server.state()["templates"] == []
    assert planned["diff"]["after"]["secret_env"] == {"LICENSE_KEY": CHANGED_MASK} and planned["diff"]["before"] == {}
    converge(server, TEMPLATE)
    before = json.dumps(server.state())
    changed, run = converge(server, dict(TEMPLATE, secret_env={"LICENSE_KEY": "sk-rotated-0000"}), check_mode=True, diff=True)
    assert changed["changed"] and json.dumps(server.state()) == before and len(mutations(server)) == 1
    assert run.actions[0].endswith(": secret_env (LICENSE_KEY)")
    assert changed["diff"]["before"]["secret_env"] == {"LICENSE_KEY": MASK}
    assert changed["diff"]["after"]["secret_env"] == {"LICENSE_KEY": CHANGED_MASK}
    text = json.dumps([planned, changed, run.actions])
    assert SECRET not in text and "sk-rotated-0000" not in text


def test_a_lost_create_response_makes_one_template(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.set_faults(drop_after_apply=["template_create"])
    result, run = converge(server, TEMPLATE)
    assert result["changed"] and len(server.state()["templates"]) == 1
    assert [m["mutation_kind"] for m in mutations(server)] == ["template_create"]
    assert result["template"]["id"] == stored(server)[0]["id"] and run.actions == ["create template 'llm-worker'"]


def test_a_lost_save_response_is_read_back_and_never_sent_twice(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, TEMPLATE)
    endpoint(server, stored(server)[0]["id"])
    server.set_faults(drop_after_apply=["template_update"])
    result, _run = converge(server, dict(TEMPLATE, image_name="reg.example/llm:2.0.0"))
    assert result["changed"] and result["template"]["image_name"] == "reg.example/llm:2.0.0"
    assert [m["mutation_kind"] for m in mutations(server)] == ["template_create", "template_update"]
    assert server.state(fields="all")["endpoints"][0]["version"] == 2  # rolled once


def test_delete_refused_while_in_use_then_retried_through_the_window(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(template_recent_use_seconds=0)
    converge(server, TEMPLATE)
    template_id = stored(server)[0]["id"]
    endpoint(server, template_id)
    with pytest.raises(
        ModelError,
        match=r"Template 'llm-worker' \(%s\) is used by endpoint 'llm-inference' \(usesllm0000001\): "
        r"nothing was deleted" % template_id,
    ):
        converge(server, dict(name="llm-worker", state="absent"))
    assert len(stored(server)) == 1 and len(mutations(server)) == 1
    endpoint_run = Run(Client(server.graphql_url, server.api_key, timeout=5, retries=0), sleep=lambda s: None)
    endpoint_model.converge(endpoint_run, dict(endpoints=[dict(name="llm-inference", state="absent")], wait_timeout=10))
    server.configure(template_recent_use_seconds=60)
    # The clock is fake, the service's window real: the first polls are refused, then the window is switched off.
    clock = Clock()
    original = clock.sleep

    def sleep(seconds):
        original(seconds)
        if len(clock.sleeps) == 2:
            server.configure(template_recent_use_seconds=0)

    clock.sleep = sleep
    result, run = converge(server, dict(name="llm-worker", state="absent"), clock=clock)
    assert result["changed"] and stored(server) == [] and run.actions == ["delete template 'llm-worker' (%s)" % template_id]
    assert [m["mutation_kind"] for m in mutations(server)].count("template_delete") == 3
    again, run = converge(server, dict(name="llm-worker", state="absent"))
    assert not again["changed"] and run.client.requests_sent == 1


def test_delete_gives_up_after_wait_timeout_with_the_services_message(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(template_recent_use_seconds=600)
    server.seed_templates([dict(id="windowtpl1", name="llm-worker", imageName="i", containerDiskInGb=5)])
    server.seed_endpoints([dict(id="gone0000000001", name="gone-soon", templateId="windowtpl1", gpuIds="AMPERE_16", workersMax=0)])
    server.call("mutation { deleteEndpoint(id: \"gone0000000001\") }")
    with pytest.raises(
        ModelError,
        match=r"Could not delete template 'llm-worker' \(windowtpl1\) within 3s \(wait_timeout\): "
        r".*was used recently.*run again, or raise wait_timeout",
    ):
        converge(server, dict(name="llm-worker", state="absent", wait_timeout=3))
    assert len(stored(server)) == 1


def test_secret_values_are_scrubbed_from_errors_that_echo_the_input(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    original = model.build_input
    # An input the service refuses, echoing it. graphql-core abbreviates nested values ([{...}]);
    # graphql-js, which a service may run, quotes them in full: the secret is put where both show it.
    monkeypatch.setattr(model, "build_input", lambda *args, **kwargs: dict(original(*args, **kwargs), bogusField=SECRET))
    run = make_run(server, TEMPLATE)
    with pytest.raises(APIError) as caught:
        model.converge_template(run)
    assert SECRET in caught.value.message  # the service echoed the whole input...
    assert SECRET not in run.redact(caught.value.message) and "********" in run.redact(caught.value.message)  # ...the run masks it
    assert server.state()["templates"] == []


def test_the_diff_shows_no_value_read_from_the_service_only_the_tasks_own(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    console = "console-model-5e1f"  # set in the console for a variable the task now sets plainly: it may be a secret
    server.seed_templates(
        [
            dict(
                id="consoletpl2",
                name="llm-worker",
                imageName="reg.example/llm:0.9",
                containerDiskInGb=30,
                volumeInGb=0,
                dockerArgs="",
                isServerless=True,
                env=[{"key": "MODEL", "value": console}, {"key": "DEBUG", "value": "1"}],
            )
        ]
    )
    task = dict(name="llm-worker", env={"MODEL": "llama-3"})
    for check_mode in (True, False):
        result, run = converge(server, task, check_mode=check_mode, diff=True)
        assert result["changed"] and result["diff"]["before"]["env"] == {"MODEL": MASK, "DEBUG": MASK}
        assert result["diff"]["after"]["env"] == result["template"]["env"] == {"MODEL": "llama-3", "DEBUG": MASK}
        assert console not in json.dumps(result) and console in run.secrets  # ...and no message shows it
    assert stored(server)[0]["env"] == [{"key": "MODEL", "value": "llama-3"}, {"key": "DEBUG", "value": "1"}]
    again, run = converge(server, task, diff=True)  # the value read now is the task's own: shown, and no change shows
    assert not again["changed"] and again["diff"]["before"]["env"] == again["diff"]["after"]["env"] == {"MODEL": "llama-3", "DEBUG": MASK}


def test_short_values_read_from_the_service_are_masked_only_where_quoted(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    console_env = {"DEBUG": "on", "WORKERS": "1", "MODE": "a", "TOKEN": "console-token-5d2e"}
    server.seed_templates(
        [
            dict(
                id="consoletpl3",
                name="llm-worker",
                imageName="reg.example/llm:0.9",
                containerDiskInGb=20,
                volumeInGb=0,
                dockerArgs="",
                isServerless=True,
                env=[{"key": k, "value": v} for k, v in sorted(console_env.items())],
            )
        ]
    )
    original = model.build_input
    # The service refuses the input and echoes it, each value quoted (graphql-core abbreviates the env list itself).
    monkeypatch.setattr(model, "build_input", lambda *args, **kwargs: dict(original(*args, **kwargs), bogusField=console_env))
    run = make_run(server, dict(name="llm-worker", image_name="reg.example/llm:1.0.0"))
    with pytest.raises(APIError) as caught:
        model.converge_template(run)
    assert "'bogusField': {'DEBUG': 'on', 'WORKERS': '1', 'MODE': 'a', 'TOKEN': 'console-token-5d2e'}" in caught.value.message  # the echo
    shown = run.redact(caught.value.message)
    assert "'bogusField': {'DEBUG': '********', 'WORKERS': '********', 'MODE': '********', 'TOKEN': '********'}" in shown
    assert shown.startswith(
        "The API answered HTTP 400: Variable '$input' has invalid value: Expected value of type "
        "'SaveTemplateInput' not to include unknown field 'bogusField', found: {"
    )
    assert "'name': 'llm-worker'" in shown and "'containerDiskInGb': 20" in shown and "console-token-5d2e" not in shown


def test_the_documented_service_has_no_template_read(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    with pytest.raises(ModelError, match="Templates cannot be managed on this service: the service has no template read"):
        converge(server, TEMPLATE)
    assert mutations(server) == []


def test_an_option_the_service_lacks_fails_naming_it(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, TEMPLATE)
    run = make_run(server, dict(TEMPLATE, ports="8000/http"))
    run.client.execute = _without_field(run.client.execute, "ports")
    with pytest.raises(ModelError, match=r"does not support ports \(its API has no ports field\)"):
        model.converge_template(run)
    assert len(mutations(server)) == 1


def _without_field(execute, field):
    """A client that answers like a service without ``field``: graphql-core's validation error."""

    def wrapped(document, variables=None, **options):
        if " %s " % field in document:
            message = "Cannot query field '%s' on type 'PodTemplate'." % field
            raise APIError("The API answered HTTP 400: " + message, "graphql", details=[message], status=400)
        return execute(document, variables, **options)

    return wrapped


def test_info_masks_env_values_unless_asked_and_lists_the_endpoints(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, TEMPLATE)
    endpoint(server, stored(server)[0]["id"])
    run = Run(Client(server.graphql_url, server.api_key, timeout=5, retries=0), dict(name="llm-worker", id=None, include_env_values=False))
    listed = model.read_templates(run)["templates"]
    assert [t["endpoint_ids"] for t in listed] == [["usesllm0000001"]]
    assert listed[0]["env"] == {"LICENSE_KEY": MASK, "MODEL": MASK} and "secret_env" not in listed[0]
    run.params["include_env_values"] = True
    assert model.read_templates(run)["templates"][0]["env"]["LICENSE_KEY"] == SECRET


def test_an_info_item_fed_back_without_its_read_only_keys_and_env_changes_nothing(emulator_factory):  # pylint: disable=redefined-outer-name
    """What tensorone_template_info's documentation says: id, is_public and endpoint_ids are not options; env values
    are masked (fed back, the mask would be stored)."""
    server = emulator_factory()
    converge(server, TEMPLATE)
    run = Run(Client(server.graphql_url, server.api_key, timeout=5, retries=0), dict(name="llm-worker", id=None, include_env_values=False))
    item = model.read_templates(run)["templates"][0]
    assert set(item) - set(model.template_argument_spec()) == {"id", "is_public", "endpoint_ids"}
    fed = dict((k, v) for k, v in item.items() if k not in ("id", "is_public", "endpoint_ids", "env"))
    result, fed_run = converge(server, fed)
    assert not result["changed"]
    assert model.Wanted(dict(fed, env=item["env"], secret_env=None)).changes(model.Templates(fed_run).find("llm-worker")) == [
        "env (LICENSE_KEY, MODEL)"
    ]  # the masks would replace the values


# --- endpoints by template name -----------------------------------------------


def converge_endpoint(server, **params):
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=0, sleep=lambda s: None)
    run = Run(client, dict(params, state=params.get("state", "present"), wait_timeout=30), sleep=lambda s: None)
    return endpoint_model.converge_endpoint(run), run


def test_an_endpoint_created_by_template_name_gets_its_id_and_converges_in_one_request(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, TEMPLATE)
    template_id = stored(server)[0]["id"]
    created, _run = converge_endpoint(server, name="by-name", template="llm-worker", gpu_ids=["AMPERE_48"])
    assert created["endpoint"]["template_id"] == template_id
    assert server.state()["endpoints"][0]["templateId"] == template_id
    again, run = converge_endpoint(server, name="by-name", template="llm-worker", gpu_ids=["AMPERE_48"])
    assert not again["changed"] and run.client.requests_sent == 1
    assert server.log()["requests"][-1]["operation_name"] == "TensorOneEndpointsAndTemplates"


def test_an_unknown_template_name_fails_before_any_mutation(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, TEMPLATE)
    with pytest.raises(ModelError, match=r"No template named 'llm-wroker' exists \(template\); the account's templates: 'llm-worker'"):
        converge_endpoint(server, name="by-name", template="llm-wroker", gpu_ids=["AMPERE_48"])
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=0)
    with pytest.raises(ModelError, match=r"endpoints\[1\] \(two\): No template named 'nope'"):
        endpoint_model.converge(Run(client), dict(endpoints=[dict(name="one", template="llm-worker"), dict(name="two", template="nope")], wait_timeout=30))
    assert len(mutations(server)) == 1 and server.state()["endpoints"] == []


def test_template_and_template_id_are_mutually_exclusive():
    errors = endpoint_model.validate_params(dict(template="x", template_id="y"))
    assert any("template and template_id are mutually exclusive" in e for e in errors)
    assert "template must not be empty" in endpoint_model.validate_params(dict(template=" "))


def test_the_templates_are_read_only_when_some_item_names_one(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    server.seed_endpoints([dict(id="plain000000001", name="plain", templateId="t1", gpuIds="AMPERE_16", workersMax=1)])
    result, run = converge_endpoint(server, name="plain", workers_max=1)
    assert not result["changed"] and run.client.requests_sent == 1
    with pytest.raises(ModelError, match="template .a template's name. cannot be used on this service.*Set template_id instead"):
        converge_endpoint(server, name="plain", template="anything")
    assert mutations(server) == []


def test_check_mode_predicts_an_endpoint_on_a_template_not_created_yet(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=0, sleep=lambda s: None)
    run = Run(client, dict(name="by-name", template="to-be-made", gpu_ids=["AMPERE_48"], state="present", wait_timeout=30), check_mode=True)
    result = endpoint_model.converge_endpoint(run)
    assert result["changed"] and result["endpoint"]["template_id"] is None
    assert run.warnings == [
        "No template named 'to-be-made' exists yet: check mode predicts the endpoint with template_id null; a run fails unless the template exists by then"
    ]
    assert mutations(server) == []


def test_a_create_refused_because_another_run_made_the_name_converges_that_template(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    original = model.Templates.find
    calls = []

    def find_then_race(self, name):
        found = original(self, name)
        if not calls:
            calls.append(name)
            # Another run creates the name between this run's read and its create.
            server.seed_templates([dict(id="otherrun01", name=name, imageName="reg.example/other:0.1", containerDiskInGb=20, isServerless=True)])
        return found

    monkeypatch.setattr(model.Templates, "find", find_then_race)
    result, run = converge(server, TEMPLATE)
    assert result["changed"] and [t["id"] for t in server.state()["templates"]] == ["otherrun01"]
    assert stored(server)[0]["imageName"] == "reg.example/llm:1.0.0"
    assert run.actions == ["save template 'llm-worker' (otherrun01): docker_args, image_name, env (MODEL), secret_env (LICENSE_KEY)"]
    assert [m["mutation_kind"] for m in mutations(server)] == ["template_create", "template_update"]


def fleet_run(server, items, check_mode=False):
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=0, sleep=lambda s: None)
    params = dict(
        endpoints=[dict(dict(state="present"), **item) for item in items], prune=False, prune_prefix=None, prune_all=False, prune_max=None, wait_timeout=10
    )
    run = Run(client, params, check_mode=check_mode, sleep=lambda s: None)
    return endpoint_model.converge_fleet(run)


def test_an_absent_item_that_names_a_template_that_is_gone_is_deleted(emulator_factory):  # pylint: disable=redefined-outer-name
    for profile in ("full", "documented"):
        server = emulator_factory(profile=profile)
        server.seed_endpoints([dict(id="orphan00000001", name="orphan", templateId="gonetpl001", gpuIds="AMPERE_16", workersMax=0)])
        result = fleet_run(server, [dict(name="orphan", template="retired-worker", state="absent")])
        assert result["changed"] and result["deleted"] == [dict(id="orphan00000001", name="orphan")], profile
        assert server.state()["endpoints"] == [], profile


def test_check_mode_predicts_the_roles_retire_flows_as_the_real_run_does(emulator_factory):  # pylint: disable=redefined-outer-name
    """Check mode of a template delete counts its users as the endpoints task before it predicts them."""
    server = emulator_factory(template_recent_use_seconds=0)
    converge(server, TEMPLATE)
    converge(server, dict(TEMPLATE, name="other-worker"))
    template_id = stored(server)[0]["id"]
    endpoint(server, template_id)
    endpoint(server, template_id, endpoint_id="keepsllm000001", name="llm-keeps")
    # Retire one endpoint and move the other to a template not created yet, then retire the old template.
    planned = fleet_run(server, [dict(name="llm-inference", state="absent"), dict(name="llm-keeps", template="new-worker")], check_mode=True)
    assert planned["deleted"] == [dict(id="usesllm0000001", name="llm-inference")]
    result, run = converge(server, dict(name="llm-worker", state="absent", endpoints_result=planned), check_mode=True)
    assert result["changed"] and run.actions == ["delete template 'llm-worker' (%s)" % template_id]
    # Without the option, the users as read refuse it (the real run would not meet them).
    with pytest.raises(ModelError, match="is used by endpoint 'llm-inference'"):
        converge(server, dict(name="llm-worker", state="absent"), check_mode=True)
    # An endpoint the task leaves on the template fails check mode as the real run fails.
    planned = fleet_run(server, [dict(name="llm-inference", state="absent")], check_mode=True)
    with pytest.raises(ModelError, match=r"is used by endpoint 'llm-keeps' \(keepsllm000001\): nothing was deleted"):
        converge(server, dict(name="llm-worker", state="absent", endpoints_result=planned), check_mode=True)
    # ...and one moved onto it (other-worker is retired while llm-keeps is moved to it).
    planned = fleet_run(server, [dict(name="llm-keeps", template="other-worker")], check_mode=True)
    with pytest.raises(ModelError, match=r"is used by endpoint 'llm-keeps' \(keepsllm000001\)"):
        converge(server, dict(name="other-worker", state="absent", endpoints_result=planned), check_mode=True)
    assert len(mutations(server)) == 2 and len(server.state()["endpoints"]) == 2
    # The real run: the same flow deletes both.
    fleet_run(server, [dict(name="llm-inference", state="absent"), dict(name="llm-keeps", template="other-worker")])
    result, run = converge(server, dict(name="llm-worker", state="absent", endpoints_result=planned))
    assert result["changed"] and [t["name"] for t in server.state()["templates"]] == ["other-worker"]


def test_endpoints_result_must_be_an_endpoints_tasks_result():
    errors = model.validate_template(dict(name="x", endpoints_result=dict(endpoint=None)))
    assert errors == ["endpoints_result must be the registered result of a tensorone.cloud.tensorone_endpoints task (it has no endpoints list)"]


def test_a_delete_refused_while_the_endpoint_list_is_capped_fails_at_once_saying_why(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    monkeypatch.setattr(model, "LIST_CAP", 2)
    server = emulator_factory(list_cap=2, template_recent_use_seconds=0)
    server.seed_templates([dict(id="capsedtpl1", name="llm-worker", imageName="i", containerDiskInGb=5)])
    server.seed_endpoints(
        [dict(id="listed%08d" % i, name="listed-%d" % i, templateId="other", gpuIds="AMPERE_16", workersMax=0) for i in range(2)]
        + [dict(id="beyondcap00001", name="beyond", templateId="capsedtpl1", gpuIds="AMPERE_16", workersMax=0)]
    )
    with pytest.raises(
        ModelError,
        match=r"Could not delete template 'llm-worker' \(capsedtpl1\): the service refused it .*came back "
        r"with 2 endpoints, the most the API lists, so an endpoint beyond them may use the template",
    ):
        converge(server, dict(name="llm-worker", state="absent", wait_timeout=600))
    assert [m["mutation_kind"] for m in mutations(server)] == ["template_delete"]  # once: no retries through wait_timeout
    _result, run = converge(server, dict(name="llm-worker", image_name="i2"))
    assert any("may roll the workers of more endpoints than the action names" in w for w in run.warnings)
    info_run = make_run(server, dict(id=None, name=None, include_env_values=False))
    model.read_templates(info_run)
    assert info_run.warnings == ["endpoint_ids may miss endpoints: the account's list of endpoints came back with 2 endpoints, the most the API lists"]
