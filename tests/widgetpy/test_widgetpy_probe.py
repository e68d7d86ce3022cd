"""deploy/k8s's liveness probe in widgetpy mode: the WidgetPy server process must run, and the loader answer /ping."""

import http.server
import os
import subprocess
import sys
import threading

from widgetpy_support import *  # noqa: F403 - its fixtures (a conftest here would shadow tests/grpc's)
from widgetpy_support import RUNTIME_PARENT, WRAPPERS


class Loader(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def run_probe(folder, port):
    (folder / "aiges.toml").write_text('[aiges]\n[wrapper]\nhttp_listen = "0.0.0.0:%d"\n' % port)
    env = dict(os.environ, PYTHONPATH=str(RUNTIME_PARENT), WIDGET_PLUGIN_MODE="py")
    return subprocess.run(
        [sys.executable, "-m", "aiges.probe", "--config", str(folder / "aiges.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_the_probe_wants_the_widgetpy_server_process(folder_with, running, scratch):
    server = http.server.HTTPServer(("127.0.0.1", 0), Loader)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        missing = run_probe(scratch, port)
        assert missing.returncode == 1
        assert "no plugin process runs python3 -m python_wrapper.grpc_server" in missing.stdout
        plugin = running("ours", folder_with(WRAPPERS / "probe_wrapper.py"))
        serving = run_probe(scratch, port)
        assert serving.returncode == 0, serving.stdout
        assert serving.stdout.strip() == "serving: plugin process, GET /ping on %d" % port
        plugin.stop()
    finally:
        server.shutdown()
