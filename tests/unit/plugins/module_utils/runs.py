# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# One module run against an emulator, for the unit tests: a Client and a Run as
# the runner makes them (retries without real sleeps), and the modules' own work
# functions on top.

from ansible_collections.tensorone.cloud.plugins.module_utils._api import Client
from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import converge_endpoint
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import Run, outcome_of


def run_for(server, params=None, check_mode=False, retries=2, diff=False):
    client = Client(server.graphql_url, server.api_key, timeout=5, retries=retries, sleep=lambda s: None)
    return Run(client, params, check_mode=check_mode, diff=diff, sleep=lambda s: None)


def converge_one(server, params, check_mode=False, wait_timeout=30):
    """What one tensorone_endpoint run does: (its Step, the Run, the module's result)."""
    run = run_for(server, dict(dict(state="present"), **dict(params, wait_timeout=wait_timeout)), check_mode)
    result = converge_endpoint(run)
    return run.outcomes[0], run, result


def module_run(server, spec, params, check_mode=False, diff=False, retries=2):
    """A Run of a module whose options are ``spec`` (without the API's), its options as Ansible fills them:
    ``params``, and the spec's default (or None) for every option they leave out."""
    full = dict((option, option_spec.get("default")) for option, option_spec in spec.items())
    full.update(params)
    return run_for(server, full, check_mode, retries, diff)


def failed_result(run, work):
    """The runner's shaped result (``outcome_of``) of a run of ``work`` that must fail."""
    result = outcome_of(run, work)
    assert result.get("failed"), result
    return result
