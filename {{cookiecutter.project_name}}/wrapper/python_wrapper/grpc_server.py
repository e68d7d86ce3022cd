"""``python3 -m python_wrapper.grpc_server --module wrapper --sock PATH [--class C] [--workers N] [--callback-sock P]``:
the vendor's command, served by ``aiges.widgetpy.server`` (our HTTP/2 transport; grpcio is not needed)."""

import sys

from aiges.widgetpy.server import main

if __name__ == "__main__":
    sys.exit(main())
