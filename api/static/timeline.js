// The zone's timeline under the clip: lanes of the zone's states, its samples, the time not
// seen, the time the branch was closed, the finding's span and the clip's, ticks at round
// times on the branch's clock. A scrubber as review tools have it: press or drag to seek
// (the clip follows while dragging; a moment outside the clip is fetched once let go), the
// wheel (a pinch on a touchpad or screen) or + / - zoom about the pointer or the playhead,
// shift+wheel or a sideways swipe pans, and with the timeline focused ← / → step to the
// previous or next sample or change of state, Home / End go to its ends, 0 shows it all.
// A cursor follows play, and the view follows the cursor while zoomed in.
import { $, svg } from "./dom.js";
import { api, problem } from "./api.js";
import { short } from "./clock.js";

const MIN_SPAN_MS = 2 * 60 * 1000; // zoomed in furthest: two minutes across
const ZOOM_STEP = 1.5;
const MINUTE = 60 * 1000;
// tick spacings to choose from, the smallest that leaves room for each label
const TICK_STEPS = [1, 5, 10, 15, 30, 60, 120, 180, 360].map((m) => m * MINUTE);
const TICK_ROOM_PX = 64;
const MOMENT_WAIT_MS = 500; // a moment outside the clip is fetched once stepping pauses
const CLOSED_FILL = "#cfd8dc";

