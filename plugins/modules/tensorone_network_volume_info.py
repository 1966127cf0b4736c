#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_network_volume_info
short_description: List Tensor One network volumes and the endpoints that use them
version_added: 1.1.0
description:
  - Lists the network volumes of a Tensor One account, optionally only those with an ID, a name or a data centre, in
    one API request, with the endpoints that name each.
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; there is nothing to diff.
    support: N/A
options:
  id:
    description:
      - Only the volume with this ID.
    type: str
  name:
    description:
      - Only the volumes with this name (names are not unique).
    type: str
  data_center:
    description:
      - Only the volumes in the data centre with this ID, for example V(EU-RO-1).
    type: str
notes:
  - On a service whose API has no network volumes (the Tensor One page documents none), the task fails, saying so.
seealso:
  - module: tensorone.cloud.tensorone_network_volume
"""

EXAMPLES = r"""
- name: List every network volume of the account
  tensorone.cloud.tensorone_network_volume_info:
  register: all_volumes

- name: Look one up by name in its data centre
  tensorone.cloud.tensorone_network_volume_info:
    name: model-cache
    data_center: EU-RO-1
  register: found

- name: Show its size and how many endpoints use it
  ansible.builtin.debug:
    msg: "{{ found.network_volumes[0].id }} has {{ found.network_volumes[0].size }} GB and {{ found.network_volumes[0].endpoint_ids | length }} endpoint(s)"
  when: found.network_volumes | length == 1
"""

RETURN = r"""
# BEGIN GENERATED api_calls by tests/tools/generate_docs.py from plugins/modules/tensorone_endpoint.py: edit it there, not here
api_calls:
  description:
    - What the task cost in API requests, to keep an eye on rate limits.
  returned: always
  type: dict
  contains:
    requests:
      description:
        - HTTP requests the task sent, each attempt counted, retries included.
        - Also counted, as requests but not as retries, the read a module sends to find out whether a create or a
          template save whose response was lost was carried out, and a request sent again without the fields a
          service turned out to lack.
      type: int
    retries:
      description:
        - Requests sent again, after a wait, because of a transient failure (HTTP 429, 502, 503, 504, timeouts,
          dropped connections); a create or template save sent again after the read found it was not carried out
          counts too. RV(ignore:api_calls.requests) minus this is the number of distinct requests.
      type: int
# END GENERATED api_calls
  sample: {requests: 1, retries: 0}
network_volumes:
  description:
    - The volumes found, each shaped like RV(tensorone.cloud.tensorone_network_volume#module:network_volume) (whose
      documentation lists every key).
    - Always a list; empty when nothing matches.
  returned: always
  type: list
  elements: dict
  sample: [{id: 4k2m9x7qpz, name: model-cache, size: 100, data_center: EU-RO-1, endpoint_ids: [jpnw0v75y3qoql]}]
# BEGIN GENERATED failure by tests/tools/generate_docs.py from plugins/modules/tensorone_endpoint.py: edit it there, not here
failure:
  description:
    - Structured details of the failure, so that a playbook can branch on RV(failure.kind) instead of parsing the message.
    - Not returned when Ansible's own argument checks fail (a missing required option, a wrong type).
  returned: failed
  type: dict
  contains:
    message:
      description: What went wrong.
      type: str
    kind:
      description:
        - One of V(auth), V(graphql), V(http), V(connection), V(timeout), V(rate_limit).
        - V(auth) is the API refusing the key (HTTP 401, or a JSON HTTP 403) or an operation as unauthorized.
          V(graphql) is the API refusing the request or reporting an error in its GraphQL answer.
        - "V(http) is any other answer that is not a GraphQL result. That includes answers of the service's edge, its CDN,
          which are not JSON. HTTP 403 with a body that is not JSON, such as C(error code: 1010), means the edge refused
          the client before the API saw the request, often for its User-Agent: the message says so and names
          O(http_agent); the key is not the cause. An HTML page or an empty body says what came back (with the page's
          title when short) and the status; HTTP 502, 503 and 504 are retried first."
        - V(connection) and V(timeout) are failures to get an answer; V(rate_limit) is HTTP 429, after the retries or with a C(Retry-After) too long to wait.
        - The collection's own refusals have their kinds too. V(invalid_option) is an option it cannot use, alone or with
          the resource as read. V(create_needs), the resource does not exist and the task lacks what a create needs.
          V(not_found), an ID selects nothing, or a resource the task names (a template, a network volume) does not exist. V(ambiguous),
          several resources have the name, or two items select one resource. V(name_taken), a rename onto another
          resource's name. V(prune_guard), a prune that could empty the account by a slip, or more than O(tensorone.cloud.tensorone_endpoints#module:prune_max).
          V(list_incomplete), the API's list stops at its cap of 400 endpoints, so the account is not fully known.
          V(in_use), a delete refused while something uses the resource. V(unsupported), the service lacks a field or
          an operation the task needs. V(gone), the resource was deleted since the run read it. V(wait_timeout), a drain
          or a delete did not finish within O(tensorone.cloud.tensorone_endpoint#module:wait_timeout). V(bug), an unexpected error of the collection.
      type: str
      choices: [auth, graphql, http, connection, timeout, rate_limit, invalid_option, create_needs, not_found, ambiguous,
                name_taken, prune_guard, list_incomplete, in_use, unsupported, gone, wait_timeout, bug]
    status:
      description: HTTP status, if a response came (V(null) for the collection's own refusals).
      type: int
    attempts:
      description: How many times the request was sent (V(null) for the collection's own refusals).
      type: int
    details:
      description: The API's own error messages.
      type: list
      elements: str
# END GENERATED failure
  sample: {message: "The service does not support network volumes (its API has no myself.networkVolumes field)",
           kind: unsupported, status: null, attempts: null, details: []}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._network_volume import read_network_volumes, validate_info
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module


def main():
    run_module(dict(id=dict(type="str"), name=dict(type="str"), data_center=dict(type="str")), read_network_volumes, check=validate_info)


if __name__ == "__main__":
    main()
