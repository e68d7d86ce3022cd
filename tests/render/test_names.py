"""render's serviceId/version rules are the bake's: the runtime's copy equals helpers/rules.py."""

import pytest
from aiges.tools.render import names

from helpers import rules


def test_the_runtime_copy_of_the_rules_equals_the_bakes():
    assert names.SERVICE_ID == rules.PATTERNS["service_id"]
    assert names.VERSION == rules.PATTERNS["service_version"]
    assert "service_id" in rules.KEYWORD_CHECKED


@pytest.mark.parametrize(
    "value",
    ["text_demo", "a", "ocr2", "x" * 64, "../../etc", "class", "Upper", "a-b", "", "a__b", "x" * 65, "1abc", "a b"],
)
def test_both_judge_every_service_id_alike(value):
    assert (names.service_id_problem(value) is None) == (rules.answer_problem("service_id", value) == "")


@pytest.mark.parametrize("value", ["v1", "1.0", "v2_beta-3", "x" * 32, "x" * 33, "v1/../a", "", ".hidden", "v 1"])
def test_both_judge_every_version_alike(value):
    assert (names.version_problem(value) is None) == (rules.answer_problem("service_version", value) == "")
