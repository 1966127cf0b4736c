# -*- coding: utf-8 -*-
# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options every module of the collection shares to reach the API.
    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - The Tensor One API key.
      - If not set, the value of the E(TENSORONE_API_KEY) environment variable is used.
      - An empty string (an empty variable, for example) is refused, and the environment variable is then not used;
        to use it, leave the option out, for example with C(omit). V(null) is refused too (ansible-core 2.19 and 2.21
        pass it to the module as an empty string, 2.16 refuses it itself).
      - It is sent as the documented C(api_key) query parameter. The modules never print it; see the notes for what
        Ansible itself may still show.
    type: str
    required: true
  api_url:
    description:
      - URL of the Tensor One GraphQL API.
      - If not set, empty or V(null), the value of the E(TENSORONE_API_URL) environment variable is used,
        and if that is not set either (or is empty), V(https://api.tensorone.ai/graphql).
      - Treated as a secret, since it may carry credentials. Messages name only its host.
        A URL with an C(api_key) query parameter is refused; set O(api_key) instead.
    type: str
  api_timeout:
    description:
      - Seconds to wait for each API request, 1 to 600.
      - If not set, the value of the E(TENSORONE_API_TIMEOUT) environment variable is used.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request that failed transiently is sent again, 0 to 20
        (connection errors, timeouts, HTTP 429, 502, 503 and 504), with exponential backoff and jitter.
        The result's RV(ignore:api_calls) counts the requests and the retries.
      - HTTP 429 waits as long as the C(Retry-After) header asks (up to 120 seconds; a longer wait fails at once).
      - A create is never sent again blindly; after an ambiguous failure the module first looks
        the endpoint up by name and carries on with it if the create was applied.
      - If not set, the value of the E(TENSORONE_API_RETRIES) environment variable is used.
    type: int
    default: 5
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate.
    type: bool
    default: true
  http_agent:
    description:
      - The C(User-Agent) header of every API request.
      - If not set, empty or V(null), the value of the E(TENSORONE_HTTP_AGENT) environment variable is used,
        and if that is not set either (or is empty), C(tensorone.cloud/<collection version> (ansible-core <version>)).
      - "The service's CDN refuses some clients by their User-Agent, with HTTP 403 and the text C(error code: 1010);
        the module then fails saying that the service's edge refused the client (RV(ignore:failure.kind) V(http),
        RV(ignore:failure.status) V(403)). Another value here may get through."
      - One line of printable ASCII characters, without leading or trailing spaces.
    type: str
requirements:
  - requests
notes:
  - The modules talk to the API from the host they run on, usually C(localhost) with a local connection.
  - The modules never print O(api_key), nor O(api_url) (messages name its host only), at any verbosity.
    Ansible itself may still show a value that is written literally in the playbook, for example when it quotes
    the offending line of a YAML or templating error, or every argument with C(ANSIBLE_DISPLAY_ARGS_TO_STDOUT).
    Keep the key in a vault variable or the environment, never literally in a task.
"""

    ATTRIBUTES = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/tensorone.cloud.all) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - tensorone.cloud.all
"""
