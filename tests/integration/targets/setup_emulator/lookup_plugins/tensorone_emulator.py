# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Test helper of the setup_emulator role (not part of the collection): steers and
# reads the emulator from the controller, at no module run's cost.
#   lookup('tensorone_emulator', PATH)             GET <emulator_url>/_emulator/PATH, parsed
#   lookup('tensorone_emulator', PATH, body=DATA)  POST DATA as JSON (reset and log/clear are always POSTs)
# The base URL is emulator_url (set by setup_emulator), else tensorone_emulator_url.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase


def _control_module():
    """tests/emulator/control.py of the collection, by its path from the first ancestor that has it.

    ansible-test runs the target from a copy inside the collection (tests/output/.tmp/integration/).
    Not imported as ...tests.emulator.control: the package's __init__ needs graphql-core, the controller lacks it.
    """
    directory = os.path.dirname(os.path.abspath(__file__))
    while not os.path.isfile(os.path.join(directory, "tests", "emulator", "control.py")):
        if os.path.dirname(directory) == directory:
            raise AnsibleError("tensorone_emulator: no tests/emulator/control.py above %s" % __file__)
        directory = os.path.dirname(directory)
    spec = importlib.util.spec_from_file_location("tensorone_emulator_control", os.path.join(directory, "tests", "emulator", "control.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _plain(value):
    """A copy of plain dicts, lists and scalars (templated values may be lazy or tagged subclasses)."""
    if isinstance(value, Mapping):
        return dict((str(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float):
        if isinstance(value, kind):
            return kind(value)
    return str(value)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        base = (variables or {}).get("emulator_url") or (variables or {}).get("tensorone_emulator_url")
        if not base:
            raise AnsibleError("tensorone_emulator: neither emulator_url nor tensorone_emulator_url is set")
        base = self._templar.template(base) if self._templar is not None else base
        control = _control_module()
        body = kwargs.get("body")
        try:
            return [control.Control(base).call(str(term), None if body is None else _plain(body)) for term in terms]
        except control.ControlError as error:
            raise AnsibleError("tensorone_emulator: %s" % error)
