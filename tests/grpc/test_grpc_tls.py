"""go-plugin AutoMTLS: with ``PLUGIN_CLIENT_CERT`` set, the plugin serves TLS that requires exactly
that client certificate and sends its own certificate as the handshake's 6th field, as go-plugin's
servers do. Proven with the real Go host (go-plugin 1.0.1 has AutoMTLS) on both transports and
listening modes, and with grpcio clients holding the right, a wrong or no certificate."""

import base64
import ssl

import fakehost
import pytest
from aiges.grpc import selfsigned
from conftest import plugin_env, text
from test_gohost import go_binary, go_host, once  # noqa: F401  (fixtures)

TRANSPORTS = ["h2", "grpcio"]
HOST_CERT = selfsigned.generate()  # the host's AutoMTLS certificate, as go-plugin makes one per start


def der_of_handshake(field: str) -> bytes:
    return base64.b64decode(field + "=" * (-len(field) % 4))


def tls_plugin(spawn, wrapper_dir, transport, listen="unix"):
    plugin = spawn(
        wrapper_dir("echo"),
        connect=False,
        AIGES_TRANSPORT=transport,
        AIGES_LISTEN=listen,
        PLUGIN_CLIENT_CERT=HOST_CERT.cert_pem.decode(),
    )
    assert len(plugin.handshake.split("|")) == 6 and plugin.certificate
    return plugin


def credentials(plugin, client=HOST_CERT):
    server_pem = ssl.DER_cert_to_PEM_cert(der_of_handshake(plugin.certificate)).encode()
    if client is None:
        return fakehost.grpc.ssl_channel_credentials(root_certificates=server_pem)
    return fakehost.grpc.ssl_channel_credentials(
        root_certificates=server_pem, private_key=client.key_pem, certificate_chain=client.cert_pem
    )


@pytest.mark.parametrize("listen", ["unix", "tcp"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_go_host_with_auto_mtls_serves_through_tls(go_host, transport, listen):  # noqa: F811
    host = go_host("echo", GOHOST_AUTO_MTLS="1", AIGES_TRANSPORT=transport, AIGES_LISTEN=listen)
    assert host.call({"op": "init", "config": {}}) == {"op": "init", "ret": 0}, host.stderr()
    result = once(host, "mtls-1", b"through TLS")
    assert (result["ret"], [item["len"] for item in result["list"]]) == (0, [11]), result
    big = once(host, "mtls-big", b"z" * (3 * 1024 * 1024))
    assert big["ret"] == 0 and big["list"][0]["len"] == 3 * 1024 * 1024
    assert "with mutual TLS" in host.stderr()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_handshake_carries_our_certificate_as_go_plugin_servers_send_it(spawn, wrapper_dir, transport):
    plugin = tls_plugin(spawn, wrapper_dir, transport)
    assert "=" not in plugin.certificate  # base64 RawStdEncoding: no padding
    decoded = ssl.DER_cert_to_PEM_cert(der_of_handshake(plugin.certificate))
    assert "BEGIN CERTIFICATE" in decoded


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_client_with_the_hosts_certificate_is_served(spawn, wrapper_dir, transport):
    plugin = tls_plugin(spawn, wrapper_dir, transport, listen="tcp")
    plugin.channel = plugin.new_channel(credentials(plugin))
    fakehost.grpc.channel_ready_future(plugin.channel).result(timeout=10)
    plugin.open_communicate()
    assert plugin.init({}) == 0
    assert plugin.exec_once("tls", text(b"secret")).list[0].data == b"secret"


@pytest.mark.parametrize("client", ["plaintext", "no certificate", "another certificate"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_client_without_the_hosts_certificate_is_refused(spawn, wrapper_dir, transport, client):
    plugin = tls_plugin(spawn, wrapper_dir, transport, listen="tcp")
    if client == "plaintext":
        channel = plugin.new_channel()
    else:
        channel = plugin.new_channel(credentials(plugin, None if client == "no certificate" else selfsigned.generate()))
    try:
        with pytest.raises(fakehost.grpc.RpcError) as refused:
            plugin.call(
                "grpc.health.v1.Health",
                "Check",
                fakehost.wire.message("grpc.health.v1.HealthCheckRequest")(service="plugin"),
                timeout=5,
                channel=channel,
            )
        assert refused.value.code() in (
            fakehost.grpc.StatusCode.UNAVAILABLE,
            fakehost.grpc.StatusCode.DEADLINE_EXCEEDED,
        )
    finally:
        channel.close()
    plugin.channel = plugin.new_channel(credentials(plugin))  # the host itself still gets in
    assert plugin.health() == "SERVING"


def test_an_unusable_client_certificate_is_a_clear_start_up_error(spawn, wrapper_dir):
    with pytest.raises(fakehost.HandshakeError) as failed:
        spawn(wrapper_dir("echo"), connect=False, PLUGIN_CLIENT_CERT="not a certificate")
    assert "PLUGIN_CLIENT_CERT is not a PEM certificate" in str(failed.value)


def test_the_self_signed_certificate_is_valid_for_localhost_and_matches_its_key(tmp_path):
    made = selfsigned.generate()
    (tmp_path / "cert.pem").write_bytes(made.cert_pem)
    (tmp_path / "key.pem").write_bytes(made.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))  # raises on a mismatch
    decoded = ssl._ssl._test_decode_cert(str(tmp_path / "cert.pem"))
    assert ("DNS", "localhost") in decoded["subjectAltName"] and ("IP Address", "127.0.0.1") in decoded[
        "subjectAltName"
    ]
    verifier = ssl.create_default_context(cadata=made.cert_pem.decode())
    assert verifier.cert_store_stats()["x509"] == 1
    assert made.cert_der == ssl.PEM_cert_to_DER_cert(made.cert_pem.decode())


def test_without_cryptography_autotls_is_a_clear_start_up_error_naming_the_fix(spawn, wrapper_dir, tmp_path):
    shadow = tmp_path / "no-cryptography"
    (shadow / "cryptography").mkdir(parents=True)
    (shadow / "cryptography" / "__init__.py").write_text("raise ImportError('cryptography is not installed')\n")
    hidden = "%s:%s" % (shadow, plugin_env()["PYTHONPATH"])  # an unimportable cryptography comes first
    with pytest.raises(fakehost.HandshakeError) as failed:
        spawn(wrapper_dir("echo"), connect=False, PLUGIN_CLIENT_CERT=HOST_CERT.cert_pem.decode(), PYTHONPATH=hidden)
    assert "needs the cryptography package" in str(failed.value)
    assert "requirements.txt" in str(failed.value)
