"""The serverless pipeline's services: fan-out, audit worker, notifier, API operations.

Handlers in ``functions/`` parse events and call these; these call the engine and the adapters.
"""
