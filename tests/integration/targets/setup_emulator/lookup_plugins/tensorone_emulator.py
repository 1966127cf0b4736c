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

# http.client, not ansible.module_utils.urls: every task runs in a fresh
# worker process, and importing the latter costs about 0.2 s each time.
import http.client
import json

from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

POST_WITHOUT_BODY = ("reset", "log/clear")


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
        parts = urlsplit(str(base))
        if parts.scheme != "http" or not parts.hostname:
            raise AnsibleError("tensorone_emulator: the emulator URL must be http://host:port, got %r" % str(base))
        prefix = parts.path.rstrip("/")
        results = []
        for term in terms:
            path = str(term).strip("/")
            body = kwargs.get("body")
            data = None
            method = "GET"
            if body is not None or path in POST_WITHOUT_BODY:
                method = "POST"
                data = json.dumps(_plain(body if body is not None else {})).encode("utf-8")
            connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
            try:
                connection.request(method, "%s/_emulator/%s" % (prefix, path), body=data,
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                raise AnsibleError("tensorone_emulator: %s /_emulator/%s failed: %s" % (method, path, exc))
            finally:
                connection.close()
            if response.status != 200:
                raise AnsibleError("tensorone_emulator: %s /_emulator/%s answered HTTP %d: %s"
                                   % (method, path, response.status, payload.decode("utf-8", "replace")))
            results.append(json.loads(payload.decode("utf-8")) if payload else None)
        return results
