"""The web page at ``/``: a form built from schema.json (the published interface), calling the route.

Built from the schema document rather than the Python declarations so the page shows exactly what
clients and the platform are told (``python -m aiges render`` writes it; the gateway command makes
sure the document it passes matches the running wrapper). Plain HTML and a little vanilla
JavaScript, no external resources: params become typed controls (enums as selects, booleans as
checkboxes, bounds as min/max, lengths as maxlength, descriptions as hints), image/audio/video
inputs file pickers, text inputs textareas. Answers show as a person wants them: images as <img>,
audio as <audio>, JSON pretty-printed, errors with their code and text.
"""

import base64
import binascii
import html
import json
import os
from typing import Any, Dict, List, Optional, Tuple

SCHEMA_FILE = "schema.json"  # what ``python -m aiges render`` writes at the project root
RENDER_FIX = "python -m aiges render"


def _attribute(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _hint(key: str, block: Dict[str, Any]) -> str:
    """The schema's description under the control, so the page explains a field as the docs do."""
    description = block.get("description")
    if not description:
        return ""
    return '<small class="hint" id="hint-%s">%s</small>' % (_attribute(key), html.escape(str(description)))


def _caption(key: str, block: Dict[str, Any]) -> str:
    title = block.get("title")
    shown = html.escape(key)
    return shown + (' <span class="title">%s</span>' % html.escape(str(title)) if title else "")


def _labelled(key: str, block: Dict[str, Any], control: str, hint_id: str) -> str:
    return "<label>%s %s%s</label>" % (_caption(key, block), control, _hint(hint_id, block))


def _param_control(key: str, block: Dict[str, Any]) -> str:
    """One param's control from its schema property: the type picks the control, the keywords its limits."""
    escaped = _attribute(key)
    value = block.get("defaultVal")
    attributes = 'name="%s" id="param-%s" data-param="%s"' % (escaped, escaped, escaped)
    kind = block.get("type")
    if kind == "boolean":
        return '<input type="checkbox" %s data-kind="boolean"%s>' % (attributes, " checked" if value else "")
    kind = kind if kind in ("integer", "number") else "string"
    enums: List[Any] = list(block.get("enum") or [])
    if enums:
        options = "".join(
            '<option value="%s"%s>%s</option>'
            % (_attribute(item), " selected" if item == value else "", html.escape(str(item)))
            for item in enums
        )
        if value not in enums:  # no default: start unset (an empty value leaves the param out of the request)
            options = '<option value="" selected>(not set)</option>' + options
        return '<select %s data-kind="%s">%s</select>' % (attributes, kind, options)
    shown = "" if value is None else _attribute(value)
    if kind in ("integer", "number"):
        limits = "".join(
            ' %s="%s"' % (name, _attribute(block[keyword]))
            for name, keyword in (("min", "minimum"), ("max", "maximum"))
            if keyword in block
        )
        limits += ' step="%s"' % ("1" if kind == "integer" else "any")
        return '<input type="number" %s data-kind="%s" value="%s"%s>' % (attributes, kind, shown, limits)
    length = ' maxlength="%d"' % block["maxLength"] if isinstance(block.get("maxLength"), int) else ""
    return '<input type="text" %s data-kind="string" value="%s"%s>' % (attributes, shown, length)


_ACCEPT = {"image": "image/*", "audio": "audio/*", "video": "video/*"}


def _sample_text(node: Any) -> str:
    """The text of the example request's payload node (base64 there, as the loader wants it)."""
    encoded = node.get("text") if isinstance(node, dict) else None
    if not isinstance(encoded, str):
        return ""
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return encoded


def _input_control(key: str, media: str, example_node: Any) -> str:
    escaped = _attribute(key)
    if media == "text":
        return '<textarea id="input-%s" data-input="%s" data-media="text" rows="4">%s</textarea>' % (
            escaped,
            escaped,
            html.escape(_sample_text(example_node)),
        )
    return (
        '<input type="file" id="input-%s" data-input="%s" data-media="%s" accept="%s"> '
        "<small>empty: the project's sample is sent</small>"
        % (escaped, escaped, _attribute(media), _ACCEPT.get(media, ""))
    )


def _properties(block: Any) -> Dict[str, Any]:
    """A block's properties, or none: a service without params or inputs has empty sections."""
    properties = block.get("properties") if isinstance(block, dict) else None
    return properties if isinstance(properties, dict) else {}


def render(schema: Dict[str, Any], route: str, session: bool, example: Dict[str, Any]) -> str:
    """The whole page from the schema document; ``example`` (the request built from the samples)
    prefills the text inputs and gives the rest of the request body."""
    meta = schema["meta"]
    service_id = meta["serviceId"]
    media_of = meta.get(service_id, {})
    accepts: Dict[str, Any] = media_of.get("accept", {})
    inputs: Dict[str, Any] = media_of.get("input", {})
    request = _properties(schema.get("schemainput"))
    section = _properties(_properties(request.get("parameter")).get(service_id))
    payload = _properties(request.get("payload"))
    example_payload = example.get("payload", {})
    params = (
        "".join(
            _labelled(key, block, _param_control(key, block), "param-" + key)
            for key, block in section.items()
            if key not in accepts
        )
        or "<p>(no params)</p>"
    )
    fields = (
        "".join(
            _labelled(
                key,
                payload.get(key, {}),
                _input_control(key, str(declared.get("dataType", "text")), example_payload.get(key)),
                "input-" + key,
            )
            for key, declared in inputs.items()
        )
        or "<p>(no inputs)</p>"
    )
    outputs = {
        key: section.get(key, {}).get("defaultVal") or {"data_type": declared.get("dataType", "text")}
        for key, declared in accepts.items()
    }
    named = (
        ", ".join(
            '<code data-output-name="%s">%s</code> (%s)'
            % (_attribute(key), html.escape(key), html.escape(str(declared.get("dataType", "text"))))
            for key, declared in accepts.items()
        )
        or "(none)"
    )
    title = "%s %s" % (service_id, meta.get("version", ""))
    return _PAGE % {
        "title": html.escape(title),
        "route": html.escape(route),
        "params": params,
        "inputs": fields,
        "outputs": named,
        "mode": "session (websocket)" if session else "once (HTTP POST)",
        "config": json.dumps(
            {"route": route, "session": session, "serviceId": service_id, "outputs": outputs, "example": example}
        ).replace("</", "<\\/"),
    }


def page_schema(root: str, fresh: Dict[str, Any]) -> Tuple[Dict[str, Any], Optional[str]]:
    """The document to build the page from, and a warning when ``<root>/schema.json`` cannot be it.

    The page must match what the running wrapper accepts, so a missing, unreadable or stale
    schema.json is replaced by ``fresh`` (``gateway_schema(declarations)``), and the warning names
    the file and the fix. ``fresh`` is compared as JSON (after a round trip) since that is what the
    file holds.
    """
    fresh = json.loads(json.dumps(fresh))
    path = os.path.join(root, SCHEMA_FILE)
    shown = _display_path(path)
    follows = "the page follows the current declarations instead; run `%s` to %s it"
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return fresh, "%s is missing; %s" % (shown, follows % (RENDER_FIX, "write"))
    except (OSError, UnicodeDecodeError) as error:
        return fresh, "%s cannot be read (%s); %s" % (shown, error, follows % (RENDER_FIX, "rewrite"))
    try:
        published = json.loads(text)
    except json.JSONDecodeError as error:
        return fresh, "%s is not valid JSON (line %d: %s); %s" % (
            shown,
            error.lineno,
            error.msg,
            follows % (RENDER_FIX, "rewrite"),
        )
    if published != fresh:
        return fresh, "%s is stale (it differs from the schema of the wrapper being served); %s" % (
            shown,
            follows % (RENDER_FIX, "update"),
        )
    return published, None


def _display_path(path: str) -> str:
    """Relative to the current directory when below it, as other commands name files."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%(title)s</title>
<style>
body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
label{display:block;margin:.5em 0}label>input,label>select,label>textarea{display:block;width:100%%}
label>input[type=checkbox]{display:inline;width:auto}
.hint{display:block;color:#555}.title{color:#555}
pre{background:#f4f4f4;padding:1em;overflow:auto}.error{color:#a00}
</style></head><body>
<h1>%(title)s</h1>
<p><code>%(route)s</code>, %(mode)s, served by <code>python -m aiges gateway</code> as the loader serves it.</p>
<form id="request"><fieldset><legend>params</legend>%(params)s</fieldset>
<fieldset><legend>inputs</legend>%(inputs)s</fieldset>
<p>outputs requested: %(outputs)s</p>
<button type="submit" id="send">Send</button></form>
<h2>Answer</h2><div id="status"></div><div id="media"></div><pre id="answer"></pre>
<script>
const CONFIG = %(config)s;
function b64(buffer){let s="";const b=new Uint8Array(buffer);for(let i=0;i<b.length;i+=32768){
  s+=String.fromCharCode.apply(null,b.subarray(i,i+32768));}return btoa(s);}
async function body(){
  const request = JSON.parse(JSON.stringify(CONFIG.example));
  const section = request.parameter[CONFIG.serviceId] = request.parameter[CONFIG.serviceId] || {};
  Object.assign(section, JSON.parse(JSON.stringify(CONFIG.outputs)));
  for (const el of document.querySelectorAll("[data-param]")) {
    const kind = el.dataset.kind, key = el.dataset.param;
    if (kind === "boolean") section[key] = el.checked;
    else if (el.value === "") delete section[key];
    else section[key] = (kind === "integer" || kind === "number") ? Number(el.value) : el.value;
  }
  for (const el of document.querySelectorAll("[data-input]")) {
    const entry = request.payload[el.dataset.input], media = el.dataset.media;
    if (media === "text") entry.text = b64(new TextEncoder().encode(el.value));
    else if (el.files.length) entry[media] = b64(await el.files[0].arrayBuffer());
  }
  return request;
}
const MIME = {image: "image/png", audio: "audio/wav", video: "video/mp4"};
function show(answer){
  const status = document.getElementById("status"), media = document.getElementById("media");
  const header = answer.header || {};
  if (header.code) {
    status.className = "error";
    status.textContent = "error " + header.code + ": " + header.message + (answer.hint ? " (" + answer.hint + ")" : "");
  } else { status.className = "ok"; status.textContent = "success"; }
  for (const [key, entry] of Object.entries(answer.payload || {})) {
    for (const kind of ["image", "audio", "video"]) {
      if (entry[kind]) {
        const el = document.createElement(kind === "image" ? "img" : kind);
        if (kind !== "image") el.controls = true;
        el.src = "data:" + MIME[kind] + ";base64," + entry[kind]; el.title = key; el.dataset.output = key;
        media.appendChild(el);
      }
    }
    if (typeof entry.text === "string") { try { entry.text = JSON.parse(entry.text); } catch (e) {} }
  }
  document.getElementById("answer").textContent += JSON.stringify(answer, null, 2) + "\\n";
}
document.getElementById("request").addEventListener("submit", async (event) => {
  event.preventDefault();
  for (const id of ["answer", "media", "status"]) document.getElementById(id).textContent = "";
  const request = await body();
  if (!CONFIG.session) {
    const reply = await fetch(CONFIG.route, {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify(request)});
    show(await reply.json());
    return;
  }
  request.header.status = 2;
  for (const entry of Object.values(request.payload)) entry.status = 2;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + CONFIG.route);
  ws.onopen = () => ws.send(JSON.stringify(request));
  ws.onmessage = (message) => { const answer = JSON.parse(message.data); show(answer);
    if (answer.header.code || answer.header.status === 2 || answer.header.status === 3) ws.close(); };
});
</script></body></html>
"""
