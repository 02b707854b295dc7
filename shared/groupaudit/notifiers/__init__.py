"""Notifiers: the chat platforms' group robots (DingTalk, WeCom, Feishu, Slack) as notice
channels. Each posts one digest as the platform documents it, signs where the platform signs,
and judges delivery by the platform's own answer (``errcode``/``code`` in the body, not the
HTTP status), raising ``DeliveryError`` with ``retryable`` set for rate limits and outages."""
