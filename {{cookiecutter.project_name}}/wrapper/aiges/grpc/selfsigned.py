"""A throwaway self-signed certificate for go-plugin's AutoMTLS, made with the standard library only.

Why by hand: the standard library can use certificates (``ssl``) but not make them, and the runtime
must not need ``cryptography`` or the ``openssl`` program (slim images lack it). AutoMTLS needs no
PKI: the host trusts exactly the certificate we print in the handshake line (a pipe only it reads),
so a fresh key and a self-signed certificate per start are what go-plugin's own servers use too.

What is made: an RSA-2048 key (Miller-Rabin primes from ``secrets``; e = 65537) and an X.509 v3
certificate for ``localhost``/127.0.0.1 signed with it (sha256WithRSAEncryption, PKCS #1 v1.5),
valid from 30 s ago for one year, with go-plugin's extensions (CA, key usages, server and client
auth). Only this one signature is computed here; every TLS handshake is done by OpenSSL (``ssl``)
or BoringSSL (grpcio). The key never leaves the process except through a 0600 file in a 0700
directory while ``ssl`` loads it.
"""
import base64
import datetime
import hashlib
import secrets
from typing import List, NamedTuple, Tuple

PUBLIC_EXPONENT = 65537
KEY_BITS = 2048
MILLER_RABIN_ROUNDS = 32
_SMALL_PRIMES: List[int] = [n for n in range(3, 3000, 2) if all(n % d for d in range(3, int(n ** 0.5) + 1, 2))]
# DER of the DigestInfo prefix for SHA-256 (RFC 8017 section 9.2, note 1)
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class Certificate(NamedTuple):
    cert_pem: bytes
    key_pem: bytes  # PKCS #1 "RSA PRIVATE KEY"
    cert_der: bytes


def _probably_prime(number: int) -> bool:
    for small in _SMALL_PRIMES:
        if number % small == 0:
            return number == small
    odd, twos = number - 1, 0
    while odd % 2 == 0:
        odd //= 2
        twos += 1
    for _ in range(MILLER_RABIN_ROUNDS):
        witness = pow(secrets.randbelow(number - 3) + 2, odd, number)
        if witness in (1, number - 1):
            continue
        for _ in range(twos - 1):
            witness = pow(witness, 2, number)
            if witness == number - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    """A random prime with its two top bits set (so two of them make a modulus of exactly 2 * bits)."""
    while True:
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if candidate % PUBLIC_EXPONENT != 1 and _probably_prime(candidate):
            return candidate


# --- DER ---------------------------------------------------------------------------------------------
def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))  # a leading 0 keeps it positive


def _sequence(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _oid(dotted: str) -> bytes:
    numbers = [int(part) for part in dotted.split(".")]
    body = bytearray([40 * numbers[0] + numbers[1]])
    for number in numbers[2:]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _name(common_name: str) -> bytes:
    return _sequence(_tlv(0x31, _sequence(_oid("2.5.4.10"), _tlv(0x0C, b"aiges"))),
                     _tlv(0x31, _sequence(_oid("2.5.4.3"), _tlv(0x0C, common_name.encode("utf-8")))))


def _time(moment: datetime.datetime) -> bytes:
    return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))  # UTCTime: fine until 2049


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    return _sequence(_oid(oid), b"\x01\x01\xff" if critical else b"", _tlv(0x04, value))


def _extensions() -> bytes:
    key_usage = bytes([0x03, 0x02, 0x02, 0xAC])  # digitalSignature, keyEncipherment, keyAgreement, keyCertSign
    return _tlv(0xA3, _sequence(
        _extension("2.5.29.15", key_usage, critical=True),
        _extension("2.5.29.37", _sequence(_oid("1.3.6.1.5.5.7.3.2"), _oid("1.3.6.1.5.5.7.3.1"))),
        _extension("2.5.29.19", _sequence(b"\x01\x01\xff"), critical=True),  # CA: as go-plugin's certificates
        _extension("2.5.29.17", _sequence(_tlv(0x82, b"localhost"), _tlv(0x87, bytes([127, 0, 0, 1])))),
    ))


def _pem(kind: str, der: bytes) -> bytes:
    text = base64.b64encode(der).decode("ascii")
    lines = [text[index:index + 64] for index in range(0, len(text), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (kind, "\n".join(lines), kind)).encode("ascii")


def _sign(message: bytes, modulus: int, private_exponent: int) -> bytes:
    size = (modulus.bit_length() + 7) // 8
    digest = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    encoded = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return pow(int.from_bytes(encoded, "big"), private_exponent, modulus).to_bytes(size, "big")


def _key() -> Tuple[int, int, int, int, int]:
    """(n, d, p, q, qinv) of a new RSA key."""
    half = KEY_BITS // 2
    while True:
        first, second = _prime(half), _prime(half)
        if first != second:
            break
    modulus = first * second
    private = pow(PUBLIC_EXPONENT, -1, (first - 1) * (second - 1))
    return modulus, private, first, second, pow(second, -1, first)


def generate(common_name: str = "localhost", days: int = 365) -> Certificate:
    """A new key and a self-signed certificate for ``common_name`` (and 127.0.0.1)."""
    modulus, private, first, second, coefficient = _key()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    algorithm = _sequence(_oid("1.2.840.113549.1.1.11"), b"\x05\x00")
    public = _sequence(_integer(modulus), _integer(PUBLIC_EXPONENT))
    tbs = _sequence(
        _tlv(0xA0, _integer(2)),  # v3
        _integer(secrets.randbits(127) | 1),
        algorithm,
        _name(common_name),
        _sequence(_time(now - datetime.timedelta(seconds=30)), _time(now + datetime.timedelta(days=days))),
        _name(common_name),
        _sequence(_sequence(_oid("1.2.840.113549.1.1.1"), b"\x05\x00"), _tlv(0x03, b"\x00" + public)),
        _extensions(),
    )
    cert_der = _sequence(tbs, algorithm, _tlv(0x03, b"\x00" + _sign(tbs, modulus, private)))
    key_der = _sequence(_integer(0), _integer(modulus), _integer(PUBLIC_EXPONENT), _integer(private),
                        _integer(first), _integer(second), _integer(private % (first - 1)),
                        _integer(private % (second - 1)), _integer(coefficient))
    return Certificate(_pem("CERTIFICATE", cert_der), _pem("RSA PRIVATE KEY", key_der), cert_der)
