// The phone candidates' queue (queue.js) driven by the keyboard (keys.js): one crop at a
// time with its box in an SVG editor (drag the box to move it, a corner to resize it,
// elsewhere to draw a new one); C confirms with the box as drawn, D dismisses (not a
// phone), U undoes the last decision within the undo window, S skips (it stays pending),
// J/K move, Z zooms the crop. Coordinates are the image's pixels. The branch filter holds:
// a cleared branch's queue says so, it does not move on to other branches.
import { $, el, say } from "./dom.js";
import { api, problem, retryable } from "./api.js";
import { createQueue } from "./queue.js";
import { bindKeys } from "./keys.js";

const data = JSON.parse($("page-data").textContent); // { queue, branch, undo_s }
const svg = $("overlay");
const rect = $("box");
const crop = $("crop");
const ZOOMS = [1, 2, 3, 4];

let current = null; // the candidate on screen
let box = null; // [x1, y1, x2, y2] image pixels
let drag = null; // {mode: "move"|"draw", start: [x, y], from: box}
let zoom = 1;
let busy = false; // a save in flight: one at a time
let retry = null; // the save that failed for want of a connection: { what, again }
let last = null; // the last decision made here, for undo: { id, what, at }
const skipped = new Set(); // passed over with S: still pending, marked in the list

const stamp = (c) => `${c.t.slice(0, 19).replace("T", " ")} 网点时间 branch time`;

const queue = createQueue({
  items: data.queue.items,
  total: data.queue.total,
  list: $("queue-list"),
  count: $("count"),
  url() {
    const q = new URLSearchParams({ status: "pending", per_page: "200" });
    if (data.branch) q.set("branch", data.branch);
    return `/api/v1/candidates?${q}`;
  },
  item: (c) => el("li", { tabIndex: 0, className: skipped.has(c.id) ? "skipped" : "" },
    el("span", { className: "zh", textContent: `${c.branch} / ${c.zone}` }),
    el("small", { textContent: `${c.t.slice(5, 19).replace("T", " ")} 网点时间 branch time · ${Math.round(c.score * 100)}%` }),
    ...(skipped.has(c.id) ? [el("small", { className: "meta", textContent: "已跳过 skipped" })] : [])),
  open: (id) => show(queue.items.find((c) => String(c.id) === String(id)) || null),
});

function drawBox() {
  const [x1, y1, x2, y2] = box;
  rect.setAttribute("x", x1);
  rect.setAttribute("y", y1);
  rect.setAttribute("width", Math.max(x2 - x1, 0));
  rect.setAttribute("height", Math.max(y2 - y1, 0));
  $("box-text").textContent = box.map((v) => Math.round(v)).join(", ");
}

function show(c) {
  current = c;
  queue.at(c ? c.id : null);
  $("current").hidden = !c;
  $("empty").hidden = !!c;
  renderUndo();
  if (!c) { emptyScope(); return; }
  $("c-where").textContent = `${c.branch} · ${c.camera} / ${c.zone} · ${stamp(c)}`;
  $("c-score").textContent = `${Math.round(c.score * 100)}%`;
  svg.setAttribute("viewBox", `0 0 ${c.width} ${c.height}`);
  crop.src = c.image_url;
  box = c.box.slice();
  drawBox();
  setZoom(1);
  $("note").value = "";
}

// An empty queue under a branch filter says the branch is done and how many wait elsewhere,
// instead of moving on to other branches while the filter still names this one.
async function emptyScope() {
  const scope = $("empty-scope");
  scope.replaceChildren();
  if (!data.branch) return;
  const all = await api("GET", "/api/v1/candidates?status=pending&per_page=1");
  const others = all.ok ? all.data.total : 0;
  scope.append(`网点 ${data.branch} 的候选已全部标注 · All of ${data.branch}'s candidates are labelled. `);
  if (others) {
    scope.append(`其他网点还有 ${others} 个待标注 · ${others} pending in other branches: `,
      el("a", { href: "/candidates", textContent: "全部网点 All branches" }));
  }
}

