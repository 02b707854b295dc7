"""The discipline ledger and appeals (docs/SUPERVISION.md).

``config`` (the policy's ``sanctions`` section), ``ledger`` and ``appeals`` are pure domain:
no I/O, no clock (``now`` is an argument). ``service`` joins them to the store
(``adapters/ledger_store.py``) for the worker, the API and the command line.
"""
