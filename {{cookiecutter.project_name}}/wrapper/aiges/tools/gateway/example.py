"""The request built from the project's own samples, and the curl / websocket commands shown at start."""
import base64
import json
import shlex
from typing import Any, Dict, List

from aiges.core.types import DataEnd, DataOnce, Types
from aiges.declarations import Declarations
from aiges.localrun.inputs import Sample

EXAMPLE_APPID = "123456"
INLINE_LIMIT = 2048  # bytes of JSON up to which the printed curl command carries the body inline


def request_body(declarations: Declarations, samples: List[Sample], session: bool = False) -> Dict[str, Any]:
    """A request the loader accepts: the declared params' test values, every output named with its
    data_type, every input's sample base64-encoded (status once; for a session one final frame, status end)."""
    status = DataEnd if session else DataOnce
    section: Dict[str, Any] = {}
    for field in declarations.params:
        if field.test_value not in (None, ""):
            section[field.key] = field.test_value
    for field in declarations.accepts:
        output: Dict[str, Any] = {"data_type": Types.get(field.data_type, "text")}
        for name in ("encoding", "compress", "format"):
            if getattr(field, name, ""):
                output[name] = getattr(field, name)
        section[field.key] = output
    by_key = {field.key: field for field in declarations.inputs}
    payload: Dict[str, Any] = {}
    for sample in samples:
        media = Types.get(sample.data_type, "text")
        entry: Dict[str, Any] = {}
        field = by_key.get(sample.key)
        if field is not None and field.encoding:
            entry["encoding"] = field.encoding
        entry["status"] = status
        entry[media] = base64.b64encode(sample.data).decode("ascii")
        payload[sample.key] = entry
    return {"header": {"appid": EXAMPLE_APPID, "status": status},
            "parameter": {declarations.meta.service_id: section}, "payload": payload}


def curl_commands(url: str, body: Dict[str, Any]) -> List[str]:
    """Ready commands: the body piped from ``--print-request`` (always), inline when it is small."""
    commands = ["python -m aiges gateway --print-request | curl -s -H 'Content-Type: application/json' "
                "-d @- %s" % url]
    text = json.dumps(body, separators=(",", ":"))
    if len(text) <= INLINE_LIMIT:
        commands.append("curl -s -H 'Content-Type: application/json' -d %s %s" % (shlex.quote(text), url))
    return commands


def websocket_snippet(url: str) -> str:
    """A short Python client for a session plugin: the sample as one final frame, answers printed."""
    return ("python -m aiges gateway --print-request | python -c '\n"
            "import asyncio, json, sys, aiohttp\n"
            "body = json.load(sys.stdin)\n"
            "async def main():\n"
            "    async with aiohttp.ClientSession() as client, client.ws_connect(\"%s\") as ws:\n"
            "        await ws.send_json(body)\n"
            "        async for message in ws:\n"
            "            answer = message.json()\n"
            "            print(json.dumps(answer))\n"
            "            if answer[\"header\"][\"code\"] or answer[\"header\"][\"status\"] in (2, 3):\n"
            "                break\n"
            "asyncio.run(main())'" % url)
