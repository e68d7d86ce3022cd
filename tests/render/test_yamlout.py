"""The manifests' YAML writer: whatever plain data it is given, a YAML reader gets the same data back.

PyYAML (a test dependency, never a runtime one) is the reader: it follows YAML 1.1, the stricter
about what an unquoted word means (``on``, ``yes``, ``1e3``), so passing it covers 1.2 readers too.
"""

import math

import pytest
import yaml
from aiges.tools.render import yamlout
from hypothesis import given, settings
from hypothesis import strategies as st

SCALAR = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(
        [
            "on",
            "off",
            "yes",
            "No",
            "null",
            "Null",
            "~",
            "true",
            "1",
            "1.0",
            "1e3",
            "0x1F",
            "2Gi",
            "500m",
            "-",
            "- x",
            "a: b",
            "a #b",
            "#",
            "'",
            '"',
            "/ping",
            "apps/v1",
            "*x",
            "&x",
            "!x",
            "%x",
            "@x",
            "`x",
            "{",
            "[",
            ">",
            "|",
            "?",
            " lead",
            "trail ",
            "",
            "\u2028",
            "\x85",
            "\t",
        ]
    ),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.none(),
)
KEY = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10),
    st.sampled_from(["on", "y", "No", "null", "1", "app.kubernetes.io/name", "nvidia.com/gpu", "a b"]),
)
DATA = st.recursive(
    SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=4)), max_leaves=24
)


@settings(max_examples=400, deadline=None)
@given(DATA)
def test_any_plain_data_reads_back_equal(document):
    assert yaml.safe_load(yamlout.dumps(document)) == document


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(KEY, DATA, min_size=1, max_size=4), min_size=1, max_size=3))
def test_several_documents_read_back_in_order(documents):
    text = yamlout.dumps_all(documents, ["header", ""])
    assert text.startswith("# header\n#\n")
    assert list(yaml.safe_load_all(text)) == documents


def test_comments_come_first_and_the_output_is_block_style():
    text = yamlout.dumps({"spec": {"ports": [{"name": "http", "port": 1888}], "tags": []}}, ["a", "b"])
    assert text == ("# a\n# b\nspec:\n  ports:\n  - name: http\n    port: 1888\n  tags: []\n")


def test_numbers_in_strings_stay_strings():
    text = yamlout.dumps({"cpu": "1", "memory": "2Gi", "replicas": 1, "on": "on"})
    assert text == 'cpu: "1"\nmemory: "2Gi"\nreplicas: 1\n"on": "on"\n'


@pytest.mark.parametrize("value", [1.5, math.nan, object(), b"bytes"])
def test_values_yaml_would_misread_are_refused(value):
    with pytest.raises(TypeError, match="cannot write"):
        yamlout.dumps({"x": value})


def test_non_string_keys_are_refused():
    with pytest.raises(TypeError, match="keys must be strings"):
        yamlout.dumps({1: "x"})
