# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The registry credential model against the in-process emulator: create,
# adopt, rotation with update_password=always (exactly one update, no "did
# not apply"), check and diff mode, lost responses, a create that meets
# another run's credential, the delete refused while a template names the
# credential or when the templates cannot be read, the documented service,
# the info module, the option checks, and the username and password in no
# output or message.

import json

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _registry_auth as model
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import CHANGED_MASK, MASK, Field, ModelError
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import outcome_of
from ansible_collections.tensorone.cloud.plugins.modules import tensorone_registry_auth, tensorone_registry_auth_info
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator_factory  # noqa: F401 pylint: disable=unused-import
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.runs import module_run
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.test_module_secrets import module_args

USERNAME = "robot$team-puller-5c1e"
PASSWORD = "pw-live-9d2f71b4e0a6"
ROTATED = "pw-rotated-3e8a05c7d1f9"
CREDENTIAL = dict(name="team-registry", username=USERNAME, password=PASSWORD)


def make_run(server, params, check_mode=False, diff=False, retries=2):
    return module_run(server, model.registry_auth_argument_spec(), params, check_mode, diff, retries)


def converge(server, params, check_mode=False, diff=False):
    run = make_run(server, params, check_mode=check_mode, diff=diff)
    return model.converge_registry_auth(run), run


def stored(server):
    return [c for c in server.state()["registryAuths"] if c]


def mutations(server, kind=None):
    return [r for r in server.log()["requests"] if r["operation_type"] == "mutation" and (kind is None or r["mutation_kind"] == kind)]


def template_on(server, auth_id, template_id="privtpl001", name="private-worker"):
    server.seed_templates([dict(id=template_id, name=name, imageName="reg.example/private:1", containerDiskInGb=5, containerRegistryAuthId=auth_id)])


