"""The colour contrast of a page as the browser draws it, for the browser tests.

CONTRAST is a script for Selenium's execute_script: for every visible element with text
of its own, its computed colour, the first opaque background at or above it (white if
none), and their WCAG 2.x contrast ratio. It returns how many such texts there are
and the worst one. FOCUSED names the element that has the keyboard focus
(`button:Acknowledge`, `input:token`), for focus-order checks.
"""

CONTRAST = """
function parse(c) { const m = c.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; }
function lum(c) { return [c.r, c.g, c.b].map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
                  .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0); }
function background(e) {
  for (; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c.a > 0) return c; }
  return {r: 255, g: 255, b: 255, a: 1};
}
const pairs = [];
for (const e of document.body.querySelectorAll('*')) {
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '');
  if (!own || e.getClientRects().length === 0) continue;
  const fg = parse(getComputedStyle(e).color), bg = background(e);
  const [a, b] = [lum(fg), lum(bg)];
  pairs.push({text: e.textContent.trim().slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)});
}
pairs.sort((x, y) => x.ratio - y.ratio);
return {count: pairs.length, worst: pairs[0] || null};
"""


FOCUSED = """
const e = document.activeElement;
return e.tagName.toLowerCase() + ':' + ((e.tagName === 'INPUT' ? e.id : e.innerText) || '').trim();
"""
