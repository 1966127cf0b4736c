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
  - Changes run in the order that frees worker quota before using it, so a fleet converges in one run where an
    order exists. First the updates that do not raise O(endpoints[].workers_max) and the scale to 0 before each
    delete, then the creates and the updates that raise workers, then the drain waits and the deletes.
  - Deletes drain in parallel. All drains are waited for together within O(wait_timeout), so deleting many
    endpoints takes about one drain time, and creates never wait for a drain.
  - A failure names the item, for example C(endpoints[2] (mid-3\)), and returns RV(actions) and the
    RV(endpoints) as far as they are known.
  - With O(prune=true), every endpoint of the account that the list does not name is deleted too, optionally only
    those whose name starts with O(prune_prefix).
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description:
      - Returns the plan (O(ignore:actions)) and the predicted endpoints, and sends no mutation.
      - A predicted create shows what the run would return, with the service's defaults for the fields the task does not
        set, as M(tensorone.cloud.tensorone_endpoint) does; also for the fields other items' options make the run read.
    support: full
  diff_mode:
    description: Returns the managed fields before and after, one diff per changed endpoint.
    support: full
options:
  endpoints:
    description:
      - The endpoints, each with the options of M(tensorone.cloud.tensorone_endpoint).
      - Names must be unique in the list, and no two items may select the same endpoint (by name and by
        O(endpoints[].id), or the same ID twice). Such a list fails before any change, naming both items.
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
          - With O(endpoints[].state=absent), a name that is not the endpoint's own fails and deletes nothing.
          - An empty string is refused (it is usually a lookup that found nothing).
        type: str
      name:
        description:
          - Name of the endpoint, 3 to 191 characters, unique in the account.
          - Required in every item; an item without it (or with V(null)) fails before any request.
        type: str
      # BEGIN GENERATED endpoint-options by tests/tools/generate_docs.py from plugins/modules/tensorone_endpoint.py: edit it there, not here
      template_id:
        description:
          - ID of the template the workers run. Required to create an endpoint, unless O(endpoints[].template) names it.
          - Mutually exclusive with O(endpoints[].template).
        type: str
      template:
        description:
          - Name of the template the workers run (see M(tensorone.cloud.tensorone_template)), in place of O(endpoints[].template_id).
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
          - Mutually exclusive with O(endpoints[].instance_ids).
        type: list
        elements: str
      instance_ids:
        description:
          - CPU instance (flavour) IDs for a CPU endpoint, in place of O(endpoints[].gpu_ids). An empty list means none (a GPU endpoint,
            which needs O(endpoints[].gpu_ids)).
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
          - Mutually exclusive with O(endpoints[].network_volume_ids), O(endpoints[].network_volume) and O(endpoints[].network_volumes).
        type: str
      network_volume:
        description:
          - Name of the network volume to attach (see M(tensorone.cloud.tensorone_network_volume)), in place of
            O(endpoints[].network_volume_id).
          - It is resolved to the volume's ID in the same request that reads the endpoints. Names are not unique, so the
            name is looked for within the data centres the endpoint may use, its O(endpoints[].locations) as the task sets them or as
            read (anywhere when it has none). A name no volume there has fails before any change, listing the account's
            volumes, and so does a name several volumes there have, listing their IDs and data centres. A region code
            (V(US)) in O(endpoints[].locations) does not narrow the search, since the API does not list the data centres it covers.
          - In check mode, a name no volume has yet gets a warning, and the prediction has O(endpoints[].network_volume_id=null) (the same
            play may create the volume first).
          - Needs a service with network volumes (C(myself.networkVolumes)).
          - Mutually exclusive with O(endpoints[].network_volume_id), O(endpoints[].network_volume_ids) and O(endpoints[].network_volumes).
        type: str
        version_added: 1.1.0
      network_volume_ids:
        description:
          - IDs of the network volumes to attach, one per data centre. Compared in order. An empty list detaches them all.
          - Needs a service that has the C(networkVolumeIds) field.
          - Mutually exclusive with O(endpoints[].network_volumes).
        type: list
        elements: str
      network_volumes:
        description:
          - "The network volumes to attach, in place of O(endpoints[].network_volume_ids), each by name, or by name and data centre as
            a mapping with the keys C(name) and C(data_center), for example C({name: model-cache, data_center: EU-RO-1})."
          - Each name is resolved to its ID as O(endpoints[].network_volume) is; a mapping looks for the name in its data centre only.
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
          - Always-on workers, 0 or more, at most O(endpoints[].workers_max) (or the endpoint's current maximum when O(endpoints[].workers_max)
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
      # END GENERATED endpoint-options
  prune:
    description:
      - Also delete (with drain) every endpoint of the account that O(endpoints) does not declare, neither by
        name nor by O(endpoints[].id); only those whose name starts with O(prune_prefix) when that is set.
      - A prune that would keep no endpoint (O(endpoints) is empty, or every item has O(endpoints[].state=absent))
        and has no O(prune_prefix) would delete the whole account. It is refused, listing what it would delete,
        unless O(prune_all=true). An empty list is most often a variable that came out empty.
      - So is a prune without O(prune_prefix) when none of the endpoints O(endpoints) declares exists in the account.
        A list with a typo in every name, or another environment's list, is as likely a slip as an empty one.
        A first run that creates the whole list and prunes everything else needs O(prune_prefix) or O(prune_all=true).
      - Check mode lists the endpoints a prune would delete in RV(actions).
    type: bool
    default: false
  prune_prefix:
    description:
      - With O(prune=true), only endpoints whose names start with this are deleted. An empty string means no prefix.
    type: str
  prune_all:
    description:
      - With O(prune=true), allow a prune without O(prune_prefix) that keeps no endpoint, or whose list names no
        endpoint that exists, that is, one that deletes every endpoint of the account.
    type: bool
    default: false
  prune_max:
    description:
      - With O(prune=true), the most endpoints one run may prune. A prune that would delete more is refused,
        listing them, and deletes nothing.
    type: int
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
endpoints:
  description:
    - The declared endpoints that exist after the task (predicted in check mode), in list order, each shaped like
      the C(endpoint) that M(tensorone.cloud.tensorone_endpoint) returns.
    - On failure, the declared endpoints as far as they are known.
  returned: always
  type: list
  elements: dict
  sample: [{id: jpnw0v75y3qoql, name: team-a-llm, template_id: xkhgg72fuo, gpu_ids: [AMPERE_48, ADA_48_PRO],
            idle_timeout: 5, locations: [], network_volume_id: null, scaler_type: QUEUE_DELAY, scaler_value: 4,
            workers_min: 0, workers_max: 3, workers: []}]
deleted:
  description:
    - The endpoints the task deleted (predicted in check mode), items with O(endpoints[].state=absent) and pruned
      ones alike, as they were before (their C(id) and C(name)).
    - M(tensorone.cloud.tensorone_template) takes the whole registered result as O(tensorone.cloud.tensorone_template#module:endpoints_result),
      so that check mode can predict the delete of a template these endpoints used.
  returned: success
  type: list
  elements: dict
  sample: [{id: i02xupws21hp6i, name: team-a-old}]
actions:
  description: What the task did (or would do in check mode), one readable line per API change.
  returned: always
  type: list
  elements: str
  sample: ["create endpoint 'team-a-llm'", "scale endpoint 'team-a-old' (i02xupws21hp6i) to 0 workers",
           "delete endpoint 'team-a-old' (i02xupws21hp6i)"]
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
# END GENERATED failure
  sample: {message: "Rate limited by the API (HTTP 429); gave up after 6 attempts (api_retries=5)", kind: rate_limit,
           status: 429, attempts: 6, details: []}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._endpoint import (
    converge_fleet,
    endpoint_argument_spec,
    validate_fleet,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module


def main():
    # name is required in every item; the collection checks that itself
    # (validate_fleet), since a null passes or breaks Ansible's own check
    # depending on the ansible-core version.
    item_spec = endpoint_argument_spec()
    run_module(
        dict(
            endpoints=dict(type="list", elements="dict", options=item_spec, required=True),
            prune=dict(type="bool", default=False),
            prune_prefix=dict(type="str"),
            prune_all=dict(type="bool", default=False),
            prune_max=dict(type="int"),
            wait_timeout=dict(type="int", default=300),
        ),
        converge_fleet,
        check=validate_fleet,
    )


if __name__ == "__main__":
    main()
