// Deciding findings: confirm and dismiss (one at a time, or together after a confirm step
// that says what they will move), undo the last decision (one or a batch) within the undo
// window, reopen with a note, order a fix for what was just confirmed. A save is always
// visible while in flight, one at a time; a failure says so and offers a retry; the day's
// score shows "before → after". Undo and the order name the finding they act on: by then
// the next one is on screen.
import { $, say } from "./dom.js";
import { api, problem, retryable } from "./api.js";
import { clock } from "./clock.js";
import { STATUS, named } from "./labels.js";
import { askBulk } from "./bulk.js";
import { askOrder } from "./order.js";

// `data`: the page's data (can_review, me, undo_s); `queue`: queue.js's, or null (no queue);
// `view`: the finding on screen ({ finding, show(detail), open(id) }).
export function createDecisions({ data, queue, view }) {
  let busy = false; // a save in flight: every decision waits for it (one press, one decision)
  let retry = null; // the save that failed for want of a connection or a working server
  let last = null; // the last decision made here, for undo: { ids, what, at } (a batch: several ids)
  let fixable = null; // the finding just confirmed: a fix can be ordered for it at once
  const finals = new Map(); // branch|date → the final score last read, for "before → after"
  const day = (f) => `${f.branch}|${f.date}`;
  const before = (f) => (finals.has(day(f)) ? finals.get(day(f)) : "–");
  const scored = (f, check) => { if (check) finals.set(day(f), check.final_score); };

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
    const target = view.finding ? $("current") : $("empty");
    const top = target.getBoundingClientRect().top;
    if (top < 0 || top > innerHeight * 0.25) target.scrollIntoView({ block: "start" });
  }

  // ---- the day's score of the finding on screen
  async function score(f) {
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

  function undoable() {
    return last && Date.now() - last.at < data.undo_s * 1000;
  }

  function render() {
    const finding = view.finding;
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
      for (const id of ["undo", "undo-last"]) $(id).textContent = `U 撤销 Undo: ${last.what} (${left} s)`;
    }
    for (const id of ["order-fix", "order-fix-last"]) {
      $(id).hidden = !fixable;
      if (fixable) $(id).textContent = `R 下达整改令 Order a fix: ${named(fixable)}`;
    }
  }
  setInterval(() => { if (last) render(); }, 1000);

  // ---- one decision
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
    if (queue) await queue.refill();
    if (fresh.ok) view.show(fresh.data);
    say(fresh.ok ? conflictText(fresh.data) : problem(fresh), "conflict");
  }

  async function decide(decision) {
    const f = view.finding;
    if (!f || busy || !data.can_review) return;
    if (f.status !== "pending") { say(alreadyDecided(f), "conflict"); return; }
    const what = `${decision === "confirm" ? "确认 confirm" : "驳回 dismiss"} ${f.item_zh}`;
    saving(what);
    try { await decided(f, decision, what); } finally { saving(null); showRetry(); }
  }

  // What a review sends besides its decision: the note, and for a dismissal the reason code
  // chosen (rules/wording.DISMISS_REASONS), kept apart so dismissals can be counted by cause.
  function decisionNote(decision) {
    const code = decision === "dismiss" ? $("dismiss-reason").value : "";
    return { note: $("note").value.trim(), reason_code: code || undefined };
  }

  // The next pending finding after the one that left the queue, or the empty queue.
  async function openNext() {
    const next = queue.next();
    if (next) await view.open(next.id); else view.show(null);
  }

  // The save and the move to the next finding, all under one in-flight guard.
  async function decided(f, decision, what) {
    const was = before(f);
    const result = await api("POST", `/api/v1/findings/${f.id}/review`, {
      decision, ...decisionNote(decision), seen_status: f.status,
    });
    if (result.status === 409) { await afterConflict(f.id); return; }
    if (!result.ok) { failed(what, result, () => decide(decision)); return; }
    last = { ids: [f.id], what: named(f), finding: f, at: Date.now() };
    fixable = decision === "confirm" ? f : null;
    const check = result.data.check;
    scored(f, check);
    const verb = decision === "confirm" ? "已确认 Confirmed" : "已驳回 Dismissed";
    const score = check ? ` · 最终得分 final ${was} → ${check.final_score}` : "";
    if (queue) {
      queue.remove(f.id);
      if (!queue.items.length) await queue.refill();
      await openNext();
      bringIntoView();
    } else {
      view.show(result.data.finding);
    }
    say(`${verb}: ${f.item_zh}${score} · U 撤销 undo within ${data.undo_s} s`, "ok");
    render();
  }

  // ---- setting a decision back: undo (the last one, within the window) or reopen (with a note)
  async function setBack(kind) {
    if (kind === "undo") return undoLast();
    const f = view.finding;
    if (!f || busy) return;
    const note = $("note").value.trim();
    if (!note) { say("重新打开需要备注 · A note is required to reopen: say why", "conflict"); $("note").focus(); return; }
    const what = `重新打开 reopen ${f.item_zh}`;
    saving(what);
    try {
      const was = before(f);
      const result = await api("POST", `/api/v1/findings/${f.id}/reopen`, { note });
      if (!result.ok) {
        if (result.status === 409) { say(`无法重新打开 Cannot reopen it: ${problem(result)}`, "conflict"); return; }
        failed(what, result, () => setBack(kind));
        return;
      }
      fixable = null;
      await setBackShown(f, was, result, "已重新打开 Reopened");
    } finally { saving(null); showRetry(); }
  }

  async function setBackShown(f, was, result, verb) {
    if (queue) await queue.refill();
    const check = result.data.check;
    scored(f, check);
    view.show(result.data.finding);
    const score = check ? ` · 最终得分 final ${was} → ${check.final_score}` : "";
    say(`${verb}: ${named(result.data.finding)}${score} · 待复核 pending again`, "ok");
  }

  // The last decision (or batch) made here, by its ids: not the finding now on screen.
  async function undoLast() {
    if (!last || busy) return;
    if (!undoable()) { say(`撤销时限已过，请用“重新打开” · The minute to undo has passed: reopen it with a note`, "conflict"); render(); return; }
    const { ids, what, finding } = last;
    saving(`撤销 undo ${what}`);
    try {
      if (ids.length === 1) {
        const was = before(finding);
        const result = await api("POST", `/api/v1/findings/${ids[0]}/undo`);
        if (!result.ok) {
          if (result.status === 409) { say(`无法撤销 Cannot set it back: ${problem(result)}`, "conflict"); return; }
          failed(`撤销 undo ${what}`, result, undoLast);
          return;
        }
        last = null;
        fixable = null;
        await setBackShown(finding, was, result, "已撤销 Undone");
        return;
      }
      const undone = [];
      const refused = [];
      for (const [n, id] of ids.entries()) {
        saving(`撤销 undo ${what} ${n + 1}/${ids.length}`);
        const result = await api("POST", `/api/v1/findings/${id}/undo`);
        if (result.ok) undone.push(result.data.finding); else refused.push(`${id}: ${problem(result)}`);
      }
      last = refused.length ? { ...last, ids: ids.filter((id) => !undone.some((f) => f.id === id)) } : null;
      fixable = null;
      if (queue) await queue.refill();
      if (undone.length) view.show(undone[0]);
      say(`已撤销 Undone ${undone.length}/${ids.length} · 待复核 pending again${refused.length ? ` · 未撤销 not undone: ${refused.join("; ")}` : ""}`,
        refused.length ? "conflict" : "ok");
    } finally { saving(null); showRetry(); render(); }
  }

  // ---- findings decided together: the selected ones, or the whole filtered queue ("mark
  // all reviewed"), after a confirm step that says per branch what they will move
  async function bulk(decision, all = false) {
    if (busy || !queue) return;
    const picked = all || !queue.selected.size ? queue.items : queue.items.filter((f) => queue.selected.has(f.id));
    if (!picked.length) return;
    const chosen = await askBulk(picked, decision, queue.total);
    if (!chosen) return;
    saving(`${chosen === "confirm" ? "批量确认 confirm" : "批量驳回 dismiss"} ${picked.length}`);
    const done = [];
    const refused = [];
    try {
      for (const [n, f] of picked.entries()) {
        saving(`${chosen === "confirm" ? "批量确认 confirm" : "批量驳回 dismiss"} ${n + 1}/${picked.length}`);
        const result = await api("POST", `/api/v1/findings/${f.id}/review`, {
          decision: chosen, ...decisionNote(chosen), seen_status: "pending",
        });
        if (result.ok) done.push(f.id); else refused.push(`${f.id}: ${problem(result)}`);
      }
      if (done.length) last = { ids: done, what: `批量 ${done.length} 条 the batch of ${done.length}`, at: Date.now() };
      queue.selected.clear();
      fixable = null;
      await queue.refill();
      await openNext();
    } finally { saving(null); }
    const verb = chosen === "confirm" ? "已批量确认 Confirmed" : "已批量驳回 Dismissed";
    say(`${verb} ${done.length}${refused.length ? ` · 未处理 refused: ${refused.join("; ")}` : ""} · U 撤销 undo within ${data.undo_s} s`,
      refused.length ? "conflict" : "ok");
    render();
  }

  // ---- a rectification order for the finding just confirmed: its due date and note asked first
  async function orderFix() {
    const f = fixable;
    if (!f || busy) return;
    const order = await askOrder(f, $("note").value.trim());
    if (order) await sendOrder(f, order);
  }

  async function sendOrder(f, { due, note }) {
    if (busy) return;
    const what = `整改令 order a fix ${named(f)}`;
    saving(what);
    try {
      const result = await api("POST", `/api/v1/branches/${encodeURIComponent(f.branch)}/rectifications`, {
        item: f.item, note, due, finding_id: f.id,
      });
      if (!result.ok) { failed(what, result, () => sendOrder(f, { due, note })); return; }
      say(`整改令 #${result.data.id} 已下达 rectification order #${result.data.id} given: ${f.branch} · ${f.item_zh} · 期限 due ${result.data.due}`, "ok");
      if (fixable === f) fixable = null;
      render();
    } finally { saving(null); showRetry(); }
  }

  return {
    decide,
    setBack,
    bulk,
    bulkAll: () => bulk("confirm", true),
    orderFix,
    render,
    score,
    retry() { if (retry && !busy) retry.again(); },
    get busy() { return busy; },
  };
}
