"""gRPC mode: the plugin server behind ``python -m aiges.serve`` (loader python mode, spec section 7).

``protos/`` holds the wire format (the single source); ``wire`` builds message classes from it at
run time. Imports inside this package are absolute, so ``import grpc`` always means the grpcio
library, never this package.
"""
