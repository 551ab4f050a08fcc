"""Measuring one page load in headless Chromium: first draw, filter change, pan/zoom reruns, payload, long tasks.

Every run gets a fresh browser context (no HTTP cache, no service worker, a new Streamlit session). All waits
are on conditions in the page (the map's drawn features, Streamlit's script state, pending requests), never
on fixed sleeps, except the 1 s observation window after the pan/zoom gesture (we are measuring the absence of
reruns there, so some fixed window is unavoidable).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, Request, WebSocket
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks.servers import free_port

CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium, never one downloaded by `playwright install`
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 900}
GOAL_WIDGET = "目标（八个一流）"
#: The folium map's frame: the app's own (`map_component`) or streamlit-folium's (the naive page).
FOLIUM_FRAME = "iframe[title='map_component.map'], iframe[title='streamlit_folium.st_folium']"
WEBGL_PATH = "/app/static/webgl/"
STREAM_PATH = "/_stcore/stream"
POLL_MS = 50  # how often wait_for_function re-checks a condition in the page
OBSERVATION_WINDOW_MS = 1000  # after the pan/zoom gesture: we count reruns that did NOT happen
PAN_PX = 150
#: A call that takes no timeout (evaluate, mouse input, bounding box) still stuck this long after its stage's cap
#: means a frozen renderer: the watchdog kills our browser process so the suite goes on.
WATCHDOG_GRACE_S = 15.0

# Installed in every frame before any page script runs. Every frame reports its long tasks to Python through
# the `__bbLongTask` binding (absolute start time, so frames with different time origins compare). The top
# frame also gets `window.__bb`: helpers to find the map, count its drawn features and read Streamlit's state.
INIT_SCRIPT = r"""
(() => {
  const MAP_FILES = '/app/static/webgl/';
  if (window.__bbInstalled) return;
  window.__bbInstalled = true;
  try {
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) {
        try { window.__bbLongTask(performance.timeOrigin + e.startTime, e.duration); } catch (err) {}
      }
    }).observe({type: 'longtask', buffered: true});
  } catch (err) {}
  // Map files (under /app/static/webgl/) this frame asked for with fetch; resource timing lists each one once its
  // body has arrived, so the difference is what is still loading.
  window.__bbMapFiles = 0;
  const fetchFirst = window.fetch;
  if (fetchFirst) {
    window.fetch = function (input) {
      if (String((input && input.url) || input).includes(MAP_FILES)) window.__bbMapFiles++;
      return fetchFirst.apply(this, arguments);
    };
  }
  if (window.top !== window) return;

  const IFRAME = "__FOLIUM_FRAME__";
  const DECK = "[data-testid='stDeckGlJsonChart']";
  const APP = "[data-testid='stApp']";
  const STATE = 'data-test-script-state';
  const bb = window.__bb = {};
  const big = el => {
    if (!el || !el.isConnected) return false;
    const r = el.getBoundingClientRect();
    return r.width >= 300 && r.height >= 200 && getComputedStyle(el).visibility !== 'hidden';
  };
  // Idle: the script is not running and Streamlit shows no status widget (it does while running).
  bb.idle = () => {
    const app = document.querySelector(APP);
    return !!app && app.getAttribute(STATE) === 'notRunning'
      && app.getAttribute('data-test-connection-state') === 'CONNECTED'
      && !document.querySelector("[data-testid='stStatusWidget']");
  };
  bb.mapWindow = () => { const f = document.querySelector(IFRAME); return big(f) ? f.contentWindow : null; };
  bb.leaflet = w => {
    if (!w || !w.L) return null;
    for (const k of Object.keys(w)) {
      if (k.startsWith('map_') && w[k] && w[k].eachLayer) return w[k];
    }
    return null;
  };
  // A drawn thematic feature: a vector layer or marker made from a GeoJSON feature of a place (the real app's
  // features carry their row in the map files, the naive app's their goal; base layers such as the district
  // outline have neither).
  const thematic = (L, l) => (l instanceof L.CircleMarker || l instanceof L.Polyline || l instanceof L.Marker)
    && !!l.feature && !!l.feature.properties
    && ('row' in l.feature.properties || 'goal' in l.feature.properties);
  // Drawn features on the folium map: vector layers and markers of places, plus the rows that bulk canvas layers
  // (large point layers drawn in one pass) drew; a bulk layer still loading its rows keeps the count negative.
  bb.count = () => {
    try {
      const w = bb.mapWindow();
      const map = bb.leaflet(w);
      if (!map) return -1;
      let n = 0;
      map.eachLayer(l => {
        if (l.shownCount !== undefined) n += l.drawn ? l.shownCount : -1e9;
        else if (thematic(w.L, l)) n++;
      });
      return n;
    } catch (err) { return -2; }
  };
  bb.deckDrawn = () => {
    const d = document.querySelector(DECK);
    return big(d) && [...d.querySelectorAll('canvas')].some(big);
  };
  // Which map kind the page shows: the first of the two that appears decides.
  bb.kind = () => bb.mapWindow() ? 'folium' : (big(document.querySelector(DECK)) ? 'deck' : null);
  bb.leafletIdle = () => {
    const map = bb.leaflet(bb.mapWindow());
    return !map || (!(map._panAnim && map._panAnim._inProgress) && !map._animatingZoom);
  };
  // Two animation frames in window w (the map's iframe) or the page: returns a token, `framesDone` becomes it.
  bb.startFrames = w => {
    const token = bb.framesToken = (bb.framesToken || 0) + 1;
    const win = w || window;
    win.requestAnimationFrame(() => win.requestAnimationFrame(() => { bb.framesDone = token; }));
    return token;
  };
  bb.now = () => performance.timeOrigin + performance.now();
  bb.state = () => { const app = document.querySelector(APP); return app && app.getAttribute(STATE); };
  // A Markdown element of the page reads exactly `text` (textContent: no forced layout, cheap enough per frame).
  bb.shows = text => [...document.querySelectorAll("[data-testid='stMarkdownContainer']")]
    .some(el => el.textContent.trim() === text);
  // Map files still loading in the page and the map's frame.
  bb.mapFilesLoading = () => [window, bb.mapWindow()].filter(Boolean).reduce((n, w) => n + w.__bbMapFiles
    - w.performance.getEntriesByType('resource').filter(e => e.name.includes(MAP_FILES)).length, 0);
  // The stopwatch, all in the page: `arm(check)` starts at the next pointerdown (a click), or at the navigation
  // with `fromNavigation`; then checks every animation frame; once `check()` returns a map kind ('none' for no
  // map) it waits two frames in the window that draws that kind and records when. `stopwatch` is then
  // {kind, start, end} (absolute ms).
  bb.arm = (check, fromNavigation = false) => {
    const watch = bb.stopwatch = {kind: null, start: fromNavigation ? performance.timeOrigin : null, end: null};
    if (!fromNavigation) {
      document.addEventListener('pointerdown', e => { watch.start = performance.timeOrigin + e.timeStamp; },
                                {capture: true, once: true});
    }
    const step = () => {
      let kind = null;
      try { kind = watch.start !== null && check(); } catch (err) {}
      if (!kind) { requestAnimationFrame(step); return; }
      const win = kind === 'folium' ? bb.mapWindow() || window : window;
      win.requestAnimationFrame(() => win.requestAnimationFrame(() => {
        Object.assign(watch, {kind, end: bb.now()});
      }));
    };
    requestAnimationFrame(step);
  };
})();
""".replace("__FOLIUM_FRAME__", FOLIUM_FRAME)


@dataclass(frozen=True)
class PageSpec:
    """A page under test: which server, the goal option to pick, whether it has a map, and the time cap."""

    name: str  # real | floor | naive | bare (the page's title, for a page without a map)
    goal_option: str
    has_map: bool
    cap_s: float
    #: Text the page shows once the filtered run has drawn, formatted with ``filtered`` and ``total``.
    filtered_text: str

    def shows_filtered(self, expected: Expected) -> str:
        return self.filtered_text.format(filtered=expected.filtered, total=expected.total)


@dataclass(frozen=True)
class Expected:
    """Mapped features the map must draw: all of them, and with the goal filter on."""

    total: int
    filtered: int
    goal: str


class MeasureTimeout(Exception):
    """A stage did not finish within the page's time cap."""

    def __init__(self, stage: str, cap_s: float, detail: str = ""):
        super().__init__(f"{stage}: not done after {cap_s:.0f} s{': ' + detail if detail else ''}")
        self.stage = stage


