"""The standard-library TOML reader understands the files we render and the settings we read."""
import pytest
from aiges import tomlread

SAMPLE = '''
# comment
[svcName]
host = "0.0.0.0"
port = 5090

[aiges]
asyncMode = false
pythonPluginCmd = "python3 -m aiges.serve"  # trailing comment

[wrapper]
"log.level" = "info"
http_listen = "0.0.0.0:1888"
list = [1, 2, "three"]

[tool.aiges]
plugin_mode = 'grpc'
'''


def test_subset_reader_matches_tomllib():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = pytest.importorskip("tomli")

    assert tomlread._loads_subset(SAMPLE) == tomllib.loads(SAMPLE)
