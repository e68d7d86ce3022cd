"""A new-API (python_wrapper) wrapper that answers each request the way it asks: codes, exceptions, odd returns,
every callback helper, slow calls. The same file runs on the vendor's server and on ours."""

import os
import threading
import time

from python_wrapper import DataStatus, WrapperBase, WrapperData


class ProbeWrapper(WrapperBase):
    def __init__(self):
        self.lock = threading.Lock()
        self.busy = {}  # handle -> calls running now
        self.overlaps = 0

    def init(self, cfg):
        fail = cfg.get("fail")
        if fail == "raise":
            raise Exception("init boom")
        if fail == "code":
            return 7
        if fail == "none":
            return None
        return 0

    def fini(self):
        marker = os.environ.get("PROBE_FINI_FILE")
        if marker:
            with open(marker, "a") as out:
                out.write("fini\n")
        return int(os.environ.get("PROBE_FINI_CODE", "0"))

    def version(self):
        if os.environ.get("PROBE_VERSION_RAISE"):
            raise Exception("version boom")
        return "1.0.0"

    def exec(self, usr_tag, params, data_list, psr_ids):
        mode = params.get("mode", "")
        if mode == "raise":
            raise KeyError("exec boom")
        if mode == "code":
            return [WrapperData("partial", b"x")], 10101
        if mode == "none":
            return None, None
        if mode == "notuple":
            return [WrapperData("only", b"1")]
        if mode == "strcode":
            return [], "12"
        if mode == "baddata":
            return [WrapperData("k", b"x", desc={"n": 1})], 0
        if mode == "sleep":
            time.sleep(float(params.get("s", "0.5")))
            return [WrapperData("slept", b"")], 0
        if mode == "big":
            return [WrapperData("big", b"x" * int(params["n"]))], 0
        if mode == "callbacks":
            codes = [
                self.meter_custom(usr_tag, "mkey", 3),
                self.meter_custom_ex(usr_tag, "app1", "chan1", "fn1", 2),
                self.trace_log(usr_tag, "tk", "tv"),
                self.metrics_log(usr_tag, "m1", {"l": "v"}, 150),
                self.update_lb_extra({"lb": "x"}),
                self.eventlog(usr_tag, "ek", "ev"),
                self.async_callback(usr_tag, [WrapperData("async", b"AS", status=DataStatus.END, desc={"d": "1"})]),
                self.async_callback(usr_tag, err_code=5, err_msg="bad"),
            ]
            return [WrapperData("codes", str(codes))], 0
        info = "tag=%r params=%r psr=%r types=%r" % (
            usr_tag,
            sorted(params.items()),
            psr_ids,
            [type(item).__name__ for item in data_list],
        )
        results = [WrapperData("info", info, desc={"k": "v"})]
        results += [WrapperData(item.key, item.data, item.type, item.status) for item in data_list]
        return results, 0

    def create(self, usr_tag, params, psr_ids):
        mode = params.get("mode")
        if mode == "none":
            return None, 0
        if mode == "raise":
            raise Exception("create boom")
        return "h-" + usr_tag, 0

    def _enter(self, handle):
        with self.lock:
            self.busy[handle] = self.busy.get(handle, 0) + 1
            if self.busy[handle] > 1:
                self.overlaps += 1

    def _leave(self, handle):
        with self.lock:
            self.busy[handle] -= 1

    def write(self, handle, data_list):
        if handle == "h-raise":
            raise Exception("write boom")
        self._enter(handle)
        try:
            for item in data_list:
                if item.key == "sleep":
                    time.sleep(float(item.data))
        finally:
            self._leave(handle)
        return 0

    def read(self, handle):
        self._enter(handle)
        try:
            time.sleep(0.05)
        finally:
            self._leave(handle)
        return [WrapperData("r", handle, status=DataStatus.END)], 0

    def destroy(self, handle):
        return 3 if handle == "h-three" else 0

    def load_res(self, data_list, res_id):
        return res_id

    def unload_res(self, res_id):
        if res_id == 13:
            raise Exception("unload boom")
        return 0

    def debug_info(self, handle):
        if handle == "raise":
            raise Exception("debug boom")
        if handle == "overlaps":
            return "overlaps=%d" % self.overlaps
        return "dbg:" + handle

    def notify(self, data_list):
        return len(data_list)
