"""A wrapper written against the runtime's plugin API: declared errors, typed params, builders, a session table."""
from aiges.sdk import (
    BooleanParamField,
    DataEnd,
    ErrorCodes,
    IntegerParamField,
    PluginError,
    SessionCreateResponse,
    SessionTable,
    StringBodyField,
    StringParamField,
    WrapperBase,
    callback,
    json_response,
    text_response,
)


class Errors(ErrorCodes):
    BAD_PARAM = 10001, "invalid parameter"
    NO_INPUT = 10002, "the request carries no input data"
    BUSY = 10003, "too many open sessions"
    NO_SESSION = 10004, "unknown session handle"
    BAD_CONFIG = 10005, "invalid init config"


class UserRequest:
    times = IntegerParamField(key="times", minimum=1, maximum=5, value=1)
    mode = StringParamField(key="mode", enums=["plain", "json"], value="plain")
    shout = BooleanParamField(key="shout", value=False)
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "declared_errors"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()
    errors = Errors

    def wrapperInit(self, config):
        if config.get("refuse") == "yes":
            raise PluginError(Errors.BAD_CONFIG, "refuse=yes was asked for")
        self.sessions = SessionTable(limit=int(config.get("max_sessions", "2")), errors=Errors)
        return 0

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        options = self.read_params(params)
        node = reqData.get("text")
        if node is None:
            raise PluginError(Errors.NO_INPUT, "no node named text")
        text = bytes(node.data).decode("utf-8") * options.times
        text = text.upper() if options.shout else text
        if options.mode == "json":
            return json_response(UserResponse.accept_out, {"text": text, "times": options.times})
        return text_response("out", text)

    def wrapperCreate(self, params, sid, persId=0, usrTag=""):
        options = self.read_params(params)
        reply = SessionCreateResponse()
        reply.handle = self.sessions.open({"tag": usrTag or sid, "times": options.times})
        reply.error_code = 0
        return reply

    def wrapperWrite(self, handle, req, sid=""):
        session = self.sessions.get(handle)
        node = req.get("text")
        if node is None:
            raise PluginError(Errors.NO_INPUT)
        callback(text_response("out", bytes(node.data).decode() * session["times"], status=DataEnd), session["tag"])
        return 0

    def wrapperDestroy(self, handle):
        self.sessions.close(handle)
        return 0

