#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_endpoint
short_description: Create, update and delete Tensor One Serverless Endpoints
version_added: 1.0.0
description:
  - Makes a Tensor One Serverless Endpoint look the way the task describes, through the Tensor One GraphQL API.
  - Only the options the task sets are compared with the endpoint; a re-run with the same options changes nothing
    and sends no mutation.
  - The API replaces the whole endpoint on every update, so an update first reads every field the endpoint has (one
    request, right before the save) and sends them all back, the task's value where it sets one. Nothing the task
    does not mention is lost, settings made in the console or by other tools included (environment overrides,
    model references, network volumes, CUDA constraints, FlashBoot, ...). The one window left is a change made
    elsewhere between that read and the save. An environment variable the API lists without a value is sent back
    with an empty one (the API takes no variable without a value).
  - A converged endpoint costs one request. A service that lacks a field the collection reads (the documented
    service has fewer than the full API) is learned from its own validation error, and the field is left out for the
    rest of the run; an option the task sets that the service lacks fails, naming the option, before any change.
  - O(state=absent) scales the workers to 0, waits for them to drain and deletes the endpoint, as the API requires.
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description:
      - Reports what would change, with the predicted endpoint, and sends no mutation. A predicted create shows the
        values the create will store (the service's defaults for options the task does not set).
      - Check mode knows the collection's own checks, not every refusal of the API (for example the account's
        worker limit). C(changed) in check mode says what the task would try.
    support: full
  diff_mode:
    description: Returns the managed fields before and after, for create, update and delete.
    support: full
