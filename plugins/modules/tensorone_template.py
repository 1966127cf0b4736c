#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_template
short_description: Create, update and delete Tensor One templates (the image endpoints run)
version_added: 1.0.0
description:
  - Makes a Tensor One template, the container image a Serverless Endpoint's workers run with its disk, start command
    and environment, look the way the task describes, through the Tensor One GraphQL API.
  - The template is found by O(name), which is unique in the account. There is no rename; the API deletes templates by
    name.
  - Only the options the task sets are compared with the template; a re-run with the same options changes nothing and
    sends no mutation. Every save rolls the workers of every endpoint using the template, so a no-op never saves.
  - An update saves the template in place, under its ID. The endpoints that use it keep their IDs and URLs and roll
    to the new image, idle workers at once and busy ones after their current job.
  - The API replaces the whole template on every save, so an update sends every field the template has (read in the
    same request that compares), the task's value where it sets one. Nothing the task does not mention is lost,
    settings made in the console included (C(isPublic), the readme, ports, registry credentials, variables...).
  - A create or save whose response is lost is never sent again blindly (a second save would roll the workers twice).
    The template is read back by name and compared first.
  - A converged template costs one API request.
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description:
      - Reports what would change, with the predicted template, and sends no mutation. A predicted create shows the
        values the create will store (the create-time defaults for options the task does not set).
      - Check mode knows the collection's own checks, an endpoint still using a template to delete included, but
        not every refusal of the API.
    support: full
  diff_mode:
    description:
      - Returns the template before and after. An environment value read from the service is shown only where it is
        the task's own O(env) value; every other is masked, in C(before) too (a value set in the console may be a
        secret). Values of O(secret_env) are always masked; a secret that changes shows as C(******** (changed\)).
    support: full
