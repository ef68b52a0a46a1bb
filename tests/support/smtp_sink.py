"""A real SMTP server on loopback for the tests (aiosmtpd): every accepted message is
parsed (headers, decoded subject, its text and HTML parts) and written as <n>.json into
--dir, with the raw message as <n>.eml. Recipients whose local part starts with "bounce"
are refused with 550 (a permanent failure); with --tempfail every message is refused with
451 (a provider that is up but failing). When a message carries a DKIM-Signature and
<dir>/_dns.map holds the selector's TXT record (JSON: {"sel._domainkey.domain.": "v=DKIM1;
..."}), the signature is verified with dkimpy and the result stored as "dkim"."""
import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os

from aiosmtpd.controller import Controller

counter = itertools.count()


def verify_dkim(directory, raw):
    try:
        import dkim  # dkimpy (and pynacl for ed25519)
    except ImportError:
        return "dkimpy missing"
    try:
        with open(os.path.join(directory, "_dns.map"), encoding="utf-8") as f:
            records = json.load(f)
    except OSError:
        return "no DNS record"

    def dnsfunc(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        txt = records.get(n) or records.get(n.rstrip("."))
        return txt.encode() if txt else None

    return bool(dkim.verify(raw, dnsfunc=dnsfunc))


class Sink:
    def __init__(self, directory, tempfail):
        self.directory = directory
        self.tempfail = tempfail

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.tempfail:
            return "451 4.3.0 temporary failure, try another provider"
        if address.split("@")[0].startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        parsed = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "subject": str(msg["subject"]),
            "body": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else "",
            "content_type": msg.get_content_type(),
        }
        if "DKIM-Signature" in msg:
            parsed["dkim"] = verify_dkim(self.directory, raw)
        with open(os.path.join(self.directory, f"{n:06d}.eml"), "wb") as f:
            f.write(raw)
        tmp = os.path.join(self.directory, f".{n}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(parsed, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.directory, f"{n:06d}.json"))
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tempfail", action="store_true")
    a = p.parse_args()
    c = Controller(Sink(a.dir, a.tempfail), hostname="127.0.0.1", port=a.port, decode_data=False)
    c.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
