"""The discipline ledger and appeals, pure (docs/SUPERVISION.md): the policy's ``sanctions``
section (``config``), the ledger's entries and their state machine (``ledger``), appeals and
their deadlines (``appeals``) and the typed errors of both (``errors``). No I/O, no clock
(``now`` is an argument).

Below the policy and the adapters, which both use it: the policy reads the section, the
ledger store (``adapters/ledger_store.py``) keeps the records. ``supervision/service`` joins
them to the store for the worker, the API and the command line.
"""
