"""The functions' Logger and Metrics: one of each per function process, shared by its handler
and the services that log and count for it (a Lambda process runs one function).

Both are Powertools': the level is ``POWERTOOLS_LOG_LEVEL`` (template.yaml's Globals), the
service ``POWERTOOLS_SERVICE_NAME`` and the namespace ``POWERTOOLS_METRICS_NAMESPACE``, read
when this module is imported; where they are not set (an import outside Lambda: the tests, the
OpenAPI generator) the service and namespace are still the template's, so the functions log
through the one ``groupaudit`` logger whichever module was imported first. No client is built.
"""

import os

from aws_lambda_powertools import Logger, Metrics

SERVICE = "groupaudit"  # = template.yaml's POWERTOOLS_SERVICE_NAME
NAMESPACE = "GroupAudit"  # = template.yaml's POWERTOOLS_METRICS_NAMESPACE

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE)
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE,
    service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE,
)
