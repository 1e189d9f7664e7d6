"""Who issued a certificate: read from its DER bytes, to name it in a TLS failure.

A certificate the verifier refused is reported by OpenSSL with a reason only ("self-signed
certificate in certificate chain"); the issuer a user needs to find the right CA bundle is in
the certificate itself. The standard library decodes a certificate only after verifying it,
so this reads the few DER fields on the way to the issuer's name (RFC 5280, 4.1).
"""

from __future__ import annotations

SEQUENCE, SET, CONTEXT_0 = 0x30, 0x31, 0xA0
OBJECT_ID = 0x06
NAME_ATTRIBUTES = {  # the attributes people recognise a CA by, in the order they are shown
    b"\x55\x04\x03": "CN",
    b"\x55\x04\x0a": "O",
    b"\x55\x04\x0b": "OU",
    b"\x55\x04\x06": "C",
}


class NotACertificate(ValueError):
    pass


def _element(data: bytes, at: int) -> tuple[int, int, int]:
    """The DER element at ``at``: its tag, where its content starts and where it ends."""
    if at + 2 > len(data):
        raise NotACertificate("truncated")
    tag, length = data[at], data[at + 1]
    start = at + 2
    if length & 0x80:  # long form: the next (length & 0x7f) bytes hold the length
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise NotACertificate("bad length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    if start + length > len(data):
        raise NotACertificate("truncated")
    return tag, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    children, at = [], start
    while at < end:
        child = _element(data, at)
        children.append(child)
        at = child[2]
    return children


def issuer_of(der: bytes) -> str:
    """The issuer's name, as ``CN=…, O=…`` (only the attributes people know a CA by)."""
    tag, start, end = _element(der, 0)
    if tag != SEQUENCE:
        raise NotACertificate("not a SEQUENCE")
    tag, start, end = _element(der, start)  # tbsCertificate
    if tag != SEQUENCE:
        raise NotACertificate("no tbsCertificate")
    fields = _children(der, start, end)
    if fields and fields[0][0] == CONTEXT_0:  # the optional version
        fields = fields[1:]
    if len(fields) < 3 or fields[2][0] != SEQUENCE:  # serial, signature algorithm, issuer
        raise NotACertificate("no issuer")
    parts: dict[str, list[str]] = {}
    for rdn_tag, rdn_start, rdn_end in _children(der, fields[2][1], fields[2][2]):
        if rdn_tag != SET:
            raise NotACertificate("bad name")
        for _, attr_start, attr_end in _children(der, rdn_start, rdn_end):
            (oid_tag, oid_start, oid_end), (_, value_start, value_end) = (
                _children(der, attr_start, attr_end)[:2])
            name = NAME_ATTRIBUTES.get(der[oid_start:oid_end]) if oid_tag == OBJECT_ID else None
            if name is not None:
                value = der[value_start:value_end].decode("utf-8", "replace")
                parts.setdefault(name, []).append(value)
    shown = [f"{name}={value}" for name in NAME_ATTRIBUTES.values()
             for value in parts.get(name, [])]
    return ", ".join(shown) if shown else "an issuer with no common name"
