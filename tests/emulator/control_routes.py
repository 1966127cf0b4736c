# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The control paths (/_emulator/..., CONTRACT.md "Control API"): which
# request calls which service.Emulator operation, and how its arguments
# arrive. The operations themselves are Emulator methods.

import json
from urllib.parse import parse_qs

CONTROL_PREFIX = "/_emulator"

# (method, path below CONTROL_PREFIX) -> operation(emulator, payload), answering a JSON value.
# A POST's payload is its JSON body, a GET's its query parameters (GET /_emulator/state?fields=all).
ROUTES = {
    ("GET", "/health"): lambda emulator, payload: {"ok": True},
    ("GET", "/state"): lambda emulator, payload: emulator.state(**payload),
    ("GET", "/log"): lambda emulator, payload: emulator.log(),
    ("POST", "/log/clear"): lambda emulator, payload: emulator.clear_log() or {"ok": True},
    ("POST", "/reset"): lambda emulator, payload: emulator.reset() or {"ok": True},
    ("GET", "/config"): lambda emulator, payload: emulator.config(),
    ("POST", "/config"): lambda emulator, payload: emulator.configure(**payload),
    ("GET", "/faults"): lambda emulator, payload: emulator.faults(),
    ("POST", "/faults"): lambda emulator, payload: emulator.set_faults(**payload),
    ("GET", "/workers"): lambda emulator, payload: emulator.workers(),
    ("POST", "/workers"): lambda emulator, payload: emulator.set_workers(**payload),
    ("GET", "/clock"): lambda emulator, payload: emulator.clock(),
    ("POST", "/clock"): lambda emulator, payload: emulator.set_clock(**payload),
    ("POST", "/seed"): lambda emulator, payload: emulator.seed(**payload),
}


def handle(emulator, method, path, body, query_string):
    """(status, JSON value, headers) answering a /_emulator/... request: 404 for an unknown path,
    405 for a wrong method, 400 for a body that is not a JSON object or arguments the operation refuses."""
    sub_path = path.replace(CONTROL_PREFIX, "", 1)
    operation = ROUTES.get((method, sub_path))
    if operation is None:
        if any(route_path == sub_path for _method, route_path in ROUTES):
            allowed = ", ".join(sorted(m for m, route_path in ROUTES if route_path == sub_path))
            return 405, {"error": "method not allowed"}, [("Allow", allowed)]
        return 404, {"error": "no such control path"}, []
    payload = {}
    if method == "GET":
        payload = dict((name, values[-1]) for name, values in parse_qs(query_string or "").items())
    if method == "POST" and body and body.strip():
        try:
            payload = json.loads(body.decode("utf-8"))
        except ValueError:
            return 400, {"error": "body must be JSON"}, []
        if not isinstance(payload, dict):
            return 400, {"error": "body must be a JSON object"}, []
    try:
        return 200, operation(emulator, payload), []
    except (ValueError, TypeError) as error:
        return 400, {"error": str(error)}, []
