// The finding page and the review queue beside it: the clip, the zone's timeline to scrub,
// the facts and the history of one finding; decisions that stay visible and can be undone
// or reopened; the queue driven by the keyboard. This module wires the others together.
import { $, el, say } from "./dom.js";
import { api, problem, restoreDrafts } from "./api.js";
import { points } from "./labels.js";
import { createPlayer } from "./player.js";
import { createTimeline } from "./timeline.js";
import { createQueue } from "./queue.js";
import { createDecisions } from "./decisions.js";
import { bindKeys } from "./keys.js";
import { renderFacts, renderHistory } from "./detail.js";

const data = JSON.parse($("page-data").textContent);
const player = createPlayer($("clip"));
const timeline = createTimeline($("timeline"), { player });

const view = { finding: data.finding, show, open };

// the pending findings beside the one on screen, for a reviewer
const queue = data.queue && createQueue({
  items: data.queue.items,
  total: data.queue.total,
  list: $("queue-list"),
  count: $("count"),
  url() {
    const q = new URLSearchParams({ status: "pending", per_page: "200" });
    for (const [k, v] of Object.entries(data.filters)) if (v && k !== "status" && k !== "reviewer") q.set(k, v);
    return `/api/v1/findings?${q}`;
  },
  item(f) {
    const pick = el("input", { type: "checkbox", className: "pick", checked: queue.selected.has(f.id), tabIndex: -1 });
    pick.setAttribute("aria-label", `选择 select ${f.item_zh}`);
    pick.addEventListener("click", (event) => { event.stopPropagation(); queue.toggle(f.id); });
    const thumb = f.keyframe_url ? el("img", { className: "thumb", src: f.keyframe_url, alt: "", loading: "lazy" }) : el("span", { className: "thumb none" });
    return el("li", { tabIndex: 0 },
      pick, thumb,
      el("span", { className: "what" },
        el("span", { className: "zh", textContent: f.item_zh }),
        el("small", { textContent: `${f.branch} · ${f.local_time.slice(5, 16)} · ${Math.round(f.confidence * 100)}%` }),
        el("small", { className: "meta", textContent: `${f.duration_text} · ${points(f)}` })));
  },
  open,
  rendered() {
    const zones = new Set(queue.items.map((f) => (/\(([^)]+)\)$/.exec(f.local_time) || [])[1]).filter(Boolean));
    $("queue-zone").textContent = zones.size ? `网点时间 branch time: ${[...zones].join(", ")}` : "";
    const n = queue.selected.size;
    for (const id of ["bulk-confirm", "bulk-dismiss"]) $(id).disabled = n === 0;
    $("bulk-confirm").textContent = `批量确认 Confirm selected (${n})`;
    $("bulk-dismiss").textContent = `批量驳回 Dismiss selected (${n})`;
    $("bulk-all").disabled = !queue.items.length;
    $("bulk-all").replaceChildren(el("kbd", { textContent: "B" }), ` 全部标为已复核 Mark all reviewed (${queue.items.length})`);
  },
});
const decisions = createDecisions({ data, queue, view });

async function open(id) {
  const result = await api("GET", `/api/v1/findings/${id}`);
  if (!result.ok) { say(problem(result), "conflict"); return; }
  show(result.data);
}

function show(detail) {
  view.finding = detail;
  $("current").hidden = !detail;
  $("empty").hidden = !!detail;
  if (queue) queue.at(detail ? detail.id : null);
  player.show(detail);
  if (!detail) { decisions.render(); return; }
  const query = new URLSearchParams(data.filters).toString();
  history.replaceState(null, "", `/findings/${detail.id}${query ? `?${query}` : ""}`);
  renderFacts(detail);
  $("note").value = "";
  $("dismiss-reason").value = "";
  renderHistory(detail);
  decisions.render();
  decisions.score(detail);
  timeline.load(detail);
}

function move(delta) {
  const next = queue && queue.step(delta);
  if (next) open(next.id);
}

const on = (id, what) => { if ($(id)) $(id).addEventListener("click", what); };
on("confirm", () => decisions.decide("confirm"));
on("dismiss", () => decisions.decide("dismiss"));
on("undo", () => decisions.setBack("undo"));
on("undo-last", () => decisions.setBack("undo"));
on("reopen", () => decisions.setBack("reopen"));
on("order-fix", decisions.orderFix);
on("order-fix-last", decisions.orderFix);
on("bulk-confirm", () => decisions.bulk("confirm"));
on("bulk-dismiss", () => decisions.bulk("dismiss"));
on("bulk-all", decisions.bulkAll);
on("retry", decisions.retry);
on("retry-last", decisions.retry);

const review = (run) => () => (data.can_review ? run() : undefined);
bindKeys({
  j: { run: () => move(1), repeat: true },
  ArrowDown: { run: () => move(1), repeat: true },
  k: { run: () => move(-1), repeat: true },
  ArrowUp: { run: () => move(-1), repeat: true },
  " ": { run: player.togglePlay },
  ArrowLeft: { run: player.back, repeat: true },
  ArrowRight: { run: player.forward, repeat: true },
  ",": { run: () => player.step(-1), repeat: true },
  ".": { run: () => player.step(1), repeat: true },
  "[": { run: () => player.rate(-1) },
  "]": { run: () => player.rate(1) },
  c: { run: review(() => decisions.decide("confirm")), decision: true },
  d: { run: review(() => decisions.decide("dismiss")), decision: true },
  u: { run: review(() => decisions.setBack("undo")), decision: true },
  n: { run: review(() => $("note").focus()) },
  r: { run: review(decisions.orderFix), decision: true },
  b: { run: review(() => (queue ? decisions.bulk("confirm") : undefined)), decision: true },
  x: { run: () => { if (queue && view.finding && queue.indexOf(view.finding.id) >= 0) queue.toggle(view.finding.id); } },
});

// The filter box stays closed (its summary names what is filtered) so the finding comes
// first, with its clip, timeline, facts and actions in one window; a wide and tall screen
// has room for it open when something is filtered.
const filterBox = $("filter-box");
if (filterBox && "active" in filterBox.dataset && matchMedia("(min-width: 901px) and (min-height: 1100px)").matches) filterBox.open = true;

show(view.finding);
if (restoreDrafts()) say("已恢复登录失效前未保存的备注 · The note you were writing before the login ended is back", "ok");
