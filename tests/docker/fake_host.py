"""A minimal loader (go-plugin host) that drives a containerised ``python -m aiges.serve`` over gRPC.

Run as a script so it can import the baked project's wrapper.py (for its declared sample inputs)
without touching the test process::

    python fake_host.py --project <baked project> --address 127.0.0.1:<port>|unix:<socket path> [--session]

It does what AIservice does in python mode (spec 7): health check, open ``communicate``, wrapperInit
with the ``[wrapper]`` config of aiges.toml (strings), wrapperSchema, then one once request (or one
session: create, write frames, destroy), collecting results from the stream by tag. It prints one
JSON document on stdout and exits 0 when the plugin answered as the loader expects.
"""

import argparse
import json
import os
import queue
import sys
import threading
from typing import Any, Dict, List


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--session", action="store_true")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.project, "wrapper"))

    import grpc
    from aiges import loading, tomlcompat
    from aiges.declarations import from_wrapper_class
    from aiges.grpc import wire
    from aiges.tools.localrun import inputs

    cls, path = loading.import_wrapper(os.path.join(args.project, "wrapper"))
    declarations = from_wrapper_class(cls, path)
    config = tomlcompat.load_file(os.path.join(args.project, "aiges.toml")).get("wrapper", {})
    samples = inputs.load_samples(declarations, {})
    params = {key: str(value) for key, value in inputs.build_params(declarations, {}, "grpc", "sid-0001").items()}

    service = wire.service("aiges.WrapperService")
    health = wire.service("grpc.health.v1.Health")
    message = wire.message
    channel = grpc.insecure_channel(args.address)
    grpc.channel_ready_future(channel).result(timeout=args.timeout)

    def unary(method: Any) -> Any:
        return channel.unary_unary(
            method.path,
            request_serializer=method.request.SerializeToString,
            response_deserializer=method.response.FromString,
        )

    report: Dict[str, Any] = {}
    report["health"] = int(
        unary(health["Check"])(
            message("grpc.health.v1.HealthCheckRequest")(service="plugin"), timeout=args.timeout
        ).status
    )

    outgoing: queue.Queue[Any] = queue.Queue()
    arrivals: queue.Queue[Any] = queue.Queue()
    communicate = service["communicate"]
    stream = channel.stream_stream(
        communicate.path,
        request_serializer=communicate.request.SerializeToString,
        response_deserializer=communicate.response.FromString,
    )(iter(outgoing.get, None))

    def pump() -> None:
        try:
            for response in stream:
                arrivals.put(response)
        except grpc.RpcError:
            pass

    threading.Thread(target=pump, daemon=True).start()
    report["init"] = unary(service["wrapperInit"])(
        message("aiges.InitRequest")(config={str(k): str(v) for k, v in config.items()}), timeout=args.timeout
    ).ret
    schema = unary(service["wrapperSchema"])(
        message("aiges.SvcId")(serviceId=declarations.meta.service_id), timeout=args.timeout
    ).data
    report["schema_service_id"] = json.loads(schema).get("meta", {}).get("serviceId")

    def data(nodes: List[Any]) -> List[Any]:
        return [
            message("aiges.RequestData")(
                key=n.key, data=bytes(n.data), len=len(n.data), type=int(n.type), status=int(n.status)
            )
            for n in nodes
        ]

    tag = "sid-0001"
    results: List[Dict[str, Any]] = []
    if args.session:
        created = unary(service["wrapperCreate"])(
            message("aiges.CreateRequest")(params=params, sid=tag, tag=tag), timeout=args.timeout
        )
        report["create_err"] = created.err_code
        for frame in inputs.session_frames(samples, 1280):
            write = message("aiges.WriteMessage")(
                handle=created.handle, req=message("aiges.Request")(tag=tag, list=data(frame.list))
            )
            report.setdefault("write", []).append(unary(service["wrapperWrite"])(write, timeout=args.timeout).ret)
    else:
        request = message("aiges.Request")(tag=tag, params=params, list=data(inputs.once_request(samples).list))
        unary(service["wrapperOnceExec"])(request, timeout=args.timeout)
    while True:
        response = arrivals.get(timeout=args.timeout)
        if response.tag != tag:
            continue
        results.append(
            {
                "ret": response.ret,
                "list": [{"key": d.key, "type": d.type, "status": d.status, "len": len(d.data)} for d in response.list],
            }
        )
        if response.ret != 0 or not args.session or any(d.status == 2 for d in response.list):
            break
    if args.session:
        report["destroy"] = unary(service["wrapperDestroy"])(
            message("aiges.Handle")(handle=created.handle), timeout=args.timeout
        ).ret
    report["results"] = results
    outgoing.put(None)
    channel.close()
    print(json.dumps(report))
    ok = (
        report["health"] == 1
        and report["init"] == 0
        and results
        and all(r["ret"] == 0 for r in results)
        and all(r["list"] for r in results)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
