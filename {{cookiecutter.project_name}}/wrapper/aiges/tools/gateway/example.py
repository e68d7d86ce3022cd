"""The ready curl / websocket commands the gateway prints at start, built from the project's samples.

The request body is ``python -m aiges schema --request`` (:func:`aiges.schema.gateway.sample_request`):
the declared test values, every output named with its data_type, every input's sample in base64.
"""

import json
import shlex
from typing import Any, Dict, List

REQUEST_COMMAND = "python -m aiges schema --request"
INLINE_LIMIT = 2048  # characters of JSON up to which a second curl command carries the body inline


def curl_commands(url: str, body: Dict[str, Any]) -> List[str]:
    """The body piped from ``schema --request`` (always works from the project root), inline when small."""
    commands = ["%s | curl -s -X POST %s -H 'Content-Type: application/json' -d @-" % (REQUEST_COMMAND, url)]
    text = json.dumps(body, separators=(",", ":"))
    if len(text) <= INLINE_LIMIT:
        commands.append("curl -s -X POST %s -H 'Content-Type: application/json' -d %s" % (url, shlex.quote(text)))
    return commands


def websocket_snippet(url: str) -> str:
    """A short Python client for a session plugin (aiohttp, a development requirement): the sample request
    as one frame, every answer printed until the final one."""
    return (
        "%s | python -c '\n"
        "import asyncio, json, sys, aiohttp\n"
        "body = json.load(sys.stdin)\n"
        "async def main():\n"
        '    async with aiohttp.ClientSession() as client, client.ws_connect("%s") as ws:\n'
        "        await ws.send_json(body)\n"
        "        async for message in ws:\n"
        "            answer = message.json()\n"
        "            print(json.dumps(answer))\n"
        '            if answer["header"]["code"] or answer["header"]["status"] in (2, 3):\n'
        "                break\n"
        "asyncio.run(main())'" % (REQUEST_COMMAND, url)
    )
