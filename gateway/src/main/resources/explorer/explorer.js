// The token explorer: one image and question, two token policies side by side, through the
// gateway's OpenAI-compatible API. Everything it shows comes from the responses.
'use strict';

const state = { model: null, methods: [], image: null, modelId: null };
const $ = (sel, root = document) => root.querySelector(sel);

function headers() {
  const h = { 'Content-Type': 'application/json' };
  const key = $('#api-key').value.trim();
  if (key) h.Authorization = 'Bearer ' + key;
  return h;
}

async function describe() {
  const r = await fetch('v1/models', { headers: headers() });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
  const m = body.data[0];
  state.modelId = m.id;
  state.model = m.glimpse.model;
  state.methods = m.glimpse.methods;
  const g = state.model;
  $('#model-info').textContent = `${m.id} ${g.version} · ${g.grid_h}×${g.grid_w} = ${g.grid_h * g.grid_w} patches`
    + ` · pooled sides ${g.pooled_sides.join(', ')} · ${state.methods.filter(x => x.available).length} pruning methods`;
}

async function loadExamples() {
  const text = await (await fetch('examples/examples.jsonl')).text();
  const select = $('#example');
  text.split('\n').filter(l => l.trim()).map(l => JSON.parse(l)).forEach((e, i) => {
    const o = document.createElement('option');
    o.value = e.image;
    o.textContent = `${e.image} — ${e.question}`;
    o.dataset.question = e.question;
    select.appendChild(o);
  });
  select.addEventListener('change', () => pickExample());
  await pickExample();
}

async function pickExample() {
  const o = $('#example').selectedOptions[0];
  const blob = await (await fetch('examples/' + o.value)).blob();
  await useImage(blob);
  $('#question').value = o.dataset.question;
  $('#status').dataset.state = '';
}

function useImage(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const img = new Image();
      img.onload = () => { state.image = { dataUri: reader.result, element: img }; $('#preview').src = reader.result; resolve(); };
      img.onerror = () => reject(new Error('the browser cannot show this image'));
      img.src = reader.result;
    };
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function setUpPanel(panel, name, defaults) {
  panel.appendChild($('#policy-template').content.cloneNode(true));
  $('h2', panel).textContent = 'Policy ' + name;
  const g = state.model;
  const method = $('.method', panel);
  state.methods.forEach(m => {
    const o = document.createElement('option');
    o.value = m.method;
    o.textContent = m.method + (m.available ? '' : ' (unavailable)');
    o.disabled = !m.available;
    o.title = m.available ? m.summary : m.unavailable_reason;
    method.appendChild(o);
  });
  method.value = defaults.method;
  // modes the bundle cannot serve are shown, disabled, with the part they need
  const has = f => g.features.includes(f);
  const needs = { FLEX_PREFIX: has('resampler') ? null : 'needs a resampler',
    ADAPTIVE: has('sufficiency_head') || has('complexity_calibration') ? null : 'needs a sufficiency head or a calibration' };
  [...$('.mode', panel).options].forEach(o => {
    if (needs[o.value]) { o.disabled = true; o.textContent += ' — ' + needs[o.value]; }
  });
  // reducing inside the encoder needs a bundle whose encoder is declared as stages
  const stages = g.encoder_stage_blocks || [];
  [...$('.encoder', panel).options].forEach(o => {
    if (o.value !== 'NONE' && stages.length < 2) { o.disabled = true; o.textContent += ' — needs a staged encoder'; }
  });
  // a tiled model (SmolVLM layout) can leave the tiles the question needs least unencoded
  $('.tiles-row', panel).hidden = g.layout !== 'idefics3';
  const encoderKeep = $('.encoder-keep', panel);
  encoderKeep.max = g.grid_h * g.grid_w;
  const budget = $('.budget', panel);
  budget.max = g.grid_h * g.grid_w;
  budget.value = defaults.keep;
  $('.mode', panel).value = defaults.mode;
  const sync = () => {
    const mode = $('.mode', panel).value;
    const choices = mode === 'POOLED' ? g.pooled_sides.map(s => s * s) : mode === 'FLEX_PREFIX' ? g.prefix_lengths : [];
    const tokens = $('.tokens', panel);
    panel.dataset.choices = JSON.stringify(choices);
    tokens.max = Math.max(0, choices.length - 1);
    if (+tokens.value > +tokens.max) tokens.value = tokens.max;
    $('.tokens-out', panel).textContent = choices.length ? choices[+tokens.value] : '';
    $('.mode-tokens', panel).hidden = !choices.length;
    $('.mode-target', panel).hidden = mode !== 'ADAPTIVE';
    $('.target-out', panel).textContent = $('.target', panel).value;
    $('.budget-row', panel).hidden = method.value === 'NONE';
    $('.budget-out', panel).textContent = budget.value;
    $('.encoder-row', panel).hidden = $('.encoder', panel).value === 'NONE';
    $('.encoder-keep-out', panel).textContent = encoderKeep.value;
  };
  panel.addEventListener('input', sync);
  panel.addEventListener('change', sync);
  if (defaults.tokensIndex !== undefined) $('.tokens', panel).value = defaults.tokensIndex;
  sync();
}

