"""The ticketing system: every incident is also a ticket where the help desk already works.

The timeline feeds an outbox (`outbox`), the worker passes each entry on through one backend
(`app.adapters.tickets`), and the ticketing system can tell the line a ticket was resolved or
closed there (`inbound`)."""
