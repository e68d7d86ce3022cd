"""Our own HTTP/2 transport for gRPC: a small, standard-library-only HTTP/2 server (frames, HPACK header
compression, streams and flow control) that carries the plugin's gRPC calls, so the runtime needs no
native HTTP/2 library and every step of the request path is ours to measure and tune.
"""
