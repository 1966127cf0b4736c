#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_endpoint_info
short_description: List Tensor One Serverless Endpoints
version_added: 1.0.0
description:
  - Lists the Serverless Endpoints of a Tensor One account, optionally only the one with an ID or name,
    and the account's serverless discount, in one API request.
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
      - Only the endpoint with this ID.
    type: str
  name:
    description:
      - Only endpoints with this name.
    type: str
seealso:
  - module: tensorone.cloud.tensorone_endpoint
"""

EXAMPLES = r"""
- name: List every endpoint of the account
  tensorone.cloud.tensorone_endpoint_info:
  register: all_endpoints

- name: Look one up by name
  tensorone.cloud.tensorone_endpoint_info:
    name: team-a-llm
  register: found

- name: Feed what was read back into the endpoint module (here, to copy its settings to a new endpoint)
  tensorone.cloud.tensorone_endpoint:
    name: team-a-llm-copy
    template_id: "{{ found.endpoints[0].template_id }}"
    gpu_ids: "{{ found.endpoints[0].gpu_ids }}"
    locations: "{{ found.endpoints[0].locations }}"
    workers_max: "{{ found.endpoints[0].workers_max }}"
  when: found.endpoints | length == 1
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
    - The endpoints found, each shaped like the C(endpoint) that M(tensorone.cloud.tensorone_endpoint) returns,
      with every field the service has.
    - Always a list; empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: ID of the endpoint.
      type: str
      sample: jpnw0v75y3qoql
    name:
      description: Name of the endpoint.
      type: str
      sample: llm-inference
    template_id:
      description: ID of the template.
      type: str
      sample: xkhgg72fuo
    gpu_ids:
      description: GPU pool IDs in priority order.
      type: list
      elements: str
      sample: [AMPERE_48, ADA_48_PRO]
    idle_timeout:
      description: Idle timeout in seconds.
      type: int
      sample: 5
    locations:
      description: Allowed locations; empty means anywhere.
      type: list
      elements: str
      sample: [US]
    network_volume_id:
      description: ID of the attached network volume, or V(null).
      type: str
      sample: null
    scaler_type:
      description: Scaler type.
      type: str
      sample: QUEUE_DELAY
    scaler_value:
      description: Scaler threshold.
      type: int
      sample: 4
    workers_min:
      description: Always-on workers.
      type: int
      sample: 0
    workers_max:
      description: Maximum workers.
      type: int
      sample: 3
    gpu_count:
      description: GPUs per worker.
      returned: when the service has the field and the task read it
      type: int
      sample: 1
    execution_timeout_ms:
      description: The most milliseconds one job may run; 0 means no limit.
      returned: when the service has the field and the task read it
      type: int
      sample: 600000
    flashboot:
      description: Whether FlashBoot is on.
      returned: when the service has the field and the task read it
      type: bool
      sample: false
    allowed_cuda_versions:
      description: Allowed CUDA versions, sorted; empty means any.
      returned: when the service has the field and the task read it
      type: list
      elements: str
      sample: ['12.4', '12.8']
    min_cuda_version:
      description: The lowest allowed CUDA version, or V(null).
      returned: when the service has the field and the task read it
      type: str
      sample: null
    endpoint_type:
      description: V(QB) or V(LB).
      returned: when the service has the field and the task read it
      type: str
      sample: QB
    network_volume_ids:
      description: IDs of the attached network volumes.
      returned: when the service has the field and the task read it
      type: list
      elements: str
      sample: []
    instance_ids:
      description: CPU instance IDs of a CPU endpoint; empty for a GPU endpoint.
      returned: when the service has the field and the task read it
      type: list
      elements: str
      sample: []
    workers:
      description: The endpoint's workers (the API's C(clusters)) as read.
      type: list
      elements: dict
      contains:
        id:
          description: ID of the worker.
          type: str
        desired_status:
          description: The worker's desired status, for example V(RUNNING).
          type: str
      sample: []
serverless_discount:
  description: The account's serverless discount, or V(null) when it has none.
  returned: always
  type: dict
  contains:
    discount_factor:
      description: The discount factor.
      type: float
    type:
      description: The kind of discount.
      type: str
    expiration_date:
      description: When the discount ends.
      type: str
  sample: null
failure:
  description: Structured details of an API failure, as M(tensorone.cloud.tensorone_endpoint) returns them.
  returned: failed, when the API or the way to it failed
  type: dict
  sample: {message: "Authentication failed (HTTP 401): check api_key (or the TENSORONE_API_KEY environment variable)",
           kind: auth, status: 401, attempts: 1, details: [Unauthorized]}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import read_endpoints, validate_info
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module


def main():
    run_module(dict(id=dict(type="str"), name=dict(type="str")), read_endpoints, check=validate_info)


if __name__ == "__main__":
    main()
