"""The web page at ``/``: a form built from the plugin's declared params and inputs, calling its route.

Plain HTML and a little vanilla JavaScript, no external resources: params become typed inputs (enums
as selects, booleans as checkboxes, bounds as min/max), image/audio/video inputs file pickers, text
inputs textareas. Answers show as a person wants them: images as <img>, audio as <audio>, JSON
pretty-printed, errors with their code and text.
"""
import html
import json
from typing import Any, Dict, List

from aiges.core.types import Types
from aiges.declarations import Declarations
from aiges.fields import BooleanParamField, IntegerParamField, NumberParamField, StringParamField


def _param_control(field: Any) -> str:
    key = html.escape(field.key, quote=True)
    value = field.test_value
    attributes = 'name="%s" id="param-%s" data-param="%s"' % (key, key, key)
    enums: List[Any] = list(getattr(field, "enums", []) or [])
    if isinstance(field, BooleanParamField):
        return '<input type="checkbox" %s data-kind="boolean"%s>' % (attributes, " checked" if value else "")
    kind = "integer" if isinstance(field, IntegerParamField) else "number" \
        if isinstance(field, NumberParamField) else "string"
    if enums:
        options = "".join('<option value="%s"%s>%s</option>' % (
            html.escape(str(item), quote=True), " selected" if item == value else "", html.escape(str(item)))
            for item in enums)
        return '<select %s data-kind="%s">%s</select>' % (attributes, kind, options)
    shown = "" if value is None else html.escape(str(value), quote=True)
    if kind in ("integer", "number"):
        bounds = ' min="%s" max="%s" step="%s"' % (field.minimum, field.maximum, "1" if kind == "integer" else "any")
        return '<input type="number" %s data-kind="%s" value="%s"%s>' % (attributes, kind, shown, bounds)
    length = ' maxlength="%d"' % field.max_length if isinstance(field, StringParamField) else ""
    return '<input type="text" %s data-kind="string" value="%s"%s>' % (attributes, shown, length)


_ACCEPT = {"image": "image/*", "audio": "audio/*", "video": "video/*"}


def _input_control(field: Any) -> str:
    key = html.escape(field.key, quote=True)
    media = Types.get(field.data_type, "text")
    if media == "text":
        text = bytes(field.test_value or b"").decode("utf-8", "replace")
        return '<textarea id="input-%s" data-input="%s" data-media="text" rows="4">%s</textarea>' % (
            key, key, html.escape(text))
    return ('<input type="file" id="input-%s" data-input="%s" data-media="%s" accept="%s"> '
            '<small>empty: the project\'s sample is sent</small>' % (key, key, media, _ACCEPT[media]))


def render(declarations: Declarations, route: str, session: bool, example: Dict[str, Any]) -> str:
    """The whole page; ``example`` (the request built from the samples) gives defaults and outputs."""
    params = "".join('<label>%s %s</label>' % (html.escape(field.key), _param_control(field))
                     for field in declarations.params) or "<p>(no params)</p>"
    inputs = "".join('<label>%s %s</label>' % (html.escape(field.key), _input_control(field))
                     for field in declarations.inputs) or "<p>(no inputs)</p>"
    title = "%s %s" % (declarations.meta.service_id, declarations.meta.version)
    return _PAGE % {
        "title": html.escape(title), "route": html.escape(route), "params": params, "inputs": inputs,
        "mode": "session (websocket)" if session else "once (HTTP POST)",
        "config": json.dumps({"route": route, "session": session, "serviceId": declarations.meta.service_id,
                              "example": example}).replace("</", "<\\/"),
    }


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%(title)s</title>
<style>
body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
label{display:block;margin:.5em 0}label>input,label>select,label>textarea{display:block;width:100%%}
label>input[type=checkbox]{display:inline;width:auto}
pre{background:#f4f4f4;padding:1em;overflow:auto}.error{color:#a00}
</style></head><body>
<h1>%(title)s</h1>
<p><code>%(route)s</code>, %(mode)s, served by <code>python -m aiges gateway</code> as the loader serves it.</p>
<form id="request"><fieldset><legend>params</legend>%(params)s</fieldset>
<fieldset><legend>inputs</legend>%(inputs)s</fieldset>
<button type="submit" id="send">Send</button></form>
<h2>Answer</h2><div id="status"></div><div id="media"></div><pre id="answer"></pre>
<script>
const CONFIG = %(config)s;
function b64(buffer){let s="";const b=new Uint8Array(buffer);for(let i=0;i<b.length;i+=32768){
  s+=String.fromCharCode.apply(null,b.subarray(i,i+32768));}return btoa(s);}
async function body(){
  const request = JSON.parse(JSON.stringify(CONFIG.example));
  const section = request.parameter[CONFIG.serviceId];
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
