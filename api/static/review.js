"use strict";
// The review queue: one finding at a time, C confirms, D dismisses, the next one follows.
(() => {
  const $ = (id) => document.getElementById(id);
  const page = JSON.parse($("queue-data").textContent);
  const filters = JSON.parse($("filter-data").textContent);
  let queue = page.items;
  let total = page.total;
  let index = 0;
  let busy = false;
  let confirmed = null; // the finding just confirmed: a fix can be ordered for it at once

  const minutes = (s) => (s >= 60 ? `${Math.floor(s / 60)} 分 ${Math.round(s % 60)} 秒 (${Math.round(s)} s)` : `${Math.round(s)} 秒 s`);

  function renderQueue() {
    $("count").textContent = total;
    const list = $("queue-list");
    list.replaceChildren(...queue.map((f, i) => {
      const li = document.createElement("li");
      li.className = i === index ? "current" : "";
      li.dataset.id = f.id;
      const zh = document.createElement("span");
      zh.className = "zh";
      zh.textContent = f.item_zh;
      const small = document.createElement("small");
      small.textContent = `${f.branch} · ${f.local_time.slice(5, 16)} · ${Math.round(f.confidence * 100)}%`;
      li.append(zh, small);
      li.addEventListener("click", () => show(i));
      return li;
    }));
  }

  async function showScore(f) {
    const q = new URLSearchParams({ branch: f.branch, from: f.date, to: f.date });
    const result = await api("GET", `/api/v1/checks?${q}`);
    const check = result.ok && result.data[0];
    $("s-final").textContent = check ? check.final_score : "–";
    $("s-provisional").textContent = check ? check.provisional_score : "–";
  }

  function show(i) {
    index = i;
    renderQueue();
    const f = queue[i];
    $("current").hidden = !f;
    $("empty").hidden = !!f;
    if (!f) return;
    $("f-item-zh").textContent = f.item_zh;
    $("f-item-en").textContent = `${f.item_en} · ${f.item}`;
    $("f-status").textContent = "待复核 pending";
    $("f-status").className = "badge pending";
    $("f-branch").textContent = f.branch;
    $("f-time").textContent = f.local_time;
    $("f-duration").textContent = minutes(f.duration_s);
    $("f-where").textContent = `${f.cameras.join(", ")} / ${f.zone}`;
    $("f-confidence").textContent = `${Math.round(f.confidence * 100)}%`;
    const video = $("clip");
    if (f.clip_url) { video.src = f.clip_url; video.hidden = false; } else { video.removeAttribute("src"); video.hidden = true; }
    $("keyframe").src = f.keyframe_url || "";
    $("note").value = "";
    showScore(f);
  }

  async function refill() {
    const q = new URLSearchParams({ status: "pending", per_page: "200" });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    const result = await api("GET", `/api/v1/findings?${q}`);
    if (result.ok) { queue = result.data.items; total = result.data.total; }
  }

  async function decide(decision) {
    const f = queue[index];
    if (!f || busy) return;
    busy = true;
    const before = $("s-final").textContent;
    const result = await api("POST", `/api/v1/findings/${f.id}/review`, {
      decision, note: $("note").value, seen_status: "pending",
    });
    const message = $("message");
    confirmed = result.ok && decision === "confirm" ? f : null;
    for (const id of ["order-fix", "order-fix-last"]) {
      $(id).hidden = !confirmed;
      if (confirmed) $(id).textContent = `R 下达整改令 Order a fix: ${f.item_zh}`;
    }
    if (result.ok) {
      const check = result.data.check;
      const verb = decision === "confirm" ? "已确认 Confirmed" : "已驳回 Dismissed";
      message.className = "message";
      message.textContent = check
        ? `${verb}: ${f.item_zh} · 最终得分 final ${before} → ${check.final_score}`
        : `${verb}: ${f.item_zh}`;
    } else {
      message.className = "message conflict";
      message.textContent = problem(result);
      if (result.status !== 409) { busy = false; return; }
    }
    $("last-message").textContent = message.textContent;
    queue.splice(index, 1);
    total = Math.max(0, total - 1);
    if (!queue.length) await refill();
    busy = false;
    show(Math.max(0, Math.min(index, queue.length - 1)));
  }

  async function orderFix() {
    const f = confirmed;
    if (!f || busy) return;
    busy = true;
    const note = $("note").value.trim() || `整改 ${f.item_zh} · fix: ${f.item_en}`;
    const result = await api("POST", `/api/v1/branches/${encodeURIComponent(f.branch)}/rectifications`, {
      item: f.item, note, finding_id: f.id,
    });
    const text = result.ok
      ? `整改令 #${result.data.id} 已下达 rectification order #${result.data.id} given: ${f.branch} · ${f.item_zh}`
      : problem(result);
    for (const id of ["message", "last-message"]) $(id).textContent = text;
    if (result.ok) {
      confirmed = null;
      $("order-fix").hidden = $("order-fix-last").hidden = true;
    }
    busy = false;
  }

  $("order-fix").addEventListener("click", orderFix);
  $("order-fix-last").addEventListener("click", orderFix);
  $("confirm").addEventListener("click", () => decide("confirm"));
  $("dismiss").addEventListener("click", () => decide("dismiss"));
  document.addEventListener("keydown", (event) => {
    const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(document.activeElement.tagName);
    if (event.key === "Escape") { document.activeElement.blur(); return; }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "c") decide("confirm");
    else if (key === "d") decide("dismiss");
    else if (key === "n") { event.preventDefault(); $("note").focus(); }
    else if (key === "r") orderFix();
    else return;
    event.preventDefault();
  });
  show(0);
})();
