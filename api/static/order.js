// The form R opens: a rectification order for the finding it names, with a due date (a
// week from today on the branch's clock: the checklist sets no deadline per item) and the
// note, both editable, before anything is sent (api/orders.py OrderIn).
import { $ } from "./dom.js";
import { named } from "./labels.js";

const WEEK_DAYS = 7;

// Today plus `days` on the branch's wall clock, as YYYY-MM-DD.
function dayFrom(tz, days) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  const at = new Date(`${today}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

// Resolves to { due, note } once given, or null when cancelled.
export function askOrder(f, note) {
  const box = $("order-dialog");
  const form = $("order-form");
  $("order-what").textContent = `针对 For: ${named(f)} · ${f.item_en} · #${f.id}`;
  const first = dayFrom(f.timezone, 1);
  $("order-due").min = first;
  $("order-due").value = dayFrom(f.timezone, WEEK_DAYS);
  $("order-note").value = note || `整改 ${f.item_zh} · fix: ${f.item_en}`;
  return new Promise((resolve) => {
    const done = (answer) => {
      form.onsubmit = $("order-cancel").onclick = box.onclose = null;
      if (box.open) box.close();
      resolve(answer);
    };
    form.onsubmit = (event) => {
      event.preventDefault();
      done({ due: $("order-due").value, note: $("order-note").value.trim() });
    };
    $("order-cancel").onclick = () => done(null);
    box.onclose = () => done(null);
    box.showModal();
    $("order-due").focus();
  });
}
