// The zone's timeline under the clip: lanes of the zone's states, its samples, the time not
// seen, the finding's span and the clip's, ticks on the branch's clock; a click seeks the
// clip there, or fetches a moment's clip when the time is outside it; a cursor follows play.
import { $, svg } from "./dom.js";
import { api, problem } from "./api.js";
import { short } from "./clock.js";

// `box`: the element the SVG is drawn in; `player`: the clip player (player.js).
export function createTimeline(box, { player }) {
  const video = player.video;
  let timeline = null; // the API's timeline of the finding shown
  let finding = null;
  const message = (text) => { $("timeline-message").textContent = text; };

  async function load(f) {
    finding = f;
    timeline = null;
    message("");
    if (!f) { box.replaceChildren(); return; }
    const result = await api("GET", `/api/v1/findings/${f.id}/timeline`);
    if (finding !== f) return;
    if (!result.ok) { message(problem(result)); draw(); return; }
    timeline = result.data;
    $("timeline-zone").textContent = `刻度为网点时间 ticks in ${timeline.timezone}`;
    if (!timeline.samples.length) message("没有存储的采样 No stored samples of this zone around the finding");
    draw();
  }

  function geometry() {
    const width = Math.max(box.clientWidth, 280);
    const t0 = Date.parse(timeline.start);
    const t1 = Date.parse(timeline.end);
    return { width, t0, t1, x: (ms) => ((ms - t0) / (t1 - t0)) * width };
  }

  function draw() {
    box.replaceChildren();
    if (!timeline) return;
    const { width, t0, t1, x } = geometry();
    const rows = timeline.zones.length ? timeline.zones : [`${finding.cameras[0]}/${finding.zone}`];
    const rowH = 22;
    const clipY = 8 + rows.length * (rowH + 6);
    const height = clipY + 10 + 18;
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "timeline-svg" });
    root.setAttribute("aria-label", "区域时间线 zone timeline");
    const defs = svg("defs");
    const hatch = svg("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.append(svg("rect", { width: 6, height: 6, fill: "#fff" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#9e9e9e", "stroke-width": 2 }));
    defs.append(hatch);
    root.append(defs);
    const span = (a, b) => [x(Date.parse(a)), Math.max(x(Date.parse(b)) - x(Date.parse(a)), 1)];
    rows.forEach((key, row) => {
      const [camera, zone] = key.split("/");
      const y = 8 + row * (rowH + 6);
      root.append(svg("rect", { x: 0, y, width, height: rowH, class: "lane" }));
      for (const s of timeline.states) {
        if (s.camera !== camera || s.zone !== zone) continue;
        const [sx, sw] = span(s.start, s.end);
        root.append(svg("rect", { x: sx, y, width: sw, height: rowH, class: s.violating ? "state bad" : "state ok" }));
      }
      for (const u of timeline.unknown) {
        if (u.camera !== camera || (u.zone && u.zone !== zone)) continue;
        const [ux, uw] = span(u.start, u.end);
        const r = svg("rect", { x: ux, y, width: uw, height: rowH, class: "unknown", fill: "url(#hatch)" });
        r.append(svg("title"));
        r.firstChild.textContent = `未看到 unknown: ${u.reason}`;
        root.append(r);
      }
      for (const s of timeline.samples) {
        if (s.camera !== camera || s.zone !== zone) continue;
        const c = svg("circle", { cx: x(Date.parse(s.t)), cy: y + rowH / 2, r: 3, class: s.violating ? "sample bad" : "sample ok", "data-t": s.t });
        root.append(c);
      }
      const label = svg("text", { x: 4, y: y + 14, class: "lane-label" });
      label.textContent = key;
      root.append(label);
    });
    const [fx, fw] = span(finding.start, finding.end);
    root.append(svg("rect", { x: fx, y: 4, width: fw, height: clipY - 6, class: "finding-span" }));
    for (const c of timeline.clip) {
      const [cx, cw] = span(c.start, c.end);
      root.append(svg("rect", { x: cx, y: clipY, width: cw, height: 8, class: "clip-span" }));
    }
    const ticks = width < 500 ? 3 : 6;
    for (let i = 0; i <= ticks; i += 1) {
      const ms = t0 + ((t1 - t0) * i) / ticks;
      const t = svg("text", { x: x(ms), y: height - 4, class: "tick", "text-anchor": i === 0 ? "start" : i === ticks ? "end" : "middle" });
      t.textContent = short(ms, timeline.timezone);
      root.append(t);
    }
    root.append(svg("line", { id: "tl-cursor", x1: -10, x2: -10, y1: 0, y2: clipY + 10, class: "cursor" }));
    root.addEventListener("click", (event) => {
      const target = event.target.closest("circle.sample");
      const rect = root.getBoundingClientRect();
      const ms = target ? Date.parse(target.dataset.t) : t0 + ((event.clientX - rect.left) / rect.width) * (t1 - t0);
      seek(ms);
    });
    box.append(root);
    cursor(wallClock());
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

  // The cursor at wall-clock time `ms` (off the timeline when null).
  function cursor(ms) {
    const line = $("tl-cursor");
    if (!line || !timeline) return;
    const pos = ms === null ? -10 : geometry().x(ms);
    line.setAttribute("x1", pos);
    line.setAttribute("x2", pos);
  }
  const follow = () => cursor(wallClock());
  video.addEventListener("timeupdate", follow);
  video.addEventListener("seeked", follow);

  // Inside the evidence clip: play from there; outside: fetch that moment's clip.
  async function seek(ms) {
    const tz = timeline.timezone;
    const inClip = timeline.clip.find((c) => Date.parse(c.start) <= ms && ms <= Date.parse(c.end));
    if (inClip) {
      const seconds = inClip.offset_s + (ms - Date.parse(inClip.start)) / 1000;
      player.playClip(seconds);
      message(`跳转到 At ${short(ms, tz)}`);
      return;
    }
    const at = new Date(Math.round(ms / 1000) * 1000).toISOString();
    const url = `/api/v1/findings/${finding.id}/clip?at=${encodeURIComponent(at)}`;
    message(`正在调取 ${short(ms, tz)} 的录像… Fetching the recording of ${short(ms, tz)}…`);
    let response = await fetch(url, { credentials: "same-origin" });
    while (response.status === 202) {  // being drawn: its progress, then ask again
      const progress = await response.json();
      message(progress.message);
      await new Promise((done) => setTimeout(done, progress.retry_after * 1000));
      response = await fetch(url, { credentials: "same-origin" });
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      message(problem({ status: response.status, data: body }));
      return;
    }
    await response.arrayBuffer();
    player.playMoment(url, Date.parse(at) - 6000, `该时刻片段 Clip of ${short(Date.parse(at), tz)} ±6 s`);
    message(`显示 Showing ${short(Date.parse(at), tz)}`);
  }

  return { load, draw, cursor, seek };
}
