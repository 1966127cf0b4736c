# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What a template refers to: its registry credential by name, and the secrets
# its environment values name, both read in the template's one request.

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils import _template as model
from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import ModelError
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run
from ansible_collections.tensorone.cloud.tests.emulator.pytest_plugin import emulator_factory  # noqa: F401 pylint: disable=unused-import
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.test_template_apply import converge, mutations, stored

CREDENTIAL_ID = "clzdaifot0001l90809257ynb"
TEMPLATE = dict(name="llm-worker", image_name="reg.example/private/llm:1.0.0", container_disk_in_gb=20)
REFERRING = "postgres://app:{{ TENSORONE_SECRET_db_password }}@db.internal/app"


def seeded(emulator_factory, credentials=(), secrets=()):  # pylint: disable=redefined-outer-name
    server = emulator_factory()
    server.seed(registryAuths=list(credentials), secrets=list(secrets))
    return server


def credential(name="ghcr-team", credential_id=CREDENTIAL_ID):
    return dict(id=credential_id, name=name, username="robot$team", password="ghp-9f8e7d6c5b4a")


def test_a_template_names_its_credential_resolved_in_the_same_read(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory, [credential(), credential("other", "cotherid0000000000000000000")])
    created, run = converge(server, dict(TEMPLATE, container_registry_auth="ghcr-team"))
    assert created["changed"] and run.client.requests_sent == 2  # one read (templates and credentials), one save
    assert stored(server)[0]["containerRegistryAuthId"] == CREDENTIAL_ID == created["template"]["container_registry_auth_id"]
    again, run = converge(server, dict(TEMPLATE, container_registry_auth="ghcr-team"))
    assert not again["changed"] and run.client.requests_sent == 1
    moved, run = converge(server, dict(TEMPLATE, container_registry_auth="other"))
    assert moved["changed"] and stored(server)[0]["containerRegistryAuthId"] == "cotherid0000000000000000000"


def test_an_unknown_credential_name_fails_before_any_change_listing_the_account_s(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory, [credential()])
    with pytest.raises(
        ModelError, match=r"No registry credential named 'ghcr-tema' exists \(container_registry_auth\); the account's registry credentials: 'ghcr-team'"
    ) as refusal:
        converge(server, dict(TEMPLATE, container_registry_auth="ghcr-tema"))
    assert refusal.value.kind == "not_found" and mutations(server) == [] and stored(server) == []


def test_check_mode_predicts_a_credential_the_same_play_creates_first(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    planned, run = converge(server, dict(TEMPLATE, container_registry_auth="ghcr-team"), check_mode=True)
    assert planned["changed"] and planned["template"]["container_registry_auth_id"] is None
    assert any("No registry credential named 'ghcr-team' exists yet" in w for w in run.warnings) and mutations(server) == []


def test_a_value_that_refers_to_a_missing_secret_fails_before_any_change_naming_variable_and_secret(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory, secrets=[dict(name="hf_token", value="hf-abcdef123456")])
    task = dict(TEMPLATE, env={"HF_TOKEN": "{{ RUNPOD_SECRET_hf_token }}"}, secret_env={"DATABASE_URL": REFERRING})
    with pytest.raises(ModelError) as refusal:
        converge(server, task)
    message = refusal.value.message
    assert refusal.value.kind == "not_found" and mutations(server) == [] and stored(server) == []
    assert "DATABASE_URL refers to a secret the account does not have: 'db_password'" in message and "postgres" not in message
    planned, run = converge(server, task, check_mode=True)
    assert planned["changed"] and any("'db_password'" in w for w in run.warnings) and mutations(server) == []
    server.seed(secrets=[dict(name="db_password", value="pw-0123456789")])
    created, run = converge(server, task)
    assert created["changed"] and run.client.requests_sent == 2 and len(stored(server)) == 1
    again, run = converge(server, task)
    assert not again["changed"] and run.client.requests_sent == 1  # the secrets come with the template's one read


def test_a_delete_checks_no_reference(emulator_factory):  # pylint: disable=redefined-outer-name
    server = seeded(emulator_factory)
    server.seed(templates=[dict(id="tpl0000001", name="llm-worker", imageName="x", containerDiskInGb=5, env=[{"key": "A", "value": REFERRING}])])
    deleted, _run = converge(server, dict(name="llm-worker", state="absent", env={"A": REFERRING}, container_registry_auth="gone"))
    assert deleted["changed"] and stored(server) == []


def test_the_documented_service_has_no_credentials_to_name(emulator_factory):  # pylint: disable=redefined-outer-name
    server = emulator_factory(profile="documented")
    with pytest.raises(ModelError) as refusal:
        converge(server, dict(TEMPLATE, container_registry_auth="ghcr-team"))
    assert refusal.value.kind == "unsupported" and mutations(server) == []


class NoSecretsClient:
    """A service with templates but no myself.secrets: answers as graphql-core does, then the read without them."""

    def __init__(self):
        self.documents = []

    def execute(self, document, variables=None, **_options):
        self.documents.append(document)
        if "secrets {" in document:
            raise APIError("Cannot query field 'secrets' on type 'User'.", "graphql", details=["Cannot query field 'secrets' on type 'User'."])
        return {"myself": {"podTemplates": [], "endpoints": []}}


def test_a_service_without_secrets_warns_that_the_references_could_not_be_checked():
    client = NoSecretsClient()
    params = dict((option, None) for option in model.template_argument_spec())
    params.update(TEMPLATE, state="present", wait_timeout=180, env={"HF_TOKEN": "{{ TENSORONE_SECRET_hf_token }}"})
    run = Run(client, params, check_mode=True)
    planned = model.converge_template(run)
    assert planned["changed"] and len(client.documents) == 2 and "secrets {" not in client.documents[1]
    assert any("could not check that the secrets the environment refers to exist (hf_token)" in w for w in run.warnings)
