"use strict";
// The finding page and the review queue beside it: the clip, the zone's timeline to scrub,
// the facts and the history of one finding; decisions that stay visible and can be undone
// or reopened; the queue driven by the keyboard.
(() => {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("page-data").textContent);
  const video = $("clip");
  const RATES = [0.25, 0.5, 1, 1.5, 2, 4];
  const FRAME_S = 0.2; // one frame of a 5 fps evidence clip
  const SEEK_S = 2;
  const STATUS = { pending: "待复核 pending", confirmed: "已确认 confirmed", dismissed: "已驳回 dismissed" };
  const KIND = {
    confirm: "确认违规 Confirmed", dismiss: "驳回 Dismissed", undo: "撤销 Undone",
    reopen: "重新打开 Reopened", appeal: "申诉 Appealed", upheld: "申诉维持 Appeal upheld",
    granted: "申诉撤销扣分 Appeal granted", appeal_reopen: "申诉重新打开 Appeal reopened",
  };

  let finding = data.finding; // the FindingDetail shown
  let queue = data.queue ? data.queue.items : null; // pending FindingOut, or null (no queue)
  let total = data.queue ? data.queue.total : 0;
  let index = 0; // where in the queue we are, kept when the current finding leaves it
  let timeline = null;
  let source = { kind: "clip" }; // what the video plays: the evidence clip or a moment's clip
  let busy = false; // a save in flight: every decision key waits for it (one press, one decision)
  let retry = null; // the save that failed for want of a connection or a working server
  let last = null; // the last decision made here: { id, item_zh, at }, for undo
  let fixable = null; // the finding just confirmed: a fix can be ordered for it at once
  const selected = new Set();
  const finals = new Map(); // branch|date → the final score last read, for "before → after"
  const day = (f) => `${f.branch}|${f.date}`;
  const before = (f) => (finals.has(day(f)) ? finals.get(day(f)) : "–");
  const scored = (f, check) => { if (check) finals.set(day(f), check.final_score); };

  // ---- formatting: every time on the branch's wall clock, labelled with its zone
  function clock(iso, tz, withDate = false) {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(iso));
    const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
    return `${withDate ? `${p.year}-${p.month}-${p.day} ` : ""}${p.hour}:${p.minute}:${p.second} (${tz})`;
  }
  const short = (ms, tz) => clock(new Date(ms).toISOString(), tz).split(" ")[0];
  const points = (f) => `${f.points} 分 points${f.counts_double ? " (×2)" : ""}`;
  const el = (tag, props = {}, ...kids) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    node.append(...kids);
    return node;
  };
  const svg = (tag, attrs = {}) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };

  function say(text, kind = "") {
    for (const id of ["message", "last-message"]) {
      if (!$(id)) continue;
      $(id).textContent = text;
      $(id).className = `message ${kind}`;
    }
  }

  // ---- saving: always visible while in flight, and a failure says so with a retry
  function saving(what) {
    busy = !!what;
    for (const id of ["saving", "saving-last"]) {
      if (!$(id)) continue;
      $(id).hidden = !what;
      if (what) $(id).textContent = `保存中… Saving: ${what}`;
    }
    if ($("action-bar")) $("action-bar").setAttribute("aria-busy", String(busy));
    if (what) { retry = null; showRetry(); }
  }

  function showRetry() {
    for (const id of ["retry", "retry-last"]) {
      if (!$(id)) continue;
      $(id).hidden = !retry;
      if (retry) $(id).textContent = `重试 Retry: ${retry.what}`;
    }
  }

  // A refusal (403, 409, 422) is final; a lost connection or a server error can be tried again.
  function failed(what, result, again) {
    retry = retryable(result) ? { what, again } : null;
    const hint = retry ? " · 决定未生效：点“重试”或再按一次按键 Nothing changed: press Retry or the key again" : "";
    say(`未保存 Not saved — ${what}: ${problem(result)}${hint}`, "conflict");
    showRetry();
  }

  // After a decision the next finding's head and clip come into view: on a phone the page
  // was scrolled down to the action bar, and the next clip would start off screen.
  function bringIntoView() {
    const target = finding ? $("current") : $("empty");
    const top = target.getBoundingClientRect().top;
    if (top < 0 || top > innerHeight * 0.25) target.scrollIntoView({ block: "start" });
  }

  // ---- the queue
  function inQueue(id) { return queue ? queue.findIndex((f) => f.id === id) : -1; }

  function renderQueue() {
    if (!queue) return;
    $("count").textContent = total;
    const zones = new Set(queue.map((f) => (/\(([^)]+)\)$/.exec(f.local_time) || [])[1]).filter(Boolean));
    $("queue-zone").textContent = zones.size ? `网点时间 branch time: ${[...zones].join(", ")}` : "";
    const current = finding ? finding.id : null;
    $("queue-list").replaceChildren(...queue.map((f) => {
      const pick = el("input", { type: "checkbox", className: "pick", checked: selected.has(f.id), tabIndex: -1 });
      pick.setAttribute("aria-label", `选择 select ${f.item_zh}`);
      pick.addEventListener("click", (event) => { event.stopPropagation(); toggle(f.id); });
      const thumb = f.keyframe_url ? el("img", { className: "thumb", src: f.keyframe_url, alt: "", loading: "lazy" }) : el("span", { className: "thumb none" });
      const li = el("li", { tabIndex: 0, className: f.id === current ? "current" : "" },
        pick, thumb,
        el("span", { className: "what" },
          el("span", { className: "zh", textContent: f.item_zh }),
          el("small", { textContent: `${f.branch} · ${f.local_time.slice(5, 16)} · ${Math.round(f.confidence * 100)}%` }),
          el("small", { className: "meta", textContent: `${f.duration_text} · ${points(f)}` })));
      li.dataset.id = f.id;
      li.addEventListener("click", () => open(f.id));
      return li;
    }));
    const n = selected.size;
    for (const id of ["bulk-confirm", "bulk-dismiss"]) $(id).disabled = n === 0;
    $("bulk-confirm").textContent = `批量确认 Confirm selected (${n})`;
    $("bulk-dismiss").textContent = `批量驳回 Dismiss selected (${n})`;
  }

  function toggle(id) {
    if (selected.has(id)) selected.delete(id); else selected.add(id);
    renderQueue();
  }

  async function refill() {
    if (!queue) return;
    const q = new URLSearchParams({ status: "pending", per_page: "200" });
    for (const [k, v] of Object.entries(data.filters)) if (v && k !== "status" && k !== "reviewer") q.set(k, v);
    const result = await api("GET", `/api/v1/findings?${q}`);
    if (result.ok) { queue = result.data.items; total = result.data.total; }
    for (const id of [...selected]) if (inQueue(id) < 0) selected.delete(id);
  }

  function move(delta) {
    if (!queue || !queue.length) return;
    const at = inQueue(finding && finding.id);
    const next = at < 0 ? Math.min(Math.max(delta > 0 ? index : index - 1, 0), queue.length - 1) : at + delta;
    if (next >= 0 && next < queue.length) open(queue[next].id);
  }

  // ---- one finding
  async function open(id) {
    const result = await api("GET", `/api/v1/findings/${id}`);
    if (!result.ok) { say(problem(result), "conflict"); return; }
    show(result.data);
  }

  function show(detail) {
    finding = detail;
    $("current").hidden = !detail;
    $("empty").hidden = !!detail;
    renderQueue();
    if (!detail) { video.removeAttribute("src"); renderActions(); return; }
    const at = inQueue(detail.id);
    if (at >= 0) index = at;
    const query = new URLSearchParams(data.filters).toString();
    history.replaceState(null, "", `/findings/${detail.id}${query ? `?${query}` : ""}`);
    document.title = `${detail.item_zh} · ${detail.branch}`;
    $("f-item-zh").textContent = detail.item_zh;
    $("f-item-en").textContent = `${detail.item_en} · ${detail.item}`;
    $("f-status").textContent = STATUS[detail.status];
    $("f-status").className = `badge ${detail.status}`;
    $("f-branch").textContent = detail.branch;
    $("f-time").textContent = `${clock(detail.start, detail.timezone, true).split(" (")[0]} – ${clock(detail.end, detail.timezone)}`;
    $("f-duration").textContent = detail.duration_text;  // rounded once, server side (rules/wording.py)
    $("f-where").textContent = `${detail.cameras.join(", ")} / ${detail.zone}`;
    $("f-confidence").textContent = `${Math.round(detail.confidence * 100)}%`;
    $("f-points").textContent = points(detail) + (detail.counts_double ? ` · ${detail.counts_double}` : "");
    $("f-fine").textContent = detail.fine_yuan !== null
      ? `${detail.fine_yuan} 元 yuan · ${detail.fine_rule}`
      : (detail.stake_yuan !== null && detail.status !== "confirmed"
        ? `确认后罚款 ${detail.stake_yuan} 元 yuan once confirmed · ${detail.stake_rule}`
        : "无 none");
    $("f-versions").textContent = detail.detector_version || "–";
    // the same incident found again by a later run: shown here, never counted twice
    const again = detail.redetected || [];
    $("f-redetected").textContent = again.map((r) =>
      `${r.local_time} · 运行 run #${r.run_id} · 同一事件，不重复扣分 same incident, not counted again`).join("; ");
    $("f-redetected").hidden = $("f-redetected-label").hidden = !again.length;
    playClip();
    $("keyframe").src = detail.keyframe_url || "";
    $("keyframe").hidden = !detail.keyframe_url;
    const missing = !detail.clip_url || !detail.keyframe_url;
    $("no-evidence").hidden = !missing;
    $("no-evidence").textContent = missing
      ? `无证据 No evidence: ${detail.evidence_note || "尚未生成 not made yet"}` : "";
    $("note").value = "";
    $("dismiss-reason").value = "";
    renderHistory(detail);
    renderActions();
    loadScore(detail);
    loadTimeline(detail);
  }

  function playClip(seconds) {
    source = { kind: "clip" };
    $("clip-caption").textContent = "证据片段 Evidence clip";
    $("back-to-clip").hidden = true;
    if (!finding.clip_url) { video.removeAttribute("src"); video.hidden = true; return; }
    video.hidden = false;
    if (!video.src.endsWith(finding.clip_url)) video.src = finding.clip_url;
    if (seconds !== undefined) seekVideo(seconds);
  }

  function seekVideo(seconds) {
    if (video.readyState >= 1) { video.currentTime = seconds; return; }
    video.addEventListener("loadedmetadata", () => { video.currentTime = seconds; }, { once: true });
  }

  // 16:9 clips in 16:9 boxes: each box takes its picture's own aspect
  video.addEventListener("loadedmetadata", () => {
    if (video.videoWidth) video.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
  });
  $("keyframe").addEventListener("load", (event) => {
    const img = event.target;
    if (img.naturalWidth) img.style.aspectRatio = `${img.naturalWidth} / ${img.naturalHeight}`;
  });
  // Whether the clip is still on its way, or cannot play: a slow network is never a blank box.
  const clipState = (text, kind = "saving") => {
    $("clip-state").hidden = !text;
    $("clip-state").textContent = text;
    $("clip-state").className = kind;
  };
  video.addEventListener("loadstart", () => { if (video.getAttribute("src")) clipState("载入中… Loading the clip…"); });
  video.addEventListener("waiting", () => clipState("缓冲中… Buffering…"));
  for (const ready of ["canplay", "playing", "emptied"]) video.addEventListener(ready, () => clipState(""));
  video.addEventListener("error", () => { if (video.getAttribute("src")) clipState("片段无法播放 The clip cannot play", "message conflict"); });
  video.addEventListener("ratechange", () => { $("clip-rate").textContent = `${video.playbackRate}×`; });
  video.addEventListener("timeupdate", drawCursor);
  video.addEventListener("seeked", drawCursor);

  async function loadScore(f) {
    const q = new URLSearchParams({ branch: f.branch, from: f.date, to: f.date });
    const result = await api("GET", `/api/v1/checks?${q}`);
    const check = result.ok && result.data[0];
    scored(f, check);
    $("s-final").textContent = check ? check.final_score : "–";
    $("s-provisional").textContent = check ? check.provisional_score : "–";
  }

  function lastDecision(f) {
    const r = f.reviews[f.reviews.length - 1];
    return r && (r.decision === "confirm" || r.decision === "dismiss") ? r : null;
  }

  function renderHistory(f) {
    const tz = f.timezone;
    const events = [
      ...f.reviews.map((r) => ({ at: r.at, kind: r.decision, who: r.reviewer, note: r.note })),
      ...f.appeals.flatMap((a) => [
        { at: a.at, kind: "appeal", who: a.by, note: a.reason },
        ...(a.decided_at ? [{ at: a.decided_at, kind: a.status, who: a.decided_by, note: a.decision_note }] : []),
      ]),
      ...f.appeal_reopenings.map((r) => ({ at: r.at, kind: "appeal_reopen", who: r.by, note: r.reason })),
    ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const items = events.map((e) => el("li", { className: `event ${e.kind}` },
      el("time", { dateTime: e.at, textContent: clock(e.at, tz, true) }),
      el("b", { textContent: ` ${KIND[e.kind] || e.kind} ` }),
      el("span", { className: "who", textContent: e.who }),
      ...(e.note ? [el("blockquote", { className: "note", textContent: e.note })] : [])));
    $("history").replaceChildren(...(items.length ? items : [el("li", { className: "muted", textContent: "尚无复核 Not reviewed yet" })]));
  }

  function undoable() {
    return last && Date.now() - last.at < data.undo_s * 1000;
  }

  function renderActions() {
    $("action-bar").hidden = !data.can_review;
    if (!data.can_review) return;
    const pending = !finding || finding.status === "pending";
    $("confirm").hidden = $("dismiss").hidden = !pending;
    const decided = finding && lastDecision(finding);
    $("reopen").hidden = pending || finding.appeals.length > 0 || !decided
      || (decided.reviewer !== data.me.name && data.me.role !== "admin");
    const undo = undoable();
    $("undo").hidden = $("undo-last").hidden = !undo;
    if (undo) {
      const left = Math.ceil((data.undo_s * 1000 - (Date.now() - last.at)) / 1000);
      for (const id of ["undo", "undo-last"]) $(id).textContent = `U 撤销 Undo: ${last.item_zh} (${left} s)`;
    }
    for (const id of ["order-fix", "order-fix-last"]) {
      $(id).hidden = !fixable;
      if (fixable) $(id).textContent = `R 下达整改令 Order a fix: ${fixable.item_zh}`;
    }
  }
  setInterval(() => { if (last) renderActions(); }, 1000);

  // ---- decisions
  function conflictText(f) {
    const r = f.reviews[f.reviews.length - 1];
    const appeal = f.appeals[f.appeals.length - 1];
    const by = r ? `${r.reviewer} · ${clock(r.at, f.timezone)}` : "";
    if (appeal) return `此发现已被申诉（${appeal.status}），由申诉裁决。已重新载入。 The branch has appealed this finding (${appeal.status}); the appeal decides it now. Reloaded here.`;
    return `此发现已被他人处理：${STATUS[f.status]}（${by}）。已在此重新载入，请查看后再决定。 `
      + `Someone decided this finding first: ${f.status} by ${by}. It has been reloaded here; look again before you decide.`;
  }

  // Said to whoever presses C or D on a decided finding: what it is and who can change it.
  function alreadyDecided(f) {
    const decided = lastDecision(f);
    const head = `此发现已处理：${STATUS[f.status]} · This finding is already ${f.status}`;
    if (f.appeals.length) return `${head}。网点已申诉，由申诉裁决 · The branch appealed it: the appeal decides it now`;
    if (!decided || decided.reviewer === data.me.name || data.me.role === "admin") {
      return `${head}。如需更改，请写明原因后点“重新打开” · To change it, write why in the note and press Reopen`;
    }
    return `${head}（${decided.reviewer}）。只有 ${decided.reviewer} 或管理员可以重新打开 · Only ${decided.reviewer} or an admin can reopen it`;
  }

  async function afterConflict(id) {
    const fresh = await api("GET", `/api/v1/findings/${id}`);
    await refill();
    if (fresh.ok) show(fresh.data);
    say(fresh.ok ? conflictText(fresh.data) : problem(fresh), "conflict");
  }

  async function decide(decision) {
    const f = finding;
    if (!f || busy || !data.can_review) return;
    if (f.status !== "pending") { say(alreadyDecided(f), "conflict"); return; }
    const what = `${decision === "confirm" ? "确认 confirm" : "驳回 dismiss"} ${f.item_zh}`;
    saving(what);
    try { await decided(f, decision, what); } finally { saving(null); showRetry(); }
  }

  // A dismissal's reason code leads its note ("录像设备故障 recorder fault: …"), so the
  // reviewed list and the history say why at a glance; a confirmation takes the note alone.
  function decisionNote(decision) {
    const code = decision === "dismiss" ? $("dismiss-reason").value : "";
    const note = $("note").value.trim();
    return code ? (note ? `${code}: ${note}` : code) : note;
  }

  // The save and the move to the next finding, all under one in-flight guard.
  async function decided(f, decision, what) {
    const was = before(f);
    const result = await api("POST", `/api/v1/findings/${f.id}/review`, {
      decision, note: decisionNote(decision), seen_status: f.status,
    });
    if (result.status === 409) { await afterConflict(f.id); return; }
    if (!result.ok) { failed(what, result, () => decide(decision)); return; }
    last = { id: f.id, item_zh: f.item_zh, branch: f.branch, date: f.date, at: Date.now() };
    fixable = decision === "confirm" ? f : null;
    const check = result.data.check;
    scored(f, check);
    const verb = decision === "confirm" ? "已确认 Confirmed" : "已驳回 Dismissed";
    const score = check ? ` · 最终得分 final ${was} → ${check.final_score}` : "";
    if (queue) {
      const at = inQueue(f.id);
      if (at >= 0) { queue.splice(at, 1); total = Math.max(0, total - 1); index = at; }
      selected.delete(f.id);
      if (!queue.length) await refill();
      const next = queue[Math.min(index, queue.length - 1)];
      if (next) await open(next.id); else show(null);
      bringIntoView();
    } else {
      show(result.data.finding);
    }
    say(`${verb}: ${f.item_zh}${score} · U 撤销 undo within ${data.undo_s} s`, "ok");
    renderActions();
  }

  async function setBack(kind) {
    const undo = kind === "undo";
    const f = undo ? last : finding;
    if (!f || busy) return;
    if (undo && !undoable()) { say(`撤销时限已过，请用“重新打开” · The minute to undo has passed: reopen it with a note`, "conflict"); renderActions(); return; }
    const note = $("note").value.trim();
    if (!undo && !note) { say("重新打开需要备注 · A note is required to reopen: say why", "conflict"); $("note").focus(); return; }
    const what = `${undo ? "撤销 undo" : "重新打开 reopen"} ${f.item_zh}`;
    saving(what);
    try { await setBackSaved(f, undo, note, what, kind); } finally { saving(null); showRetry(); }
  }

  async function setBackSaved(f, undo, note, what, kind) {
    const id = f.id;
    const was = before(f);
    const result = undo
      ? await api("POST", `/api/v1/findings/${id}/undo`)
      : await api("POST", `/api/v1/findings/${id}/reopen`, { note });
    if (!result.ok) {
      if (result.status === 409) { say(`无法撤销 Cannot set it back: ${problem(result)}`, "conflict"); return; }
      failed(what, result, () => setBack(kind));
      return;
    }
    if (undo) last = null;
    fixable = null;
    await refill();
    const check = result.data.check;
    scored(f, check);
    show(result.data.finding);
    const score = check ? ` · 最终得分 final ${was} → ${check.final_score}` : "";
    say(`${undo ? "已撤销 Undone" : "已重新打开 Reopened"}: ${result.data.finding.item_zh}${score} · 待复核 pending again`, "ok");
  }

  async function bulk(decision) {
    if (busy || !queue) return;
    const picked = queue.filter((f) => selected.has(f.id));
    if (!picked.length) return;
    const kinds = new Set(picked.map((f) => `${f.item}|${f.zone}`));
    if (kinds.size > 1) {
      say("批量处理只限同一项目、同一区域 · Bulk decisions take findings of one item and one zone only", "conflict");
      return;
    }
    saving(`${decision === "confirm" ? "批量确认 confirm" : "批量驳回 dismiss"} ${picked.length}`);
    let done = 0;
    const refused = [];
    try {
      for (const f of picked) {
        const result = await api("POST", `/api/v1/findings/${f.id}/review`, {
          decision, note: decisionNote(decision), seen_status: "pending",
        });
        if (result.ok) done += 1; else refused.push(`${f.id}: ${problem(result)}`);
      }
      selected.clear();
      fixable = null;
      await refill();
      const next = queue[Math.min(index, queue.length - 1)];
      if (next) await open(next.id); else show(null);
    } finally { saving(null); }
    const verb = decision === "confirm" ? "已批量确认 Confirmed" : "已批量驳回 Dismissed";
    say(`${verb} ${done} · ${picked[0].item_zh} / ${picked[0].zone}${refused.length ? ` · 未处理 refused: ${refused.join("; ")}` : ""}`, refused.length ? "conflict" : "ok");
  }

  async function orderFix() {
    const f = fixable;
    if (!f || busy) return;
    const what = `整改令 order a fix ${f.item_zh}`;
    saving(what);
    const note = $("note").value.trim() || `整改 ${f.item_zh} · fix: ${f.item_en}`;
    try {
      const result = await api("POST", `/api/v1/branches/${encodeURIComponent(f.branch)}/rectifications`, {
        item: f.item, note, finding_id: f.id,
      });
      if (!result.ok) { failed(what, result, orderFix); return; }
      say(`整改令 #${result.data.id} 已下达 rectification order #${result.data.id} given: ${f.branch} · ${f.item_zh}`, "ok");
      fixable = null;
      renderActions();
    } finally { saving(null); showRetry(); }
  }

  // ---- the timeline under the clip
  async function loadTimeline(f) {
    timeline = null;
    $("timeline-message").textContent = "";
    const result = await api("GET", `/api/v1/findings/${f.id}/timeline`);
    if (finding !== f) return;
    if (!result.ok) { $("timeline-message").textContent = problem(result); drawTimeline(); return; }
    timeline = result.data;
    $("timeline-zone").textContent = `刻度为网点时间 ticks in ${timeline.timezone}`;
    if (!timeline.samples.length) $("timeline-message").textContent = "没有存储的采样 No stored samples of this zone around the finding";
    drawTimeline();
  }

  function geometry() {
    const width = Math.max($("timeline").clientWidth, 280);
    const t0 = Date.parse(timeline.start);
    const t1 = Date.parse(timeline.end);
    return { width, t0, t1, x: (ms) => ((ms - t0) / (t1 - t0)) * width };
  }

  function drawTimeline() {
    const box = $("timeline");
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
      seekTo(ms);
    });
    box.append(root);
    drawCursor();
  }
  window.addEventListener("resize", () => drawTimeline());

  function wallClock() {
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

  function drawCursor() {
    const line = $("tl-cursor");
    if (!line || !timeline) return;
    const ms = wallClock();
    const pos = ms === null ? -10 : geometry().x(ms);
    line.setAttribute("x1", pos);
    line.setAttribute("x2", pos);
  }

  async function seekTo(ms) {
    const tz = timeline.timezone;
    const inClip = timeline.clip.find((c) => Date.parse(c.start) <= ms && ms <= Date.parse(c.end));
    if (inClip) {
      const seconds = inClip.offset_s + (ms - Date.parse(inClip.start)) / 1000;
      playClip(seconds);
      $("timeline-message").textContent = `跳转到 At ${short(ms, tz)}`;
      return;
    }
    const at = new Date(Math.round(ms / 1000) * 1000).toISOString();
    const url = `/api/v1/findings/${finding.id}/clip?at=${encodeURIComponent(at)}`;
    $("timeline-message").textContent = `正在调取 ${short(ms, tz)} 的录像… Fetching the recording of ${short(ms, tz)}…`;
    let response = await fetch(url, { credentials: "same-origin" });
    while (response.status === 202) {  // being drawn: its progress, then ask again
      const progress = await response.json();
      $("timeline-message").textContent = progress.message;
      await new Promise((done) => setTimeout(done, progress.retry_after * 1000));
      response = await fetch(url, { credentials: "same-origin" });
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      $("timeline-message").textContent = problem({ status: response.status, data: body });
      return;
    }
    await response.arrayBuffer();
    source = { kind: "moment", from: Date.parse(at) - 6000 };
    video.src = url;
    $("clip-caption").textContent = `该时刻片段 Clip of ${short(Date.parse(at), tz)} ±6 s`;
    $("back-to-clip").hidden = false;
    $("timeline-message").textContent = `显示 Showing ${short(Date.parse(at), tz)}`;
  }
  $("back-to-clip").addEventListener("click", () => playClip(0));

  // ---- the player from the keyboard
  function togglePlay() { if (video.paused) video.play(); else video.pause(); }
  function seek(seconds) { video.currentTime = Math.max(0, Math.min(video.duration || 0, video.currentTime + seconds)); }
  function step(frames) { video.pause(); seek(frames * FRAME_S); }
  function rate(delta) {
    const at = RATES.indexOf(video.playbackRate);
    video.playbackRate = RATES[Math.max(0, Math.min(RATES.length - 1, (at < 0 ? 2 : at) + delta))];
  }

  const on = (id, what) => { if ($(id)) $(id).addEventListener("click", what); };
  on("confirm", () => decide("confirm"));
  on("dismiss", () => decide("dismiss"));
  on("undo", () => setBack("undo"));
  on("undo-last", () => setBack("undo"));
  on("reopen", () => setBack("reopen"));
  on("order-fix", orderFix);
  on("order-fix-last", orderFix);
  on("bulk-confirm", () => bulk("confirm"));
  on("bulk-dismiss", () => bulk("dismiss"));
  const again = () => { if (retry && !busy) retry.again(); };
  on("retry", again);
  on("retry-last", again);
  // Keys whose auto-repeat means something (moving, seeking); every other held key acts once.
  const REPEATS = new Set(["j", "J", "k", "K", "ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", ",", "."]);

  document.addEventListener("keydown", (event) => {
    const active = document.activeElement;
    const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(active.tagName) && active.type !== "checkbox";
    if (event.key === "Escape") { active.blur(); return; }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.repeat && !REPEATS.has(event.key)) { event.preventDefault(); return; }
    const item = active.closest && active.closest("#queue-list li");
    if (event.key === "Enter" && item) { open(item.dataset.id); event.preventDefault(); return; }
    const review = data.can_review;
    switch (event.key) {
      case "j": case "J": case "ArrowDown": move(1); break;
      case "k": case "K": case "ArrowUp": move(-1); break;
      case " ": togglePlay(); break;
      case "ArrowLeft": seek(-SEEK_S); break;
      case "ArrowRight": seek(SEEK_S); break;
      case ",": step(-1); break;
      case ".": step(1); break;
      case "[": rate(-1); break;
      case "]": rate(1); break;
      case "c": case "C": if (review) decide("confirm"); break;
      case "d": case "D": if (review) decide("dismiss"); break;
      case "u": case "U": if (review) setBack("undo"); break;
      case "n": case "N": if (review) $("note").focus(); break;
      case "r": case "R": if (review) orderFix(); break;
      case "x": case "X": if (queue && finding && inQueue(finding.id) >= 0) toggle(finding.id); break;
      default: return;
    }
    event.preventDefault();
  });

  // The filter box stays closed on a phone (its summary names what is filtered), so the
  // finding comes first; on a wide screen it opens when something is filtered.
  const filterBox = $("filter-box");
  if (filterBox && "active" in filterBox.dataset && matchMedia("(min-width: 901px)").matches) filterBox.open = true;

  show(finding);
  if (restoreDrafts()) say("已恢复登录失效前未保存的备注 · The note you were writing before the login ended is back", "ok");
})();
