"""The functions' Logger and Metrics: one of each per function process, shared by its handler
and the services that log and count for it (a Lambda process runs one function).

Both are Powertools': the level is ``POWERTOOLS_LOG_LEVEL`` (template.yaml's Globals), the
service ``POWERTOOLS_SERVICE_NAME``, the namespace ``POWERTOOLS_METRICS_NAMESPACE``; they read
the environment when created, at import, and build no client.
"""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
