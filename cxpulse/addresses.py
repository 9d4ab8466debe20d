"""``host:port`` lists and local ports, parsed and probed in one place."""

from __future__ import annotations

import socket


def servers(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port[,host:port...]`` as pairs; ValueError names what is wrong."""
    out = []
    for server in bootstrap.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("expected host:port[,host:port...] with ports 1-65535")
        out.append((host, int(port)))
    return out


def any_server_listens(bootstrap: str, timeout: float = 2.0) -> bool:
    """Whether one of the servers accepts a TCP connection now."""
    for host, port in servers(bootstrap):
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return True
        except OSError:
            continue
    return False


def free_port(count: int = 1) -> int:
    """A port p on 127.0.0.1 such that p .. p+count-1 are free now."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if base + count > 65535:
            continue
        socks: list[socket.socket] = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range on 127.0.0.1")