// ---- zoom: the crop and its box drawn larger, scrolled to the box
function setZoom(level) {
  zoom = level;
  const editor = $("editor");
  if (level === 1) {
    crop.style.width = "";
    editor.classList.remove("zoomed");
  } else {
    editor.classList.add("zoomed");
    crop.style.width = `${crop.naturalWidth * level}px`;
  }
  $("zoom-level").textContent = `${level}×`;
  if (level > 1 && current) {
    const frame = $("zoom-frame");
    const scale = crop.clientWidth / current.width;
    frame.scrollLeft = ((box[0] + box[2]) / 2) * scale - frame.clientWidth / 2;
    frame.scrollTop = ((box[1] + box[3]) / 2) * scale - frame.clientHeight / 2;
  }
}
const zoomBy = (delta) => {
  const at = ZOOMS.indexOf(zoom) + delta;
  setZoom(ZOOMS[(at + ZOOMS.length) % ZOOMS.length]);
};
crop.addEventListener("load", () => { if (zoom > 1) setZoom(zoom); });

// a pointer position in image pixels, clamped to the image
function at(event) {
  const r = svg.getBoundingClientRect();
  const x = ((event.clientX - r.left) / r.width) * current.width;
  const y = ((event.clientY - r.top) / r.height) * current.height;
  return [Math.min(Math.max(x, 0), current.width), Math.min(Math.max(y, 0), current.height)];
}

svg.addEventListener("pointerdown", (event) => {
  if (!current) return;
  svg.setPointerCapture(event.pointerId);
  const p = at(event);
  const reach = 0.04 * Math.max(current.width, current.height); // a corner grabbed resizes the box
  const corners = [[box[0], box[1], box[2], box[3]], [box[2], box[1], box[0], box[3]],
    [box[0], box[3], box[2], box[1]], [box[2], box[3], box[0], box[1]]];
  const corner = corners.find(([x, y]) => Math.hypot(p[0] - x, p[1] - y) <= reach);
  const inside = p[0] >= box[0] && p[0] <= box[2] && p[1] >= box[1] && p[1] <= box[3];
  if (corner) drag = { mode: "draw", start: [corner[2], corner[3]], from: box.slice() };
  else drag = { mode: inside ? "move" : "draw", start: p, from: box.slice() };
  event.preventDefault();
});
svg.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const p = at(event);
  if (drag.mode === "draw") {
    const [a, b] = drag.start;
    box = [Math.min(a, p[0]), Math.min(b, p[1]), Math.max(a, p[0]), Math.max(b, p[1])];
  } else {
    const [x1, y1, x2, y2] = drag.from;
    const dx = Math.min(Math.max(p[0] - drag.start[0], -x1), current.width - x2);
    const dy = Math.min(Math.max(p[1] - drag.start[1], -y1), current.height - y2);
    box = [x1 + dx, y1 + dy, x2 + dx, y2 + dy];
  }
  drawBox();
});
const release = () => {
  if (drag && (box[2] - box[0] < 2 || box[3] - box[1] < 2)) box = drag.from; // a click
  drag = null;
  drawBox();
};
svg.addEventListener("pointerup", release);
svg.addEventListener("pointercancel", release);

// ---- saving: visible while in flight; a lost connection or a server error leaves the
// candidate in place with a retry, and the keys keep working
function saving(what) {
  busy = !!what;
  $("saving").hidden = !what;
  if (what) { $("saving").textContent = `保存中… Saving: ${what}`; retry = null; }
  showRetry();
}

function showRetry() {
  $("retry").hidden = !retry;
  if (retry) $("retry").textContent = `重试 Retry: ${retry.what}`;
}

function failed(what, result, again) {
  retry = retryable(result) ? { what, again } : null;
  const hint = retry ? " · 标注未生效：点“重试”或再按一次按键 Nothing changed: press Retry or the key again" : "";
  say(`未保存 Not saved — ${what}: ${problem(result)}${hint}`, "conflict");
  showRetry();
}