# ------------------------------------------------------------------------------------------ recording
@dataclass
class Recorder:
    """What one browser context sent and received: websocket frames, webgl requests, long tasks, outside hosts."""

    ws_sent: int = 0
    ws_received_bytes: int = 0
    webgl_pending: set = field(default_factory=set)
    webgl_done: list = field(default_factory=list)
    long_tasks: list = field(default_factory=list)  # (absolute start ms, duration ms)
    outside: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # uncaught exceptions and console errors, any frame
    map_kind: str | None = None  # as soon as the first draw has decided it (kept when a later wait times out)
    killed: str | None = None  # the stage during which the watchdog had to kill the browser

    def attach(self, context: BrowserContext, page: Page) -> None:
        context.expose_binding("__bbLongTask", lambda _source, start, duration: self.long_tasks.append(
            (float(start), float(duration))))
        context.add_init_script(INIT_SCRIPT)
        context.on("request", self._request)
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._finished)
        page.on("websocket", self._websocket)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _request(self, request: Request) -> None:
        host = request.url.split("/")[2].rsplit("@", 1)[-1].split(":")[0] if "://" in request.url else ""
        if not request.url.startswith(("data:", "blob:")) and host not in ("127.0.0.1", "localhost"):
            self.outside.append(request.url)
        if WEBGL_PATH in request.url:
            self.webgl_pending.add(request)

    def _finished(self, request: Request) -> None:
        if request in self.webgl_pending:
            self.webgl_pending.discard(request)
            self.webgl_done.append(request)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if "Failed to load resource" in message.text else ""
            where = re.sub(r"^https?://(127\.0\.0\.1|localhost):\d+", "", where)  # the port differs per server
            self.errors.append(f"console: {message.text}{' ' + where if where else ''}")

    def _websocket(self, ws: WebSocket) -> None:
        if STREAM_PATH not in ws.url:
            return
        ws.on("framesent", self._frame_sent)
        ws.on("framereceived", self._frame_received)

    def _frame_sent(self, _payload: str | bytes) -> None:
        self.ws_sent += 1

    def _frame_received(self, payload: str | bytes) -> None:
        self.ws_received_bytes += len(payload.encode("utf-8") if isinstance(payload, str) else payload)

    def webgl_bytes(self, requests: list[Request]) -> int:
        total = 0
        for request in requests:
            try:
                total += request.sizes()["responseBodySize"]
            except PlaywrightError:
                response = request.response()
                total += len(response.body()) if response else 0
        return total


