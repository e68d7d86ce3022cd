"""One public API: ``from aiges import ...`` offers every name a wrapper needs (those of ``aiges.sdk.API``),
importing ``aiges.sdk`` only when a name is used, so ``import aiges.serve`` keeps its fast start."""

import subprocess
import sys

from tests.conftest import runtime_env


def python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], env=runtime_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_aiges_alone_imports_no_runtime_module_but_the_name_list():
    assert (
        python("import sys, aiges; print(sorted(m for m in sys.modules if m.startswith('aiges')))")
        == "['aiges', 'aiges.publicapi']"
    )


def test_every_api_name_comes_from_aiges_as_from_aiges_sdk():
    assert (
        python("""
import aiges, aiges.sdk as sdk
assert aiges.__all__ == [name for name in sdk.API if name != "callback"] and set(sdk.API) <= set(sdk.__all__)
assert all(getattr(aiges, name) is getattr(sdk, name) for name in aiges.__all__)
import aiges.callback
assert aiges.callback.__name__ == "aiges.callback"  # the vendor's module path wins over the function's name
print(len(aiges.__all__))
""")
        == "40"
    )


def test_a_star_import_gives_the_whole_api():
    assert (
        python("from aiges import *; print(WrapperBase.__name__, PluginError.__name__, json_response.__name__)")
        == "WrapperBase PluginError json_response"
    )


def test_an_unknown_name_is_an_attribute_error_naming_it():
    assert (
        python("""
import aiges
try:
    aiges.WraperBase
except AttributeError as error:
    print(error)
""")
        == "module 'aiges' has no attribute 'WraperBase'"
    )
