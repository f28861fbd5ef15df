"""A pooled PostgreSQL connection is checked at checkout by its socket alone (app/db.py)."""

from __future__ import annotations

import socket

from app.db import is_idle_and_open


def test_an_idle_socket_is_open_until_the_server_speaks_or_hangs_up():
    ours, server = socket.socketpair()
    with ours, server:
        assert is_idle_and_open(ours)
        # A restart's "terminating connection": bytes nobody asked for.
        server.sendall(b"E\x00\x00\x00\x04")
        assert not is_idle_and_open(ours)
    hung_up, peer = socket.socketpair()
    with hung_up:
        peer.close()
        assert not is_idle_and_open(hung_up)
    assert not is_idle_and_open(hung_up)  # closed: no descriptor at all
