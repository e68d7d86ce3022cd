"""A CPU-bound wrapper for the process-workers benchmark: a fixed amount of pure-Python work per request.

``wrapperInit``'s config ``iterations`` sets the loop's length; the benchmark calibrates it once to
about 5 ms in its own interpreter, so every server does the same work whatever the load. (A loop
until a clock says 5 ms would finish early in wall time when threads share the GIL.) The result
echoes the first input under key ``out``, as the trivial wrapper does.
"""
from aiges.dto import Response, ResponseData
from aiges.sdk import StringBodyField, WrapperBase


def work(iterations):
    total = 0
    for number in range(iterations):
        total += number * number % 7
    return total


class UserRequest:
    text = StringBodyField(key="text", value=b"hello")


class UserResponse:
    accept_out = StringBodyField(key="out")


class Wrapper(WrapperBase):
    serviceId = "cpubound"
    version = "v1"
    requestCls = UserRequest()
    responseCls = UserResponse()

    def wrapperInit(self, config):
        self.iterations = int(config.get("iterations", "50000"))
        return 0

    def wrapperFini(self):
        return 0

    def wrapperOnceExec(self, params, reqData, usrTag="", persId=0):
        work(self.iterations)
        result = ResponseData()
        result.key = "out"
        result.setData(reqData.list[0].data)
        result.type = 0
        result.status = 3
        response = Response()
        response.list = [result]
        return response
