"""The test network guard for child processes: loopback only.

pytest-socket guards the test process. A process a test starts (the CLI in a subprocess,
pool and Dask workers, a resume child) runs this file at start-up instead, because the
tests put this directory first on its ``PYTHONPATH`` and set ``STEERHERD_NET_GUARD`` (see
``tests/netguard/__init__.py``). Then ``connect``, ``connect_ex`` and ``sendto`` to anything
but a loopback address or a Unix socket raise :class:`NetGuardError`, which no retry loop
that expects ``OSError`` swallows.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

ALLOWED_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetGuardError(RuntimeError):
    """A test's child process tried to reach a non-loopback address."""


def _allowed(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", None) or family not in (socket.AF_INET,
                                                                       socket.AF_INET6):
        return True  # Unix sockets, netlink, ...: not the network
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).split("%", 1)[0]
    if host.lower() in ALLOWED_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost: refused without a DNS lookup


def _install() -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto = socket.socket.sendto

    def connect(self: socket.socket, address: Any) -> None:
        if not _allowed(self.family, address):
            raise NetGuardError(f"test network guard: connect to {address!r} blocked "
                                f"(pid {os.getpid()}; loopback only)")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _allowed(self.family, address):
            raise NetGuardError(f"test network guard: connect to {address!r} blocked "
                                f"(pid {os.getpid()}; loopback only)")
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        address = args[-1]
        if not _allowed(self.family, address):
            raise NetGuardError(f"test network guard: sendto {address!r} blocked "
                                f"(pid {os.getpid()}; loopback only)")
        return real_sendto(self, data, *args)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]


if os.environ.get("STEERHERD_NET_GUARD") == "loopback":
    _install()
