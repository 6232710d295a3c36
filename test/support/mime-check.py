"""A strict reading of mails we sent, by a parser nobody here wrote: Python's `email` package with `policy.default`.

Reads every file named on the command line (raw RFC 5322 bytes) and prints one JSON object per mail: the defects
the parser registered (message, parts and headers), the defects of the wire form it does not look for (line ending,
line length, 8-bit headers, threading headers), and the text and HTML a reader would see.
"""

import email
import json
import re
import sys
from email import policy
from email.utils import parsedate_to_datetime

MAX_LINE = 998  # RFC 5322 §2.1.1, without the CRLF
MSG_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


def wire_defects(raw):
    found = []
    if re.search(rb"(?<!\r)\n", raw) or re.search(rb"\r(?!\n)", raw):
        found.append("bare CR or LF (SMTP needs CRLF line endings)")
    head, _, _ = raw.partition(b"\r\n\r\n")
    if re.search(rb"[\x80-\xff]", head):
        found.append("8-bit bytes in the header block")
    for number, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > MAX_LINE:
            found.append(f"line {number} is {len(line)} octets long (more than {MAX_LINE})")
            break
    return found


def part_defects(part, where):
    found = [f"{where}: {type(d).__name__}: {d}" for d in part.defects]
    for name, value in part.items():
        for d in getattr(value, "defects", ()):
            found.append(f"{where}: header {name}: {type(d).__name__}: {d}")
    if not part.is_multipart():
        cte = (part.get("Content-Transfer-Encoding") or "7bit").lower()
        payload = part.get_payload(decode=False)
        if cte in ("7bit", "") and isinstance(payload, str) and re.search(r"[^\x00-\x7f]", payload):
            found.append(f"{where}: 8-bit content under Content-Transfer-Encoding 7bit")
        before = len(part.defects)
        part.get_payload(decode=True)  # registers base64 padding and alphabet defects
        found += [f"{where}: {type(d).__name__}: {d}" for d in part.defects[before:]]
        if part.get_content_maintype() == "text":
            try:
                part.get_content()
            except (LookupError, UnicodeError) as error:
                found.append(f"{where}: text does not decode: {error}")
    return found


def header_defects(msg):
    found = []
    for name in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version"):
        if msg[name] is None:
            found.append(f"missing {name}")
    if msg["Date"] is not None:
        try:
            parsedate_to_datetime(str(msg["Date"]))
        except (TypeError, ValueError):
            found.append(f"Date does not parse: {msg['Date']}")
    own = str(msg["Message-ID"] or "").strip()
    if own and not MSG_ID.match(own):
        found.append(f"Message-ID is not <left@right>: {own}")
    refs = str(msg["References"] or "").split()
    if own and own in refs:
        found.append("References lists the mail's own Message-ID (RFC 5322 §3.6.4)")
    for ref in refs:
        if not MSG_ID.match(ref):
            found.append(f"References holds a malformed id: {ref}")
    parent = str(msg["In-Reply-To"] or "").strip()
    if parent and refs and refs[-1] != parent:
        found.append("In-Reply-To is not the last id of References")
    return found


def own_parts(msg):
    """The parts of our own structure, in walk order: an attached message (message/rfc822) is one part, whatever is
    inside it being the forwarded sender's, relayed as received."""
    yield msg
    if msg.get_content_maintype() == "multipart":
        for sub in msg.iter_parts():
            yield from own_parts(sub)


def encoding_defects(part, where):
    cte = (part.get("Content-Transfer-Encoding") or "7bit").lower()
    if part.get_content_type() in ("message/rfc822", "message/partial", "message/external-body") and cte not in ("7bit", "8bit", "binary"):
        return [f"{where}: {part.get_content_type()} under Content-Transfer-Encoding {cte} (RFC 2046 §5.2 allows 7bit, 8bit, binary)"]
    return []


def check(path):
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=policy.default)
    defects = wire_defects(raw) + header_defects(msg)
    for number, part in enumerate(own_parts(msg)):
        where = "message" if number == 0 else f"part {number} ({part.get_content_type()})"
        defects += encoding_defects(part, where) + part_defects(part, where)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return {
        "path": path,
        "defects": defects,
        "structure": [p.get_content_type() for p in msg.walk()],
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
        "attachments": [p.get_filename() for p in msg.iter_attachments()] if msg.is_multipart() else [],
    }


if __name__ == "__main__":
    paths = sys.argv[1:] or [line.strip() for line in sys.stdin if line.strip()]
    json.dump([check(p) for p in paths], sys.stdout)