function policy(panel) {
  const mode = $('.mode', panel).value;
  const choices = JSON.parse(panel.dataset.choices || '[]');
  const tokenization = { mode };
  if (choices.length) tokenization.tokens = choices[+$('.tokens', panel).value];
  if (mode === 'ADAPTIVE') tokenization.quality_target = +$('.target', panel).value;
  const maxTiles = +$('.max-tiles', panel).value;
  if (maxTiles > 0) tokenization.max_tiles = maxTiles;
  const encoder = $('.encoder', panel).value;
  if (encoder !== 'NONE') {
    tokenization.encoder_reduction = { method: encoder,
      keep_per_stage: geometric(state.model.grid_h * state.model.grid_w, state.model.encoder_stage_blocks.length,
        +$('.encoder-keep', panel).value) };
  }
  const pruning = { method: $('.method', panel).value };
  if (pruning.method !== 'NONE') pruning.keep_tokens = +$('.budget', panel).value;
  return { tokenization, pruning };
}

/** The same share removed after every stage but the last, reaching k (as glimpse eval --grid schedules it). */
function geometric(n, stages, k) {
  const keep = [];
  for (let i = 1; i < stages; i++) keep.push(Math.max(k, Math.round(n * Math.pow(k / n, i / (stages - 1)))));
  return keep;
}

/** The short line for a panel in the summary beside the Ask button (read on narrow screens first). */
function summarize(panel, text) {
  const item = $('#summary-' + panel.dataset.policy) || document.createElement('li');
  item.id = 'summary-' + panel.dataset.policy;
  item.textContent = `${$('h2', panel).textContent}: ${text}`;
  $('#summary').appendChild(item);
}

async function askPanel(panel) {
  const { tokenization, pruning } = policy(panel);
  ['.answer', '.tokens-used', '.flops', '.encoder-flops', '.time', '.error'].forEach(s => { $(s, panel).textContent = ''; });
  $('.hint', panel).hidden = true;
  const body = {
    model: state.modelId,
    messages: [{ role: 'user', content: [
      { type: 'text', text: $('#question').value },
      { type: 'image_url', image_url: { url: state.image.dataUri } }] }],
    tokenization, pruning,
  };
  const t0 = performance.now();
  const r = await fetch('v1/chat/completions', { method: 'POST', headers: headers(), body: JSON.stringify(body) });
  const out = await r.json();
  if (!r.ok) {
    $('.error', panel).textContent = `${r.status}: ${out.error ? out.error.message : r.statusText}`;
    panel.dataset.state = 'error';
    summarize(panel, 'refused — ' + (out.error ? out.error.message : r.statusText));
    return;
  }
  const u = out.usage.glimpse;
  $('.answer', panel).textContent = out.choices[0].message.content;
  $('.tokens-used', panel).textContent = `${u.visual_tokens_full} → ${u.visual_tokens_tokenized} tokenized → ${u.visual_tokens_used} seen by the LM`;
  const saved = u.prefill_flops_full > 0 ? 100 * (1 - u.prefill_flops_used / u.prefill_flops_full) : 0;
  $('.flops', panel).textContent = `${fmt(u.prefill_flops_used)} of ${fmt(u.prefill_flops_full)} (${saved.toFixed(0)}% saved)`;
  const encFull = u.encoder_flops_full || 0, encUsed = u.encoder_flops_used || 0;
  $('.encoder-flops', panel).textContent = encFull > 0
    ? `${fmt(encUsed)} of ${fmt(encFull)} (${(100 * (1 - encUsed / encFull)).toFixed(0)}% saved)` : 'not known for this bundle';
  $('.time', panel).textContent = `${(performance.now() - t0).toFixed(0)} ms in the browser, ${(out.glimpse.timings.total_micros / 1000).toFixed(1)} ms in the chain`;
  draw($('.overlay', panel), out.glimpse.selections[0]);
  panel.dataset.state = 'answered';
  summarize(panel, `${out.choices[0].message.content} (${u.visual_tokens_used} visual tokens)`);
}

function fmt(x) {
  const units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, s] of units) if (x >= v) return (x / v).toFixed(1) + ' ' + s;
  return String(Math.round(x));
}

