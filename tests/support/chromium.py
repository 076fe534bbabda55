"""Headless Chromium, driven over the DevTools protocol on a pipe, for rendering tests.

`render(html_path)` opens a page the way a reader's browser would, waits for it to load,
measures every chart (`svg.chart`) on it, records every request the page made, and takes
a full-page screenshot. The protocol runs over `--remote-debugging-pipe` (file descriptors
3 and 4, NUL-terminated JSON), so no port is opened and no client library is needed.

When Chromium is missing, tests that need it are skipped, unless
``IMPRAISE_REQUIRE_CHROMIUM=1`` (set by .ci/run), where they fail.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# As root Chromium needs --no-sandbox; the rest keep it from reaching any network service.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
PAGE_WIDTH = 960
# byte -> 1 for a colour channel darker than the near-white of an empty chart
_DARK = bytes(int(value < 235) for value in range(256))
# Every chart's (SELECTOR's) position on the page, what it drew, and what it withheld.
CHARTS_SELECTOR = "svg.chart"
MEASURE_CHARTS = """
[...document.querySelectorAll(SELECTOR)].map(chart => {
  const box = chart.getBoundingClientRect();
  const drawn = [...chart.querySelectorAll('.mark')].filter(mark => {
    const size = mark.getBoundingClientRect();
    return size.width > 0 && size.height > 0;
  });
  return {
    key: chart.dataset.chart,
    x: box.left + window.scrollX, y: box.top + window.scrollY,
    width: box.width, height: box.height,
    drawn: drawn.length,
    suppressed: drawn.filter(mark => mark.classList.contains('suppressed')).length,
  };
})
"""


@dataclass(frozen=True)
class Chart:
    key: str
    x: float
    y: float
    width: float
    height: float
    drawn: int
    suppressed: int


@dataclass(frozen=True)
class Rendering:
    charts: list[Chart]
    requests: list[str]  # every URL the page asked for, itself included
    screenshot: bytes  # PNG

    @functools.cached_property
    def image(self) -> Png:
        return Png.decode(self.screenshot)

    def inked_share(self, chart: Chart) -> float:
        """The share of the chart's pixels that are not (near) white."""
        image = self.image
        left, top = round(chart.x), round(chart.y)
        right = min(round(chart.x + chart.width), image.width)
        bottom = min(round(chart.y + chart.height), image.height)
        inked = 0
        for y in range(top, bottom):
            pixels = image.row(y)[left * image.channels : right * image.channels]
            # one bit per pixel, set when any colour channel is dark
            dark = 0
            for channel in range(3):
                dark |= int.from_bytes(pixels[channel :: image.channels].translate(_DARK), "big")
            inked += dark.bit_count()
        total = (right - left) * (bottom - top)
        return inked / total if total > 0 else 0.0


def find_chromium() -> str:
    """The browser's path, or skip (fail in CI) saying why."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    looked_for = ", ".join(CANDIDATES)
    reason = f"no Chromium on PATH (looked for {looked_for}; Debian: apt-get install chromium)"
    if os.environ.get("IMPRAISE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason} (and IMPRAISE_REQUIRE_CHROMIUM=1)", pytrace=False)
    pytest.skip(reason)


def render(
    browser: str, html_path: Path, timeout: float = 60, selector: str = CHARTS_SELECTOR
) -> Rendering:
    """The page rendered; `selector` picks the elements measured as its charts."""
    with tempfile.TemporaryDirectory(prefix="impraise-chromium-") as profile:
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()
        process = subprocess.Popen(
            [browser, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            # kept open in the child, where _pipe_fds has put the pipe's ends
            pass_fds=(3, 4),
            preexec_fn=lambda: _pipe_fds(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        session = _Session(os.fdopen(to_browser_write, "wb"), os.fdopen(from_browser_read, "rb"))
        try:
            return _render(session, html_path.resolve().as_uri(), selector)
        finally:
            session.close()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _pipe_fds(commands: int, answers: int) -> None:
    """In the child: the browser reads commands on fd 3 and writes answers on fd 4.
    Duplicated first, so that neither end is overwritten if it already is fd 3 or 4."""
    commands, answers = os.dup(commands), os.dup(answers)
    os.dup2(commands, 3)
    os.dup2(answers, 4)


def _render(session: _Session, url: str, selector: str) -> Rendering:
    target = session.call("Target.createTarget", url="about:blank")["targetId"]
    page = session.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    session.call("Network.enable", session=page)
    session.call("Page.enable", session=page)
    session.call(
        "Emulation.setDeviceMetricsOverride",
        session=page,
        width=PAGE_WIDTH,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    session.call("Page.navigate", session=page, url=url)
    session.wait_for("Page.loadEventFired")
    charts = session.call(
        "Runtime.evaluate",
        session=page,
        expression=MEASURE_CHARTS.replace("SELECTOR", json.dumps(selector)),
        returnByValue=True,
    )["result"]["value"]
    shot = session.call(
        "Page.captureScreenshot", session=page, format="png", captureBeyondViewport=True
    )
    session.call("Browser.close")
    requests = [
        event["params"]["request"]["url"]
        for event in session.events
        if event.get("method") == "Network.requestWillBeSent"
    ]
    return Rendering([Chart(**chart) for chart in charts], requests, base64.b64decode(shot["data"]))


class _Session:
    """Requests and answers on the pipe; events that arrive meanwhile are kept."""

    def __init__(self, writer, reader) -> None:
        self._writer, self._reader = writer, reader
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._writer.write(json.dumps(message).encode() + b"\0")
        self._writer.flush()
        while True:
            answer = self._receive()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait_for(self, event: str) -> dict[str, Any]:
        for seen in self.events:
            if seen.get("method") == event:
                return seen
        while True:
            message = self._receive()
            self.events.append(message)
            if message.get("method") == event:
                return message

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = self._reader.read1(1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        for stream in (self._writer, self._reader):
            with contextlib.suppress(OSError):
                stream.close()


@dataclass(frozen=True)
class Png:
    """An 8-bit RGB or RGBA PNG, decoded (what Chromium's screenshots are)."""

    width: int
    height: int
    channels: int
    pixels: bytes

    def row(self, y: int) -> bytes:
        stride = self.width * self.channels
        return self.pixels[y * stride : (y + 1) * stride]

    @classmethod
    def decode(cls, data: bytes) -> Png:
        if data[:8] != b"\x89PNG\r\n\x1a\n":
            raise ValueError("not a PNG")
        position, chunks, header = 8, [], b""
        while position < len(data):
            (length,) = struct.unpack(">I", data[position : position + 4])
            kind = data[position + 4 : position + 8]
            body = data[position + 8 : position + 8 + length]
            if kind == b"IHDR":
                header = body
            elif kind == b"IDAT":
                chunks.append(body)
            position += 12 + length
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
        if depth != 8 or colour not in (2, 6) or interlace:
            raise ValueError(f"unsupported PNG: depth {depth}, colour {colour}")
        channels = 3 if colour == 2 else 4
        raw = zlib.decompress(b"".join(chunks))
        return cls(width, height, channels, _unfilter(raw, width * channels, height, channels))


def _unfilter(raw: bytes, stride: int, height: int, bpp: int) -> bytes:
    out = bytearray(stride * height)
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = previous[i], previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + predictor) & 0xFF
        out[y * stride : (y + 1) * stride] = line
        previous = line
    return bytes(out)
