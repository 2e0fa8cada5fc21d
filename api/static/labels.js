// The words for a finding's states and the events of its history, written once for every
// page script (finding page, queue, candidates).
export const STATUS = { pending: "待复核 pending", confirmed: "已确认 confirmed", dismissed: "已驳回 dismissed" };

export const KIND = {
  confirm: "确认违规 Confirmed", dismiss: "驳回 Dismissed", undo: "撤销 Undone",
  reopen: "重新打开 Reopened", appeal: "申诉 Appealed", upheld: "申诉维持 Appeal upheld",
  granted: "申诉撤销扣分 Appeal granted", appeal_reopen: "申诉重新打开 Appeal reopened",
};

export const points = (f) => `${f.points} 分 points${f.counts_double ? " (×2)" : ""}`;
