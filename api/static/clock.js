// Every time on the branch's wall clock, labelled with its zone.
export function clock(iso, tz, withDate = false) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(iso));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${withDate ? `${p.year}-${p.month}-${p.day} ` : ""}${p.hour}:${p.minute}:${p.second} (${tz})`;
}

// A wall-clock time of day without its zone, for ticks and messages whose zone is said beside.
export const short = (ms, tz) => clock(new Date(ms).toISOString(), tz).split(" ")[0];
