// Building the page: elements from plain values (text is never parsed as HTML).
export const $ = (sel, root = document) => root.querySelector(sel);

// h('button', {class: 'x', testid: 'y', onclick: f}, 'text', child...): text is never parsed as HTML.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'testid') el.setAttribute('data-testid', v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' ||
             k === 'required' || k === 'multiple' || k === 'open') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  if (value !== undefined) el.value = value;
  return el;
}
export function append(el, ...kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}
export function jsonBlock(value, testid) {
  return h('pre', {class: 'json', testid}, JSON.stringify(value, null, 2));
}
