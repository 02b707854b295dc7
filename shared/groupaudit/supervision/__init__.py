"""Supervision's services (docs/SUPERVISION.md): the ledger and appeals service (``service``),
which joins the pure domain of ``groupaudit.discipline`` to the store
(``adapters/ledger_store.py``) for the worker, the API and the command line, and the monthly
report (``report`` and its figures, model, labels and renderers).
"""