// The image with the token grid over it: heat = score, outline = kept, dimmed = dropped.
function draw(canvas, sel) {
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(state.image.element, 0, 0, canvas.width, canvas.height);
  if (sel.kind === 'REGISTER') {
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(0, canvas.height - 28, canvas.width, 28);
    ctx.fillStyle = '#fff';
    ctx.font = '13px sans-serif';
    ctx.fillText(`${sel.kept_origin.length} registers: they summarise the image, no place on it`, 8, canvas.height - 10);
    canvas.dataset.kept = String(sel.kept_origin.length);
    canvas.dataset.scored = '0';
    return;
  }
  // a tiled image (Idefics3 / SmolVLM) places each tile's cells on its part of the image; the
  // global image's tokens cover the same pixels and are not drawn
  const n = sel.kind === 'POOLED' ? sel.pooled_side : sel.grid_h;
  const tiled = sel.tile_tokens > 0 && sel.tile_rows > 0;
  const rows = tiled ? sel.tile_rows * n : sel.kind === 'POOLED' ? sel.pooled_side : sel.grid_h;
  const cols = tiled ? sel.tile_cols * n : sel.kind === 'POOLED' ? sel.pooled_side : sel.grid_w;
  const cw = canvas.width / cols, ch = canvas.height / rows;
  const place = o => {
    if (!(sel.tile_tokens > 0)) return [Math.floor(o / cols), o % cols];
    const t = Math.floor(o / sel.tile_tokens), l = o % sel.tile_tokens;
    if (!tiled) return [Math.floor(l / n), l % n];
    if (t >= sel.tile_rows * sel.tile_cols) return null;
    return [Math.floor(t / sel.tile_cols) * n + Math.floor(l / n), (t % sel.tile_cols) * n + l % n];
  };
  const kept = new Set(sel.kept_origin);
  const scores = sel.scores || [];
  let lo = Infinity, hi = -Infinity;
  scores.forEach(s => { lo = Math.min(lo, s); hi = Math.max(hi, s); });
  scores.forEach((s, i) => {
    const p = place(sel.scored_origin[i]);
    if (!p) return;
    const t = hi > lo ? (s - lo) / (hi - lo) : 1;
    ctx.fillStyle = `hsla(${Math.round(240 - 240 * t)}, 100%, 50%, 0.45)`;
    ctx.fillRect(p[1] * cw, p[0] * ch, cw, ch);
  });
  const tokenized = scores.length ? sel.scored_origin : [...kept];
  tokenized.forEach(o => {
    const p = place(o);
    if (p && !kept.has(o)) {
      ctx.fillStyle = 'rgba(0,0,0,0.45)';
      ctx.fillRect(p[1] * cw, p[0] * ch, cw, ch);
    }
  });
  ctx.strokeStyle = 'rgba(40,40,40,0.35)';
  ctx.lineWidth = 1;
  for (let r = 1; r < rows; r++) { ctx.beginPath(); ctx.moveTo(0, r * ch); ctx.lineTo(canvas.width, r * ch); ctx.stroke(); }
  for (let c = 1; c < cols; c++) { ctx.beginPath(); ctx.moveTo(c * cw, 0); ctx.lineTo(c * cw, canvas.height); ctx.stroke(); }
  // with nothing dropped an outline on every cell would only hide the image
  if (kept.size < tokenized.length || !scores.length && kept.size < rows * cols) {
    ctx.strokeStyle = '#00e5ff';
    ctx.lineWidth = 2;
    kept.forEach(o => {
      const p = place(o);
      if (p) ctx.strokeRect(p[1] * cw + 1, p[0] * ch + 1, cw - 2, ch - 2);
    });
  }
  canvas.dataset.kept = String(kept.size);
  canvas.dataset.scored = String(scores.length);
}

async function askBoth() {
  if (!state.image) {
    $('#status').textContent = 'no image to ask about: pick an example or upload a PNG, JPEG, WebP or BMP image';
    $('#status').dataset.state = 'error';
    return;
  }
  const button = $('#ask');
  button.disabled = true;
  $('#status').dataset.state = '';
  $('#status').textContent = 'asking…';
  try {
    await Promise.all([...document.querySelectorAll('.policy')].map(askPanel));
    $('#status').textContent = 'done';
  } catch (e) {
    $('#status').textContent = 'failed: ' + e.message;
    $('#status').dataset.state = 'error';
  } finally {
    button.disabled = false;
  }
}

async function start() {
  try {
    await describe();
  } catch (e) {
    $('#model-info').textContent = 'cannot describe the model: ' + e.message + ' (an API key may be needed)';
    $('#api-key').addEventListener('change', () => start(), { once: true });
    return;
  }
  const [a, b] = document.querySelectorAll('.policy');
  if (!a.childElementCount) {
    setUpPanel(a, 'A', { mode: 'FULL', method: 'NONE', keep: 16 });
    setUpPanel(b, 'B', { mode: 'FULL', method: 'QUOTA', keep: 16 });
  }
  $('#upload').addEventListener('change', async ev => {
    if (!ev.target.files.length) return;
    const file = ev.target.files[0];
    try {
      await useImage(file);
      $('#status').textContent = `${file.name} loaded: ask about it.`;
      $('#status').dataset.state = '';
    } catch (e) {
      // never ask about the previous image as if it were this one
      state.image = null;
      $('#preview').removeAttribute('src');
      document.querySelectorAll('.policy').forEach(p => { p.dataset.state = ''; });
      $('#summary').textContent = '';
      $('#status').textContent = `${file.name} is not an image this page can read (${e.message}):`
        + ' upload a PNG, JPEG, WebP or BMP image, or pick an example';
      $('#status').dataset.state = 'error';
    }
  });
  $('#ask').addEventListener('click', askBoth);
  await loadExamples();
  document.body.dataset.ready = 'true';
}

start();
