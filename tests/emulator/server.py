# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The HTTP face of the emulator (stdlib http.server) and the in-process handle.

import http.client
import json
import socket
import socketserver
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit

from .control_routes import CONTROL_PREFIX
from .service import DEFAULT_PROFILE, GRAPHQL_PATH, MAX_BODY_BYTES, Emulator, json_reply
from .state import TEMPLATE_RECENT_USE_SECONDS

LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}


def loopback_host(host):
    """The address to bind for `host`; anything but loopback is refused."""
    if host not in LOOPBACK_HOSTS:
        raise ValueError("refusing to listen on %r: only 127.0.0.1, ::1 or localhost are allowed" % (host,))
    return LOOPBACK_HOSTS[host]


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: clients reuse one connection, as requests.Session does.
    protocol_version = "HTTP/1.1"
    # Without it, Nagle + delayed ACK stall each keep-alive response ~40 ms.
    disable_nagle_algorithm = True
    server_version = "TensorOneEmulator/1.0"
    # An idle keep-alive connection frees its thread after this many seconds.
    timeout = 120
    # Buffered writes: status line, headers and body leave in one send()
    # (handle_one_request flushes after each request).
    wbufsize = 64 * 1024

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        # Silent on purpose: the default writes the request line to stderr,
        # and that line carries ?api_key=... in the clear.
        pass

    def version_string(self):
        return self.server_version

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        self.server.track(self.connection)

    def finish(self):
        try:
            BaseHTTPRequestHandler.finish(self)
        finally:
            self.server.untrack(self.connection)

    def do_GET(self):  # pylint: disable=invalid-name
        self._dispatch("GET")

    def do_POST(self):  # pylint: disable=invalid-name
        self._dispatch("POST")

    def do_PUT(self):  # pylint: disable=invalid-name
        self._dispatch("PUT")

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._dispatch("PATCH")

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._dispatch("DELETE")

    def do_HEAD(self):  # pylint: disable=invalid-name
        self._dispatch("HEAD")

    def _read_body(self):
        """The request body, or a Reply refusing it (the connection then closes)."""
        if self.headers.get("Transfer-Encoding"):
            return None, json_reply(411, {"errors": [{"message": "Content-Length required"}]})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return None, json_reply(400, {"errors": [{"message": "Invalid Content-Length"}]})
        if length > MAX_BODY_BYTES:
            return None, json_reply(413, {"errors": [{"message": "Request body too large"}]})
        return self.rfile.read(length), None

    def _dispatch(self, method):
        emulator = self.server.emulator
        url = urlsplit(self.path)
        control = url.path == CONTROL_PREFIX or url.path.startswith(CONTROL_PREFIX + "/")
        headers = dict((name.lower(), value) for name, value in self.headers.items())
        body, refusal = self._read_body()
        if refusal is not None:
            # The unread body would be taken for the next request.
            self.close_connection = True
            if not control:
                # Logged like any other API request: a test sees what the client was refused.
                emulator.record_refusal(method, url.path, url.query, headers, refusal)
            self._send(refusal)
            return
        try:
            if control:
                reply = emulator.handle_control(method, url.path, body, url.query)
            else:
                reply = emulator.handle_request(method, url.path, url.query, headers, body)
        except Exception:  # pylint: disable=broad-exception-caught
            # An emulator bug: answer it as a 500 the test can see, and keep
            # the traceback (which holds no request data) on stderr.
            traceback.print_exc()
            reply = json_reply(500, {"errors": [{"message": "Emulator internal error (traceback on its stderr)"}]})
        if reply.body is None:
            # A reset or a dropped response: close without sending a byte.
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply):
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if not any(name.lower() == "content-type" for name, _value in reply.headers):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, emulator, family):
        self.address_family = family
        self.emulator = emulator
        self._connections = set()
        self._connections_lock = threading.Lock()
        ThreadingHTTPServer.__init__(self, address, _Handler)

    def server_bind(self):
        # HTTPServer.server_bind() resolves the host name (socket.getfqdn),
        # which can hang for seconds without DNS; loopback needs no name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def track(self, connection):
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection):
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self):
        """End kept-alive connections, so a stopped emulator really stops answering."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class EmulatorServer:
    """The emulator on a loopback port, served from a daemon thread.

    EmulatorServer(api_keys=["k"]).start() -> .url (base URL; GraphQL at
    .graphql_url), the control operations as methods, .stop(). Also a
    context manager.
    """

    def __init__(
        self,
        api_keys=None,
        read_only_keys=None,
        drain_seconds=0,
        worker_quota=20,
        templates=None,
        seed=0,
        discount=None,
        host="127.0.0.1",
        port=0,
        state_file=None,
        profile=DEFAULT_PROFILE,
        list_cap=None,
        template_recent_use_seconds=TEMPLATE_RECENT_USE_SECONDS,
        worker_start_seconds=0,
    ):
        self.host = loopback_host(host)
        self.port = port
        self.api_keys = list(api_keys or [])
        self.read_only_keys = list(read_only_keys or [])
        self.emulator = Emulator(
            api_keys=self.api_keys,
            read_only_keys=self.read_only_keys,
            drain_seconds=drain_seconds,
            worker_quota=worker_quota,
            templates=templates,
            discount=discount,
            seed=seed,
            state_file=state_file,
            profile=profile,
            list_cap=list_cap,
            template_recent_use_seconds=template_recent_use_seconds,
            worker_start_seconds=worker_start_seconds,
        )
        self._httpd = None
        self._thread = None

    # -- lifecycle -----------------------------------------------------------

    def start(self, poll_interval=0.01):
        """Bind and serve; stop() takes up to poll_interval seconds to notice."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._httpd = _Server((self.host, self.port), self.emulator, family)
        self.port = self._httpd.server_address[1]
        # The short default keeps stop() fast for one emulator per test; the
        # command line, idle for long stretches, passes a longer one.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": poll_interval},
            name="tensorone-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(5)
        self._httpd = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        """Base URL, e.g. http://127.0.0.1:PORT (no trailing slash, no key)."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    @property
    def graphql_url(self):
        return self.url + GRAPHQL_PATH

    @property
    def data_plane_url(self):
        """The data plane's base: the health call is GET <data_plane_url>/v2/<endpoint id>/health (the
        service's: https://api.tensorone.ai). The emulator serves it from its base URL."""
        return self.url

    @property
    def api_key(self):
        """The first full-access key (for tests; the emulator never prints it)."""
        return self.api_keys[0]

    @property
    def read_only_key(self):
        """The first read-only key, or None."""
        return self.read_only_keys[0] if self.read_only_keys else None

    # -- control operations, same as the /_emulator/... paths -----------------

    def state(self, fields="documented"):
        return self.emulator.state(fields)

    def log(self):
        return self.emulator.log()

    def clear_log(self):
        self.emulator.clear_log()

    def reset(self):
        self.emulator.reset()

    def configure(self, **changes):
        return self.emulator.configure(**changes)

    def config(self):
        return self.emulator.config()

    def set_faults(self, **settings):
        return self.emulator.set_faults(**settings)

    def faults(self):
        return self.emulator.faults()

    def set_workers(self, **changes):
        return self.emulator.set_workers(**changes)

    def workers(self):
        return self.emulator.workers()

    def set_clock(self, **changes):
        return self.emulator.set_clock(**changes)

    def clock(self):
        return self.emulator.clock()

    def seed(self, **lists):
        return self.emulator.seed(**lists)

    def seed_endpoints(self, endpoints):
        return self.emulator.seed_endpoints(endpoints)

    def seed_templates(self, templates):
        return self.emulator.seed_templates(templates)

    # -- a minimal client, for tests --------------------------------------------

    def call(self, query, variables=None, api_key=None, operation_name=None, headers=None, auth="query"):
        """POST one GraphQL request on a fresh connection; returns (status, headers, parsed body).

        api_key defaults to .api_key; auth="query" sends it as ?api_key=,
        "bearer" as an Authorization header, None sends no key at all.
        """
        key = self.api_key if api_key is None else api_key
        path = GRAPHQL_PATH
        request_headers = {"Content-Type": "application/json", "User-Agent": "tensorone-emulator-tests"}
        if auth == "query":
            path += "?" + urlencode({"api_key": key})
        elif auth == "bearer":
            request_headers["Authorization"] = "Bearer " + key
        request_headers.update(headers or {})
        body = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        return self._request("POST", path, json.dumps(body), request_headers)

    def health_call(self, endpoint_id, api_key=None, auth="header", method="GET"):
        """GET <data_plane_url>/v2/<endpoint_id>/health on a fresh connection; (status, headers, parsed body).

        auth="header" sends the key as the whole Authorization header (as the data plane's
        documentation does), "bearer" as "Bearer KEY", None sends none.
        """
        key = self.api_key if api_key is None else api_key
        request_headers = {"User-Agent": "tensorone-emulator-tests"}
        if auth == "header":
            request_headers["Authorization"] = key
        elif auth == "bearer":
            request_headers["Authorization"] = "Bearer " + key
        return self._request(method, "/v2/%s/health" % endpoint_id, None, request_headers)

    def _request(self, method, path, body, headers):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw.decode("utf-8")) if raw else None
            except ValueError:
                parsed = raw.decode("utf-8")  # a fault's text or HTML page
            return response.status, dict(response.getheaders()), parsed
        finally:
            connection.close()
