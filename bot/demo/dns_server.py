"""A loopback DNS server answering from a zone given as data, over UDP and TCP.

Used by the demo (its ``acme.test`` zone) and by tests (each builds the zone it needs). The
zone is a plain mapping, so a test reads like the records it serves::

    zone = {
        "acme.test": {"TXT": ["v=spf1 -all"], "A": ["127.0.0.1"]},
        "_dmarc.acme.test": {"TXT": ["v=DMARC1; p=reject"]},
    }
    async with DnsServer(zone) as server:
        nameserver = server.address        # "127.0.0.1:PORT", for targets.<name>.nameservers

TXT values are the record's text; strings over 255 bytes are split as DNS requires. A name
in the zone with no records of the asked type answers NOERROR with no data; a name not in
the zone answers NXDOMAIN. ``servfail=True`` answers every query with SERVFAIL (a broken
resolver, for error tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Mapping

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["DnsServer", "Zone"]

Zone = Mapping[str, Mapping[str, list[str]]]
TTL = 60


def _txt_rdata(text: str) -> str:
    """One TXT record's presentation form: 255-byte quoted pieces."""
    raw = text.encode("utf-8")
    pieces = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    quoted = []
    for piece in pieces:
        escaped = piece.decode("utf-8", errors="replace").replace("\\", "\\\\").replace('"', '\\"')
        quoted.append(f'"{escaped}"')
    return " ".join(quoted)


class DnsServer:
    def __init__(self, zone: Zone, *, host: str = "127.0.0.1", servfail: bool = False) -> None:
        self.zone = {
            dns.name.from_text(name.rstrip(".") + ".").to_text().lower(): {t.upper(): list(v) for t, v in records.items()}
            for name, records in zone.items()
        }
        self.host = host
        self.servfail = servfail
        self.port = 0
        self.queries: list[tuple[str, str]] = []  # (name, type) in arrival order
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # noqa: BLE001 - garbage in: say nothing, as real servers do
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        name = question.name.to_text().lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name.rstrip("."), rdtype))
        if self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        records = self.zone.get(name)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        values = records.get(rdtype, [])
        if not values and rdtype != "CNAME" and records.get("CNAME"):
            rdtype, values = "CNAME", records["CNAME"]
        if values:
            texts = [_txt_rdata(v) if rdtype == "TXT" else v for v in values]
            rrset = dns.rrset.from_text_list(question.name, TTL, dns.rdataclass.IN, rdtype, texts)
            response.answer.append(rrset)
        return response.to_wire()

    async def start(self) -> DnsServer:
        loop = asyncio.get_running_loop()
        # UDP and TCP must share a port: take a free UDP port, then bind TCP on it (retrying
        # if someone else holds that TCP port).
        for _ in range(20):
            udp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp_sock.bind((self.host, 0))
            port = udp_sock.getsockname()[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:
                udp_sock.close()
                continue
            transport, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), sock=udp_sock)
            self._udp = transport  # type: ignore[assignment]
            self.port = port
            return self
        raise OSError("could not find a free port for the DNS server on both UDP and TCP")

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
            self._tcp = None

    async def __aenter__(self) -> DnsServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                async with asyncio.timeout(10):
                    size = struct.unpack("!H", await reader.readexactly(2))[0]
                    wire = await reader.readexactly(size)
                reply = self.answer(wire)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.server.answer(data)
        if reply is None or self.transport is None:
            return
        if len(reply) > 512:
            # Too big for plain UDP: send the header with TC set, the client retries over TCP.
            query = dns.message.from_wire(data)
            if query.edns < 0:
                truncated = dns.message.make_response(query)
                truncated.flags |= dns.flags.TC
                reply = truncated.to_wire()
        self.transport.sendto(reply, addr)
