// The zone editor (api/routes/zone_editor.py): the camera's zones over its frame; a
// person drags a corner (or selects it and nudges it with the arrow keys), adds and removes
// points, and copies the camera's zones as site-file YAML (pipeline/site.py: polygons are
// fractions of the picture's width and height, 0..1).

const data = JSON.parse(document.getElementById("zone-data").textContent);
const svg = document.getElementById("zone-svg");
const out = document.getElementById("zone-yaml");
const status = document.querySelector(".point-status");
const NS = "http://www.w3.org/2000/svg";
const W = data.width, H = data.height;
const HANDLE_PX = 9; // a corner's radius on screen, whatever the picture's scale
const original = JSON.stringify(data.zones);
let zones = JSON.parse(original);
let selected = { zone: 0, point: 0 };

// A fraction of the picture ↔ the SVG's pixel grid. A point at 1.0 is the last pixel's
// centre, as the night draws and judges zones (detectors/zones.py PixelZone.from_normalized).
const toPx = ([x, y]) => [x * (W - 1) + 0.5, y * (H - 1) + 0.5];
const clamp = (v) => Math.min(1, Math.max(0, v));
const toFraction = ([x, y]) => [clamp((x - 0.5) / (W - 1)), clamp((y - 0.5) / (H - 1))];
const round = (v) => Math.round(v * 1e4) / 1e4;

function el(name, attrs) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function scale() {
  const shown = svg.getBoundingClientRect().width;
  return shown > 0 ? W / shown : 1;
}

// ---- drawing -----------------------------------------------------------------------

function draw(focus = false) {
  svg.replaceChildren();
  zones.forEach((zone, zi) => {
    const colour = data.colours[zone.purpose] || "#ffffff";
    const polygon = el("polygon", {
      class: "zone" + (zi === selected.zone ? " selected" : ""),
      points: zone.polygon.map((p) => toPx(p).join(",")).join(" "),
      stroke: colour, fill: colour, "data-zone": zone.id,
    });
    polygon.addEventListener("pointerdown", () => select(zi, selected.zone === zi ? selected.point : 0));
    svg.append(polygon);
    const [lx, ly] = toPx([Math.min(...zone.polygon.map((p) => p[0])), Math.min(...zone.polygon.map((p) => p[1]))]);
    const label = el("text", { class: "zone-label", x: lx + 4 * scale(), y: ly + 16 * scale(), fill: colour, "font-size": 14 * scale() });
    label.textContent = zone.id;
    svg.append(label);
  });
  const zone = zones[selected.zone];
  if (!zone) return;
  zone.polygon.forEach((p, pi) => {
    const [cx, cy] = toPx(p);
    const handle = el("circle", {
      class: "handle" + (pi === selected.point ? " selected" : ""),
      cx, cy, r: HANDLE_PX * scale(), tabindex: "0", role: "button",
      "data-point": pi, "aria-label": `${zone.id} 点 point ${pi + 1}`,
    });
    handle.addEventListener("pointerdown", (event) => startDrag(event, pi));
    handle.addEventListener("keydown", (event) => onKey(event, pi));
    handle.addEventListener("focus", () => { if (selected.point !== pi) { selected.point = pi; mark(); } });
    svg.append(handle);
  });
  if (focus) svg.querySelector(`.handle[data-point="${selected.point}"]`)?.focus();
  mark();
}

// what the selection shows without redrawing (a redraw would take the focus away)
function mark() {
  svg.querySelectorAll(".handle").forEach((h) => h.classList.toggle("selected", Number(h.dataset.point) === selected.point));
  document.querySelectorAll(".zone-list button").forEach((b, i) => b.setAttribute("aria-pressed", String(i === selected.zone)));
  const zone = zones[selected.zone];
  const p = zone?.polygon[selected.point];
  if (status && p) {
    status.textContent = `${zone.id} · 点 point ${selected.point + 1}/${zone.polygon.length}: [${round(p[0])}, ${round(p[1])}]`;
  }
}

function move(pi, fraction) {
  const zone = zones[selected.zone];
  zone.polygon[pi] = fraction;
  const [cx, cy] = toPx(fraction);
  const handle = svg.querySelector(`.handle[data-point="${pi}"]`);
  handle.setAttribute("cx", cx);
  handle.setAttribute("cy", cy);
  svg.querySelectorAll(".zone")[selected.zone].setAttribute("points", zone.polygon.map((p) => toPx(p).join(",")).join(" "));
  mark();
  writeYaml();
}

function select(zi, pi) {
  selected = { zone: zi, point: pi };
  draw();
}

