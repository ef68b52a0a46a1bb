"""A real SMTP server on loopback for the tests (aiosmtpd): every accepted message is
parsed (headers, decoded subject and body) and written as <n>.json into --dir; recipients whose local part starts with "bounce" are
refused with 550 (a permanent failure)."""
import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os

from aiosmtpd.controller import Controller

counter = itertools.count()


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        tmp = os.path.join(self.directory, f".{n}.tmp")
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parsed = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "subject": str(msg["subject"]),
            "body": msg.get_content() if not msg.is_multipart() else "",
        }
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(parsed, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(self.directory, f"{n:06d}.json"))
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    a = p.parse_args()
    c = Controller(Sink(a.dir), hostname="127.0.0.1", port=a.port)
    c.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
