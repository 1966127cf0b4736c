# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The secret model against the in-process emulator: create and converge in one
# request, the write-only value (on_create: not compared, with a warning;
# always: exactly one value update per run), the description and its clearing,
# check and diff mode, lost responses, a create that meets another run's
# secret, a secret gone meanwhile, the delete refused while an environment
# refers to it (both spellings), at the list cap and on a service that cannot
# tell, the documented service, the info module, option checks, and no value
# in any output or message.

import hashlib
import json

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _secret as model
from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError, Client
from ansible_collections.tensorone.cloud.plugins.module_utils._env import CHANGED_MASK
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import MASK
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run, outcome_of
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator_factory  # noqa: F401 pylint: disable=unused-import
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.runs import failed_result, module_run

VALUE = "hf-secret-value-5c1e9a7d"
ROTATED = "hf-rotated-value-0b8e44f2"
SECRET = dict(name="hf_token", value=VALUE, description="Hugging Face read token")
NOT_COMPARED = (
    "Secret 'hf_token' (%s) exists: value was neither compared (the API never returns a secret's value) nor sent; "
    "set update_value=always to send it on every run"
)


def make_run(server, params, check_mode=False, diff=False):
    return module_run(server, model.secret_argument_spec(), params, check_mode, diff)


def converge(server, params, check_mode=False, diff=False):
    run = make_run(server, params, check_mode=check_mode, diff=diff)
    return model.converge_secret(run), run


def fails(server, params, check_mode=False):
    """The shaped result of a run that fails (``outcome_of``), and the run."""
    run = make_run(server, params, check_mode=check_mode)
    return failed_result(run, model.converge_secret), run


def stored(server, name="hf_token"):
    return [s for s in server.state()["secrets"] if s["name"] == name]


