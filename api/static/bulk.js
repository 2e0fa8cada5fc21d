// The bulk confirm step: before findings are decided together it says, per branch, how many
// findings and how many points of final score and yuan of fines deciding them will move
// (the server works it out the way the decisions will: api/bulk.py), and asks once.
import { $, el } from "./dom.js";
import { api, problem } from "./api.js";

const dialog = () => $("bulk-dialog");

// The branch table of a preview (BulkPreviewOut).
function summary(preview) {
  const rows = preview.branches.map((b) => el("tr", {},
    el("td", { textContent: b.branch }),
    el("td", { textContent: `${b.findings}` }),
    el("td", { textContent: b.points ? `−${b.points}` : "0" }),
    el("td", { textContent: `${b.yuan}` }),
    el("td", { textContent: b.days.map((d) => `${d.date.slice(5)}: ${d.final_before ?? "–"} → ${d.final_after ?? "–"}`).join("; ") })));
  const sum = (key) => preview.branches.reduce((n, b) => n + b[key], 0);
  const total = el("p", { className: "bulk-total", textContent: preview.decision === "confirm"
    ? `确认 ${preview.findings} 条发现：扣 ${sum("points")} 分，罚款 ${sum("yuan")} 元 · Confirming ${preview.findings} finding(s) takes ${sum("points")} point(s) off the final scores and brings ${sum("yuan")} yuan of fines`
    : `驳回 ${preview.findings} 条发现：不扣分、不罚款 · Dismissing ${preview.findings} finding(s): no points, no fines` });
  const table = el("table", { className: "bulk-table" },
    el("thead", {}, el("tr", {}, ...["网点 Branch", "发现 Findings", "扣分 Points", "罚款 Yuan", "当日最终得分 Final score"].map((t) => el("th", { textContent: t })))),
    el("tbody", {}, ...rows));
  const out = [total, el("div", { className: "table-wrap" }, table)];
  if (preview.left_out.length) {
    out.push(el("p", { className: "message conflict", textContent: `已不在待复核、不处理 Left out, no longer pending: ${preview.left_out.join(", ")}` }));
  }
  return out;
}

// Asks about `picked` (FindingOut), `decision` first; resolves to the decision to take, or
// null when cancelled. `total`: the filtered queue's size, when it holds more than shown.
export function askBulk(picked, decision, total) {
  const box = dialog();
  const choice = $("bulk-decision");
  choice.value = decision;
  const more = total > picked.length && picked.length >= 200 ? ` · 共 ${total} 条，本次处理前 ${picked.length} 条 the first ${picked.length} of ${total}` : "";
  $("bulk-title").textContent = `批量处理 ${picked.length} 条发现 Decide ${picked.length} finding(s) together${more}`;
  let asked = 0;
  async function preview() {
    const mine = ++asked;
    $("bulk-go").disabled = true;
    $("bulk-summary").replaceChildren(el("p", { className: "saving", textContent: "正在计算… Working out what it moves…" }));
    const result = await api("POST", "/api/v1/findings/bulk/preview", { ids: picked.map((f) => f.id), decision: choice.value });
    if (mine !== asked) return;
    if (!result.ok) {
      $("bulk-summary").replaceChildren(el("p", { className: "message conflict", textContent: problem(result) }));
      return;
    }
    $("bulk-summary").replaceChildren(...summary(result.data));
    $("bulk-go").disabled = result.data.findings === 0;
    $("bulk-go").textContent = choice.value === "confirm"
      ? `确认这 ${result.data.findings} 条 Confirm these ${result.data.findings}`
      : `驳回这 ${result.data.findings} 条 Dismiss these ${result.data.findings}`;
    $("bulk-go").focus();
  }
  return new Promise((resolve) => {
    const done = (answer) => {
      choice.removeEventListener("change", preview);
      $("bulk-go").onclick = $("bulk-cancel").onclick = box.onclose = null;
      if (box.open) box.close();
      resolve(answer);
    };
    choice.addEventListener("change", preview);
    $("bulk-go").onclick = () => done(choice.value);
    $("bulk-cancel").onclick = () => done(null);
    box.onclose = () => done(null);
    box.showModal();
    preview();
  });
}
