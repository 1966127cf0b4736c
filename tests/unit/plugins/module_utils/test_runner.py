# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The runner's shaping of a module run's outcome: every failure, the collection's
# own refusals included, carries failure.kind from one closed list; a bug is a
# failure of kind bug, never a traceback; messages are masked.

import pytest
import yaml

from ansible_collections.tensorone.cloud.plugins.module_utils._api import API_FAILURE_KINDS, APIError, Client
from ansible_collections.tensorone.cloud.plugins.module_utils._resource import FAILURE_KINDS, ModelError
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run, outcome_of
from ansible_collections.tensorone.cloud.plugins.modules import tensorone_endpoint

KEY = "sk-runner-key-0123456789"


def make_run():
    return Run(Client("http://127.0.0.1:9/graphql", KEY, timeout=1, retries=0, sleep=lambda s: None), {})


def failing(error):
    def work(run):
        run.actions.append("create endpoint 'half-way'")
        raise error

    return work


def test_a_refusal_carries_its_kind_and_what_was_done():
    result = outcome_of(make_run(), failing(ModelError("prune refused: ...", "prune_guard")))
    assert result["failed"] and result["msg"] == "prune refused: ..." and result["changed"]
    assert result["failure"] == dict(message="prune refused: ...", kind="prune_guard", status=None, attempts=None, details=[])
    assert result["actions"] == ["create endpoint 'half-way'"] and result["api_calls"] == dict(requests=0, retries=0)


def test_an_api_failure_keeps_its_kind_and_is_masked():
    result = outcome_of(make_run(), failing(APIError("refused key %s" % KEY, "auth", details=["key %s" % KEY], status=401)))
    assert result["failure"]["kind"] == "auth" and result["failure"]["status"] == 401
    assert KEY not in repr(result) and result["msg"] == "refused key ********"


def test_a_bug_is_a_failure_of_kind_bug_without_a_traceback():
    def work(run):
        return {}["missing"]

    result = outcome_of(make_run(), work)
    assert result["failure"]["kind"] == "bug" and "KeyError" in result["msg"] and "Traceback" not in repr(result)


def test_a_success_carries_actions_and_api_calls():
    result = outcome_of(make_run(), lambda run: dict(changed=False))
    assert result == dict(changed=False, actions=[], api_calls=dict(requests=0, retries=0))


def test_a_kind_outside_the_closed_list_is_a_bug_of_the_collection():
    with pytest.raises(ValueError):
        raise ModelError("x", "some_new_kind")


def test_the_documented_kinds_are_the_transports_and_the_collections():
    returned = yaml.safe_load(tensorone_endpoint.RETURN)["failure"]["contains"]["kind"]
    assert returned["choices"] == list(API_FAILURE_KINDS) + list(FAILURE_KINDS)
    assert all("V(%s)" % kind in " ".join(returned["description"]) for kind in returned["choices"])