def fingerprint(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def mutations(server):
    return [r for r in server.log()["requests"] if r["operation_type"] == "mutation"]


def kinds(server):
    return [m["mutation_kind"] for m in mutations(server)]


def seed_secret(server, secret_id="cseededsecret00000000000001", name="hf_token", **fields):
    server.seed(secrets=[dict(dict(id=secret_id, name=name, value="console-value-7d2f19"), **fields)])
    return secret_id


# --- create, converge, the write-only value -----------------------------------


def test_create_then_converge_in_one_request_without_comparing_the_value(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, run = converge(server, SECRET)
    secret = stored(server)[0]
    assert created["changed"] and run.actions == ["create secret 'hf_token'"] and run.client.requests_sent == 2 and run.warnings == []
    assert created["secret"] == dict(
        id=secret["id"], name="hf_token", description="Hugging Face read token", created_at=secret["createdAt"], updated_at=secret["updatedAt"]
    )
    assert secret["valueFingerprint"] == fingerprint(VALUE) and secret["valueUpdates"] == 0
    assert mutations(server)[0]["variables"] == {"input": {"name": "hf_token", "value": "<masked>", "description": "Hugging Face read token"}}
    again, run = converge(server, SECRET)
    assert not again["changed"] and run.client.requests_sent == 1 and run.actions == [] and kinds(server) == ["secret_create"]
    # the value is not compared: the task is told, and how to send it
    assert run.warnings == [NOT_COMPARED % secret["id"]]
    assert again["secret"] == created["secret"]


def test_an_existing_secret_is_adopted_described_and_deleted_without_its_value(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    secret_id = seed_secret(server)
    adopted, run = converge(server, dict(name="hf_token"))
    assert not adopted["changed"] and adopted["secret"]["id"] == secret_id and run.warnings == [] and run.client.requests_sent == 1
    described, run = converge(server, dict(name="hf_token", description="made in the console"))
    assert described["changed"] and run.actions == ["update secret 'hf_token' (%s): description" % secret_id]
    assert kinds(server) == ["secret_description_update"] and stored(server)[0]["description"] == "made in the console"
    assert stored(server)[0]["valueFingerprint"] == fingerprint("console-value-7d2f19")
    deleted, run = converge(server, dict(name="hf_token", state="absent"))
    assert deleted["changed"] and deleted["secret"] is None and stored(server) == []
    # applied: the emulator refuses a String! variable for secretDelete's ID! argument, as the service does
    assert mutations(server)[-1]["variables"] == {"id": secret_id} and mutations(server)[-1]["applied"]


def test_always_rotates_with_exactly_one_value_update_per_run(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, run = converge(server, dict(SECRET, update_value="always"))
    # a create sends the value once: no update after it, no "did not apply"
    assert created["changed"] and kinds(server) == ["secret_create"] and run.warnings == []
    for number in (1, 2):
        rotated, run = converge(server, dict(SECRET, value=ROTATED, update_value="always"), diff=True)
        assert rotated["changed"] and run.actions == ["update secret 'hf_token' (%s): value" % created["secret"]["id"]]
        assert run.warnings == [] and run.client.requests_sent == 2
        assert kinds(server) == ["secret_create"] + ["secret_value_update"] * number
        assert stored(server)[0]["valueFingerprint"] == fingerprint(ROTATED) and stored(server)[0]["valueUpdates"] == number
        assert rotated["diff"]["before"]["value"] == MASK and rotated["diff"]["after"]["value"] == CHANGED_MASK
        assert rotated["secret"]["updated_at"] == stored(server)[0]["updatedAt"]


def test_a_description_and_a_value_change_are_two_mutations(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, _run = converge(server, SECRET)
    changed, run = converge(server, dict(SECRET, value=ROTATED, description="rotated monthly", update_value="always"))
    assert changed["changed"] and run.actions == ["update secret 'hf_token' (%s): description, value" % created["secret"]["id"]]
    assert kinds(server) == ["secret_create", "secret_description_update", "secret_value_update"] and run.warnings == []
    assert changed["secret"]["description"] == "rotated monthly" and stored(server)[0]["valueFingerprint"] == fingerprint(ROTATED)


def test_an_empty_description_clears_it_and_none_and_empty_compare_equal(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, SECRET)
    cleared, _run = converge(server, dict(name="hf_token", description=""))
    assert cleared["changed"] and cleared["secret"]["description"] is None
    assert mutations(server)[-1]["variables"]["input"]["description"] == "" and stored(server)[0]["description"] == ""  # the service stores ""
    again, run = converge(server, dict(name="hf_token", description=""))
    assert not again["changed"] and run.client.requests_sent == 1
    # a secret created without one (null) is the same as "": nothing to do
    converge(server, dict(name="plain", value=VALUE))
    plain, run = converge(server, dict(name="plain", description=""))
    assert stored(server, "plain")[0]["description"] is None and not plain["changed"] and len(mutations(server)) == 3


# --- check and diff mode ----------------------------------------------------------


def test_check_mode_predicts_and_sends_no_mutation(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    planned, run = converge(server, SECRET, check_mode=True, diff=True)
    assert planned["changed"] and planned["secret"] == dict(id=None, name="hf_token", description="Hugging Face read token", created_at=None, updated_at=None)
    assert planned["diff"] == dict(before={}, after=dict(planned["secret"], value=CHANGED_MASK)) and mutations(server) == []
    created, _run = converge(server, SECRET)
    before = json.dumps(server.state())
    rotation, run = converge(server, dict(SECRET, value=ROTATED, update_value="always"), check_mode=True, diff=True)
    assert rotation["changed"] and run.actions == ["update secret 'hf_token' (%s): value" % created["secret"]["id"]]
    assert rotation["diff"]["before"] == dict(created["secret"], value=MASK) and rotation["diff"]["after"] == dict(created["secret"], value=CHANGED_MASK)
    kept, run = converge(server, dict(SECRET, value=ROTATED), check_mode=True, diff=True)
    assert not kept["changed"] and kept["diff"]["after"]["value"] == MASK and run.warnings == [NOT_COMPARED % created["secret"]["id"]]
    described, run = converge(server, dict(name="hf_token", description="new"), check_mode=True, diff=True)
    assert described["changed"] and described["secret"]["description"] == "new" and described["diff"]["after"]["value"] == MASK
    assert json.dumps(server.state()) == before and len(mutations(server)) == 1
    text = json.dumps([planned, rotation, kept, described])
    assert VALUE not in text and ROTATED not in text


# --- lost responses, races ------------------------------------------------------------


def test_a_lost_create_response_makes_one_secret_and_sends_the_value_once(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.set_faults(drop_after_apply=["secret_create"])
    for update_value in ("on_create", "always"):
        name = "lost-%s" % update_value
        result, run = converge(server, dict(SECRET, name=name, update_value=update_value))
        assert result["changed"] and run.actions == ["create secret %r" % name] and run.warnings == []
        assert result["secret"]["id"] == stored(server, name)[0]["id"] and stored(server, name)[0]["valueUpdates"] == 0
        server.set_faults(drop_after_apply=["secret_create"])
    assert kinds(server) == ["secret_create", "secret_create"] and len(server.state()["secrets"]) == 2


def test_a_lost_value_update_response_is_sent_again_and_the_value_is_the_tasks(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, SECRET)
    server.set_faults(drop_after_apply=["secret_value_update"])
    rotated, run = converge(server, dict(SECRET, value=ROTATED, update_value="always"))
    assert rotated["changed"] and run.client.retries_done == 1 and run.warnings == []
    assert stored(server)[0]["valueFingerprint"] == fingerprint(ROTATED)


def test_a_lost_delete_response_is_a_delete(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    secret_id = seed_secret(server)
    server.set_faults(drop_after_apply=["secret_delete"])
    deleted, run = converge(server, dict(name="hf_token", state="absent"))
    assert deleted["changed"] and run.actions == ["delete secret 'hf_token' (%s)" % secret_id] and stored(server) == []
    applied = [m for m in mutations(server) if m["applied"]]
    assert [m["mutation_kind"] for m in applied] == ["secret_delete"]


def test_a_create_refused_because_another_run_made_the_name_converges_that_secret(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    original = model.Secrets.find
    other_runs = ["cotherrun000000000000000001", "cotherrun000000000000000002"]

    def find_then_race(self, name):
        found = original(self, name)
        if found is None:  # another run creates the name between this run's read and its create
            seed_secret(server, other_runs.pop(0), name=name, value="other-run-value-2e4c")
        return found

    monkeypatch.setattr(model.Secrets, "find", find_then_race)
    result, run = converge(server, SECRET)
    assert result["changed"] and [s["id"] for s in server.state()["secrets"]] == ["cotherrun000000000000000001"]
    assert run.actions == ["update secret 'hf_token' (cotherrun000000000000000001): description"]
    assert run.warnings == ["Secret 'hf_token' was created by someone else meanwhile; this run converges it", NOT_COMPARED % "cotherrun000000000000000001"]
    assert stored(server)[0]["valueFingerprint"] == fingerprint("other-run-value-2e4c")  # on_create: its value is kept
    rotated, run = converge(server, dict(SECRET, name="other", update_value="always"))
    assert rotated["changed"] and run.actions == ["update secret 'other' (cotherrun000000000000000002): description, value"]
    assert stored(server, "other")[0]["valueFingerprint"] == fingerprint(VALUE) and stored(server, "other")[0]["valueUpdates"] == 1
    assert run.warnings == ["Secret 'other' was created by someone else meanwhile; this run converges it"]
    # each create was refused (the name taken), then the other run's secret updated
    assert kinds(server) == ["secret_create", "secret_description_update", "secret_create", "secret_description_update", "secret_value_update"]


def test_a_secret_deleted_since_the_read_is_gone(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    secret_id = seed_secret(server, name="HF_Token")
    original = model.Secrets.find

    def find_then_delete(self, name):
        found = original(self, name)
        server.call("mutation($id: ID!) { secretDelete(id: $id) }", {"id": secret_id})
        return found

    monkeypatch.setattr(model.Secrets, "find", find_then_delete)
    result, _run = fails(server, dict(name="HF_Token", description="new"))
    assert result["failure"]["kind"] == "gone" and result["msg"] == "Secret 'HF_Token' (%s) is gone: it was deleted since this run read it" % secret_id


# --- delete -------------------------------------------------------------------------------


def seed_users(server, template_value, endpoint_value):
    server.seed(
        templates=[
            dict(id="reftpl0001", name="llm-worker", imageName="reg.example/llm:1", containerDiskInGb=5, env=[{"key": "HF_TOKEN", "value": template_value}])
        ],
        endpoints=[
            dict(
                id="refendpoint001",
                name="llm-inference",
                templateId="reftpl0001",
                gpuIds="AMPERE_16",
                workersMax=0,
                env=[{"key": "TOKEN", "value": endpoint_value}],
            )
        ],
    )


def test_delete_is_refused_while_an_environment_refers_to_it_in_either_spelling(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    secret_id = seed_secret(server)
    seed_users(server, "{{ TENSORONE_SECRET_hf_token }}", "Bearer {{RUNPOD_SECRET_hf_token}}")
    expected = (
        "Secret 'hf_token' (%s) is used by template 'llm-worker' (reftpl0001), endpoint 'llm-inference' (refendpoint001): "
        "nothing was deleted. Remove the references to it from their environment variables first" % secret_id
    )
    for check_mode in (True, False):
        result, run = fails(server, dict(name="hf_token", state="absent"), check_mode=check_mode)
        assert result["failure"]["kind"] == "in_use" and result["msg"] == expected and not result["changed"]
        assert result["api_calls"]["requests"] == 2 and mutations(server) == []
        # the environment values read are masked in every message at once
        assert "{{ TENSORONE_SECRET_hf_token }}" in run.secrets and "Bearer {{RUNPOD_SECRET_hf_token}}" in run.secrets
    # another secret's reference, or a name that only starts the same, is no reference
    seed_users(server, "{{ TENSORONE_SECRET_hf_token_old }}", "{{ RUNPOD_SECRET_other }}")
    deleted, run = converge(server, dict(name="hf_token", state="absent"))
    assert deleted["changed"] and kinds(server) == ["secret_delete"] and stored(server) == []
    again, run = converge(server, dict(name="hf_token", state="absent"))
    assert not again["changed"] and run.client.requests_sent == 1


def test_delete_at_the_endpoint_list_cap_is_refused(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.configure(list_cap=2)
    monkeypatch.setattr(model, "LIST_CAP", 2)
    secret_id = seed_secret(server)
    server.seed(endpoints=[dict(id="capendpoint%03d" % i, name="e%d" % i, templateId="t", gpuIds="AMPERE_16", workersMax=0) for i in range(3)])
    for check_mode in (True, False):
        result, _run = fails(server, dict(name="hf_token", state="absent"), check_mode=check_mode)
        assert result["failure"]["kind"] == "list_incomplete"
        assert result["msg"] == (
            "Secret 'hf_token' (%s) was not deleted: the account's list of endpoints came back with 2 endpoints, the most the API "
            "lists, so an endpoint beyond them may refer to the secret in its environment. Check those endpoints by hand" % secret_id
        )
    assert mutations(server) == [] and len(stored(server)) == 1


@pytest.mark.parametrize(
    "lacking, what",
    [
        (("podTemplates",), "no template read (myself.podTemplates)"),
        (("env",), "no environment (env) of endpoints or templates"),
        (("podTemplates", "env"), "no template read (myself.podTemplates) and no environment (env) of endpoints or templates"),
    ],
)
def test_delete_on_a_service_that_cannot_list_the_references_is_refused(emulator_factory, lacking, what):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    secret_id = seed_secret(server)
    for check_mode in (True, False):
        run = make_run(server, dict(name="hf_token", state="absent"), check_mode=check_mode)
        run.client.execute = _without_fields(run.client.execute, lacking)
        result = outcome_of(run, model.converge_secret)
        assert result["failure"]["kind"] == "unsupported"
        assert result["msg"] == (
            "Secret 'hf_token' (%s) was not deleted: the service has %s, so whether an environment refers to the secret cannot be checked" % (secret_id, what)
        )
    assert mutations(server) == [] and len(stored(server)) == 1


def _without_fields(execute, fields):
    """A client that answers like a service without ``fields`` in the reference read: graphql-core's validation errors."""

    def wrapped(document, variables=None, **options):
        if "TensorOneSecretReferences" in document:
            messages = ["Cannot query field '%s' on type '%s'." % (f, "User" if f == "podTemplates" else "Endpoint") for f in fields]
            raise APIError("The API answered HTTP 400: " + "; ".join(messages), "graphql", details=messages, status=400)
        return execute(document, variables, **options)

    return wrapped


def test_a_no_op_reads_no_references(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    seed_secret(server)
    for params in (dict(name="hf_token"), dict(name="absent-one", state="absent")):
        result, run = converge(server, params)
        assert not result["changed"] and run.client.requests_sent == 1
    assert [r["operation_name"] for r in server.log()["requests"]] == ["TensorOneSecrets", "TensorOneSecrets"]


# --- the documented service, option checks, values in no output ---------------------------------


def test_the_documented_service_does_not_support_secrets(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    message = "Secrets cannot be managed on this service: the service does not support secrets (its API has no myself.secrets field)"
    for params in (SECRET, dict(name="hf_token", state="absent")):
        result, _run = fails(server, params)
        assert result["failure"]["kind"] == "unsupported" and result["msg"] == message and result["api_calls"]["requests"] == 1
    info = outcome_of(Run(Client(server.graphql_url, server.api_key, timeout=5, retries=0), dict(id=None, name=None)), model.read_secrets)
    assert info["failure"]["kind"] == "unsupported" and info["msg"] == message
    assert mutations(server) == []


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(name=""), "name must not be empty"),
        (dict(name="  "), "name must not be empty"),
        (dict(name=" hf_token"), "name ' hf_token' starts or ends with white space: an environment value could not refer to the secret reliably"),
        (dict(name="hf_token", value=""), "value must not be empty"),
        (dict(name="hf_token", value=" \n"), "value must not be empty"),
        (dict(name="hf_token", update_value="always"), "value is required with update_value=always (it is sent on every run)"),
    ],
)
def test_bad_options_are_refused_before_any_request(params, message):
    full = dict(dict((option, None) for option in model.secret_argument_spec()), state="present", update_value="on_create")
    assert model.validate_secret(dict(full, **params)) == [message]


def test_what_is_left_out_with_state_absent_is_not_required():
    params = dict(name="hf_token", value=None, description=None, update_value="always", state="absent")
    assert model.validate_secret(params) == []


def test_warnings_for_a_name_a_reference_may_not_match_and_a_short_value(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    _result, run = converge(server, dict(name="hf.token", value="short"))
    assert run.warnings == [
        "The secret's name 'hf.token' has characters other than letters, digits, _ and -: a reference {{ TENSORONE_SECRET_<name> }} "
        "in an environment value may not match it",
        "value is shorter than 8 characters: Ansible masks every occurrence of a no_log value in the task's output, so a value this short garbles it",
    ]
    _result, run = converge(server, dict(name="hf-token_2", value=VALUE))
    assert run.warnings == []


def test_info_filters_blank_refused():
    assert model.validate_info(dict(id=" ", name="")) == ["id must not be empty", "name must not be empty"]
    assert model.validate_info(dict(id=None, name="hf_token")) == []


def test_info_lists_the_secrets_without_values_in_one_request(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    first, _run = converge(server, SECRET)
    converge(server, dict(name="other", value=ROTATED))
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=0)
    everything = model.read_secrets(Run(client, dict(id=None, name=None)))["secrets"]
    assert [s["name"] for s in everything] == ["hf_token", "other"] and everything[0] == first["secret"]
    assert model.read_secrets(Run(client, dict(id=None, name="other")))["secrets"] == [everything[1]]
    assert model.read_secrets(Run(client, dict(id=first["secret"]["id"], name="other")))["secrets"] == []
    assert client.requests_sent == 3 and VALUE not in json.dumps(everything)


def test_the_value_is_scrubbed_from_errors_that_echo_the_input(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    original = model.full_input
    # An input the service refuses, echoing it (graphql-core quotes it in its message).
    monkeypatch.setattr(model, "full_input", lambda *args, **kwargs: dict(original(*args, **kwargs), bogusField=VALUE))
    result, run = fails(server, SECRET)
    assert VALUE not in json.dumps(result) and MASK in result["msg"] and result["failure"]["kind"] == "graphql"
    assert VALUE in run.secrets and stored(server) == []


def test_a_failed_value_update_after_the_description_reports_the_description(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, _run = converge(server, SECRET)

    def refuse(self, secret, value):
        raise APIError("The API returned an error: refused", "graphql", details=["refused"], status=200)

    monkeypatch.setattr(model.Secrets, "send_value", refuse)
    result, _run = fails(server, dict(SECRET, description="new", update_value="always"))
    assert result["changed"] and result["actions"] == ["update secret 'hf_token' (%s): description" % created["secret"]["id"]]
    assert stored(server)[0]["description"] == "new"
