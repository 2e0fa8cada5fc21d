// The words for a finding's states and the events of its history, for every page script.
// The states' names are the templates' own (rules/wording.py STATUS_NAMES, put in each
// page by base.html), so a page and its script never name a state two ways.
export const STATUS = JSON.parse(document.getElementById("words").textContent).status;

export const KIND = {
  confirm: "确认违规 Confirmed", dismiss: "驳回 Dismissed", undo: "撤销 Undone",
  reopen: "重新打开 Reopened", appeal: "申诉 Appealed", upheld: "申诉维持 Appeal upheld",
  granted: "申诉撤销扣分 Appeal granted", appeal_reopen: "申诉重新打开 Appeal reopened",
};

export const points = (f) => `${f.points} 分 points${f.counts_double ? " (×2)" : ""}`;

// A finding named so it can be told from the one on screen: item, branch, its start on the
// branch's clock with the zone (FindingOut.local_time, "YYYY-MM-DD HH:MM… (zone)").
export function named(f) {
  const zone = (/\(([^)]+)\)$/.exec(f.local_time) || [])[1];
  return `${f.item_zh} · ${f.branch} ${f.local_time.slice(5, 16)}${zone ? ` (${zone})` : ""}`;
}
