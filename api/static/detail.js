// One finding's facts and history, as the finding page shows them.
import { $, el } from "./dom.js";
import { clock } from "./clock.js";
import { KIND, STATUS, points } from "./labels.js";

export function renderFacts(detail) {
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
}

export function renderHistory(f) {
  const tz = f.timezone;
  const events = [
    ...f.reviews.map((r) => ({ at: r.at, kind: r.decision, who: r.reviewer, note: [r.reason, r.note].filter(Boolean).join(": ") })),
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
