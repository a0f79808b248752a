// The subflow web page: plain ES module, no build step, no CDN. Talks to /v1 on the same server.
const $ = (id) => document.getElementById(id);

function headers(extra = {}) {
  const key = $('apiKey').value.trim();
  return key ? { ...extra, 'x-api-key': key } : extra;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

async function call(path, init) {
  const response = await fetch(path, init);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const problems = (body.problems ?? []).map((p) => `line ${p.line}: ${p.message}`).join('; ');
    throw new Error(
      `${response.status}: ${body.error ?? response.statusText}${problems ? ` (${problems})` : ''}`,
    );
  }
  return response;
}

async function loadModels() {
  const { models } = await (await call('/v1/models')).json();
  for (const model of models) {
    const option = document.createElement('option');
    option.value = model.name;
    option.textContent = `${model.name} (${model.languages.source} → ${model.languages.target})`;
    $('model').append(option);
  }
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

async function translateText() {
  showError('');
  const texts = $('text')
    .value.split('\n')
    .filter((line) => line.trim() !== '');
  if (texts.length === 0) return;
  const response = await call('/v1/translate', {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json' }),
    body: JSON.stringify({ texts, model: $('model').value, beam: Number($('beam').value), alignment: true }),
  });
  const { translations } = await response.json();
  const body = $('textResult').querySelector('tbody');
  body.replaceChildren();
  translations.forEach((translation, k) => {
    const row = document.createElement('tr');
    cell(row, texts[k]);
    cell(row, translation.text);
    row.addEventListener('click', () => showHeatmap(texts[k], translation.alignment));
    body.append(row);
  });
  $('textResult').hidden = false;
  showHeatmap(texts[0], translations[0].alignment);
}

/** Attention as a grid: one row per target piece, one column per source piece, darker = more. */
function showHeatmap(sentence, alignment) {
  const table = $('heatmapTable');
  table.replaceChildren();
  const head = document.createElement('thead');
  const headRow = document.createElement('tr');
  headRow.append(document.createElement('th'));
  for (const piece of alignment.source) {
    const th = document.createElement('th');
    th.textContent = piece;
    headRow.append(th);
  }
  head.append(headRow);
  const body = document.createElement('tbody');
  alignment.weights.forEach((weights, t) => {
    const row = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = alignment.target[t];
    row.append(th);
    weights.forEach((weight, s) => {
      const td = document.createElement('td');
      td.style.background = `rgba(29, 53, 87, ${weight.toFixed(3)})`;
      td.title = `${alignment.target[t]} ← ${alignment.source[s]}: ${weight.toFixed(2)}`;
      td.dataset.weight = String(weight);
      row.append(td);
    });
    body.append(row);
  });
  table.append(head, body);
  $('heatmapSentence').textContent = sentence;
  $('heatmap').hidden = false;
}

/** Cue times and texts of SRT or WebVTT text, for the side-by-side view (ASS shows times only via the server file). */
function parseCues(text) {
  const cues = [];
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const timing = lines.findIndex((line) => line.includes('-->'));
    if (timing < 0) continue;
    const [start, end] = lines[timing].split('-->').map((part) => part.trim().split(/\s+/)[0]);
    cues.push({ start, end, text: lines.slice(timing + 1).join('\n') });
  }
  const dialogue = text.match(/^Dialogue:.*$/gm);
  if (cues.length === 0 && dialogue) {
    for (const line of dialogue) {
      const fields = line.slice('Dialogue:'.length).split(',');
      cues.push({
        start: fields[1].trim(),
        end: fields[2].trim(),
        text: fields.slice(9).join(',').replace(/\\N/g, '\n'),
      });
    }
  }
  return cues;
}

async function translateFile(file) {
  showError('');
  $('download').hidden = true;
  $('fileStatus').textContent = `Translating ${file.name} …`;
  const source = await file.text();
  const form = new FormData();
  form.append('file', file, file.name);
  form.append('model', $('model').value);
  form.append('beam', $('beam').value);
  if ($('format').value) form.append('format', $('format').value);
  try {
    const response = await call('/v1/subtitles', { method: 'POST', headers: headers(), body: form });
    const blob = await response.blob();
    const name =
      /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'translated.srt';
    const translated = parseCues(await blob.text());
    const original = parseCues(source);
    const body = $('cues').querySelector('tbody');
    body.replaceChildren();
    translated.forEach((cue, k) => {
      const row = document.createElement('tr');
      cell(row, String(k + 1));
      cell(row, `${cue.start} → ${cue.end}`, 'time');
      cell(row, original[k]?.text ?? '');
      cell(row, cue.text);
      body.append(row);
    });
    $('cues').hidden = false;
    const link = $('download');
    URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.textContent = `Download ${name}`;
    link.hidden = false;
    const warnings = Number(response.headers.get('subflow-warnings') ?? 0);
    $('fileStatus').textContent =
      `${translated.length} cues translated${warnings ? `, ${warnings} warning(s)` : ''}.`;
  } catch (error) {
    $('fileStatus').textContent = '';
    showError(error.message);
  }
}

const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const [file] = event.dataTransfer.files;
  if (file) translateFile(file);
});
$('file').addEventListener('change', () => {
  const [file] = $('file').files;
  if (file) translateFile(file);
});
$('translateText').addEventListener('click', () =>
  translateText().catch((error) => showError(error.message)),
);
loadModels().catch((error) => showError(error.message));
