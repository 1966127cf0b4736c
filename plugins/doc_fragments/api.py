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
      - It is sent as the documented C(api_key) query parameter and never appears in any output.
    type: str
    required: true
  api_url:
    description:
      - URL of the Tensor One GraphQL API.
      - If not set, the value of the E(TENSORONE_API_URL) environment variable is used,
        and if that is not set either (or is empty), V(https://api.tensorone.ai/graphql).
    type: str
    default: https://api.tensorone.ai/graphql
  api_timeout:
    description:
      - Seconds to wait for each API request.
      - If not set, the value of the E(TENSORONE_API_TIMEOUT) environment variable is used.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request that failed transiently is sent again
        (connection errors, timeouts, HTTP 429, 502, 503 and 504), with exponential backoff and jitter.
      - HTTP 429 waits as long as the C(Retry-After) header asks.
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
requirements:
  - requests
notes:
  - The modules talk to the API from the host they run on, usually C(localhost) with a local connection.
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
