"""What the real loader accepts in a request (spec 13.4), as a checker for every example we show.

The loader builds its list of expected outputs only from the request's ``parameter`` objects (it
ignores the schema's defaults): without ``parameter.<serviceId>.<output key>`` every request fails
with ``10106 "wrapper output data is nil"``, and with that entry but no ``data_type`` with
``10106 "wrapper output data invalid(key or type)"``. The header's app id key is ``appid``.
xtest (the loader's RPC client) names outputs with ``[data].expect`` sections instead.
"""

from typing import Any, Dict, List, Optional

MEDIA = ("text", "image", "audio", "video")


def http_request_problems(
    body: Any, service_id: Optional[str] = None, outputs: Optional[Dict[str, str]] = None
) -> List[str]:
    """Why the loader would refuse ``body`` (an HTTP request); ``outputs``: key -> media, when known."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    found: List[str] = []
    header = body.get("header")
    if not isinstance(header, dict) or not isinstance(header.get("appid"), str) or not header["appid"]:
        found.append('header has no "appid" (the loader\'s key; not app_id or appId)')
    parameter = body.get("parameter")
    if not isinstance(parameter, dict) or not parameter:
        return [*found, 'no parameter object: the loader answers 10106 "wrapper output data is nil"']
    if service_id is None:
        if len(parameter) != 1:
            return [*found, "parameter must hold exactly one object, named after the serviceId"]
        service_id = next(iter(parameter))
    section = parameter.get(service_id)
    if not isinstance(section, dict):
        return [*found, 'no parameter.%s: the loader answers 10106 "wrapper output data is nil"' % service_id]
    requested = {key: value for key, value in section.items() if isinstance(value, dict)}
    if not requested:
        found.append('parameter.%s names no output: the loader answers 10106 "wrapper output data is nil"' % service_id)
    for key, value in requested.items():
        if value.get("data_type") not in MEDIA:
            found.append(
                'parameter.%s.%s has no data_type: the loader answers 10106 "wrapper output data '
                'invalid(key or type)"' % (service_id, key)
            )
        elif outputs and key in outputs and value["data_type"] != outputs[key]:
            found.append(
                "parameter.%s.%s asks for data_type %r, the plugin answers %r"
                % (service_id, key, value["data_type"], outputs[key])
            )
    for key in sorted(set(outputs or {}) - set(requested)):
        found.append("output %r is not named under parameter.%s: the loader would not expect it" % (key, service_id))
    payload = body.get("payload")
    if not isinstance(payload, dict) or not payload:
        found.append("no payload")
    return found


def xtest_problems(document: Dict[str, Any], outputs: Dict[str, str]) -> List[str]:
    """Why xtest's request (xtest.toml) would not carry every output with its type."""
    found: List[str] = []
    if not document.get("header", {}).get("appid"):
        found.append("[header] has no appid")
    sections = [name for name in str(document.get("data", {}).get("expect", "")).split(";") if name]
    named = {}
    for name in sections:
        section = document.get(name)
        if not isinstance(section, dict):
            found.append("[data].expect names %r, which has no section" % name)
            continue
        named[section.get("name")] = section.get("type")
    for key, media in outputs.items():
        if key not in named:
            found.append("output %r has no expect section: the loader answers 10106" % key)
        elif named[key] != media:
            found.append("expect section of %r has type %r, the plugin answers %r" % (key, named[key], media))
    return found


def is_request(body: Any) -> bool:
    """A JSON example that is a request (not an answer: answers carry header.code)."""
    return (
        isinstance(body, dict)
        and isinstance(body.get("header"), dict)
        and "payload" in body
        and "code" not in body["header"]
    )