# tests/tools/generate_docs.py copies these options into the endpoints role's endpoints_templates (but wait_timeout and
# endpoints_result); make docs-generated checks the copies.
options:
  state:
    description:
      - V(present) creates the template or updates it to match the task.
      - V(absent) deletes it by name. While an endpoint uses the template the task fails, naming the endpoints, and
        deletes nothing. The service also refuses a delete for up to 2 minutes after the template's last use; such a
        refusal is retried within O(wait_timeout).
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the template, unique in the account (among pod and serverless templates). It selects the template.
      - A blank name is refused; leading or trailing white space is kept, as the API keeps it, with a warning.
    type: str
    required: true
  image_name:
    description:
      - The container image the workers run, for example V(registry.example.com/team/llm:1.4.2).
      - Prefer a pinned tag or a digest to V(:latest). Workers only pull an image when they are replaced, so a moving
        tag can leave old workers on a cached image.
      - Required to create a template. An empty one is refused; leading or trailing white space is kept, with a warning.
    type: str
  container_disk_in_gb:
    description:
      - Size of the container disk in GB, at least 1. Required to create a template.
    type: int
  docker_args:
    description:
      - The command the container runs instead of the image's default, for example V(python handler.py).
      - A create without it stores an empty string (the image's own command), and an empty string clears it.
    type: str
  env:
    description:
      - Environment variables of the template, names to values. Values are sent as strings (quote V(true) and
        V(false), and decimal numbers such as V("3.10"), which YAML reads as the number 3.1; a boolean or a decimal
        number is refused, whole numbers are sent as written).
      - An empty variable name is refused; leading or trailing white space in one is kept, with a warning.
      - Merged with what the template has. The variables set here and in O(secret_env) are the ones the task manages;
        variables it does not mention are kept as they are. A V(null) value removes the variable.
      - Values may hold references to the account's secrets (see M(tensorone.cloud.tensorone_secret)),
        C(TENSORONE_SECRET_<name>) or C(RUNPOD_SECRET_<name>) in double curly braces (see the examples). Write such a
        value with C(!unsafe) so that Ansible does not template it.
      - A reference, here or in O(secret_env), to a secret the account does not have fails before any change, naming the
        variable and the secret (check mode warns instead); the secrets are read in the same request as the template. On a
        service without secrets (no C(myself.secrets)) the check cannot be made, so the task warns and goes on.
      - Values of this option are shown in the result and diff; use O(secret_env) for secrets. The value a variable
        had before the task changed it is masked, in the diff's C(before) too.
      - A mapping. Text (V(KEY=value) pairs or JSON, which Ansible would convert, splitting values at spaces and
        commas) is refused.
    type: dict
  secret_env:
    description:
      - Environment variables whose values are secrets. Stored in the same list as O(env) and compared by value, but
        the values never appear in the result, the diff or any message (they are masked).
      - A variable may not be in both O(env) and O(secret_env). A V(null) value removes the variable.
      - Names and values follow the rules of O(env) (quote booleans and decimal numbers).
      - A mapping. Text (V(KEY=value) pairs or JSON) is refused, its values masked in the failure (Ansible would
        convert it to a mapping whose values it no longer masks).
    type: dict
  volume_in_gb:
    description:
      - Size of a persistent volume in GB, 0 for none. A create without it stores 0.
      - Must be 0 for a serverless template (the API requires it); a larger value with O(is_serverless=true) is refused
        before any change.
    type: int
  volume_mount_path:
    description:
      - Where the volume is mounted in the container. An empty string means none.
      - Needs a service that has the C(volumeMountPath) field.
    type: str
  is_serverless:
    description:
      - Whether the template is for Serverless Endpoints (V(true)) or for pods. A create without it makes a
        serverless template.
      - Every update sends the template's current value unless the task sets it (the API is not known to keep it
        otherwise), exactly as read (a template the API lists with V(null) is sent V(null), not V(false)).
    type: bool
  readme:
    description:
      - The template's readme (Markdown). An empty string means none.
    type: str
  container_registry_auth_id:
    description:
      - ID of the registry credentials saved in the account, for a private image. An empty string means none.
      - Needs a service that has the C(containerRegistryAuthId) field.
      - Mutually exclusive with O(container_registry_auth).
    type: str
  container_registry_auth:
    description:
      - Name of the registry credentials the template pulls its image with (see M(tensorone.cloud.tensorone_registry_auth)),
        resolved to O(container_registry_auth_id) in the same API request that reads the template.
      - A name the account does not have fails before any change, listing the account's credentials; in check mode it
        warns instead (the same play may create the credentials first) and predicts C(container_registry_auth_id) V(null).
      - Needs a service that has registry credentials (C(myself.containerRegistryCreds)); elsewhere the task fails with
        C(failure.kind=unsupported).
      - Mutually exclusive with O(container_registry_auth_id).
    type: str
    version_added: 1.1.0
  ports:
    description:
      - Ports the container exposes, as the API has them, for example V(8000/http,22/tcp). An empty string means none.
      - Needs a service that has the C(ports) field.
    type: str
  start_script:
    description:
      - A script run when the container starts. An empty string means none.
      - Needs a service that has the C(startScript) field.
    type: str
  wait_timeout:
    description:
      - Seconds to keep retrying a delete the service refuses because the template was used recently, with
        O(state=absent). On timeout the task fails with the service's message; a re-run continues.
    type: int
    default: 180
  endpoints_result:
    description:
      - The registered result of a M(tensorone.cloud.tensorone_endpoints) task that runs before this one in the same
        play, so that check mode predicts a delete as the real run does. Read only in check mode, with O(state=absent).
      - In check mode that task changes nothing, so the template's users as read are not the ones the real run meets.
        With this option the delete counts them as that task predicts them. Endpoints it deletes, or moves to another
        template, no longer use this one; endpoints it creates or moves onto it do. Check mode then fails exactly where
        the real run would (an endpoint still uses the template) and predicts the delete otherwise.
      - Outside check mode it is ignored, since a real run reads the endpoints as they are.
      - The role P(tensorone.cloud.endpoints#role) sets it for the templates it retires.
    type: dict
notes:
  - Options that are not set keep the template's current values. A create stores the create-time defaults
    (O(is_serverless=true), O(docker_args=""), O(volume_in_gb=0)) for the options the task does not set; they are not
    argument defaults, so an update never compares them.
  - The service's read of templates is C(myself.podTemplates) (the name the API family uses; no page documents a read).
    A service without it cannot find a template by name, and the task fails before any change.
  - The API echoes the whole input in some errors. The collection scrubs the values of O(secret_env), and every
    environment value read from the service but the task's own O(env) values, from every message it returns. A value
    shorter than 8 characters (V(1), V(on), V(true)) is scrubbed only where it stands quoted, as such an echo shows
    it, so that it masks no word or number of the message itself.
seealso:
  - module: tensorone.cloud.tensorone_template_info
  - module: tensorone.cloud.tensorone_endpoint
"""

EXAMPLES = r"""
# The examples run in this order as one sequence; the collection's tests run them against the local emulator.
- name: Create or update the serverless template of the LLM endpoint (the key comes from TENSORONE_API_KEY)
  tensorone.cloud.tensorone_template:
    name: llm-worker
    image_name: registry.example.com/team/llm-worker:1.4.2
    container_disk_in_gb: 20
    docker_args: python handler.py
    env:
      MODEL_NAME: meta-llama/Llama-3.1-8B-Instruct
      HF_TOKEN: !unsafe "{{ RUNPOD_SECRET_hf_token }}"
    secret_env:
      LICENSE_KEY: "{{ vault_llm_license_key }}"

- name: Run an endpoint from it, by the template's name
  tensorone.cloud.tensorone_endpoint:
    name: llm-inference
    template: llm-worker
    gpu_ids: [AMPERE_48]
    workers_max: 3

- name: Release a new image; the endpoint keeps its ID and URL and rolls to it
  tensorone.cloud.tensorone_template:
    name: llm-worker
    image_name: registry.example.com/team/llm-worker:1.5.0

- name: Retire the endpoint, then its template
  block:
    - name: Delete the endpoint
      tensorone.cloud.tensorone_endpoint:
        name: llm-inference
        state: absent

    - name: Delete the template (retried while the service still counts it as recently used)
      tensorone.cloud.tensorone_template:
        name: llm-worker
        state: absent
        wait_timeout: 180
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
template:
  description:
    - The template after the task, with keys named like the options.
    - In check mode, the predicted template (C(id) is V(null) for one that would be created).
    - V(null) with O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: ID of the template (what O(tensorone.cloud.tensorone_endpoint#module:template_id) takes).
      type: str
      sample: xkhgg72fuo
    name:
      description: Name of the template.
      type: str
      sample: llm-worker
    image_name:
      description: The container image.
      type: str
      sample: registry.example.com/team/llm-worker:1.4.2
    container_disk_in_gb:
      description: Container disk in GB.
      type: int
      sample: 20
    docker_args:
      description: The container's command, or V(null) for the image's own.
      type: str
      sample: python handler.py
    env:
      description:
        - The template's environment variables except those of O(secret_env).
        - A value is shown where it is the task's own O(env) value; every other value read from the service is
          masked (C(********)), since it may hold a secret set elsewhere.
      type: dict
      sample: {MODEL_NAME: meta-llama/Llama-3.1-8B-Instruct, OTHER: "********"}
    secret_env:
      description: The variables of O(secret_env) the template has, each value masked.
      type: dict
      sample: {LICENSE_KEY: "********"}
    volume_in_gb:
      description: Volume in GB, 0 for none.
      type: int
      sample: 0
    volume_mount_path:
      description: The volume's mount path, or V(null).
      returned: when the service has the field
      type: str
      sample: null
    is_serverless:
      description: Whether it is a serverless template.
      type: bool
      sample: true
    readme:
      description: The readme, or V(null).
      type: str
      sample: null
    container_registry_auth_id:
      description: ID of the registry credentials, or V(null).
      returned: when the service has the field
      type: str
      sample: null
    ports:
      description: Exposed ports, or V(null).
      returned: when the service has the field
      type: str
      sample: null
    start_script:
      description: The start script, or V(null).
      returned: when the service has the field
      type: str
      sample: null
    is_public:
      description: Whether the template is public (set in the console; kept by every update).
      returned: when the service has the field
      type: bool
      sample: false
    endpoint_ids:
      description:
        - IDs of the endpoints that use the template (their workers roll on every save).
        - The API lists at most 400 endpoints. In an account with more, endpoints beyond them are missing here, and
          the task warns. A delete the service refuses while no listed endpoint uses the template then fails at once,
          saying so, instead of waiting out O(wait_timeout).
      type: list
      elements: str
      sample: [jpnw0v75y3qoql]
actions:
  description: What the task did (or would do in check mode), one readable line per API change.
  returned: always
  type: list
  elements: str
  sample: ["save template 'llm-worker' (xkhgg72fuo): image_name; rolls the workers of endpoint 'llm-inference' (jpnw0v75y3qoql)"]
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
  sample: {message: "The API returned an error: A template named \"llm-worker\" already exists.", kind: graphql, status: 200,
           attempts: 1, details: ["A template named \"llm-worker\" already exists."]}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module
from ansible_collections.tensorone.cloud.plugins.module_utils._template import (
    converge_template,
    template_argument_spec,
    validate_template,
)


def main():
    run_module(template_argument_spec(), converge_template, check=validate_template)


if __name__ == "__main__":
    main()
