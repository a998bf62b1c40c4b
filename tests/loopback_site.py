"""A web site on loopback for the sweep's tests and benchmark: ``serve({path: route})`` where a route is
(status, content type, body) — for a 301/302 the body is the Location — or a function given the request
handler (a page that never ends, a header that lies). Each server counts the requests for each path in
``hits`` and has its address in ``url``."""

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def html(body: str) -> tuple[int, str, bytes]:
    return 200, "text/html; charset=utf-8", f"<!doctype html><html><body>{body}</body></html>".encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        self.server.hits[path] += 1
        route = self.server.routes.get(path, (404, "text/plain", b"not here"))
        if callable(route):
            try:
                route(self)
            except OSError:
                pass
            return
        status, kind, body = route
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", body.decode())
            body = b""
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(routes: dict, host: str = "127.0.0.1", *, start: bool = True) -> ThreadingHTTPServer:
    """A server listening on a free port of ``host``; serving in a thread unless ``start`` is False (the caller
    runs ``serve_forever`` where it likes)."""
    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    server.routes, server.hits = routes, Counter()
    server.url = f"http://{host}:{server.server_address[1]}"
    if start:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
