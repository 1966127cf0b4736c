# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Lost responses followed by more failures, request by request: the modules'
# own path (inprocess.Module) against the in-process emulator, each request
# meeting the fault a script gives it.

import pytest

from ansible_collections.tensorone.cloud.plugins.module_utils._api import APIError
from ansible_collections.tensorone.cloud.plugins.modules import tensorone_endpoint, tensorone_template
from ansible_collections.tensorone.cloud.tests.emulator.service import Emulator
from ansible_collections.tensorone.cloud.tests.unit.plugins.module_utils.inprocess import API_URL, Module, VirtualClock

KEY = "lost-responses-key-61c2a9"
SERVER_ERROR = dict(rate_5xx=1.0, statuses_5xx=[500])


class Scripted:
    """An emulator, and the fault settings each request of the next run meets (by its number)."""

    def __init__(self):
        self.clock = VirtualClock()
        self.emulator = Emulator(api_keys=[KEY], clock=self.clock.now, sleep=self.clock.sleep)
        self.script = {}
        self.sent = 0

    def before_send(self):
        self.sent += 1
        self.emulator.set_faults(**self.script.get(self.sent, {}))

    def run(self, module, args, script=None):
        """(result, error) of one module run; ``script``: {request number: fault settings}."""
        self.script, self.sent = script or {}, 0
        module = Module(module)
        params, errors = module.validate(dict(args, api_url=API_URL, api_key=KEY))
        assert errors == []
        result, error, _run, _adapter = module.run(params, self.emulator, self.clock, before_send=self.before_send)
        self.emulator.set_faults()
        return result, error


TEMPLATE = dict(name="worker", image_name="reg.example/worker:1.0", container_disk_in_gb=10)
ENDPOINT = dict(name="ep-lost", template_id="tpl", gpu_ids=["AMPERE_48"], workers_max=1)


@pytest.mark.parametrize(
    "module, args, kind",
    [
        (tensorone_template, TEMPLATE, "template_create"),
        (tensorone_endpoint, ENDPOINT, "create"),
    ],
)
def test_a_lost_create_whose_lookup_fails_fails_the_run_and_the_next_run_finds_it(module, args, kind):
    """Request 2, the create, is applied and its response lost; request 3, the lookup by name, gets an
    HTTP 500. The run cannot know whether it created anything: it fails with the 500, and does not
    take its own create for someone else's. The next run finds the resource and changes nothing."""
    server = Scripted()
    result, error = server.run(module, args, {2: dict(drop_after_apply=[kind]), 3: SERVER_ERROR})
    assert isinstance(error, APIError) and result["failed"] and not result["changed"], (result, error)
    assert error.kind == "http" and error.status == 500 and "The API answered HTTP 500" in error.message
    assert result["failure"]["kind"] == "http" and result["failure"]["status"] == 500  # as the runner shapes it
    stored = server.emulator.state()["templates" if module is tensorone_template else "endpoints"]
    assert [item["name"] for item in stored] == [args["name"]]
    server.emulator.clear_log()
    result, error = server.run(module, args)
    assert error is None and not result["changed"]
    assert server.emulator.log()["counters"] == dict(server.emulator.log()["counters"], requests=1, mutations=0)