class Clock:
    """One stage under the page's time cap: remaining ms for Playwright's timeouts, and a watchdog.

    Waits take the remaining time as their timeout. Calls that cannot (mouse input, bounding boxes, a renderer
    busy for minutes) are covered by the watchdog: still inside the stage `WATCHDOG_GRACE_S` after the cap, it
    kills this run's browser process (ours, by its pid), which makes the stuck call fail at once.
    """

    def __init__(self, stage: str, cap_s: float, page: Page, recorder: Recorder):
        self.stage, self.cap_s, self.recorder = stage, cap_s, recorder
        self.start = time.perf_counter()
        pid = _BROWSER_PIDS.get(page.context.browser) if page.context.browser else None
        self._timer = threading.Timer(cap_s + WATCHDOG_GRACE_S, self._kill, args=(pid,)) if pid else None
        if self._timer:
            self._timer.daemon = True
            self._timer.start()

    def _kill(self, pid: int) -> None:
        self.recorder.killed = self.stage
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def ms(self) -> float:
        return max(1.0, (self.cap_s - self.elapsed()) * 1000)

    def __enter__(self) -> Clock:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._timer:
            self._timer.cancel()


# ------------------------------------------------------------------------------------------ browser
_BROWSER_PIDS: weakref.WeakKeyDictionary[Browser, int] = weakref.WeakKeyDictionary()


def _browser_pid(token: str) -> int | None:
    """The pid of the Chromium main process launched with ``--bb-bench-token=<token>`` (not its helpers)."""
    marker = f"--bb-bench-token={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in argv and not any(arg.startswith(b"--type=") for arg in argv):
            return int(entry.name)
    return None


