# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tensorone.cloud.tests.emulator.state import Store

# The state dump of an account nothing has touched: no endpoints, templates, registry credentials,
# secrets or network volumes, and the catalogue (GPU types, pools, data centres) as it starts.
EMPTY_STATE = Store().state()
