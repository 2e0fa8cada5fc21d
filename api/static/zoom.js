// Zoom and pan on still pictures (the key frame, and the clean reference beside it, which
// follow it so the same place is compared): the wheel or + / - zoom about the pointer or the
// middle, a click zooms in where it lands (and back out at the most), dragging pans, the
// arrow keys pan while a picture has the focus, Esc or 0 puts it back.
const MAX = 8;
const STEP = 1.5;
const PAN = 0.1; // of the box, per arrow key

export function zoomable(boxes, onChange = () => {}) {
  const state = { scale: 1, x: 0, y: 0 }; // translate in CSS px of the box, then scale
  const size = () => {
    const r = boxes[0].getBoundingClientRect();
    return { w: r.width || 1, h: r.height || 1 };
  };
  const clamp = () => {
    const { w, h } = size();
    state.scale = Math.min(MAX, Math.max(1, state.scale));
    state.x = Math.min(0, Math.max(w - w * state.scale, state.x));
    state.y = Math.min(0, Math.max(h - h * state.scale, state.y));
  };
  const apply = () => {
    clamp();
    for (const box of boxes) {
      const img = box.querySelector("img");
      img.style.transformOrigin = "0 0";
      img.style.transform = `translate(${state.x}px, ${state.y}px) scale(${state.scale})`;
      box.dataset.zoom = state.scale.toFixed(2);
      box.classList.toggle("zoomed", state.scale > 1);
    }
    onChange(state.scale);
  };
  // zoom by `factor` keeping the picture's point under (px, py) of the box where it is
  const zoomAt = (factor, px, py) => {
    const next = Math.min(MAX, Math.max(1, state.scale * factor));
    const k = next / state.scale;
    state.x = px - (px - state.x) * k;
    state.y = py - (py - state.y) * k;
    state.scale = next;
    apply();
  };
  const middle = () => { const { w, h } = size(); return [w / 2, h / 2]; };
  const reset = () => { state.scale = 1; state.x = 0; state.y = 0; apply(); };
  const local = (box, event) => {
    const r = box.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  };

  for (const box of boxes) {
    box.tabIndex = 0;
    box.style.userSelect = "none";
    box.addEventListener("dragstart", (event) => event.preventDefault()); // a pan, not a drag-out
    box.addEventListener("wheel", (event) => {
      event.preventDefault();
      zoomAt(event.deltaY < 0 ? STEP : 1 / STEP, ...local(box, event));
    }, { passive: false });
    let drag = null;
    box.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, sx: state.x, sy: state.y, moved: false };
      box.setPointerCapture(event.pointerId);
    });
    box.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
      if (drag.moved && state.scale > 1) { state.x = drag.sx + dx; state.y = drag.sy + dy; apply(); }
    });
    box.addEventListener("pointerup", (event) => {
      const was = drag;
      drag = null;
      if (!was || was.moved) return;
      if (state.scale >= MAX) reset(); else zoomAt(2, ...local(box, event));
    });
    box.addEventListener("pointercancel", () => { drag = null; });
    box.addEventListener("keydown", (event) => {
      const { w, h } = size();
      const keys = {
        "+": () => zoomAt(STEP, ...middle()), "=": () => zoomAt(STEP, ...middle()),
        "-": () => zoomAt(1 / STEP, ...middle()), "0": reset, Escape: reset,
        ArrowLeft: () => { state.x += w * PAN; apply(); },
        ArrowRight: () => { state.x -= w * PAN; apply(); },
        ArrowUp: () => { state.y += h * PAN; apply(); },
        ArrowDown: () => { state.y -= h * PAN; apply(); },
      };
      if (!(event.key in keys) || event.ctrlKey || event.metaKey || event.altKey) return;
      keys[event.key]();
      if (event.key === "Escape") return; // the page's own Esc (leave the box) still runs
      event.preventDefault();
      event.stopPropagation(); // the page's keys (seek, next finding) are not meant
    });
  }
  window.addEventListener("resize", apply);
  return { reset, zoomAt, state };
}