def launch(playwright: Playwright) -> Browser:
    """Headless Debian Chromium. Outside requests go to a dead proxy (loopback bypasses it), so they fail
    without routing every request through Python (which would add to the measured times); any attempt is
    still recorded from the request events. A unique (ignored) switch finds its pid for the watchdog."""
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    token = uuid.uuid4().hex
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--bb-bench-token={token}"],
                                         proxy={"server": dead_proxy, "bypass": "127.0.0.1,localhost"})
    pid = _browser_pid(token)
    if pid:
        _BROWSER_PIDS[browser] = pid
    return browser


def close(browser: Browser) -> None:
    """Close ``browser``; one the watchdog killed is already gone."""
    with suppress(PlaywrightError):
        browser.close()


def chromium_info(browser: Browser) -> dict[str, Any]:
    """Browser version and the WebGL renderer deck.gl would get (software SwiftShader on this machine)."""
    context = browser.new_context()
    page = context.new_page()
    renderer = page.evaluate("""() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      if (!gl) return null;
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    }""")
    context.close()
    try:
        binary = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        binary = ""
    return {"version": browser.version, "binary": binary, "webgl_renderer": renderer}


@contextmanager
def fresh_page(browser: Browser) -> Iterator[tuple[Page, Recorder]]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    recorder = Recorder()
    page = context.new_page()
    recorder.attach(context, page)
    try:
        yield page, recorder
    finally:
        with suppress(PlaywrightError):
            context.close()


def _wait(page: Page, clock: Clock, expression: str, arg: Any = None, polling: int | str = POLL_MS) -> Any:
    """Wait until ``expression`` (a JS function of ``arg``) is truthy in the page; its value. Capped by ``clock``."""
    try:
        return page.wait_for_function(expression, arg=arg, polling=polling, timeout=clock.ms()).json_value()
    except PlaywrightTimeout as exc:
        detail = ""
        with suppress(PlaywrightError):
            detail = page.wait_for_function(
                "() => `features drawn ${__bb.count()}, script ${__bb.state()}, idle ${__bb.idle()}, "
                "kind ${__bb.kind()}`", timeout=5000).json_value()
        raise MeasureTimeout(clock.stage, clock.cap_s, detail) from exc


def _value(page: Page, clock: Clock, expression: str, arg: Any = None) -> Any:
    """`page.evaluate` under the stage's cap (evaluate itself takes no timeout)."""
    return _wait(page, clock, f"(arg) => ({{value: ({expression})(arg)}})", arg)["value"]


def _two_frames(page: Page, clock: Clock, kind: str | None) -> None:
    """Two requestAnimationFrames in the map's own window (the folium iframe) or the page."""
    where = "__bb.mapWindow()" if kind == "folium" else "null"
    token = _value(page, clock, f"() => __bb.startFrames({where})")
    _wait(page, clock, "(token) => __bb.framesDone === token", token, polling="raf")


def _drain_webgl(page: Page, recorder: Recorder, clock: Clock) -> None:
    """Wait until every request under /app/static/webgl/ started so far has finished (or failed)."""
    while recorder.webgl_pending:
        if clock.ms() <= 1:
            raise MeasureTimeout(clock.stage, clock.cap_s, f"{len(recorder.webgl_pending)} webgl request(s) pending")
        try:  # event-driven; the 1 s bound only makes a failed request (no "requestfinished") get noticed
            page.wait_for_event("requestfinished", timeout=min(clock.ms(), 1000))
        except PlaywrightTimeout:
            continue


def _settle_deck(page: Page, recorder: Recorder, clock: Clock) -> None:
    """deck.gl: the app is idle, two frames passed (deck issued its fetches), the fetches finished, two frames."""
    _wait(page, clock, "() => __bb.deckDrawn() && __bb.idle()")
    _two_frames(page, clock, "deck")
    _drain_webgl(page, recorder, clock)
    _two_frames(page, clock, "deck")


