"""Our ``python_wrapper`` package against the vendor's: the same names, values and behaviour for wrapper code."""

import json
import subprocess
import sys

from widgetpy_support import *  # noqa: F403 - its fixtures (a conftest here would shadow tests/grpc's)
from widgetpy_support import need_vendor, plugin_env

SURVEY = r"""
import inspect, json
import python_wrapper
from python_wrapper import DataStatus, DataType, WrapperBase, WrapperData
from python_wrapper.aiges_types import WrapperData as TypesData
from python_wrapper.aiges_wrapper import WrapperBase as ModuleBase

class Minimal(WrapperBase):
    def init(self, cfg): return 0
    def fini(self): return 0
    def version(self): return "1"

def outcome(call):
    try:
        return ["ok", repr(call())]
    except Exception as error:
        return [type(error).__name__, str(error)]

item = WrapperData("k", "text")
wrapper = Minimal()
print(json.dumps({
    "all": sorted(python_wrapper.__all__),
    "same objects": [TypesData is WrapperData, ModuleBase is WrapperBase],
    "types": {name: getattr(DataType, name) for name in ("TEXT", "AUDIO", "IMAGE", "VIDEO", "PER", "RAW")},
    "status": {name: getattr(DataStatus, name) for name in ("BEGIN", "CONTINUE", "END", "ONCE")},
    "slots": sorted(WrapperData.__slots__),
    "defaults": [item.data, item.type, item.status, item.desc].__repr__(),
    "repr": repr(WrapperData("k", b"abc", 1, 2)),
    "bad data": [outcome(lambda v=v: WrapperData("k", v)) for v in (bytearray(b"x"), None, 3)],
    "extra attribute": outcome(lambda: setattr(item, "len", 1)),
    "abstract": sorted(WrapperBase.__abstractmethods__),
    "methods": {
        name: outcome(lambda name=name: getattr(wrapper, name)(*args))
        for name, args in {
            "exec": ("t", {}, [], []), "create": ("t", {}, []), "write": ("h", []), "read": ("h",),
            "destroy": ("h",), "load_res": ([], 1), "unload_res": (1,), "debug_info": ("h",),
            "error": (7,), "notify": ([],),
            "meter_custom": ("h", "k"), "meter_custom_ex": ("h", "a", "c", "f"), "trace_log": ("h", "k", "v"),
            "metrics_log": ("h", "n"), "update_lb_extra": ({},), "eventlog": ("h", "k", "v"),
            "async_callback": ("t",),
        }.items()
    },
    "signatures": {
        name: [  # names and defaults; annotations may differ
            [p.name, None if p.default is p.empty else repr(p.default)]
            for p in inspect.signature(getattr(WrapperBase, name)).parameters.values()
        ]
        for name in ("meter_custom", "meter_custom_ex", "trace_log", "metrics_log", "update_lb_extra", "eventlog",
                     "async_callback", "exec", "create", "write", "read", "destroy", "load_res", "unload_res",
                     "debug_info", "error", "notify")
    },
}, sort_keys=True))
"""


def survey(which, folder):
    done = subprocess.run(
        [sys.executable, "-c", SURVEY], cwd=str(folder), env=plugin_env(which), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_wrapper_code_sees_the_same_api_on_both_packages(scratch):
    need_vendor()
    ours, vendor = survey("ours", scratch), survey("vendor", scratch)
    assert ours == vendor
