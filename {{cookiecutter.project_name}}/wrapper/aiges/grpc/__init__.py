"""gRPC mode: the plugin server behind ``python -m aiges.serve`` (loader python mode,
docs/explanation/grpc-transport.md).

``protos/`` holds the wire format (the ``.proto`` files, the single source, and the descriptor set
compiled from them); ``wire`` builds message classes from that set at run time. Imports inside this
package are absolute, so ``import grpc`` always means the grpcio library, never this package.
"""
