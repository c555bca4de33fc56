"""Verifies DKIM signatures with dkimpy (Debian's python3-dkim), which shares no code with MimeKit.

Usage: dkim_verify.py DNS_NAME TXT_RECORD [FILE...]

DNS is not asked: TXT_RECORD is the only answer, and only for DNS_NAME, so a signature that names
another selector or domain fails. Prints True or False for each FILE in order (stdin if none).
"""
import sys

import dkim

name, record = sys.argv[1], sys.argv[2].encode("ascii")


def txt(qname, timeout=5):
    asked = qname.decode("ascii") if isinstance(qname, bytes) else qname
    return record if asked.rstrip(".") == name else None


messages = [open(path, "rb").read() for path in sys.argv[3:]] or [sys.stdin.buffer.read()]
for message in messages:
    print(dkim.verify(message, dnsfunc=txt))
