// The correction page: read a page through /api/read, draw its lines, edit their text, export them.
'use strict';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
let state = null;  // {upload, name, page, pageCount, record, texts}
let selected = -1;

function status(text, error) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

// a table row's cells with ' | ' between them, so that an edit keeps them apart (the export splits them)
const CELL_MARK = ' | ';
function marked(line) {
  return line.cells ? line.cells.map((cell) => cell.text).join(CELL_MARK) : line.text;
}

function level(confidence) {
  return confidence >= 0.9 ? 'sure' : confidence >= 0.7 ? 'unsure' : 'doubt';
}

async function answer(response) {
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    throw new Error(body && body.error ? body.error : '서버 오류 (HTTP ' + response.status + ')');
  }
  return body;
}

async function read(form) {
  status('읽는 중…');
  $('export').disabled = $('save-text').disabled = $('save-json').disabled = true;
  try {
    const body = await answer(await fetch('/api/read', {method: 'POST', body: form}));
    const record = body.pages[0];
    state = {upload: body.upload, name: body.name, page: body.page, pageCount: body.page_count, record: record,
             read: record.lines.map(marked)};
    state.texts = state.read.slice();
    show(body.image);
    status(body.name + ' ' + body.page + '/' + body.page_count + ' 페이지: ' + record.lines.length +
           '줄. 줄을 누르면 크게 보고 고칠 수 있습니다.');
  } catch (e) {
    status('읽지 못했습니다: ' + e.message, true);
  }
}

function readFile(file) {
  const form = new FormData();
  form.append('file', file);
  read(form);
}

function readPage(number) {
  const form = new FormData();
  form.append('upload', state.upload);
  form.append('page', String(number));
  read(form);
}

function show(imageUrl) {
  const record = state.record;
  const image = $('page-image');
  image.src = imageUrl;
  const boxes = $('boxes');
  boxes.setAttribute('viewBox', '0 0 ' + record.width + ' ' + record.height);
  boxes.setAttribute('preserveAspectRatio', 'none');
  boxes.replaceChildren();
  const list = $('lines');
  list.replaceChildren();
  record.lines.forEach((line, i) => {
    const polygon = document.createElementNS(SVG, 'polygon');
    polygon.setAttribute('points', line.polygon.map((p) => p.join(',')).join(' '));
    polygon.setAttribute('class', level(line.confidence));
    polygon.dataset.index = i;
    polygon.addEventListener('click', () => select(i));
    boxes.appendChild(polygon);
    const item = document.createElement('li');
    item.dataset.index = i;
    item.title = '신뢰도 ' + line.confidence.toFixed(3);
    item.className = level(line.confidence);
    item.textContent = state.texts[i];
    item.addEventListener('click', () => select(i));
    list.appendChild(item);
  });
  $('pager').hidden = state.pageCount < 2;
  const pages = $('page');
  pages.replaceChildren();
  for (let n = 1; n <= state.pageCount; n++) {
    const option = new Option(String(n), String(n), false, n === state.page);
    pages.appendChild(option);
  }
  $('count').textContent = state.pageCount;
  selected = -1;
  $('editor').hidden = true;
  $('export').disabled = $('save-text').disabled = $('save-json').disabled = record.lines.length === 0;
}

function select(i) {
  if (selected >= 0) mark(selected, false);
  selected = i;
  mark(i, true);
  $('crop').src = '/api/uploads/' + state.upload + '/pages/' + state.page + '/lines/' + i + '.png';
  $('editor').hidden = false;
  $('edit').value = state.texts[i];
  $('edit').focus();
  document.querySelector('#lines li[data-index="' + i + '"]').scrollIntoView({block: 'nearest'});
}

function mark(i, on) {
  document.querySelector('#boxes polygon[data-index="' + i + '"]').classList.toggle('selected', on);
  document.querySelector('#lines li[data-index="' + i + '"]').classList.toggle('selected', on);
}

function edited() {
  if (selected < 0) return;
  state.texts[selected] = $('edit').value;
  const item = document.querySelector('#lines li[data-index="' + selected + '"]');
  item.textContent = state.texts[selected];
  item.classList.toggle('changed', state.texts[selected] !== state.read[selected]);
}

function download(blob, name) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

function baseName() {
  return state.name.replace(/\.[^.]*$/, '') + '_p' + state.page;
}

async function exportLines() {
  const onlyChanged = $('only-changed').checked;
  const lines = state.texts.map((text, index) => ({index: index, text: text}))
    .filter((line) => line.text.trim() && (!onlyChanged || line.text !== state.read[line.index]));
  if (!lines.length) {
    status('내보낼 줄이 없습니다' + (onlyChanged ? ' (고친 줄이 없음)' : ''), true);
    return;
  }
  try {
    const response = await fetch('/api/export', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({upload: state.upload, page: state.page, lines: lines})});
    if (!response.ok) await answer(response);
    const folder = response.headers.get('X-Export-Folder');
    download(await response.blob(), folder + '.zip');
    status(lines.length + '줄을 내보냈습니다: 서버의 --out 폴더 아래 ' + folder + '/labels.txt');
  } catch (e) {
    status('내보내지 못했습니다: ' + e.message, true);
  }
}

function corrected() {
  const record = JSON.parse(JSON.stringify(state.record));
  record.lines.forEach((line, i) => {
    const parts = state.texts[i].split(CELL_MARK);
    if (line.cells && parts.length === line.cells.length) {
      line.cells.forEach((cell, k) => { cell.text = parts[k].trim(); });
      line.text = line.cells.map((cell) => cell.text).join(' ');
    } else {
      line.text = state.texts[i];
    }
  });
  return record;
}

$('file').addEventListener('change', (e) => { if (e.target.files.length) readFile(e.target.files[0]); });
$('drop').addEventListener('dragover', (e) => { e.preventDefault(); $('drop').classList.add('over'); });
$('drop').addEventListener('dragleave', () => $('drop').classList.remove('over'));
$('drop').addEventListener('drop', (e) => {
  e.preventDefault();
  $('drop').classList.remove('over');
  if (e.dataTransfer.files.length) readFile(e.dataTransfer.files[0]);
});
$('page').addEventListener('change', (e) => readPage(Number(e.target.value)));
$('edit').addEventListener('input', edited);
$('edit').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && selected + 1 < state.texts.length) select(selected + 1);
});
$('export').addEventListener('click', exportLines);
$('save-text').addEventListener('click', () =>
  download(new Blob([state.texts.join('\n') + '\n'], {type: 'text/plain'}), baseName() + '.txt'));
$('save-json').addEventListener('click', () =>
  download(new Blob([JSON.stringify({pages: [corrected()]}, null, 1)], {type: 'application/json'}),
           baseName() + '.json'));
