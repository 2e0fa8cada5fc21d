// The few DOM helpers every page script uses.
export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...kids) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...kids);
  return node;
}

export function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// One message, said in each of the page's message lines that exist (the finding's and the
// empty queue's), so it is seen whichever is on screen.
export function say(text, kind = "", ids = ["message", "last-message"]) {
  for (const id of ids) {
    if (!$(id)) continue;
    $(id).textContent = text;
    $(id).className = `message ${kind}`;
  }
}
