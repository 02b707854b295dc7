"""The HTTP API function's HTTP side: the resolver and its OpenAPI description (``app``), the
signed-request middleware (``auth``), the mapping of typed errors onto status codes (``errors``)
and the routes (``routes``). The operations themselves, free of HTTP, are
``groupaudit.pipeline.api``; ``functions/api/handler.py`` is the decorator stack around
``app.resolve``. Its Logger and Metrics are ``groupaudit.pipeline.telemetry``'s.
"""