const undoable = () => last && Date.now() - last.at < data.undo_s * 1000;

function renderUndo() {
  const undo = undoable();
  for (const id of ["undo", "undo-last"]) {
    $(id).hidden = !undo;
    if (undo) {
      const left = Math.ceil((data.undo_s * 1000 - (Date.now() - last.at)) / 1000);
      $(id).textContent = `U 撤销 Undo: ${last.what} (${left} s)`;
    }
  }
}
setInterval(() => { if (last) renderUndo(); }, 1000);

async function decide(decision) {
  const c = current;
  if (!c || busy) return;
  const what = `${decision === "confirm" ? "是手机 phone" : "不是手机 not a phone"} #${c.id}`;
  saving(what);
  try {
    const body = { decision, note: $("note").value, seen_status: "pending" };
    if (decision === "confirm") body.box = box.map((v) => Math.round(v * 10) / 10);
    const result = await api("POST", `/api/v1/candidates/${c.id}/review`, body);
    if (!result.ok && result.status !== 409) { failed(what, result, () => decide(decision)); return; }
    if (result.ok) last = { id: c.id, what, at: Date.now() };
    queue.remove(c.id);
    skipped.delete(c.id);
    if (!queue.items.length) await queue.refill();
    say(result.ok
      ? (decision === "confirm" ? `已确认为手机 Confirmed as a phone: #${c.id}` : `已驳回 Dismissed: #${c.id}, not a phone`)
        + ` · U 撤销 undo within ${data.undo_s} s`
      : `未保存 Not saved: ${problem(result)}`, result.ok ? "ok" : "conflict");
    show(queue.next());
  } finally { saving(null); }
}

async function undo() {
  if (!last || busy) return;
  if (!undoable()) { say("撤销时限已过 · The time to undo has passed", "conflict"); renderUndo(); return; }
  const { id, what } = last;
  saving(`撤销 undo ${what}`);
  try {
    const result = await api("POST", `/api/v1/candidates/${id}/undo`);
    if (!result.ok) {
      if (result.status === 409) { last = null; say(`无法撤销 Cannot undo: ${problem(result)}`, "conflict"); return; }
      failed(`撤销 undo ${what}`, result, undo);
      return;
    }
    last = null;
    await queue.refill();
    say(`已撤销 Undone: #${id} · 待标注 pending again`, "ok");
    show(queue.items.find((c) => c.id === id) || result.data);
  } finally { saving(null); renderUndo(); }
}

// S: the candidate stays pending (someone may judge it later); the next one comes up.
function skip() {
  if (!current || busy) return;
  const c = current;
  skipped.add(c.id);
  const next = queue.step(1) || queue.items.find((x) => !skipped.has(x.id)) || queue.items[0];
  say(`已跳过 Skipped: #${c.id} · 仍待标注 still pending`, "ok");
  show(next && next.id !== c.id ? next : c);
}

function move(delta) {
  const next = queue.step(delta);
  if (next) show(next);
}

$("confirm").addEventListener("click", () => decide("confirm"));
$("dismiss").addEventListener("click", () => decide("dismiss"));
$("skip").addEventListener("click", skip);
$("zoom").addEventListener("click", () => zoomBy(1));
for (const id of ["undo", "undo-last"]) $(id).addEventListener("click", undo);
$("retry").addEventListener("click", () => { if (retry && !busy) retry.again(); });
bindKeys({
  c: { run: () => decide("confirm"), decision: true },
  d: { run: () => decide("dismiss"), decision: true },
  u: { run: undo, decision: true },
  s: { run: skip },
  j: { run: () => move(1), repeat: true },
  ArrowDown: { run: () => move(1), repeat: true },
  k: { run: () => move(-1), repeat: true },
  ArrowUp: { run: () => move(-1), repeat: true },
  z: { run: () => zoomBy(1) },
  "+": { run: () => zoomBy(1) },
  "-": { run: () => zoomBy(-1) },
  n: { run: () => $("note").focus() },
});
show(queue.items[0] || null);
