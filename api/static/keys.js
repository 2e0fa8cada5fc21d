// The pages' keyboard: one press, one action. A held key's auto-repeat acts only for keys
// whose repeat means something (moving, seeking); keys typed into a box are the box's; a
// decision key waits while another decision is in flight (issue 25 point 2).

// `bindings`: key → { run, repeat?: true (auto-repeat moves on), decision?: true (one in
// flight at a time) }; a letter binds both cases.
export function bindKeys(bindings) {
  const map = new Map();
  for (const [key, binding] of Object.entries(bindings)) {
    map.set(key, binding);
    if (key.length === 1 && key.toUpperCase() !== key) map.set(key.toUpperCase(), binding);
  }
  let deciding = null; // the decision in flight (a promise), if any

  document.addEventListener("keydown", (event) => {
    const active = document.activeElement;
    const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(active.tagName) && active.type !== "checkbox";
    if (event.key === "Escape") { active.blur(); return; }
    // a dialog open (the bulk confirm step, an order's form) takes the keys: Esc closes it
    if (typing || event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
    const binding = map.get(event.key);
    if (!binding) return;
    event.preventDefault();
    if (event.repeat && !binding.repeat) return;
    if (!binding.decision) { binding.run(); return; }
    if (deciding) return;
    deciding = Promise.resolve(binding.run()).finally(() => { deciding = null; });
  });
}
