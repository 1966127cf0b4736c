#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_network_volume
short_description: Create, grow, rename and delete Tensor One network volumes
version_added: 1.1.0
description:
  - Makes a Tensor One network volume, persistent storage in one data centre that the workers of an endpoint mount,
    look the way the task describes, through the Tensor One GraphQL API.
  - Names are not unique. The volume is found by O(id), or by O(name) within O(data_center). By O(name) alone, the one
    volume of the account with that name is adopted; when several have it, the task fails listing the ID and data
    centre of each.
  - The size only grows, and the data centre is fixed at creation. A smaller O(size), or another O(data_center) for
    the volume O(id) selects, fails before any change.
  - Endpoints attach volumes by ID or by name (M(tensorone.cloud.tensorone_endpoint)'s
    O(tensorone.cloud.tensorone_endpoint#module:network_volume) and
    O(tensorone.cloud.tensorone_endpoint#module:network_volumes)).
  - A re-run that changes nothing costs one API request. A create whose response is lost is never sent again blindly.
    The volume is looked up by name in its data centre first.
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description:
      - Reports what would change, with the predicted volume, and sends no mutation. It refuses what a run refuses,
        a delete while an endpoint uses the volume included.
    support: full
  diff_mode:
    description: Returns the volume before and after, for create, update and delete.
    support: full
options:
  state:
    description:
      - V(present) creates the volume, or grows or renames it to match the task.
      - V(absent) deletes it, with its data. While an endpoint names the volume (its
        O(tensorone.cloud.tensorone_endpoint#module:network_volume_id) or one of its
        O(tensorone.cloud.tensorone_endpoint#module:network_volume_ids)) the task fails, naming the endpoints, and
        deletes nothing. So does a task whose account lists the API's cap of 400 endpoints, since an endpoint beyond
        them may use the volume.
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - ID of an existing volume. When set, it selects the volume instead of O(name),
        and a different O(name) renames it.
      - An unknown ID fails with O(state=present); it never creates a volume.
      - With O(state=absent), a O(name) or a O(data_center)
        that is not the volume's own fails and deletes nothing.
      - One of O(id) and O(name) is required. An empty string is refused.
    type: str
  name:
    description:
      - Name of the volume. Names are not unique. A volume is found by O(id),
        or by O(name) within O(data_center),
        or by O(name) alone when one volume of the account has it.
      - Required to create a volume. An empty name is refused; leading or trailing white space is kept, as the API keeps
        it, with a warning.
    type: str
  size:
    description:
      - Size in GB, at least 10. The service sets the upper bound.
      - Required to create a volume. A size can grow, never shrink. A smaller size than the volume's fails before any
        change, saying the current size.
    type: int
  data_center:
    description:
      - ID of the data centre the volume is in, for example V(EU-RO-1). Required to create a volume; the data centre must
        support network volumes.
      - With O(name), it selects the volume of that name in that data centre. When none is there but volumes of that
        name are elsewhere, the task creates a new, empty volume there (data is not copied between data centres) and
        warns.
      - Fixed at creation. Another data centre for the volume O(id) selects fails before any change; a volume
        elsewhere is a new, empty volume, to create by name.
    type: str
notes:
  - On a service whose API has no network volumes (the Tensor One page documents none), the task fails before any
    change, saying so.
  - The update sends the name and the size, both, every time. Whether the service keeps one that is left out is not
    known.
seealso:
  - module: tensorone.cloud.tensorone_network_volume_info
  - module: tensorone.cloud.tensorone_endpoint
"""

EXAMPLES = r"""
# The examples run in this order as one sequence; the collection's tests run them against the local emulator.
- name: Create a 50 GB volume for model weights in EU-RO-1 (the key comes from TENSORONE_API_KEY)
  tensorone.cloud.tensorone_network_volume:
    name: model-cache
    size: 50
    data_center: EU-RO-1
  register: volume

- name: Grow it (a size only grows; a smaller one fails before any change)
  tensorone.cloud.tensorone_network_volume:
    name: model-cache
    data_center: EU-RO-1
    size: 100

- name: Rename it by its ID
  tensorone.cloud.tensorone_network_volume:
    id: "{{ volume.network_volume.id }}"
    name: llm-model-cache

- name: Attach it to an endpoint by name, looked for in the endpoint's locations
  tensorone.cloud.tensorone_endpoint:
    name: llm-inference
    template_id: xkhgg72fuo
    gpu_ids: [AMPERE_48]
    locations: [EU-RO-1]
    network_volume: llm-model-cache

- name: Retire the endpoint, then the volume
  block:
    - name: Delete the endpoint
      tensorone.cloud.tensorone_endpoint:
        name: llm-inference
        state: absent

    - name: Delete the volume and its data (refused while an endpoint uses it)
      tensorone.cloud.tensorone_network_volume:
        id: "{{ volume.network_volume.id }}"
        state: absent
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
  sample: {requests: 2, retries: 0}
network_volume:
  description:
    - The volume after the task, with keys named like the options.
    - In check mode, the predicted volume (C(id) is V(null) for one that would be created).
    - V(null) with O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: ID of the volume.
      type: str
      sample: 4k2m9x7qpz
    name:
      description: Name of the volume.
      type: str
      sample: model-cache
    size:
      description: Size in GB.
      type: int
      sample: 100
    data_center:
      description: ID of the data centre the volume is in.
      type: str
      sample: EU-RO-1
    endpoint_ids:
      description:
        - IDs of the endpoints that name the volume (by C(networkVolumeId) or in C(networkVolumeIds)), as read.
        - When the account lists the API's cap of 400 endpoints, endpoints beyond them are missing, with a warning.
      type: list
      elements: str
      sample: [jpnw0v75y3qoql]
actions:
  description: What the task did (or would do in check mode), one readable line per API change.
  returned: always
  type: list
  elements: str
  sample: ["update network volume 'model-cache' (4k2m9x7qpz): size"]
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
  sample: {message: "Network volume 'model-cache' (4k2m9x7qpz) has 100 GB: a network volume's size can grow, never shrink, so size 50 is refused",
           kind: invalid_option, status: null, attempts: null, details: []}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._network_volume import (
    converge_network_volume,
    network_volume_argument_spec,
    validate_network_volume,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module


def main():
    run_module(network_volume_argument_spec(), converge_network_volume, check=validate_network_volume, required_one_of=[("id", "name")])


if __name__ == "__main__":
    main()