// ---- pointer and keys --------------------------------------------------------------

function svgPoint(event) {
  const matrix = svg.getScreenCTM().inverse();
  const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix);
  return [p.x, p.y];
}

function startDrag(event, pi) {
  event.preventDefault();
  event.stopPropagation();
  selected.point = pi;
  mark();
  const handle = event.currentTarget;
  handle.focus();
  handle.setPointerCapture(event.pointerId);
  const onMove = (e) => move(pi, toFraction(svgPoint(e)));
  const onUp = () => {
    handle.removeEventListener("pointermove", onMove);
    handle.removeEventListener("pointerup", onUp);
    handle.removeEventListener("pointercancel", onUp);
  };
  handle.addEventListener("pointermove", onMove);
  handle.addEventListener("pointerup", onUp);
  handle.addEventListener("pointercancel", onUp);
}

const NUDGE = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function onKey(event, pi) {
  if (NUDGE[event.key]) {
    event.preventDefault();
    const step = event.shiftKey ? 10 : 1; // pixels of the picture
    const [dx, dy] = NUDGE[event.key];
    const [x, y] = toPx(zones[selected.zone].polygon[pi]);
    move(pi, toFraction([x + dx * step, y + dy * step]));
  } else if (event.key === "Delete" || event.key === "Backspace") {
    event.preventDefault();
    removePoint();
  } else if (event.key === "+" || event.key === "Insert") {
    event.preventDefault();
    addPoint();
  }
}

// ---- points ------------------------------------------------------------------------

function addPoint() {
  const zone = zones[selected.zone];
  if (!zone) return;
  const a = zone.polygon[selected.point];
  const b = zone.polygon[(selected.point + 1) % zone.polygon.length];
  zone.polygon.splice(selected.point + 1, 0, [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]);
  selected.point += 1;
  draw(true);
  writeYaml();
}

function removePoint() {
  const zone = zones[selected.zone];
  if (!zone) return;
  if (zone.polygon.length <= 3) {
    status.textContent = "区域至少需要 3 个点。A zone needs at least 3 points.";
    return;
  }
  zone.polygon.splice(selected.point, 1);
  selected.point = Math.min(selected.point, zone.polygon.length - 1);
  draw(true);
  writeYaml();
}

// ---- YAML --------------------------------------------------------------------------

const PLAIN = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;
const RESERVED = /^(y|yes|n|no|true|false|on|off|null)$/i; // YAML 1.1 would retype these

function scalar(value) {
  if (typeof value === "number") return String(round(value));
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

function flow(value) {
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${flow(v)}`).join(", ")}}`;
  }
  return scalar(value);
}

function writeYaml() {
  const where = data.index === null ? "" : `cameras[${data.index}] `;
  const lines = [
    `    # ${where}${data.camera}: 此摄像头的区域 this camera's zones`,
    "    zones:",
    ...zones.map((zone) => {
      const keys = {};
      for (const key of ["id", "purpose", "anchor", "post", "reference", "uniform", "polygon"]) {
        if (zone[key] !== null && zone[key] !== undefined) keys[key] = zone[key];
      }
      return `      - ${flow(keys)}`;
    }),
  ];
  out.value = lines.join("\n") + "\n";
}

async function copyYaml() {
  const message = document.querySelector(".copy-message");
  try {
    await navigator.clipboard.writeText(out.value);
    message.textContent = "已复制 Copied";
  } catch {
    // no clipboard (a page served over plain http elsewhere than localhost): select the text
    out.focus();
    out.select();
    message.textContent = "已选中，请按 Ctrl+C 复制 Selected: press Ctrl+C to copy";
  }
}

// ---- start -------------------------------------------------------------------------

const list = document.querySelector(".zone-list");
zones.forEach((zone, zi) => {
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.zone = zone.id;
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = data.colours[zone.purpose] || "#fff"; // CSSOM: allowed by the CSP
  button.append(swatch, `${zone.id} · ${data.purposes[zone.purpose] || zone.purpose}`);
  button.addEventListener("click", () => select(zi, 0));
  list?.append(button);
});
document.getElementById("add-point")?.addEventListener("click", addPoint);
document.getElementById("remove-point")?.addEventListener("click", removePoint);
document.getElementById("reset-zones")?.addEventListener("click", () => {
  zones = JSON.parse(original);
  select(Math.min(selected.zone, zones.length - 1), 0);
  writeYaml();
});
document.getElementById("copy-yaml").addEventListener("click", copyYaml);
new ResizeObserver(() => draw()).observe(svg);
draw();
writeYaml();
document.body.dataset.zoneEditor = "ready";
