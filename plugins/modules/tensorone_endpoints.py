#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_endpoints
short_description: Converge a whole fleet of Tensor One Serverless Endpoints in one task
version_added: 1.0.0
description:
  - Makes many Tensor One Serverless Endpoints look the way a list describes, in one task.
  - Reads the account once, plans per endpoint a create, an update, a delete or nothing, and sends mutations only
    where needed. A converged fleet costs one API request.
  - Each item is handled exactly like M(tensorone.cloud.tensorone_endpoint) handles its options. Only the options an
    item sets are compared, and an update sends the full endpoint.
  - Deletes drain in parallel. Every endpoint to delete is scaled to 0 first, then all drains are waited for
    together within O(wait_timeout), so deleting many endpoints takes about one drain time.
  - With O(prune=true), every endpoint of the account that the list does not name is deleted too, optionally only
    those whose name starts with O(prune_prefix).
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description: Returns the plan (O(ignore:actions)) and the predicted endpoints, and sends no mutation.
    support: full
  diff_mode:
    description: Returns the managed fields before and after, one diff per changed endpoint.
    support: full
options:
  endpoints:
    description:
      - The endpoints, each with the options of M(tensorone.cloud.tensorone_endpoint).
      - Names must be unique in the list.
    type: list
    elements: dict
    required: true
    suboptions:
      state:
        description:
          - V(present) creates or updates the endpoint; V(absent) drains and deletes it.
        type: str
        choices: [present, absent]
        default: present
      id:
        description:
          - ID of an existing endpoint; selects it instead of O(endpoints[].name), and a different name renames it.
        type: str
      name:
        description:
          - Name of the endpoint, 3 to 191 characters, unique in the account.
        type: str
        required: true
      template_id:
        description:
          - ID of the template the workers run. Required to create an endpoint.
        type: str
      gpu_ids:
        description:
          - GPU pool IDs in priority order. Required to create an endpoint.
        type: list
        elements: str
      idle_timeout:
        description:
          - Seconds an idle worker is kept, 1 to 3600.
        type: int
      locations:
        description:
          - Region codes or data-centre IDs the workers may run in; an empty list means anywhere.
        type: list
        elements: str
      network_volume_id:
        description:
          - ID of a network volume to attach; an empty string means none.
        type: str
      scaler_type:
        description:
          - How the endpoint scales.
        type: str
        choices: [QUEUE_DELAY, REQUEST_COUNT]
      scaler_value:
        description:
          - The scaler's threshold, at least 1.
        type: int
      workers_min:
        description:
          - Always-on workers, 0 or more, at most the maximum.
        type: int
      workers_max:
        description:
          - Most workers the endpoint may run, 0 or more.
        type: int
  prune:
    description:
      - Also delete (with drain) every endpoint of the account that O(endpoints) does not name.
      - Limited to names starting with O(prune_prefix) when that is set.
    type: bool
    default: false
  prune_prefix:
    description:
      - With O(prune=true), only endpoints whose names start with this are deleted.
    type: str
  wait_timeout:
    description:
      - Seconds to wait, for all deletes together, for the workers to drain.
      - On timeout the task fails naming the endpoints and workers still running; a re-run continues from there.
    type: int
    default: 300
seealso:
  - module: tensorone.cloud.tensorone_endpoint
  - module: tensorone.cloud.tensorone_endpoint_info
"""

EXAMPLES = r"""
- name: Converge the fleet, removing undeclared endpoints named team-a-*
  tensorone.cloud.tensorone_endpoints:
    prune: true
    prune_prefix: team-a-
    endpoints:
      - name: team-a-llm
        template_id: xkhgg72fuo
        gpu_ids: [AMPERE_48, ADA_48_PRO]
        workers_max: 3
      - name: team-a-embeddings
        template_id: p1a2b3c4d5
        gpu_ids: [AMPERE_16]
        workers_min: 1
        workers_max: 2
      - name: team-a-old
        state: absent
  register: fleet

- name: Show the plan
  ansible.builtin.debug:
    var: fleet.actions
"""

RETURN = r"""
api_calls:
  description:
    - What the task cost in API requests, to keep an eye on rate limits.
  returned: always
  type: dict
  contains:
    requests:
      description: HTTP requests sent, retries included.
      type: int
    retries:
      description: Requests sent again after a transient failure (HTTP 429, 502, 503, 504, timeouts, dropped connections).
      type: int
  sample: {requests: 2, retries: 0}
endpoints:
  description:
    - The declared endpoints that exist after the task (predicted in check mode), in list order, each shaped like
      the C(endpoint) that M(tensorone.cloud.tensorone_endpoint) returns.
  returned: always
  type: list
  elements: dict
  sample: [{id: jpnw0v75y3qoql, name: team-a-llm, template_id: xkhgg72fuo, gpu_ids: [AMPERE_48, ADA_48_PRO],
            idle_timeout: 5, locations: [], network_volume_id: null, scaler_type: QUEUE_DELAY, scaler_value: 4,
            workers_min: 0, workers_max: 3, workers: []}]
actions:
  description: What the task did (or would do in check mode), one readable line per API change.
  returned: always
  type: list
  elements: str
  sample: ["create endpoint 'team-a-llm'", "scale endpoint 'team-a-old' (i02xupws21hp6i) to 0 workers",
           "delete endpoint 'team-a-old' (i02xupws21hp6i)"]
failure:
  description: Structured details of an API failure, as M(tensorone.cloud.tensorone_endpoint) returns them.
  returned: failed, when the API or the way to it failed
  type: dict
  sample: {message: "Rate limited by the API (HTTP 429); gave up after 6 attempts (api_retries=5)", kind: rate_limit,
           status: 429, attempts: 6, details: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tensorone.cloud.plugins.module_utils._api import (
    API_ARGUMENT_SPEC,
    APIError,
    client_from_module,
    api_calls,
    fail_with,
    require_requests,
    validate_api_params,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import (
    Endpoints,
    ModelError,
    diff_view,
    endpoint_argument_spec,
    plan_fleet,
    validate_fleet,
)


def main():
    item_spec = endpoint_argument_spec()
    item_spec["name"]["required"] = True
    argument_spec = dict(
        endpoints=dict(type="list", elements="dict", options=item_spec, required=True),
        prune=dict(type="bool", default=False),
        prune_prefix=dict(type="str"),
        wait_timeout=dict(type="int", default=300),
    )
    argument_spec.update(API_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    require_requests(module)
    errors = validate_api_params(module) + validate_fleet(module.params)
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = client_from_module(module)
    endpoints = Endpoints(client, check_mode=module.check_mode)
    error = None
    try:
        steps = plan_fleet(endpoints.list()[0], module.params)
        endpoints.apply(steps, module.params["wait_timeout"])
    except (APIError, ModelError) as exc:
        error = exc
    if error is not None:
        fail_with(module, client, error, changed=bool(endpoints.actions), actions=endpoints.actions)

    for warning in endpoints.warnings:
        module.warn(warning)
    changed_steps = [step for step in steps if step.changed]
    result = dict(changed=bool(changed_steps), actions=endpoints.actions, api_calls=api_calls(client),
                  endpoints=[step.after for step in steps if step.after])
    if module._diff:
        result["diff"] = [dict(before_header=(step.before or step.after)["name"], after_header=(step.after or step.before)["name"],
                               before=diff_view(step.before), after=diff_view(step.after)) for step in changed_steps]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
