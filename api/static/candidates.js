// The phone candidates' queue: one crop at a time with its box in an SVG editor (drag the
// box to move it, a corner to resize it, elsewhere to draw a new one); C confirms with the box as drawn,
// D dismisses (not a phone); the next one follows. Coordinates are the image's pixels.
import { api, problem, retryable } from "./api.js";

(() => {
  const $ = (id) => document.getElementById(id);
  const page = JSON.parse($("queue-data").textContent);
  let queue = page.items;
  let total = page.total;
  let index = 0;
  let busy = false;
  let box = null; // [x1, y1, x2, y2] image pixels
  let drag = null; // {mode: "move"|"draw", start: [x, y], from: box}

  const svg = $("overlay");
  const rect = $("box");

  function renderQueue() {
    $("count").textContent = total;
    $("queue-list").replaceChildren(...queue.map((c, i) => {
      const li = document.createElement("li");
      li.className = i === index ? "current" : "";
      li.dataset.id = c.id;
      const zh = document.createElement("span");
      zh.className = "zh";
      zh.textContent = `${c.branch} / ${c.zone}`;
      const small = document.createElement("small");
      small.textContent = `${c.t.slice(5, 19).replace("T", " ")} 网点时间 branch time · ${Math.round(c.score * 100)}%`;
      li.append(zh, small);
      li.addEventListener("click", () => show(i));
      return li;
    }));
  }

  function drawBox() {
    const [x1, y1, x2, y2] = box;
    rect.setAttribute("x", x1);
    rect.setAttribute("y", y1);
    rect.setAttribute("width", Math.max(x2 - x1, 0));
    rect.setAttribute("height", Math.max(y2 - y1, 0));
    $("box-text").textContent = box.map((v) => Math.round(v)).join(", ");
  }

  function show(i) {
    index = i;
    renderQueue();
    const c = queue[i];
    $("current").hidden = !c;
    $("empty").hidden = !!c;
    if (!c) return;
    $("c-where").textContent = `${c.branch} · ${c.camera} / ${c.zone} · ${c.t.slice(0, 19).replace("T", " ")} 网点时间 branch time`;
    $("c-score").textContent = `${Math.round(c.score * 100)}%`;
    svg.setAttribute("viewBox", `0 0 ${c.width} ${c.height}`);
    $("crop").src = c.image_url;
    box = c.box.slice();
    drawBox();
    $("note").value = "";
  }

  // a pointer position in image pixels, clamped to the image
  function at(event) {
    const r = svg.getBoundingClientRect();
    const c = queue[index];
    const x = ((event.clientX - r.left) / r.width) * c.width;
    const y = ((event.clientY - r.top) / r.height) * c.height;
    return [Math.min(Math.max(x, 0), c.width), Math.min(Math.max(y, 0), c.height)];
  }

  svg.addEventListener("pointerdown", (event) => {
    if (!queue[index]) return;
    svg.setPointerCapture(event.pointerId);
    const p = at(event);
    const c = queue[index];
    const reach = 0.04 * Math.max(c.width, c.height); // a corner grabbed resizes the box
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
    const c = queue[index];
    const p = at(event);
    if (drag.mode === "draw") {
      const [a, b] = drag.start;
      box = [Math.min(a, p[0]), Math.min(b, p[1]), Math.max(a, p[0]), Math.max(b, p[1])];
    } else {
      const [x1, y1, x2, y2] = drag.from;
      const dx = Math.min(Math.max(p[0] - drag.start[0], -x1), c.width - x2);
      const dy = Math.min(Math.max(p[1] - drag.start[1], -y1), c.height - y2);
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

  async function refill() {
    const result = await api("GET", "/api/v1/candidates?status=pending&per_page=200");
    if (result.ok) { queue = result.data.items; total = result.data.total; }
  }

  // A lost connection or a server error leaves the candidate in place with a retry; the keys
  // keep working. A held key decides once (event.repeat), and one save is in flight at a time.
  let retry = null;

  function say(text, kind) {
    for (const id of ["message", "last-message"]) {
      $(id).textContent = text;
      $(id).className = `message ${kind}`;
    }
    $("retry").hidden = !retry;
    if (retry) $("retry").textContent = `重试 Retry: ${retry.what}`;
  }

  async function decide(decision) {
    const c = queue[index];
    if (!c || busy) return;
    busy = true;
    retry = null;
    const what = `${decision === "confirm" ? "是手机 phone" : "不是手机 not a phone"} #${c.id}`;
    $("saving").textContent = `保存中… Saving: ${what}`;
    $("saving").hidden = false;
    $("retry").hidden = true;
    try {
      const body = { decision, note: $("note").value, seen_status: "pending" };
      if (decision === "confirm") body.box = box.map((v) => Math.round(v * 10) / 10);
      const result = await api("POST", `/api/v1/candidates/${c.id}/review`, body);
      if (!result.ok && result.status !== 409) {
        if (retryable(result)) retry = { what, decision };
        const hint = retry ? " · 标注未生效：点“重试”或再按一次按键 Nothing changed: press Retry or the key again" : "";
        say(`未保存 Not saved — ${what}: ${problem(result)}${hint}`, "conflict");
        return;
      }
      queue.splice(index, 1);
      total -= 1;
      if (!queue.length) await refill();
      say(result.ok
        ? (decision === "confirm" ? `已确认为手机 Confirmed as a phone: #${c.id}` : `已驳回 Dismissed: #${c.id}, not a phone`)
        : `未保存 Not saved: ${problem(result)}`, result.ok ? "ok" : "conflict");
      show(Math.min(index, queue.length - 1 < 0 ? 0 : queue.length - 1));
    } finally {
      busy = false;
      $("saving").hidden = true;
    }
  }

  $("confirm").addEventListener("click", () => decide("confirm"));
  $("dismiss").addEventListener("click", () => decide("dismiss"));
  $("retry").addEventListener("click", () => { if (retry) decide(retry.decision); });
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "TEXTAREA" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.repeat) { event.preventDefault(); return; }
    if (event.key === "c" || event.key === "C") decide("confirm");
    if (event.key === "d" || event.key === "D") decide("dismiss");
  });
  show(0);
})();
