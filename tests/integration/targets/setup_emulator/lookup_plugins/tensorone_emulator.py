# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Test helper of the setup_emulator role (not part of the collection): calls
# the emulator's control paths from the controller, so reading or steering the
# emulator costs no module run (an ansible.builtin.uri task costs one).

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: tensorone_emulator
short_description: Call a control path of the Tensor One API emulator (integration tests only)
description:
  - C(lookup('tensorone_emulator', PATH)) sends GET C(<emulator_url>/_emulator/PATH) and returns the parsed JSON.
  - With O(body), or for the paths V(reset) and V(log/clear), it sends a POST with a JSON body instead.
  - The base URL is the variable C(emulator_url) (set by the setup_emulator role), else C(tensorone_emulator_url).
options:
  _terms:
    description: Control path(s) below C(/_emulator/), for example V(state), V(log), V(faults), V(config), V(seed).
    required: true
  body:
    description: JSON body to POST.
    type: raw
"""

import importlib.util
import os

from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase


def _control_module():
    """The collection's tests/emulator/control.py, loaded by its path from the first ancestor that has it.

    ansible-test runs the target from a copy inside the collection (tests/output/.tmp/integration/).
    Not imported as ...tests.emulator.control: the package's __init__ needs graphql-core, the controller lacks it.
    """
    directory = os.path.dirname(os.path.abspath(__file__))
    while True:
        path = os.path.join(directory, "tests", "emulator", "control.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("tensorone_emulator_control", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        if os.path.dirname(directory) == directory:
            raise AnsibleError("tensorone_emulator: no tests/emulator/control.py above %s" % __file__)
        directory = os.path.dirname(directory)


def _plain(value):
    """A copy of plain dicts, lists and scalars (templated values may be lazy or tagged subclasses)."""
    if isinstance(value, Mapping):
        return dict((str(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        base = variables.get("emulator_url") or variables.get("tensorone_emulator_url")
        if not base:
            raise AnsibleError("tensorone_emulator: neither emulator_url nor tensorone_emulator_url is set")
        base = self._templar.template(base) if self._templar is not None else base
        control = _control_module()
        body = kwargs.get("body")
        try:
            client = control.Control(base)
            return [client.call(str(term), None if body is None else _plain(body)) for term in terms]
        except control.ControlError as error:
            raise AnsibleError("tensorone_emulator: %s" % error)