def test_create_then_a_rerun_sends_nothing_and_warns_that_nothing_was_compared(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, run = converge(server, CREDENTIAL)
    auth_id = created["registry_auth"]["id"]
    assert created == dict(changed=True, registry_auth=dict(id=auth_id, name="team-registry", template_ids=[]))
    assert run.actions == ["create registry credential 'team-registry'"] and run.client.requests_sent == 2 and run.warnings == []
    assert [(c["id"], c["name"], c["rotations"]) for c in stored(server)] == [(auth_id, "team-registry", 0)]
    sent = mutations(server)[0]["variables"]["input"]
    assert sent == dict(name="team-registry", username="<masked>", password="<masked>")
    again, run = converge(server, CREDENTIAL)
    assert not again["changed"] and run.client.requests_sent == 1 and len(mutations(server)) == 1
    assert run.warnings == [
        "Registry credential 'team-registry' (%s) exists: its username and password were not compared (the API never returns them) "
        "and not sent; set update_password: always to send them on every run" % auth_id
    ]
    adopted, run = converge(server, dict(name="team-registry"))
    assert not adopted["changed"] and adopted["registry_auth"]["id"] == auth_id and run.warnings == [] and run.client.requests_sent == 1


def test_a_rotation_is_exactly_one_update_on_every_run_without_a_did_not_apply_warning(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, _run = converge(server, CREDENTIAL)
    before = stored(server)[0]
    for count in (1, 2):
        rotated, run = converge(server, dict(CREDENTIAL, password=ROTATED, update_password="always"))
        auth_id = created["registry_auth"]["id"]
        assert rotated["changed"] and rotated["registry_auth"] == created["registry_auth"]
        assert run.actions == ["rotate registry credential 'team-registry' (%s): send username and password" % auth_id]
        assert run.warnings == [] and run.client.requests_sent == 2
        assert len(mutations(server, "registry_auth_update")) == count and stored(server)[0]["rotations"] == count
    after = stored(server)[0]
    assert after["id"] == before["id"] and after["usernameFingerprint"] == before["usernameFingerprint"]
    assert after["passwordFingerprint"] != before["passwordFingerprint"]
    assert mutations(server, "registry_auth_update")[0]["variables"]["input"] == dict(id=auth_id, username="<masked>", password="<masked>")


def test_a_create_with_always_sends_the_values_once(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, run = converge(server, dict(CREDENTIAL, update_password="always"), diff=True)
    assert created["changed"] and [m["mutation_kind"] for m in mutations(server)] == ["registry_auth_create"] and run.warnings == []
    assert created["diff"]["after"]["password"] == CHANGED_MASK


def test_check_mode_sends_no_mutation_and_predicts_the_same_decision(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    planned, run = converge(server, CREDENTIAL, check_mode=True, diff=True)
    assert planned["changed"] and planned["registry_auth"] == dict(id=None, name="team-registry", template_ids=[])
    assert run.actions == ["create registry credential 'team-registry'"] and stored(server) == []
    assert planned["diff"] == dict(before={}, after=dict(id=None, name="team-registry", template_ids=[], username=CHANGED_MASK, password=CHANGED_MASK))
    created, _run = converge(server, CREDENTIAL)
    auth_id = created["registry_auth"]["id"]
    rotation, run = converge(server, dict(CREDENTIAL, password=ROTATED, update_password="always"), check_mode=True, diff=True)
    assert rotation["changed"] and run.actions == ["rotate registry credential 'team-registry' (%s): send username and password" % auth_id]
    assert rotation["diff"]["before"] == dict(id=auth_id, name="team-registry", template_ids=[], username=MASK, password=MASK)
    assert rotation["diff"]["after"] == dict(id=auth_id, name="team-registry", template_ids=[], username=CHANGED_MASK, password=CHANGED_MASK)
    kept, _run = converge(server, CREDENTIAL, check_mode=True)
    assert not kept["changed"]
    removal, run = converge(server, dict(name="team-registry", state="absent"), check_mode=True, diff=True)
    assert removal["changed"] and removal["registry_auth"] is None and removal["diff"]["after"] == {}
    assert run.actions == ["delete registry credential 'team-registry' (%s)" % auth_id]
    assert len(mutations(server)) == 1 and stored(server)[0]["rotations"] == 0


def test_diff_of_a_create_an_adoption_and_a_delete(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    created, _run = converge(server, CREDENTIAL, diff=True)
    auth_id = created["registry_auth"]["id"]
    shown = dict(id=auth_id, name="team-registry", template_ids=[])
    assert created["diff"] == dict(before={}, after=dict(shown, username=CHANGED_MASK, password=CHANGED_MASK))
    again, _run = converge(server, CREDENTIAL, diff=True)
    assert again["diff"] == dict(before=dict(shown, username=MASK, password=MASK), after=dict(shown, username=MASK, password=MASK))
    deleted, run = converge(server, dict(name="team-registry", state="absent"), diff=True)
    assert deleted["changed"] and deleted["diff"] == dict(before=dict(shown, username=MASK, password=MASK), after={})
    assert stored(server) == [] and run.actions == ["delete registry credential 'team-registry' (%s)" % auth_id]
    absent, run = converge(server, dict(name="team-registry", state="absent"))
    assert not absent["changed"] and run.client.requests_sent == 1


def test_a_lost_create_response_makes_one_credential(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.set_faults(drop_after_apply=["registry_auth_create"])
    created, run = converge(server, CREDENTIAL)
    assert created["changed"] and created["registry_auth"]["id"] == stored(server)[0]["id"] and len(stored(server)) == 1
    assert [m["mutation_kind"] for m in mutations(server)] == ["registry_auth_create"] and run.warnings == []
    assert run.actions == ["create registry credential 'team-registry'"]


def test_a_lost_update_response_is_sent_again(emulator_factory):  # pylint: disable=redefined-outer-name
    """Sending the same username and password twice does no harm: the update is retried like a read."""
    server = emulator_factory()
    converge(server, CREDENTIAL)
    server.set_faults(drop_after_apply=["registry_auth_update"])
    rotated, run = converge(server, dict(CREDENTIAL, password=ROTATED, update_password="always"))
    assert rotated["changed"] and run.client.retries_done == 1 and run.warnings == []
    assert len(mutations(server, "registry_auth_update")) == 2 and stored(server)[0]["rotations"] == 2


def test_a_lost_delete_response_is_looked_up(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    converge(server, CREDENTIAL)
    server.set_faults(drop_after_apply=["registry_auth_delete"])
    deleted, run = converge(server, dict(name="team-registry", state="absent"))
    assert deleted["changed"] and stored(server) == [] and len(mutations(server, "registry_auth_delete")) == 1
    assert run.client.retries_done == 0


@pytest.mark.parametrize("update_password, kinds", [("on_create", ["registry_auth_create"]), ("always", ["registry_auth_create", "registry_auth_update"])])
def test_a_create_refused_as_another_run_made_it_converges_it(emulator_factory, monkeypatch, update_password, kinds):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    original = model.RegistryAuths.find
    calls = []

    def find_then_race(self, name):
        found = original(self, name)
        if not calls:
            calls.append(name)
            # Another run creates the name between this run's read and its create.
            server.seed(registryAuths=[dict(id="cotherrun0000000000000001", name=name, username="other", password="other-password")])
        return found

    monkeypatch.setattr(model.RegistryAuths, "find", find_then_race)
    result, run = converge(server, dict(CREDENTIAL, update_password=update_password), diff=True)
    assert [m["mutation_kind"] for m in mutations(server)] == kinds and [c["id"] for c in stored(server)] == ["cotherrun0000000000000001"]
    assert result["registry_auth"]["id"] == "cotherrun0000000000000001"
    assert run.warnings[0] == "Registry credential 'team-registry' was created by someone else meanwhile; this run converges it"
    if update_password == "on_create":
        assert not result["changed"] and run.actions == [] and stored(server)[0]["rotations"] == 0
        assert run.warnings[1].startswith("Registry credential 'team-registry' (cotherrun0000000000000001) exists: its username and password were not compared")
        assert result["diff"]["after"]["password"] == MASK
    else:
        assert result["changed"] and stored(server)[0]["rotations"] == 1 and len(run.warnings) == 1
        assert run.actions == ["rotate registry credential 'team-registry' (cotherrun0000000000000001): send username and password"]
        assert result["diff"]["after"]["password"] == CHANGED_MASK


def test_a_rotation_of_a_credential_deleted_meanwhile_fails_as_gone(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    auth_id = converge(server, CREDENTIAL)[0]["registry_auth"]["id"]
    original = model.RegistryAuths.find

    def find_then_delete(self, name):
        found = original(self, name)
        server.call('mutation { deleteRegistryAuth(registryAuthId: "%s") }' % auth_id)
        return found

    monkeypatch.setattr(model.RegistryAuths, "find", find_then_delete)
    run = make_run(server, dict(CREDENTIAL, update_password="always"))
    with pytest.raises(ModelError) as caught:
        model.converge_registry_auth(run)
    assert (
        caught.value.kind == "gone"
        and caught.value.message == "Registry credential 'team-registry' (%s) is gone: it was deleted since this run read it" % auth_id
    )


def test_a_delete_that_finds_the_credential_deleted_meanwhile_succeeds(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    auth_id = converge(server, CREDENTIAL)[0]["registry_auth"]["id"]
    original = model.RegistryAuths.find

    def find_then_delete(self, name):
        found = original(self, name)
        if found is not None:
            server.call('mutation { deleteRegistryAuth(registryAuthId: "%s") }' % auth_id)
        return found

    monkeypatch.setattr(model.RegistryAuths, "find", find_then_delete)
    deleted, run = converge(server, dict(name="team-registry", state="absent"))
    assert deleted["changed"] and stored(server) == [] and run.actions == ["delete registry credential 'team-registry' (%s)" % auth_id]
    assert len(mutations(server, "registry_auth_delete")) == 2  # another's, then this run's, refused as not found


def test_a_delete_is_refused_while_a_template_names_the_credential(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    auth_id = converge(server, CREDENTIAL)[0]["registry_auth"]["id"]
    template_on(server, auth_id)
    template_on(server, auth_id, "privtpl002", "other-worker")
    listed, _run = converge(server, dict(name="team-registry"))
    assert listed["registry_auth"]["template_ids"] == ["privtpl001", "privtpl002"]
    for check_mode in (True, False):
        with pytest.raises(ModelError) as caught:
            converge(server, dict(name="team-registry", state="absent"), check_mode=check_mode)
        assert caught.value.kind == "in_use"
        assert caught.value.message == (
            "Registry credential 'team-registry' (%s) is used by template 'private-worker' (privtpl001), template 'other-worker' (privtpl002): "
            "nothing was deleted. Point the templates at another credential (container_registry_auth) or delete the templates first: the "
            "service would delete the credential, silently drop the reference, and their workers would then fail to pull the image" % auth_id
        )
    assert len(stored(server)) == 1 and len(mutations(server)) == 1
    server.seed_templates([dict(id="privtpl001", containerRegistryAuthId=None), dict(id="privtpl002", containerRegistryAuthId=None)])
    deleted, _run = converge(server, dict(name="team-registry", state="absent"))
    assert deleted["changed"] and stored(server) == []


def test_the_documented_service_does_not_support_registry_credentials(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    for params in (CREDENTIAL, dict(name="team-registry", state="absent")):
        run = make_run(server, params)
        result = outcome_of(run, model.converge_registry_auth)
        assert result["failure"]["kind"] == "unsupported" and result["api_calls"]["requests"] == 1
        assert result["msg"] == "The service does not support registry credentials (its API has no myself.containerRegistryCreds field)"
    info = outcome_of(make_run(server, dict(id=None, name=None)), model.read_registry_auths)
    assert info["failure"]["kind"] == "unsupported"
    assert mutations(server) == []


def test_without_a_template_read_a_credential_is_managed_but_never_deleted_blind(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    # A service without the templates' read: the emulator's own validation error names a field it lacks.
    monkeypatch.setattr(model, "TEMPLATE_USES", Field(None, "podTemplatesLacking", read="podTemplatesLacking { id name containerRegistryAuthId }"))
    created, run = converge(server, CREDENTIAL)
    assert created["changed"] and created["registry_auth"]["template_ids"] is None
    assert run.warnings == [
        "template_ids is unknown (null): the service has no template read (its API has no myself.podTemplates { containerRegistryAuthId } field)"
    ]
    assert run.client.requests_sent == 3  # the read, refused naming the field; the read without it; the create
    for check_mode in (True, False):
        with pytest.raises(ModelError) as caught:
            converge(server, dict(name="team-registry", state="absent"), check_mode=check_mode)
        assert caught.value.kind == "unsupported" and caught.value.message.startswith(
            "Registry credential 'team-registry' (%s) was not deleted: the service has no template read" % created["registry_auth"]["id"]
        )
        assert "silently drop such a template's reference" in caught.value.message
    assert len(stored(server)) == 1 and len(mutations(server)) == 1


def test_nothing_shows_the_username_or_password(emulator_factory, monkeypatch):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    outputs = []
    for params, check_mode in (
        (CREDENTIAL, True),
        (CREDENTIAL, False),
        (CREDENTIAL, False),
        (dict(CREDENTIAL, password=ROTATED, update_password="always"), True),
        (dict(CREDENTIAL, password=ROTATED, update_password="always"), False),
    ):
        result, run = converge(server, params, check_mode=check_mode, diff=True)
        outputs.append([result, run.actions, run.warnings])
    text = json.dumps(outputs)
    assert USERNAME not in text and PASSWORD not in text and ROTATED not in text
    # An input the service refuses, echoing it (graphql-core quotes the values of an unknown field's input).
    original = model.full_input
    monkeypatch.setattr(model, "full_input", lambda *args, **kwargs: dict(original(*args, **kwargs), bogusField=[USERNAME, ROTATED]))
    run = make_run(server, dict(CREDENTIAL, password=ROTATED, update_password="always"))
    result = outcome_of(run, model.converge_registry_auth)
    assert result["failure"]["kind"] == "graphql" and "bogusField" in result["msg"]
    assert USERNAME not in json.dumps(result) and ROTATED not in json.dumps(result) and MASK in result["msg"]


def test_short_values_get_a_warning_naming_the_option(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    _result, run = converge(server, dict(name="ecr", username="AWS", password=PASSWORD))
    assert run.warnings == [
        "username is shorter than 8 characters: Ansible masks every occurrence of a no_log value in the task's output, so a value this short garbles it"
    ]


def test_info_lists_credentials_with_their_templates_and_filters(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    first = converge(server, CREDENTIAL)[0]["registry_auth"]["id"]
    second = converge(server, dict(CREDENTIAL, name="other-registry"))[0]["registry_auth"]["id"]
    template_on(server, second)
    server.seed(registryAuths=[None])  # a null item of the list
    run = make_run(server, dict(id=None, name=None))
    assert model.read_registry_auths(run) == dict(
        changed=False,
        registry_auths=[dict(id=first, name="team-registry", template_ids=[]), dict(id=second, name="other-registry", template_ids=["privtpl001"])],
    )
    assert run.client.requests_sent == 1
    assert [c["id"] for c in model.read_registry_auths(make_run(server, dict(id=second, name=None)))["registry_auths"]] == [second]
    assert [c["id"] for c in model.read_registry_auths(make_run(server, dict(id=None, name="team-registry")))["registry_auths"]] == [first]
    assert model.read_registry_auths(make_run(server, dict(id=first, name="other-registry")))["registry_auths"] == []


@pytest.mark.parametrize(
    "params, expected",
    [
        (dict(name=""), ["name must not be empty"]),
        (dict(name=None), ["name must not be empty"]),
        (dict(name=" team"), ["name must not start or end with white space (a padded name cannot be referenced reliably): ' team'"]),
        (dict(name="team\t"), ["name must not start or end with white space (a padded name cannot be referenced reliably): 'team\\t'"]),
        (dict(name="team", password=""), ["password must not be empty"]),
        (dict(name="team", username="  ", password=" "), ["username must not be empty", "password must not be empty"]),
        (
            dict(name="team", password=PASSWORD, update_password="always"),
            ["update_password=always sends the username and password on every run (the API's update takes both): set username"],
        ),
        (
            dict(name="team", update_password="always"),
            ["update_password=always sends the username and password on every run (the API's update takes both): set username and password"],
        ),
        (dict(name="team", update_password="always", state="absent"), []),
        (dict(name="team"), []),
        (dict(CREDENTIAL, update_password="always"), []),
    ],
)
def test_options_are_checked_before_any_request(params, expected):
    full = dict(state="present", update_password="on_create", username=None, password=None)
    full.update(params)
    assert model.validate_registry_auth(full) == expected


def test_info_refuses_blank_filters():
    assert model.validate_info(dict(id=" ", name="")) == ["id must not be empty", "name must not be empty"]


def test_a_create_without_the_values_fails_before_any_mutation(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    with pytest.raises(ModelError) as caught:
        converge(server, dict(name="team-registry", username=USERNAME))
    assert caught.value.kind == "create_needs" and caught.value.message == "Registry credential 'team-registry' does not exist; creating it needs password"
    assert mutations(server) == []


def test_the_argument_spec_marks_the_values_no_log_and_update_password_not():
    spec = model.registry_auth_argument_spec()
    assert spec["username"]["no_log"] is True and spec["password"]["no_log"] is True
    assert spec["update_password"] == dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False)
    assert spec["name"]["required"] is True and "no_log" not in spec["name"]


# --- the module as Ansible runs it ------------------------------------------------------------------------------------


def run_module_printed(capsys, module, args):
    """The module's printed result (text) and the result."""
    with module_args(args), pytest.raises(SystemExit):
        module.main()
    printed = capsys.readouterr().out
    return printed, json.loads(printed)


@pytest.mark.parametrize("option, value, got", [("password", 20240131, "a number"), ("username", True, "a boolean")])
def test_a_number_or_boolean_value_is_refused_before_any_request_without_showing_it(capsys, option, value, got):
    printed, result = run_module_printed(capsys, tensorone_registry_auth, dict(CREDENTIAL, **{option: value}))
    assert result["failed"] and result["failure"]["kind"] == "invalid_option" and result["api_calls"] == dict(requests=0, retries=0)
    assert result["msg"] == "%s must be a string, got %s: quote it as written" % (option, got)
    if not isinstance(value, bool):  # (Ansible's own invocation shows a boolean given to a no_log option: it masks text only)
        assert str(value) not in printed
    assert PASSWORD not in printed and USERNAME not in printed


def test_the_printed_result_shows_no_value(capsys, emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    args = dict(CREDENTIAL, api_key=server.api_key, api_url=server.graphql_url, update_password="always", _ansible_diff=True)
    printed, result = run_module_printed(capsys, tensorone_registry_auth, args)
    assert result["changed"] and result["diff"]["after"]["password"] == CHANGED_MASK and not result.get("warnings")
    assert PASSWORD not in printed and USERNAME not in printed
    printed, result = run_module_printed(capsys, tensorone_registry_auth_info, dict(api_key=server.api_key, api_url=server.graphql_url))
    assert [c["name"] for c in result["registry_auths"]] == ["team-registry"] and PASSWORD not in printed


def test_messages_keep_the_capitals_of_the_name(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    auth_id = converge(server, dict(CREDENTIAL, name="ECR-Prod"))[0]["registry_auth"]["id"]
    _result, run = converge(server, dict(CREDENTIAL, name="ECR-Prod"))
    assert run.warnings[0].startswith("Registry credential 'ECR-Prod' (%s) exists" % auth_id)
    template_on(server, auth_id)
    with pytest.raises(ModelError, match=r"^Registry credential 'ECR-Prod' \(%s\) is used by template 'private-worker'" % auth_id):
        converge(server, dict(name="ECR-Prod", state="absent"))
