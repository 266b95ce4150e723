// Zoom and pan on a uPlot chart beyond its drag-to-zoom: Ctrl/⌘ + wheel zooms around the cursor, Shift + drag pans.

const WHEEL_FACTOR = 0.8;

/** `onUser()` is told after each zoom or pan the reader made. Returns what removes the listeners. */
export function attachZoom(u, box, onUser) {
  const setX = (min, max) => {
    u.setScale('x', { min, max });
    onUser();
  };
  const wheel = (e) => {
    if (!(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    const { min, max } = u.scales.x;
    const at = u.posToVal(e.clientX - u.over.getBoundingClientRect().left, 'x');
    const f = e.deltaY < 0 ? WHEEL_FACTOR : 1 / WHEEL_FACTOR;
    setX(at - (at - min) * f, at + (max - at) * f);
  };
  // Captured on the box, before uPlot's own mousedown on the plot starts a selection.
  const down = (e) => {
    if (!e.shiftKey || e.button !== 0 || !u.over.contains(e.target)) return;
    e.stopPropagation();
    e.preventDefault();
    const { min, max } = u.scales.x;
    const perPx = (max - min) / u.over.clientWidth;
    const x0 = e.clientX;
    const move = (m) => {
      const d = (m.clientX - x0) * perPx;
      u.setScale('x', { min: min - d, max: max - d });
    };
    const up = () => {
      removeEventListener('mousemove', move);
      removeEventListener('mouseup', up);
      onUser();
    };
    addEventListener('mousemove', move);
    addEventListener('mouseup', up);
  };
  box.addEventListener('wheel', wheel, { passive: false });
  box.addEventListener('mousedown', down, true);
  return () => {
    box.removeEventListener('wheel', wheel);
    box.removeEventListener('mousedown', down, true);
  };
}