// `box`: the element the SVG is drawn in; `player`: the clip player (player.js).
export function createTimeline(box, { player }) {
  const video = player.video;
  let timeline = null; // the API's timeline of the finding shown
  let finding = null;
  let view = null; // { a, b }: the wall-clock ms shown across the box
  let head = null; // where the playhead was put (ms) when the clip does not show it
  let drag = null; // a press on the timeline: { id, moved, pointers }
  let pinch = null; // two fingers on the timeline: { span, mid }
  let pending = null; // a moment's fetch waiting for stepping to pause
  let fetching = 0; // the moment being fetched: a newer one supersedes it
  let progressBar = null;
  let awaiting = false; // a moment's clip on its way: the cursor stays where it was put
  let clicked = false; // the click that follows a press was the press's own
  const message = (text) => { $("timeline-message").textContent = text; };

  box.tabIndex = 0;
  box.setAttribute("role", "slider");
  box.setAttribute("aria-label", "区域时间线：拖动跳转，滚轮缩放，←/→ 逐个采样 Zone timeline: drag to seek, wheel to zoom, ←/→ step through samples");

  async function load(f) {
    finding = f;
    timeline = null;
    view = null;
    head = null;
    message("");
    showProgress(null);
    if (!f) { box.replaceChildren(); return; }
    const result = await api("GET", `/api/v1/findings/${f.id}/timeline`);
    if (finding !== f) return;
    if (!result.ok) { message(problem(result)); draw(); return; }
    timeline = result.data;
    view = { a: Date.parse(timeline.start), b: Date.parse(timeline.end) };
    $("timeline-zone").textContent = `刻度为网点时间 ticks in ${timeline.timezone}`;
    if (!timeline.samples.length) message("没有存储的采样 No stored samples of this zone around the finding");
    draw();
  }

  const whole = () => ({ a: Date.parse(timeline.start), b: Date.parse(timeline.end) });

  function geometry() {
    const width = Math.max(box.clientWidth, 280);
    const { a, b } = view;
    return {
      width, t0: a, t1: b,
      x: (ms) => ((ms - a) / (b - a)) * width,
      at: (px) => a + (px / width) * (b - a),
    };
  }

  // The view spanning `span` ms with wall-clock `ms` kept at the box's fraction `f`, inside
  // the timeline's window.
  function setView(span, ms, f) {
    const all = whole();
    span = Math.min(all.b - all.a, Math.max(MIN_SPAN_MS, span));
    let a = ms - f * span;
    a = Math.min(all.b - span, Math.max(all.a, a));
    view = { a, b: a + span };
    draw();
  }
  const span = () => view.b - view.a;
  function zoom(factor, ms) {
    const f = (ms - view.a) / span();
    setView(span() / factor, ms, Math.min(1, Math.max(0, f)));
  }
  const pan = (ms) => setView(span(), view.a + ms, 0);

  // The branch clock's offset from UTC at `ms` (whole window: one offset), for round ticks.
  function offset(ms) {
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone: timeline.timezone, hourCycle: "h23", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    return wall - Math.floor(ms / 1000) * 1000;
  }

  // Round times of day on the branch's clock inside the view, labelled HH:MM.
  function ticks(width) {
    const { a, b } = view;
    const room = Math.max(1, Math.floor(width / TICK_ROOM_PX));
    const step = TICK_STEPS.find((s) => (b - a) / s <= room) || TICK_STEPS[TICK_STEPS.length - 1];
    const off = offset(a);
    const out = [];
    for (let t = Math.ceil((a + off) / step) * step - off; t <= b; t += step) out.push(t);
    return { step, times: out };
  }

  function draw() {
    box.replaceChildren();
    if (!timeline) return;
    const { width, x } = geometry();
    const rows = timeline.zones.length ? timeline.zones : [`${finding.cameras[0]}/${finding.zone}`];
    const rowH = 22;
    const clipY = 8 + rows.length * (rowH + 6);
    const height = clipY + 10 + 22;
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "timeline-svg" });
    root.setAttribute("aria-label", "区域时间线 zone timeline");
    root.style.touchAction = "none"; // the page does not scroll or zoom under a drag or pinch
    root.style.userSelect = "none"; // nor does a drag select the labels
    const defs = svg("defs");
    const hatch = svg("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.append(svg("rect", { width: 6, height: 6, fill: "#fff" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#9e9e9e", "stroke-width": 2 }));
    defs.append(hatch);
    root.append(defs);
    const spanOf = (s, e) => [x(Date.parse(s)), Math.max(x(Date.parse(e)) - x(Date.parse(s)), 1)];
    const titled = (node, text) => { const t = svg("title"); t.textContent = text; node.append(t); return node; };
    rows.forEach((key, row) => {
      const [camera, zone] = key.split("/");
      const y = 8 + row * (rowH + 6);
      root.append(svg("rect", { x: 0, y, width, height: rowH, class: "lane" }));
      for (const s of timeline.states) {
        if (s.camera !== camera || s.zone !== zone) continue;
        const [sx, sw] = spanOf(s.start, s.end);
        root.append(svg("rect", { x: sx, y, width: sw, height: rowH, class: s.violating ? "state bad" : "state ok" }));
      }
      for (const u of timeline.unknown) {
        if (u.camera !== camera || (u.zone && u.zone !== zone)) continue;
        const [ux, uw] = spanOf(u.start, u.end);
        root.append(titled(svg("rect", { x: ux, y, width: uw, height: rowH, class: "unknown", fill: "url(#hatch)" }), `未看到 unknown: ${u.reason}`));
      }
      for (const c of timeline.closed || []) {
        const [cx, cw] = spanOf(c.start, c.end);
        root.append(titled(svg("rect", { x: cx, y, width: cw, height: rowH, class: "closed", fill: CLOSED_FILL }), c.reason));
        if (cw > 110) { // said at its right end, clear of the lane's name at the left
          const label = svg("text", { x: cx + cw - 6, y: y + 15, class: "closed-label", "text-anchor": "end", fill: "#455a64", "font-size": 12 });
          label.textContent = "非营业 closed";
          root.append(label);
        }
      }
      for (const s of timeline.samples) {
        if (s.camera !== camera || s.zone !== zone) continue;
        const cx = x(Date.parse(s.t));
        if (cx < -4 || cx > width + 4) continue;
        root.append(svg("circle", { cx, cy: y + rowH / 2, r: 3, class: s.violating ? "sample bad" : "sample ok", "data-t": s.t }));
      }
      const label = svg("text", { x: 4, y: y + 14, class: "lane-label" });
      label.textContent = key;
      root.append(label);
    });
    const [fx, fw] = spanOf(finding.start, finding.end);
    root.append(svg("rect", { x: fx, y: 4, width: fw, height: clipY - 6, class: "finding-span" }));
    for (const c of timeline.clip) {
      const [cx, cw] = spanOf(c.start, c.end);
      root.append(svg("rect", { x: cx, y: clipY, width: cw, height: 8, class: "clip-span" }));
    }
    for (const t of ticks(width).times) {
      const tx = x(t);
      root.append(svg("line", { x1: tx, x2: tx, y1: clipY + 9, y2: clipY + 13, class: "tick-mark", stroke: "#78909c" }));
      const label = svg("text", { x: tx, y: height - 4, class: "tick", "text-anchor": tx < 20 ? "start" : tx > width - 20 ? "end" : "middle", "data-t": new Date(t).toISOString() });
      label.textContent = short(t, timeline.timezone).slice(0, 5);
      root.append(label);
    }
    root.append(svg("line", { id: "tl-cursor", x1: -10, x2: -10, y1: 0, y2: clipY + 10, class: "cursor" }));
    box.append(root);
    box.dataset.from = new Date(view.a).toISOString();
    box.dataset.to = new Date(view.b).toISOString();
    box.setAttribute("aria-valuetext", `${short(view.a, timeline.timezone)}–${short(view.b, timeline.timezone)} (${timeline.timezone})`);
    cursor(now(), "none");
  }
  window.addEventListener("resize", () => draw());

  // The wall-clock time of the frame on screen, or null when it is not on the timeline.
  function wallClock() {
    const source = player.source;
    if (source.kind === "moment") return source.from + video.currentTime * 1000;
    if (!timeline) return null;
    for (const c of timeline.clip) {
      const len = (Date.parse(c.end) - Date.parse(c.start)) / 1000;
      if (video.currentTime >= c.offset_s && video.currentTime <= c.offset_s + len) {
        return Date.parse(c.start) + (video.currentTime - c.offset_s) * 1000;
      }
    }
    return null;
  }
  // The playhead: where it was put while the clip cannot show it yet, else the clip's.
  const now = () => {
    const shown = wallClock();
    return pending !== null || awaiting || (head !== null && shown === null) ? head : shown;
  };

  // The cursor at wall-clock time `ms` (off the timeline when null). Zoomed in, the view
  // moves to it when it lies outside: always for a time chosen here (`bring` "jump"), while
  // the clip plays only if it was in view (the view follows play, but a view zoomed or
  // panned elsewhere stays), never when the view was just drawn ("none").
  let seen = false;
  function cursor(ms, bring = "jump") {
    const line = $("tl-cursor");
    if (!line || !timeline) return;
    const all = whole();
    const out = ms !== null && ms >= all.a && ms <= all.b && (ms < view.a || ms > view.b);
    if (out && !drag && span() < all.b - all.a && (bring === "jump" || (bring === "play" && seen))) {
      setView(span(), ms, 0.25);
      return;
    }
    seen = ms !== null && ms >= view.a && ms <= view.b;
    const pos = ms === null ? -10 : geometry().x(ms);
    line.setAttribute("x1", pos);
    line.setAttribute("x2", pos);
    box.setAttribute("aria-valuenow", ms === null ? "" : String(ms));
  }
  const follow = () => {
    if (pending !== null || awaiting || drag) return;
    head = null;
    cursor(wallClock(), "play");
  };
  video.addEventListener("timeupdate", follow);
  video.addEventListener("seeked", follow);

  const inClip = (ms) => timeline.clip.find((c) => Date.parse(c.start) <= ms && ms <= Date.parse(c.end));

  // Inside the evidence clip: play from there; outside: fetch that moment's clip (at
  // once, or with `later` once stepping pauses).
  function seek(ms, later = false) {
    clearTimeout(pending);
    pending = null;
    if (awaiting) { fetching += 1; awaiting = false; showProgress(null); } // superseded
    head = ms;
    const tz = timeline.timezone;
    const c = inClip(ms);
    if (c) {
      player.playClip(c.offset_s + (ms - Date.parse(c.start)) / 1000);
      message(`跳转到 At ${short(ms, tz)}`);
      cursor(ms);
      return;
    }
    // the wait or the fetch first: the playhead is then where it was put, not the clip's
    if (later) pending = setTimeout(() => { pending = null; fetchMoment(ms); }, MOMENT_WAIT_MS);
    else fetchMoment(ms);
    cursor(ms);
    if (later) message(`${short(ms, tz)} 不在证据片段内，停下后调取 Not in the evidence clip: fetched when you stop…`);
  }

  // While dragging inside the clip the video follows at once; outside, only the cursor.
  function scrub(ms) {
    head = ms;
    const c = inClip(ms);
    if (c && player.source.kind === "clip" && video.readyState >= 1) {
      video.currentTime = c.offset_s + (ms - Date.parse(c.start)) / 1000;
    }
    cursor(ms);
  }

  function showProgress(progress) {
    if (!progressBar) {
      progressBar = document.createElement("progress");
      progressBar.id = "moment-progress";
      progressBar.max = 100;
      progressBar.style.width = "100%";
      $("timeline-message").after(progressBar);
    }
    progressBar.hidden = !progress;
    if (!progress) return;
    if (progress.state === "queued") progressBar.removeAttribute("value");
    else progressBar.value = progress.percent;
    progressBar.dataset.stage = progress.stage;
    progressBar.setAttribute("aria-label", progress.message);
  }

  async function fetchMoment(ms) {
    const mine = ++fetching;
    awaiting = true;
    try {
      await drawMoment(ms, mine);
    } finally {
      if (mine === fetching) { awaiting = false; showProgress(null); }
    }
  }

  async function drawMoment(ms, mine) {
    const tz = timeline.timezone;
    const f = finding;
    const at = new Date(Math.round(ms / 1000) * 1000).toISOString();
    const url = `/api/v1/findings/${f.id}/clip?at=${encodeURIComponent(at)}`;
    message(`正在调取 ${short(ms, tz)} 的录像… Fetching the recording of ${short(ms, tz)}…`);
    let response = await fetch(url, { credentials: "same-origin" });
    while (response.status === 202) {  // being drawn: its stage and share, then ask again
      const progress = await response.json();
      if (mine !== fetching || finding !== f) return;
      message(progress.message);
      showProgress(progress);
      await new Promise((done) => setTimeout(done, progress.retry_after * 1000));
      response = await fetch(url, { credentials: "same-origin" });
    }
    if (mine !== fetching || finding !== f) return;
    showProgress(null);
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      message(problem({ status: response.status, data: body }));
      return;
    }
    await response.arrayBuffer();
    head = null;
    player.playMoment(url, Date.parse(at) - 6000, `该时刻片段 Clip of ${short(Date.parse(at), tz)} ±6 s`);
    message(`显示 Showing ${short(Date.parse(at), tz)}`);
  }

  // ---- the pointer: press or drag to seek, two fingers to zoom; the wheel zooms or pans
  const msAt = (event) => {
    const rect = box.getBoundingClientRect();
    return geometry().at(Math.min(rect.width, Math.max(0, event.clientX - rect.left)));
  };
  const pointers = new Map();
  box.addEventListener("pointerdown", (event) => {
    if (!timeline || event.button !== 0) return;
    pointers.set(event.pointerId, event.clientX);
    box.setPointerCapture(event.pointerId);
    if (pointers.size === 2) {
      const [p, q] = [...pointers.values()];
      pinch = { width: Math.abs(p - q) || 1, span: span(), mid: msAt({ clientX: (p + q) / 2 }) };
      drag = null;
      return;
    }
    const sample = event.target.closest && event.target.closest("circle.sample");
    drag = { moved: false, start: event.clientX, sample: sample ? Date.parse(sample.dataset.t) : null };
    box.focus({ preventScroll: true });
  });
  box.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, event.clientX);
    if (pinch && pointers.size === 2) {
      const [p, q] = [...pointers.values()];
      const rect = box.getBoundingClientRect();
      setView(pinch.span * (pinch.width / (Math.abs(p - q) || 1)), pinch.mid, ((p + q) / 2 - rect.left) / rect.width);
      return;
    }
    if (!drag) return;
    if (Math.abs(event.clientX - drag.start) > 3) drag.moved = true;
    if (drag.moved) scrub(msAt(event));
  });
  const release = (event) => {
    pointers.delete(event.pointerId);
    if (pinch) { if (pointers.size < 2) pinch = null; return; }
    const was = drag;
    drag = null;
    if (!was || event.type === "pointercancel") return;
    seek(!was.moved && was.sample !== null ? was.sample : msAt(event));
    clicked = true; // the click that follows is this press's
  };
  box.addEventListener("pointerup", release);
  box.addEventListener("pointercancel", release);
  // a click without a press before it (assistive tools, scripts): seek there too
  box.addEventListener("click", (event) => {
    if (clicked) { clicked = false; return; }
    if (!timeline) return;
    const sample = event.target.closest && event.target.closest("circle.sample");
    seek(sample ? Date.parse(sample.dataset.t) : msAt(event));
  });
  box.addEventListener("wheel", (event) => {
    if (!timeline) return;
    event.preventDefault();
    const sideways = Math.abs(event.deltaX) > Math.abs(event.deltaY);
    if (sideways || event.shiftKey) {
      const d = sideways ? event.deltaX : event.deltaY;
      pan((d / Math.max(box.clientWidth, 1)) * span());
      return;
    }
    // a touchpad's pinch arrives as a wheel with ctrlKey, in small steps
    const factor = event.ctrlKey ? Math.exp(-event.deltaY / 100) : event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP;
    zoom(factor, msAt(event));
  }, { passive: false });

  // ---- the keys, while the timeline has the focus
  function stops() {
    const out = new Set(timeline.samples.map((s) => Date.parse(s.t)));
    let last = null;
    for (const s of [...timeline.states].sort((p, q) => Date.parse(p.start) - Date.parse(q.start))) {
      const key = `${s.camera}/${s.zone}`;
      if (last && (last.key !== key || last.violating !== s.violating)) out.add(Date.parse(s.start));
      last = { key, violating: s.violating };
    }
    return [...out].sort((p, q) => p - q);
  }
  function step(direction) {
    const at = now() ?? (direction > 0 ? view.a : view.b);
    const all = stops();
    const next = direction > 0 ? all.find((t) => t > at + 1) : [...all].reverse().find((t) => t < at - 1);
    if (next !== undefined) seek(next, true);
  }
  box.addEventListener("keydown", (event) => {
    if (!timeline || event.ctrlKey || event.metaKey || event.altKey) return;
    const playhead = now() ?? (view.a + view.b) / 2;
    const keys = {
      ArrowLeft: () => step(-1),
      ArrowRight: () => step(1),
      Home: () => seek(whole().a, true),
      End: () => seek(whole().b, true),
      "+": () => zoom(ZOOM_STEP, playhead),
      "=": () => zoom(ZOOM_STEP, playhead),
      "-": () => zoom(1 / ZOOM_STEP, playhead),
      0: () => setView(Infinity, whole().a, 0),
    };
    if (!(event.key in keys)) return;
    keys[event.key]();
    event.preventDefault();
    event.stopPropagation(); // the page's ← / → seek the clip; here they step the timeline
  });

  return { load, draw, cursor, seek };
}
