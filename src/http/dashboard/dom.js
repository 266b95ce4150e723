// DOM building without innerHTML: every string, including all data from the server, becomes a text node.

/** `h('td', {class: 'num'}, value)`: props are attributes, `on*` props are listeners. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends nodes and strings (as text); nested arrays are flattened, null and false skipped. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A titled panel; `body` is where its content goes, `note` a one-line state under the title. */
export function panel(title, extraClass = '') {
  const note = h('span', { class: 'note' });
  const body = h('div', { class: 'panel-body' });
  const root = h('section', { class: `panel ${extraClass}`.trim() }, h('h2', {}, title, note), body);
  return { root, body, note };
}
