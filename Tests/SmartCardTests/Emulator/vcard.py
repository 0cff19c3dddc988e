#!/usr/bin/env python3
"""A virtual smart card for vsmartcard's vpcd reader driver, standard library only.

The card is "inserted" while this process is connected to vpcd's port and "removed" when it
exits. It presents any ATR; with --piv-cert it also answers as a minimal read-only PIV card
(SELECT, GET DATA of the PIV Authentication certificate, VERIFY refused), which is enough for
OpenSC's PIV driver to read the certificate through pcscd.

vpcd protocol: every message is a 2-byte big-endian length and a payload. A 1-byte payload is a
control message (0 power off, 1 power on, 2 reset, 4 send ATR, answered with the ATR); a longer
payload is a C-APDU, answered with the R-APDU.
"""
import argparse
import signal
import socket
import struct
import sys
import time

PIV_AID = bytes.fromhex("A000000308")
# Application property template: the PIV AID and its authority.
PIV_APT = bytes.fromhex("4F0600001000010079074F05A000000308")
SW_OK = b"\x90\x00"
SW_NOT_FOUND = b"\x6a\x82"
SW_DATA_NOT_FOUND = b"\x6a\x88"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_PIN_REFUSED = b"\x63\xc3"


def tlv(tag, value):
    length = len(value)
    if length < 0x80:
        encoded = bytes([length])
    elif length < 0x100:
        encoded = bytes([0x81, length])
    else:
        encoded = bytes([0x82, length >> 8, length & 0xFF])
    return tag + encoded + value


class Card:
    def __init__(self, cert):
        self.cert = cert
        self.pending = b""
        self.selected = False

    def answer(self, apdu):
        if len(apdu) < 4:
            return SW_INS_NOT_SUPPORTED
        ins = apdu[1]
        if ins == 0xC0:  # GET RESPONSE: next chunk of a chained answer
            return self.chunk()
        if self.cert is None:
            if ins == 0xA4:
                return SW_NOT_FOUND
            if ins in (0xCA, 0xCB):
                return SW_DATA_NOT_FOUND
            return SW_INS_NOT_SUPPORTED
        if ins == 0xA4 and apdu[2] == 0x04:
            aid = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
            if PIV_AID.startswith(aid[:5]) and len(aid) >= 5:
                self.selected = True
                return self.start(tlv(b"\x61", PIV_APT))
            return SW_NOT_FOUND
        if ins == 0xCB and self.selected:
            data = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
            if data == bytes.fromhex("5C035FC105"):
                body = tlv(b"\x70", self.cert) + tlv(b"\x71", b"\x00") + tlv(b"\xfe", b"")
                return self.start(tlv(b"\x53", body))
            return SW_NOT_FOUND
        if ins == 0x20:
            return SW_PIN_REFUSED
        return SW_INS_NOT_SUPPORTED

    def start(self, data):
        self.pending = data
        return self.chunk()

    def chunk(self):
        part, self.pending = self.pending[:256], self.pending[256:]
        if not self.pending:
            return part + SW_OK
        remaining = len(self.pending)
        return part + bytes([0x61, remaining if remaining < 256 else 0])


def receive(sock, count):
    data = b""
    while len(data) < count:
        piece = sock.recv(count - len(data))
        if not piece:
            raise ConnectionError("vpcd closed the connection")
        data += piece
    return data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=35963)
    parser.add_argument("--atr", required=True, help="hex, spaces and colons allowed")
    parser.add_argument("--piv-cert", help="DER certificate to serve as PIV Authentication")
    parser.add_argument("--ready-file", help="created when vpcd first asks for the ATR")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    atr = bytes.fromhex(args.atr.replace(":", " "))
    cert = open(args.piv_cert, "rb").read() if args.piv_cert else None
    card = Card(cert)

    deadline = time.monotonic() + 10
    while True:
        try:
            sock = socket.create_connection((args.host, args.port), timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                print("vpcd is not listening on port %d" % args.port, file=sys.stderr)
                return 2
            time.sleep(0.05)
    sock.settimeout(None)

    announced = False
    try:
        while True:
            (length,) = struct.unpack(">H", receive(sock, 2))
            payload = receive(sock, length)
            if length == 1:
                if payload[0] == 4:
                    reply = atr
                    if not announced and args.ready_file:
                        open(args.ready_file, "w").close()
                    announced = True
                else:
                    if payload[0] in (0, 2):
                        card.selected = False
                        card.pending = b""
                    continue
            else:
                reply = card.answer(payload)
            sock.sendall(struct.pack(">H", len(reply)) + reply)
    except (ConnectionError, OSError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
