"""A throwaway self-signed certificate for go-plugin's AutoMTLS, made with ``cryptography``.

AutoMTLS needs no PKI: the host trusts exactly the certificate we print in the handshake line (a
pipe only it reads), so a fresh key and a self-signed certificate per start are what go-plugin's own
servers use too. The standard library can use certificates (``ssl``) but not make them, and key
generation and signing are not code to write by hand, so this one optional feature needs the
``cryptography`` package; nothing else in the runtime does. The real loader never asks for AutoMTLS
(docs/explanation/security.md), so images need ``cryptography`` only for hosts that do.

What is made: an ECDSA P-256 key and an X.509 v3 certificate for ``localhost``/127.0.0.1 signed
with it (ecdsa-with-SHA256), valid from 30 s ago for one year, with go-plugin's extensions (CA, key
usages, server and client auth). Every TLS handshake is done by OpenSSL (``ssl``). The key never
leaves the process except through a 0600 file in a 0700 directory while ``ssl`` loads it.
"""

import datetime
import ipaddress
from typing import NamedTuple

NEEDS = (
    "go-plugin AutoMTLS (PLUGIN_CLIENT_CERT is set) needs the cryptography package to make the plugin's "
    "certificate: add cryptography to requirements.txt (or unset PLUGIN_CLIENT_CERT in the host)"
)


class Certificate(NamedTuple):
    cert_pem: bytes
    key_pem: bytes  # PKCS #8 "PRIVATE KEY"
    cert_der: bytes


def generate(common_name: str = "localhost", days: int = 365) -> Certificate:
    """A new key and a self-signed certificate for ``common_name`` (and 127.0.0.1).

    Raises ValueError (with the fix) when ``cryptography`` is not installed.
    """
    try:
        from cryptography import x509  # optional dependency: cryptography, only under AutoMTLS
        from cryptography.hazmat.primitives import hashes, serialization  # optional (cryptography)
        from cryptography.hazmat.primitives.asymmetric import ec  # optional (cryptography)
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # optional (cryptography)
    except ImportError as error:
        raise ValueError(NEEDS) from error
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aiges"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)  # as go-plugin's
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(common_name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Certificate(
        certificate.public_bytes(serialization.Encoding.PEM),
        key_pem,
        certificate.public_bytes(serialization.Encoding.DER),
    )
