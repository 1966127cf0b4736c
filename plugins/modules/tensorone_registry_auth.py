#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tensorone_registry_auth
short_description: Create, rotate and delete Tensor One container registry credentials
version_added: 1.1.0
description:
  - Saves the username and password of a private container registry in the Tensor One account, under a name, so that
    templates can run images from that registry. A template names the credential by its name, in
    O(tensorone.cloud.tensorone_template#module:container_registry_auth), or by its ID, in
    O(tensorone.cloud.tensorone_template#module:container_registry_auth_id).
  - The credential is found by O(name), which is unique in the account.
  - The API never returns a credential's username or password, so the module cannot compare them with the task's.
    O(update_password) chooses when they are sent, only when the credential is created (the default) or on every run
    (a rotation, for example of a registry token that expires).
  - O(username) and O(password) are needed only to create the credential or with O(update_password=always). An existing
    credential can be adopted or deleted without them.
  - A run that sends nothing costs one API request, which reads the credentials and the templates that name them together.
author:
  - Tensor One collection contributors (@tensorone)
extends_documentation_fragment:
  - tensorone.cloud.api
  - tensorone.cloud.api.ATTRIBUTES
attributes:
  check_mode:
    description:
      - Reports what would change, with the predicted credential, and sends no mutation. It refuses a delete exactly
        as a run would (a template names the credential, or the templates cannot be read).
    support: full
  diff_mode:
    description:
      - Returns the credential before and after, with its C(id), C(name) and C(template_ids). The username and
        password are never shown. They appear as C(********), and as C(******** (changed\)) in C(after) when the run
        sends them (a create or a rotation; in check mode, when it would).
    support: full
options:
  state:
    description:
      - V(present) creates the credential if there is none with O(name).
      - With O(update_password=always), V(present) also sends the username and password to an existing credential again.
      - V(absent) deletes it. While a template names the credential the task fails, naming the templates, and deletes
        nothing (the service would delete it and silently drop the templates' reference; see the notes).
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the credential, unique in the account. It selects the credential.
      - A blank name, or one with leading or trailing white space, is refused.
    type: str
    required: true
  username:
    description:
      - The username the registry takes, for example V(AWS) for Amazon ECR.
      - Required to create the credential, and with O(update_password=always).
      - Never shown in the result, the diff or any message. A number or a boolean is refused (quote it), and so is an
        empty value.
    type: str
  password:
    description:
      - The password or access token the registry takes.
      - Required to create the credential, and with O(update_password=always).
      - Never shown in the result, the diff or any message. A number or a boolean is refused (quote it), and so is an
        empty value.
      - A value shorter than 8 characters gets a warning, because Ansible masks every occurrence of it in the task's
        output, words of messages included. The same goes for O(username) (V(AWS) included).
    type: str
  update_password:
    description:
      - V(always) will update the username and password of an existing credential on every run (the task then always
        reports a change). The API's update takes both, so both must be set.
      - V(on_create) will only set the username and password for a newly created credential. On an existing one they
        are neither compared nor sent, and a task that sets them gets a warning saying so.
    type: str
    choices: [always, on_create]
    default: on_create
notes:
  - There is no rename. The API's update has no name, so a new O(name) is a new credential, created with its own ID.
    Point the templates at the new ID, then delete the old credential.
  - "The service deletes a credential that templates name. It does not refuse, and silently drops the reference from
    those templates, whose workers then fail to pull their image and cycle unhealthy. So the module refuses such a
    delete itself (RV(failure.kind) V(in_use)), naming the templates, and so does check mode. On a service whose API
    has no template read (C(myself.podTemplates)) it cannot check, and refuses every delete (RV(failure.kind)
    V(unsupported)). A present credential is still managed there, with RV(registry_auth.template_ids) V(null) and a warning."
  - A lost create response is looked up by name, never sent twice. An update whose response is lost is sent again,
    since sending the same username and password twice does no harm. When another run creates the name between this
    run's read and its create, this run adopts that credential, with a warning. With O(update_password=always) it
    then sends its own username and password to it.
  - The service's read of credentials is C(myself.containerRegistryCreds) (id and name only). A service without it
    fails the task before any change, with RV(failure.kind) V(unsupported).
  - The API echoes the input in some errors. The collection scrubs O(username) and O(password) from every message it
    returns.
seealso:
  - module: tensorone.cloud.tensorone_registry_auth_info
  - module: tensorone.cloud.tensorone_template
"""

EXAMPLES = r"""
# The examples run in this order as one sequence; the collection's tests run them against the local emulator.
- name: Save the team registry's credential (username and password are sent when it is created)
  tensorone.cloud.tensorone_registry_auth:
    name: team-registry
    username: "{{ vault_registry_username }}"
    password: "{{ vault_registry_password }}"

- name: Run a template's image from that registry (the template names the credential)
  tensorone.cloud.tensorone_template:
    name: private-worker
    image_name: registry.example.com/team/private-worker:1.0.0
    container_disk_in_gb: 20
    container_registry_auth: team-registry

- name: Rotate the password (sent on every run, always a change)
  tensorone.cloud.tensorone_registry_auth:
    name: team-registry
    username: "{{ vault_registry_username }}"
    password: "{{ vault_registry_new_password }}"
    update_password: always

- name: Retire the template, then the credential it named
  block:
    - name: Delete the template
      tensorone.cloud.tensorone_template:
        name: private-worker
        state: absent

    - name: Delete the credential (refused while a template names it)
      tensorone.cloud.tensorone_registry_auth:
        name: team-registry
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
registry_auth:
  description:
    - The credential after the task. Its username and password are never returned (the API does not return them either).
    - In check mode, the predicted credential (C(id) is V(null) for one that would be created).
    - V(null) with O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: ID of the credential (what O(tensorone.cloud.tensorone_template#module:container_registry_auth_id) takes).
      type: str
      sample: clzdaifot0001l90809257ynb
    name:
      description: Name of the credential.
      type: str
      sample: team-registry
    template_ids:
      description:
        - IDs of the templates that name the credential.
        - V(null) on a service whose API has no template read (the task warns).
      type: list
      elements: str
      sample: [xkhgg72fuo]
actions:
  description: What the task did (or would do in check mode), one readable line per API change.
  returned: always
  type: list
  elements: str
  sample: ["rotate registry credential 'team-registry' (clzdaifot0001l90809257ynb): send username and password"]
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
          V(not_found), an ID selects nothing, or a resource the task names (a template) does not exist. V(ambiguous),
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
  sample: {message: "Registry credential 'team-registry' (clzdaifot0001l90809257ynb) is used by template 'private-worker' (xkhgg72fuo):
             nothing was deleted. ...", kind: in_use, status: null, attempts: null, details: []}
"""

from ansible_collections.tensorone.cloud.plugins.module_utils._registry_auth import (
    converge_registry_auth,
    registry_auth_argument_spec,
    validate_registry_auth,
)
from ansible_collections.tensorone.cloud.plugins.module_utils._runner import run_module


def main():
    run_module(registry_auth_argument_spec(), converge_registry_auth, check=validate_registry_auth)


if __name__ == "__main__":
    main()
