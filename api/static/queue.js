// A queue of pending items beside the one on screen (findings on the review page, phone
// candidates on /candidates): its list, where we are in it, moving, taking out what was
// decided and refilling from the server. What an item looks like is the page's own.
import { api } from "./api.js";

// `list`: the <ol> to fill; `count`: where the total goes; `url()`: the API query that
// refills it; `item(entry, current)`: an entry's <li> (current: whether it is on screen);
// `open(id)`: show an entry (a click, or Enter on a focused entry); `rendered()`: after each render.
export function createQueue({ items, total, list, count, url, item, open, rendered = () => {} }) {
  let index = 0; // where in the queue we are, kept when the current entry leaves it
  let current = null; // the id on screen
  const selected = new Set();

  function render() {
    count.textContent = total;
    list.replaceChildren(...items.map((entry) => {
      const li = item(entry, entry.id === current);
      li.dataset.id = entry.id;
      if (entry.id === current) li.classList.add("current");
      li.addEventListener("click", () => open(entry.id));
      return li;
    }));
    keepInView(list.querySelector("li.current"));
    rendered();
  }
  list.addEventListener("keydown", (event) => {
    const li = event.target.closest("li");
    if (event.key !== "Enter" || !li || event.target.tagName === "INPUT") return;
    const entry = items.find((e) => String(e.id) === li.dataset.id);
    if (entry) open(entry.id);
    event.preventDefault();
  });

  // The current entry stays in view in the list's own scrolling box (J ×12 on a long
  // queue), as scrollIntoView's "nearest" would, without scrolling the window: on a phone
  // the list is below the finding, and the finding must stay where it is.
  function keepInView(li) {
    let box = list.parentElement;
    while (box && box !== document.body && !(box.scrollHeight > box.clientHeight
      && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
    if (!li || !box || box === document.body) return;
    const r = li.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const top = Math.max(b.top, 0); // of the box, what the window shows
    const bottom = Math.min(b.bottom, innerHeight);
    if (r.top < top) box.scrollTop -= top - r.top;
    else if (r.bottom > bottom) box.scrollTop += Math.min(r.bottom - bottom, r.top - top);
  }

  const indexOf = (id) => items.findIndex((entry) => entry.id === id);

  return {
    get items() { return items; },
    get total() { return total; },
    selected,
    render,
    indexOf,
    // the entry on screen: where we are follows it when it is in the queue
    at(id) {
      current = id;
      const at = indexOf(id);
      if (at >= 0) index = at;
      render();
    },
    toggle(id) {
      if (selected.has(id)) selected.delete(id); else selected.add(id);
      render();
    },
    // a decided entry leaves; the one after it takes its place
    remove(id) {
      const at = indexOf(id);
      if (at >= 0) { items.splice(at, 1); total = Math.max(0, total - 1); index = at; }
      selected.delete(id);
    },
    async refill() {
      const result = await api("GET", url());
      if (result.ok) { items = result.data.items; total = result.data.total; }
      for (const id of [...selected]) if (indexOf(id) < 0) selected.delete(id);
      return result;
    },
    // the entry `delta` away from the one on screen (from where it was, once it has left)
    step(delta) {
      if (!items.length) return null;
      const at = indexOf(current);
      const next = at < 0 ? Math.min(Math.max(delta > 0 ? index : index - 1, 0), items.length - 1) : at + delta;
      return next >= 0 && next < items.length ? items[next] : null;
    },
    // the entry now where the last one left (or the last entry), null when the queue is empty
    next() { return items[Math.min(index, items.length - 1)] || null; },
  };
}