# tests/tools/generate_docs.py copies these options into the endpoints[] items of tensorone_endpoints and the endpoints role's endpoints_list (but
# state, id, name and wait_timeout); make docs-generated checks the copies.
options:
  state:
    description:
      - V(present) creates the endpoint or updates it to match the task.
      - V(absent) scales its workers to 0, waits for them to drain within O(wait_timeout), then deletes it.
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - ID of an existing endpoint. When set, it selects the endpoint instead of O(name), and a different
        O(name) renames it (a name another endpoint has is refused).
      - An unknown ID fails with O(state=present); it never creates another endpoint.
      - With O(state=absent), a O(name) that is not the endpoint's own fails and deletes nothing.
      - An empty string is refused (it is usually a lookup that found nothing).
    type: str
  name:
    description:
      - Name of the endpoint, 3 to 191 characters, unique in the account. A blank name is refused; leading or
        trailing white space is kept, as the API keeps it, with a warning.
      - Selects the endpoint when O(id) is not set. If two endpoints carry the name, the task fails and lists their IDs.
      - Required to create an endpoint. One of O(id) and O(name) is required (V(null) counts as not set).
    type: str
  template_id:
    description:
      - ID of the template the workers run. Required to create an endpoint, unless O(template) names it.
      - Mutually exclusive with O(template).
    type: str
  template:
    description:
      - Name of the template the workers run (see M(tensorone.cloud.tensorone_template)), in place of O(template_id).
      - It is resolved to the template's ID in the same request that reads the endpoints; a name no template has fails
        before any change.
      - Needs a service with a template read (C(myself.podTemplates)).
      - Compared exactly; leading or trailing white space gets a warning (the template's name must have it too).
    type: str
  gpu_ids:
    description:
      - GPU pool IDs in priority order, for example V(AMPERE_48) then V(ADA_48_PRO). A V(-<gpu type>) item excludes a model.
      - The order matters and is compared as given. Required to create a GPU endpoint. An empty list is refused (the
        collection cannot clear the pools; the API stores none only for a CPU endpoint, which keeps what it lists).
      - Mutually exclusive with O(instance_ids).
    type: list
    elements: str
  instance_ids:
    description:
      - CPU instance (flavour) IDs for a CPU endpoint, in place of O(gpu_ids). An empty list means none (a GPU endpoint,
        which needs O(gpu_ids)).
      - Compared in order. Needs a service that has the C(instanceIds) field.
    type: list
    elements: str
  idle_timeout:
    description:
      - Seconds an idle worker is kept before it scales down, 1 to 3600.
    type: int
  locations:
    description:
      - Region codes (V(US), V(CZ), V(FR), ...) or data-centre IDs (V(EU-RO-1), ...) the workers may run in.
      - An empty list means anywhere.
    type: list
    elements: str
  network_volume_id:
    description:
      - ID of a network volume to attach. An empty string means none.
      - Mutually exclusive with O(network_volume_ids), O(network_volume) and O(network_volumes).
    type: str
  network_volume:
    description:
      - Name of the network volume to attach (see M(tensorone.cloud.tensorone_network_volume)), in place of
        O(network_volume_id).
      - It is resolved to the volume's ID in the same request that reads the endpoints. Names are not unique, so the
        name is looked for within the data centres the endpoint may use, its O(locations) as the task sets them or as
        read (anywhere when it has none). A name no volume there has fails before any change, listing the account's
        volumes, and so does a name several volumes there have, listing their IDs and data centres. A region code
        (V(US)) in O(locations) does not narrow the search, since the API does not list the data centres it covers.
      - In check mode, a name no volume has yet gets a warning, and the prediction has O(network_volume_id=null) (the same
        play may create the volume first).
      - Needs a service with network volumes (C(myself.networkVolumes)).
      - Mutually exclusive with O(network_volume_id), O(network_volume_ids) and O(network_volumes).
    type: str
    version_added: 1.1.0
  network_volume_ids:
    description:
      - IDs of the network volumes to attach, one per data centre. Compared in order. An empty list detaches them all.
      - Needs a service that has the C(networkVolumeIds) field.
      - Mutually exclusive with O(network_volumes).
    type: list
    elements: str
  network_volumes:
    description:
      - "The network volumes to attach, in place of O(network_volume_ids), each by name, or by name and data centre as
        a mapping with the keys C(name) and C(data_center), for example C({name: model-cache, data_center: EU-RO-1})."
      - Each name is resolved to its ID as O(network_volume) is; a mapping looks for the name in its data centre only.
        Two volumes of one data centre fail before any change, naming both, since an endpoint takes at most one per
        data centre.
      - In check mode, a name no volume has yet gets a warning, and the prediction has V(null) for its ID.
      - Needs a service with network volumes (C(myself.networkVolumes)) and the C(networkVolumeIds) field.
    type: list
    elements: raw
    version_added: 1.1.0
  scaler_type:
    description:
      - How the endpoint scales.
    type: str
    choices:
      - QUEUE_DELAY
      - REQUEST_COUNT
  scaler_value:
    description:
      - The scaler's threshold (seconds of queue delay, or requests per worker), at least 1.
    type: int
  workers_min:
    description:
      - Always-on workers, 0 or more, at most O(workers_max) (or the endpoint's current maximum when O(workers_max)
        is not set, or 3, the create default, for a new endpoint).
    type: int
  workers_max:
    description:
      - Most workers the endpoint may run, 0 or more. The account caps the sum over all endpoints.
    type: int
  gpu_count:
    description:
      - GPUs per worker, at least 1 (the service's default is 1).
      - Needs a service that has the C(gpuCount) field.
    type: int
  execution_timeout_ms:
    description:
      - The most milliseconds one job may run, 0 for no limit (the service's default is 600000, 10 minutes).
      - Needs a service that has the C(executionTimeoutMs) field.
    type: int
  flashboot:
    description:
      - Whether FlashBoot (faster cold starts from cached workers) is on (the API's C(flashBootType) V(FLASHBOOT) or V(OFF);
        the service's default is off).
      - Needs a service that has the C(flashBootType) field.
    type: bool
  allowed_cuda_versions:
    description:
      - CUDA versions the workers may run on, as major.minor, for example V(12.4) and V(12.8). Compared as a set (order and
        duplicates do not matter); an empty list means any.
      - Quote each version, V("12.10") rather than V(12.10), which YAML reads as the number 12.1; a number is refused.
      - Needs a service that has the C(allowedCudaVersions) field.
    type: list
    elements: str
  min_cuda_version:
    description:
      - The lowest CUDA version the workers may run on, as major.minor, for example V(12.4). An empty string means none
        (it removes the constraint).
      - Quote it, V("12.10") rather than V(12.10), which YAML reads as the number 12.1; a number is refused.
      - Needs a service that has the C(minCudaVersion) field.
    type: str
  endpoint_type:
    description:
      - V(QB) (a queue-based endpoint, the service's default) or V(LB) (load-balancing). Set at creation.
      - A different type for an existing endpoint fails before any change; it needs a new endpoint.
      - Needs a service that has the C(type) field.
    type: str
    choices:
      - QB
      - LB
  wait_timeout:
    description:
      - Seconds to wait for the workers to drain with O(state=absent) before the delete.
      - On timeout the task fails naming the workers still running; a re-run continues from there.
    type: int
    default: 300
notes:
  - Options that are not set keep the endpoint's current values, and are left to the API's defaults on create
    (O(idle_timeout=5), O(scaler_type=QUEUE_DELAY), O(scaler_value=4), O(workers_min=0), O(workers_max=3)).
  - Empty values that mean something are kept as settings. O(network_volume_id="") detaches the volume,
    O(min_cuda_version="") removes the CUDA floor, O(locations=[]) means anywhere, O(allowed_cuda_versions=[]) any
    CUDA version, O(network_volume_ids=[]) no volumes and O(instance_ids=[]) no CPU instances. An empty O(id),
    O(name), O(template_id), O(template), O(gpu_ids) or O(api_key) is refused. V(null) always means "not set".
seealso:
  - module: tensorone.cloud.tensorone_endpoint_info
"""

EXAMPLES = r"""
# The examples run in this order as one sequence; the collection's tests run them against the local emulator.
- name: Create or update an endpoint (the key comes from TENSORONE_API_KEY)
  tensorone.cloud.tensorone_endpoint:
    name: llm-inference
    template_id: xkhgg72fuo
    gpu_ids: [AMPERE_48, ADA_48_PRO]
    locations: [US, CZ]
    workers_min: 0
    workers_max: 3
    idle_timeout: 5
  register: created

- name: Scale one option; every other field keeps its value
  tensorone.cloud.tensorone_endpoint:
    name: llm-inference
    workers_max: 5

- name: Set the key once for every module of the collection
  module_defaults:
    group/tensorone.cloud.all:
      api_key: "{{ vault_tensorone_api_key }}"
  block:
    - name: Rename the endpoint by its ID
      tensorone.cloud.tensorone_endpoint:
        id: "{{ created.endpoint.id }}"
        name: llm-inference-v2

- name: Drain the workers and delete the endpoint
  tensorone.cloud.tensorone_endpoint:
    name: llm-inference-v2
    state: absent
    wait_timeout: 600
"""

RETURN = r"""
# tests/tools/generate_docs.py copies api_calls and failure (but their samples) into every other module's RETURN.
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
  sample: {requests: 2, retries: 0}
endpoint:
  description:
    - The endpoint after the task, with keys named like the options, so it can be fed back into this module (but
      C(workers), which is read-only; M(tensorone.cloud.tensorone_endpoint_info) says what else to mind).
    - It holds the documented fields and those of the options the task sets (the fields the task read to compare);
      M(tensorone.cloud.tensorone_endpoint_info) returns every field the service has.
    - In check mode, the predicted endpoint (C(id) is V(null) for one that would be created).
    - V(null) with O(state=absent).
  returned: always
  type: dict
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
      sample: [{id: a1b2c3d4e5f6g7, desired_status: RUNNING}]
actions:
  description: What the task did (or would do in check mode), one readable line per API change.
  returned: always
  type: list
  elements: str
  sample: ["update endpoint 'llm-inference' (jpnw0v75y3qoql): workers_max"]
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
          or a delete did not finish within O(wait_timeout). V(bug), an unexpected error of the collection.
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
  sample: {message: "The API returned an error: Endpoint not found", kind: graphql, status: 200, attempts: 1,
           details: [Endpoint not found]}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import (
    converge_endpoint,
    endpoint_argument_spec,
    validate_endpoint,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module


def main():
    argument_spec = endpoint_argument_spec()
    argument_spec.update(wait_timeout=dict(type="int", default=300))
    run_module(argument_spec, converge_endpoint, check=validate_endpoint, required_one_of=[("id", "name")])


if __name__ == "__main__":
    main()
