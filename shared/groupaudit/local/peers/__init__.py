"""Loopback peers: HTTP servers on 127.0.0.1 that behave as each chat platform documents
(signatures checked with the documented algorithms, pagination, the documented error bodies
and rate-limit answers). Tests and the local demo talk to them over real HTTP."""
