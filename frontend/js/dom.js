// Small DOM helpers. Text always goes in as text nodes, never as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);

/** el("li", {class: "x", onclick: f}, "text", child) builds an element. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** Replace every child of `node`. */
export function fill(node, children) {
  node.replaceChildren(...children);
}

/** Run `action` with `button` disabled, so a double click does not send twice. */
export async function busy(button, action) {
  if (button.disabled) return undefined;
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}
