// plot.js: line plots with error bars in SVG, for the critsweep dashboard. No
// dependencies: axes with 1-2-5 ticks, series of [x, y, err] points, vertical marks with
// an error band, horizontal reference lines, a legend.
'use strict';

const Plot = (() => {
  const NS = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#2d5bd7', '#d1495b', '#2e9e5b', '#e0a526', '#7a5ea8', '#1b998b', '#ed7d3a', '#5c6b73', '#9c27b0', '#00838f'];

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function text(parent, x, y, s, attrs) {
    const t = el('text', Object.assign({ x: x, y: y }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }

  // ticks returns about n round values spanning [lo, hi].
  function ticks(lo, hi, n) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  // fmt writes a tick value with the digits its spacing needs.
  function fmt(v, span) {
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 1e6 || a < 1e-4) return v.toExponential(1);
    const digits = Math.max(0, Math.min(8, -Math.floor(Math.log10(span || a)) + 2));
    let s = v.toFixed(digits);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return s;
  }

  function finite(x) { return typeof x === 'number' && isFinite(x); }

  // line draws into container a plot of opts:
  //   series: [{label, points: [[x, y, err]], color, dashed, noMarkers}]
  //   vlines: [{x, lo, hi, label, color}]   a vertical line with a shaded band [lo, hi]
  //   hlines: [{y, label, color}]
  //   xlabel, ylabel, title, logy, width, height, empty (text shown without data)
  function line(container, opts) {
    const W = opts.width || 560, H = opts.height || 320;
    const m = { l: 62, r: 14, t: opts.title ? 26 : 12, b: 42 };
    container.textContent = '';
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': opts.title || opts.ylabel || 'plot' }, container);
    const series = (opts.series || []).filter(s => s.points && s.points.some(p => finite(p[0]) && finite(p[1])));
    if (opts.title) text(svg, m.l, 16, opts.title, { class: 'label' });
    if (series.length === 0) {
      text(svg, W / 2, H / 2, opts.empty || 'no data yet', { class: 'empty', 'text-anchor': 'middle' });
      return svg;
    }
    const ty = y => (opts.logy ? Math.log10(y) : y);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of series) {
      for (const p of s.points) {
        if (!finite(p[0]) || !finite(p[1]) || (opts.logy && p[1] <= 0)) continue;
        const e = finite(p[2]) && !opts.logy ? p[2] : 0;
        x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
        y0 = Math.min(y0, ty(p[1] - e)); y1 = Math.max(y1, ty(p[1] + e));
      }
    }
    for (const v of opts.vlines || []) if (finite(v.x)) { x0 = Math.min(x0, v.x); x1 = Math.max(x1, v.x); }
    for (const h of opts.hlines || []) if (finite(h.y) && (!opts.logy || h.y > 0)) { y0 = Math.min(y0, ty(h.y)); y1 = Math.max(y1, ty(h.y)); }
    if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
    if (y1 === y0) { const d = Math.abs(y0) * 0.1 || 0.5; y0 -= d; y1 += d; }
    const padY = (y1 - y0) * 0.06, padX = (x1 - x0) * 0.03;
    y0 -= padY; y1 += padY; x0 -= padX; x1 += padX;
    const sx = x => m.l + (x - x0) / (x1 - x0) * (W - m.l - m.r);
    const sy = y => H - m.b - (ty(y) - y0) / (y1 - y0) * (H - m.t - m.b);

    const grid = el('g', { class: 'grid' }, svg);
    const axis = el('g', { class: 'axis' }, svg);
    for (const t of ticks(x0, x1, 6)) {
      el('line', { x1: sx(t), x2: sx(t), y1: m.t, y2: H - m.b }, grid);
      text(svg, sx(t), H - m.b + 15, fmt(t, x1 - x0), { 'text-anchor': 'middle' });
    }
    for (const t of ticks(y0, y1, 5)) {
      const y = H - m.b - (t - y0) / (y1 - y0) * (H - m.t - m.b);
      el('line', { x1: m.l, x2: W - m.r, y1: y, y2: y }, grid);
      text(svg, m.l - 6, y + 4, opts.logy ? fmt(Math.pow(10, t), Math.pow(10, t) / 10) : fmt(t, y1 - y0), { 'text-anchor': 'end' });
    }
    el('path', { d: `M${m.l},${m.t}V${H - m.b}H${W - m.r}`, fill: 'none' }, axis);
    if (opts.xlabel) text(svg, (m.l + W - m.r) / 2, H - 6, opts.xlabel, { class: 'label', 'text-anchor': 'middle' });
    if (opts.ylabel) {
      const t = text(svg, 0, 0, opts.ylabel, { class: 'label', 'text-anchor': 'middle' });
      t.setAttribute('transform', `translate(14,${(m.t + H - m.b) / 2}) rotate(-90)`);
    }

    for (const v of opts.vlines || []) {
      if (!finite(v.x)) continue;
      const c = v.color || '#1d2330';
      if (finite(v.lo) && finite(v.hi) && v.hi > v.lo) {
        el('rect', { x: sx(v.lo), y: m.t, width: Math.max(1, sx(v.hi) - sx(v.lo)), height: H - m.t - m.b, fill: c, 'fill-opacity': 0.12, class: 'band' }, svg);
      }
      el('line', { x1: sx(v.x), x2: sx(v.x), y1: m.t, y2: H - m.b, stroke: c, 'stroke-width': 1.3, 'stroke-dasharray': v.dashed ? '5 4' : '', class: 'vline' }, svg);
      if (v.label) text(svg, sx(v.x) + 4, m.t + 12 + (v.row || 0) * 13, v.label, { fill: c });
    }
    for (const h of opts.hlines || []) {
      if (!finite(h.y) || (opts.logy && h.y <= 0)) continue;
      const c = h.color || '#1d2330';
      el('line', { x1: m.l, x2: W - m.r, y1: sy(h.y), y2: sy(h.y), stroke: c, 'stroke-dasharray': '5 4', class: 'hline' }, svg);
      if (h.label) text(svg, W - m.r - 4, sy(h.y) - 4, h.label, { fill: c, 'text-anchor': 'end' });
    }

    const clip = 'clip' + Math.random().toString(36).slice(2);
    const defs = el('defs', {}, svg);
    el('rect', { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b }, el('clipPath', { id: clip }, defs));
    const body = el('g', { 'clip-path': `url(#${clip})` }, svg);
    series.forEach((s, i) => {
      const c = s.color || PALETTE[i % PALETTE.length];
      const pts = s.points.filter(p => finite(p[0]) && finite(p[1]) && (!opts.logy || p[1] > 0));
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
      el('path', { d: d, fill: 'none', stroke: c, 'stroke-width': 1.6, 'stroke-dasharray': s.dashed ? '5 3' : '', class: 'series', 'data-label': s.label || '' }, body);
      if (s.noMarkers || pts.length > 400) return;
      const g = el('g', { fill: c, stroke: c }, body);
      for (const p of pts) {
        if (finite(p[2]) && p[2] > 0 && !opts.logy) {
          el('line', { x1: sx(p[0]), x2: sx(p[0]), y1: sy(p[1] - p[2]), y2: sy(p[1] + p[2]), 'stroke-width': 1 }, g);
        }
        const dot = el('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 2.4 }, g);
        const tip = el('title', {}, dot);
        tip.textContent = `${s.label ? s.label + ': ' : ''}${p[0]}, ${p[1]}${finite(p[2]) && p[2] > 0 ? ' ± ' + p[2].toPrecision(2) : ''}`;
      }
    });
    for (const mk of opts.markers || []) {
      if (!finite(mk.x) || !finite(mk.y)) continue;
      const g = el('g', { class: 'marker' }, body);
      el('path', { d: `M${sx(mk.x)},${sy(mk.y) - 5}l5,5l-5,5l-5,-5z`, fill: '#fff', stroke: mk.color || '#1d2330', 'stroke-width': 1.4 }, g);
      if (mk.label) { const t = el('title', {}, g); t.textContent = mk.label; }
    }

    // Legend, top right, one row per series (at most 12).
    const shown = series.filter(s => s.label).slice(0, 12);
    if (shown.length > 0) {
      const lg = el('g', { class: 'legend' }, svg);
      const wL = 16 + 7 * Math.max(...shown.map(s => s.label.length));
      const x = W - m.r - wL - 8;
      el('rect', { x: x - 4, y: m.t + 2, width: wL + 8, height: shown.length * 14 + 6, fill: '#fff', 'fill-opacity': 0.85, stroke: '#d8dce3' }, lg);
      shown.forEach((s, i) => {
        const c = s.color || PALETTE[series.indexOf(s) % PALETTE.length];
        const y = m.t + 12 + i * 14;
        el('line', { x1: x, x2: x + 12, y1: y - 4, y2: y - 4, stroke: c, 'stroke-width': 2, 'stroke-dasharray': s.dashed ? '4 2' : '' }, lg);
        text(lg, x + 16, y, s.label);
      });
    }
    return svg;
  }

  return { line: line, palette: PALETTE, ticks: ticks };
})();
