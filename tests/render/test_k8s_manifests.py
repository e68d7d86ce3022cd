"""Names, labels and derived values of deploy/k8s that the template's answers alone do not reach."""

import re

import pytest
from aiges.errors import DeclarationError
from aiges.tools.render import k8s_manifests
from aiges.tools.render.options import Settings, cpu_millis, settings_from_table

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")  # Service names (RFC 1035 labels), at most 63
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@pytest.mark.parametrize(
    "service_id, name",
    [
        ("aiges_demo", "aiges-demo"),
        ("OCR.Service", "ocr-service"),
        ("9lives", "aiges-9lives"),
        ("__x__", "x"),
        ("_", "aiges"),
        ("a" * 80, "a" * 63),
        ("ab_" + "_" * 70 + "c", "ab-c"),
        ("ab" + "-" * 70 + "c", "ab"),
    ],
)
def test_service_ids_become_valid_kubernetes_names(service_id: str, name: str) -> None:
    made = k8s_manifests.app_name(service_id)
    assert made == name
    assert DNS_LABEL.match(made) and len(made) <= 63


@pytest.mark.parametrize("version", ["v1", "1.0.0", "2024-01-01", "-x-", "v 1/2", "é", "." * 70, "a" * 100])
def test_versions_become_valid_label_values(version: str) -> None:
    value = k8s_manifests.label_value(version)
    assert LABEL_VALUE.match(value) and len(value) <= 63


def test_the_grace_period_covers_the_measured_stop_and_can_be_raised() -> None:
    once, stream = (k8s_manifests.grace_seconds(Settings(), session) for session in (False, True))
    pause, kill = k8s_manifests.PRESTOP_SECONDS, k8s_manifests.PLUGIN_KILL_SECONDS
    assert once > pause + 3 + kill and stream > pause + 14 + kill  # spec 13.5: ~3 s and 12.8-14 s
    assert k8s_manifests.grace_seconds(settings_from_table({"k8s_grace_seconds": 90}), True) == 90


@pytest.mark.parametrize("quantity, millis", [("1", 1000), ("0.5", 500), ("1.25", 1250), ("500m", 500), ("16", 16000)])
def test_cpu_quantities(quantity: str, millis: int) -> None:
    assert cpu_millis(quantity) == millis


@pytest.mark.parametrize("listen", ["127.0.0.1:1888", "localhost:1888", "10.0.0.5:1888"])
def test_an_address_a_pod_cannot_be_reached_on_is_an_error_naming_the_setting(listen: str) -> None:
    with pytest.raises(DeclarationError, match="http_listen") as caught:
        k8s_manifests.k8s_outputs(None, settings_from_table({"http_listen": listen}), [], "pyproject.toml")
    assert caught.value.file == "pyproject.toml" and "k8s = false" in str(caught.value)