# ------------------------------------------------------------------------------------------ stages
def _stopwatch_result(page: Page, recorder: Recorder, clock: Clock) -> tuple[float, str]:
    """Seconds the armed stopwatch measured, and the map kind; deck.gl first settles (files, frames)."""
    watch = _wait(page, clock, "() => __bb.stopwatch && __bb.stopwatch.end !== null && __bb.stopwatch")
    end = watch["end"]
    if watch["kind"] == "deck":
        _settle_deck(page, recorder, clock)
        end = _value(page, clock, "() => __bb.now()")
    return (end - watch["start"]) / 1000, watch["kind"]


def first_draw(page: Page, spec: PageSpec, expected: Expected, recorder: Recorder, url: str) -> tuple[float, str]:
    """Seconds from the navigation to the map drawn (or, for the floor, the page complete and idle); the map kind.

    Timed in the page from its navigation start (`bb.arm`): a folium map is drawn once it shows every feature and
    its map files have loaded; deck.gl also waits for its files and frames (`_settle_deck`).
    """
    with Clock("first draw", spec.cap_s, page, recorder) as clock:
        if not spec.has_map:
            check = """() => [...document.querySelectorAll('h1')].some(h => h.textContent.trim() === title)
              && !!document.querySelector("[data-testid='stSidebar'] [data-testid='stMultiSelect']")
              && __bb.shows('selected: 0') && __bb.idle() && 'none'"""
        else:
            check = """() => {
              const kind = __bb.kind();
              if (kind === 'folium') return __bb.count() === n && __bb.mapFilesLoading() === 0 && kind;
              return kind;
            }"""
        page.add_init_script(f"if (window.top === window) ((n, title) => __bb.arm({check}, true))"
                             f"({expected.total}, {json.dumps(spec.name)})")
        try:
            page.goto(url, wait_until="commit", timeout=clock.ms())
        except PlaywrightTimeout as exc:
            raise MeasureTimeout(clock.stage, spec.cap_s, "navigation") from exc
        try:
            elapsed, kind = _stopwatch_result(page, recorder, clock)
        except MeasureTimeout:
            with suppress(PlaywrightError):  # which map the page was drawing, for the report
                recorder.map_kind = page.wait_for_function("() => __bb.kind()", timeout=5000).json_value()
            raise
        recorder.map_kind = kind
        return elapsed, kind


def _open_goal_menu(page: Page, spec: PageSpec, clock: Clock) -> dict[str, float]:
    """Open the goal multiselect; the bounding box of ``spec.goal_option``."""
    try:
        page.get_by_role("combobox", name=GOAL_WIDGET).click(timeout=clock.ms())
        option = page.get_by_role("option", name=spec.goal_option, exact=True)
        option.wait_for(state="visible", timeout=clock.ms())
        box = option.bounding_box(timeout=clock.ms())
    except PlaywrightTimeout as exc:
        raise MeasureTimeout(clock.stage, clock.cap_s, "goal option not found") from exc
    assert box is not None
    return box


def filter_change(page: Page, spec: PageSpec, expected: Expected, recorder: Recorder) -> tuple[float, str]:
    """Seconds from the click on the goal option to the filtered result drawn and the app idle, and the map kind.

    Timed in the page (`bb.arm`): from the click's pointerdown to two frames after the first animation frame in
    which the page shows the filtered text, is idle and (maps) draws the filtered features, so polling and
    round trips to Python add nothing. The floor's result is its text; a map page's the map it shows then
    (it may switch kinds); deck.gl also waits for its files and two more frames.
    """
    with Clock("filter change", spec.cap_s, page, recorder) as clock:
        text = spec.shows_filtered(expected)  # only the filtered run writes it: proof that this run happened
        box = _open_goal_menu(page, spec, clock)
        if not spec.has_map:
            check = "() => __bb.shows(text) && __bb.idle() && 'none'"
        else:
            check = """() => {
              if (!(__bb.shows(text) && __bb.idle())) return false;
              if (__bb.mapWindow()) return __bb.count() === n ? 'folium' : false;
              return __bb.deckDrawn() ? 'deck' : false;
            }"""
        _value(page, clock, f"([text, n]) => __bb.arm({check})", [text, expected.filtered])
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        result = _stopwatch_result(page, recorder, clock)
        page.keyboard.press("Escape")  # close the dropdown (after the timing; it changes nothing)
        return result


