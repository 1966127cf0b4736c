#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_secret
short_description: Create, update and delete Tensor One secrets (values workers read by reference)
version_added: 1.1.0
description:
  - Makes a Tensor One secret, a named value that the workers of an endpoint read through an environment variable of
    its template or of the endpoint that refers to it, look the way the task describes, through the Tensor One
    GraphQL API.
  - The secret is found by O(name), which is unique in the account. There is no rename; a new name is a new secret.
  - The value is write-only. The API never returns it, so it cannot be compared; O(update_value) says when it is sent.
    Only O(description) is compared with the secret, and a re-run that changes nothing costs one API request.
  - The value and the description change through two separate mutations. A run that changes both sends two.
  - An environment value refers to a secret as C(TENSORONE_SECRET_<name>) in double curly braces, as Tensor One's
    pages write it; the API family's C(RUNPOD_SECRET_<name>) spelling counts too, wherever the collection looks for
    references.
  - A create whose response is lost is never sent again blindly. The secret is looked up by name first.
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description:
      - Reports what would change, with the predicted secret, and sends no mutation. A delete reads the references as
        a real run does, and predicts the same refusal.
    support: full
  diff_mode:
    description:
      - Returns the secret before and after. The value is never shown. It shows as C(********), and as
        C(******** (changed\)) after, when the run sends it (or would send it, in check mode).
    support: full
options:
  state:
    description:
      - V(present) creates the secret, or updates its description (and its value, with O(update_value=always)).
      - V(absent) deletes it. While an environment variable of a template or of an endpoint refers to it, the task
        fails, naming them, and deletes nothing. Finding them costs a second API request, on a delete only.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the secret, unique in the account. It selects the secret.
      - An empty name is refused, and so is one with leading or trailing white space (a reference could not name it
        reliably).
      - A name with characters other than letters, digits, C(_) and C(-) gets a warning. A reference
        C(TENSORONE_SECRET_<name>) may not match it.
    type: str
    required: true
  value:
    description:
      - The secret's value. Never returned by the API, never shown by the module.
      - Required to create the secret, and with O(update_value=always). Not needed to adopt, describe or delete an
        existing secret.
      - Must be a string (quote it). A boolean or a number is refused, since the text Ansible would make of it could
        not be noticed. An empty value is refused too.
      - A value shorter than 8 characters gets a warning. Ansible masks every occurrence of a C(no_log) value in the
        task's output, so a short one garbles it.
    type: str
  update_value:
    description:
      - When O(value) is sent.
      - V(on_create) sends it only when the task creates the secret. An existing secret keeps its value, which is not
        compared; a task that sets O(value) then gets a warning saying so.
      - V(always) sends it on every run, a rotation. The task then always reports a change, and costs one mutation
        more than a run without it.
    type: str
    choices: [on_create, always]
    default: on_create
  description:
    description:
      - A description of the secret.
      - The API cannot store V(null), so an empty string clears it by sending an empty description, which the service
        then stores. An empty description and none compare as the same.
    type: str
notes:
  - The value is put into a worker's environment when the worker starts. A new value reaches the running workers only
    when they are replaced (for example when their template is saved, or when they scale down and up again).
  - A value or description update whose response is lost is sent again. The same value twice leaves the same secret.
  - A delete refused because an environment refers to the secret names each template and endpoint. A delete is also
    refused when the account's list of endpoints comes back at the API's cap of 400 (an endpoint beyond it could refer
    to the secret), and on a service whose API cannot list the templates' or endpoints' environment variables.
  - The API echoes the input in some errors. The collection scrubs the value, and every environment value a delete
    reads, from every message it returns.
  - On a service whose API has no secrets (the Tensor One page documents none), the task fails before any change,
    saying so.
seealso:
  - module: tensorone.cloud.tensorone_secret_info
  - module: tensorone.cloud.tensorone_template
"""

EXAMPLES = r"""
# The examples run in this order as one sequence; the collection's tests run them against the local emulator.
- name: Create the Hugging Face token as a secret (the key comes from TENSORONE_API_KEY)
  tensorone.cloud.tensorone_secret:
    name: hf_token
    value: "{{ vault_hf_token }}"
    description: Hugging Face read token of the LLM team

- name: Refer to it from a template's environment
  tensorone.cloud.tensorone_template:
    name: llm-worker
    image_name: registry.example.com/team/llm-worker:1.4.2
    container_disk_in_gb: 20
    env:
      HF_TOKEN: !unsafe "{{ TENSORONE_SECRET_hf_token }}"

- name: Rotate the token (sent on every run; running workers get it when they are replaced)
  tensorone.cloud.tensorone_secret:
    name: hf_token
    value: "{{ vault_hf_token_next }}"
    update_value: always

- name: Describe a secret made in the console, without knowing its value
  tensorone.cloud.tensorone_secret:
    name: hf_token
    description: Hugging Face read token, rotated monthly

- name: Retire the template, then the secret it refers to
  block:
    - name: Delete the template
      tensorone.cloud.tensorone_template:
        name: llm-worker
        state: absent

    - name: Delete the secret (refused while an environment still refers to it)
      tensorone.cloud.tensorone_secret:
        name: hf_token
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
secret:
  description:
    - The secret after the task, with keys named like the options. Never its value.
    - In check mode, the predicted secret (C(id), C(created_at) and C(updated_at) are V(null) for one that would be
      created).
    - V(null) with O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: ID of the secret.
      type: str
      sample: clzdaifot0001l90809257ynb
    name:
      description: Name of the secret.
      type: str
      sample: hf_token
    description:
      description: The description, or V(null) for none (an empty description reads as V(null)).
      type: str
      sample: Hugging Face read token of the LLM team
    created_at:
      description: When the secret was created, as the API returns it.
      type: str
      sample: "2026-03-02T09:41:07.312Z"
    updated_at:
      description: When the secret was last updated, as the API returns it.
      type: str
      sample: "2026-03-02T09:41:07.312Z"
actions:
  description: What the task did (or would do in check mode), one readable line per API change.
  returned: always
  type: list
  elements: str
  sample: ["update secret 'hf_token' (clzdaifot0001l90809257ynb): description, value"]
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
  sample: {message: "Secret 'hf_token' (clzdaifot0001l90809257ynb) is used by template 'llm-worker' (xkhgg72fuo): nothing was deleted.
             Remove the references to it from their environment variables first", kind: in_use, status: null, attempts: null, details: []}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module
from ansible_collections.tensorone.cloud.plugins.module_utils._secret import converge_secret, secret_argument_spec, validate_secret


def main():
    run_module(secret_argument_spec(), converge_secret, check=validate_secret)


if __name__ == "__main__":
    main()
