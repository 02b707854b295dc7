"""A headless Chromium driven over the Chrome DevTools Protocol (one websocket, flat sessions).

Small on purpose: start the browser, open a page in a tab, evaluate, screenshot, stop. Every
console error, uncaught exception, failed load and request to anything but ``file:``/``data:``
is recorded, so a test can demand there were none.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
INSTALL_HINT = (
    "chromium is not installed: `apt-get install chromium fonts-noto-cjk` (make browser does it when run as "
    "root) or set CHROMIUM to a Chromium/Chrome binary"
)


def find_chromium() -> tuple[str | None, str]:
    """The browser binary ($CHROMIUM, else the first of CANDIDATES on PATH), or None and why not."""
    chosen = os.environ.get("CHROMIUM")
    if chosen:
        found = shutil.which(chosen)
        return (found, "") if found else (None, f"CHROMIUM={chosen} is not an executable")
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path, ""
    return None, INSTALL_HINT


class BrowserError(RuntimeError):
    """The browser did not start, or answered a command with an error."""


class Browser:
    def __init__(self, binary: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="groupaudit-chromium-")
        self._process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._ws = websocket.create_connection(self._endpoint(), timeout=timeout, suppress_origin=True)
        except Exception:
            self.close()
            raise
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def _endpoint(self) -> str:
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrowserError(f"chromium exited at start with status {self._process.returncode}")
            if port_file.exists():
                lines = port_file.read_text().split()
                if len(lines) == 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise BrowserError(f"chromium did not open its DevTools port within {self.timeout:.0f} s")

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        """One command's result; events that arrive meanwhile are kept in ``events``."""
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:
            answer = json.loads(self._ws.recv())
            if answer.get("id") == number:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """The next event ``method`` of the session (events seen already count)."""
        for event in self.events:
            if event["method"] == method and event.get("sessionId") == session:
                self.events.remove(event)
                return event
        while True:
            event = json.loads(self._ws.recv())
            if "method" not in event:
                continue
            if event["method"] == method and event.get("sessionId") == session:
                return event
            self.events.append(event)

    def open(self, url: str, width: int = 1280, height: int = 900) -> Tab:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return Tab(self, session)

    def close(self) -> None:
        try:
            if getattr(self, "_ws", None) is not None:
                with contextlib.suppress(Exception):  # the browser may hang up before it answers
                    self.send("Browser.close")
                self._ws.close()
        finally:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            shutil.rmtree(self._profile, ignore_errors=True)


class Tab:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def evaluate(self, expression: str) -> Any:
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"the page's script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def fonts(self, selector: str) -> dict[str, int]:
        """The platform fonts that drew the text of the first element matching ``selector`` and how
        many glyphs each drew (what a font fallback really used, unlike ``document.fonts.check``)."""
        self.browser.send("DOM.enable", session=self.session)
        self.browser.send("CSS.enable", session=self.session)
        root = self.browser.send("DOM.getDocument", session=self.session)["root"]["nodeId"]
        node = self.browser.send(
            "DOM.querySelector", {"nodeId": root, "selector": selector}, session=self.session
        )["nodeId"]
        used = self.browser.send("CSS.getPlatformFontsForNode", {"nodeId": node}, session=self.session)
        return {font["familyName"]: font["glyphCount"] for font in used["fonts"]}

    def screenshot(self) -> bytes:
        shot = self.browser.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=self.session
        )
        return base64.b64decode(shot["data"])

    def problems(self) -> list[str]:
        """Console errors, exceptions, log errors, failed loads and non-local requests of this tab."""
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event["method"], event["params"]
            if method == "Runtime.consoleAPICalled" and params["type"] in {"error", "assert"}:
                found.append(f"console.{params['type']}: {params['args']}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log error: {params['entry'].get('text')} {params['entry'].get('url', '')}")
            elif method == "Network.loadingFailed":
                found.append(f"failed request: {params.get('errorText')} ({params.get('requestId')})")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    found.append(f"request to {url}")
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog: {params.get('message')}")
        return found