def pan_zoom_frames(page: Page, kind: str, recorder: Recorder, cap_s: float) -> int:
    """Websocket frames the browser sent while dragging the map 150 px and wheel-zooming once, and 1 s after."""
    selector = FOLIUM_FRAME if kind == "folium" else "[data-testid='stDeckGlJsonChart']"
    with Clock("pan/zoom", cap_s, page, recorder) as clock:
        target = page.locator(selector).first
        target.scroll_into_view_if_needed(timeout=clock.ms())
        _wait(page, clock, "() => __bb.idle() && __bb.leafletIdle()")
        box = target.bounding_box(timeout=clock.ms())
        assert box is not None
        top, bottom = max(box["y"], 0), min(box["y"] + box["height"], VIEWPORT["height"])
        x, y = box["x"] + box["width"] / 2 - PAN_PX / 2, (top + bottom) / 2
        _value(page, clock, "() => 0")  # a round trip: every earlier websocket event has reached Python
        sent_before = recorder.ws_sent
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + PAN_PX, y, steps=10)
        page.mouse.up()
        page.mouse.wheel(0, -120)
        _two_frames(page, clock, kind)
        # Network-idle-like: the map stopped animating and no script run is going on; then the fixed window.
        _wait(page, clock, "() => __bb.idle() && __bb.leafletIdle()")
        page.wait_for_timeout(OBSERVATION_WINDOW_MS)  # the documented observation window: reruns that don't come
        _wait(page, clock, "() => __bb.idle() && __bb.leafletIdle()")
        return recorder.ws_sent - sent_before


# ------------------------------------------------------------------------------------------ one run
def measure(browser: Browser, url: str, spec: PageSpec, expected: Expected, warm_up: bool = False) -> dict[str, Any]:
    """One run in a fresh context. A stage over the page's cap ends the run: ``timeout`` names the stage and the
    numbers measured before it are kept. A warm-up run stops after the first load."""
    result: dict[str, Any] = {}
    with fresh_page(browser) as (page, recorder):
        page.set_default_timeout(spec.cap_s * 1000)
        try:
            _run(page, recorder, url, spec, expected, warm_up, result)
        except MeasureTimeout as exc:
            result.update(timeout=exc.stage, error=str(exc))
        except PlaywrightError as exc:
            if recorder.killed:
                result.update(timeout=recorder.killed, error=f"{recorder.killed}: not done after {spec.cap_s:.0f} s "
                                                             "(renderer unresponsive; browser killed)")
            else:
                result["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if "timeout" in result and recorder.map_kind:
            result.setdefault("map_kind", recorder.map_kind)
        result["page_errors"] = list(dict.fromkeys(recorder.errors))[:10]
        result["outside_requests"] = sorted(set(recorder.outside))
    return result


def _run(page: Page, recorder: Recorder, url: str, spec: PageSpec, expected: Expected, warm_up: bool,
         result: dict[str, Any]) -> None:
    result["first_draw_s"], result["map_kind"] = first_draw(page, spec, expected, recorder, url)
    with Clock("first load idle", spec.cap_s, page, recorder) as clock:
        drawn_at = _value(page, clock, "() => __bb.now()")
        _wait(page, clock, "() => __bb.idle()")
    webgl = recorder.webgl_bytes(list(recorder.webgl_done))
    result.update(payload_ws_bytes=recorder.ws_received_bytes, payload_webgl_bytes=webgl,
                  payload_mb=(recorder.ws_received_bytes + webgl) / 1e6)
    if warm_up:
        return
    result["filter_s"], result["filter_map_kind"] = filter_change(page, spec, expected, recorder)
    if spec.has_map:
        result["pan_frames_sent"] = pan_zoom_frames(page, result["filter_map_kind"], recorder, spec.cap_s)
    with Clock("long tasks", spec.cap_s, page, recorder) as clock:
        _two_frames(page, clock, None)  # let the long-task observers deliver
        _value(page, clock, "() => 0")  # a round trip: the binding calls before it have reached Python
    tasks = recorder.long_tasks
    result["long_task_max_s"] = max((d for _, d in tasks), default=0.0) / 1000
    result["long_task_max_after_draw_s"] = max((d for s, d in tasks if s >= drawn_at), default=0.0) / 1000
    result["long_tasks"] = len(tasks)
