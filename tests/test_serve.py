"""CRNN_serve.py: a real server process on a free localhost port, its HTTP API (as docs/serve.md shows it, with
curl), and the page in a real headless Chromium driven by Selenium: upload, boxes, edit, export."""
import concurrent.futures
import io
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import zipfile

import numpy as np
import pytest
import requests

from helpers import ROOT, run_tool, start_tool

PAGE = os.path.join(ROOT, 'pages', 'contract_page1.jpg')
CHROMIUM, CHROMEDRIVER = shutil.which('chromium'), shutil.which('chromedriver')
pytestmark = pytest.mark.xdist_group('serve')


def first_line(p, prefix, timeout=180):
    """The first line of ``p``'s stdout that starts with ``prefix`` (a thread reads, so a silent process fails
    at the timeout instead of blocking)."""
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in p.stdout], daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError('no %r line in %d s' % (prefix, timeout)) from None
        if line.startswith(prefix):
            return line


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """(base URL, exports folder) of a server with a 1 MB upload limit."""
    out = str(tmp_path_factory.mktemp('exports'))
    p = start_tool('CRNN_serve.py', '--port', '0', '--out', out, '--max-upload-mb', '1')
    try:
        line = first_line(p, 'serving on ')
        yield re.search(r'http://[^/]+/', line).group(0), out
    finally:
        p.terminate()
        p.wait(timeout=60)


def post_page(url, path=PAGE, **fields):
    with open(path, 'rb') as f:
        return requests.post(url + 'api/read', files={'file': (os.path.basename(path), f)}, data=fields, timeout=120)


def test_read_answers_the_cli_json_record(server, tmp_path):
    url, _ = server
    r = post_page(url)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['page'] == 1 and body['page_count'] == 1 and body['name'] == 'contract_page1.jpg'
    cli = run_tool('CRNN_predict.py', '--page', PAGE, '--output', tmp_path / 'page.json')
    assert cli.returncode == 0, cli.stderr[-2000:]
    [expected] = json.load(open(tmp_path / 'page.json', encoding='utf-8'))['pages']
    [record] = body['pages']
    assert record['source'] == 'contract_page1.jpg' and expected['source'] == PAGE
    assert {**record, 'source': None} == {**expected, 'source': None}
    image = requests.get(url + body['image'].lstrip('/'), timeout=30)
    assert image.status_code == 200 and image.headers['content-type'] == 'image/png'
    import cv2
    page = cv2.imdecode(np.frombuffer(image.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert page.shape == (record['height'], record['width'])


def test_the_curl_example_of_the_docs_runs(server):
    url, _ = server
    text = open(os.path.join(ROOT, 'docs', 'serve.md'), encoding='utf-8').read()
    [command] = [line for line in text.splitlines() if line.startswith('curl ')]
    command = command.replace('http://127.0.0.1:8000/', url).split()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert len(body['pages'][0]['lines']) > 20


def huge_png(side=30000):
    """A real, valid white PNG of side x side pixels at 1 bit per pixel (about 110 kB): 900 megapixels."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    row, packer = b'\0' + b'\xff' * ((side + 7) // 8), zlib.compressobj(9)
    idat = b''.join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', side, side, 1, 0, 0, 0, 0)) +
            chunk(b'IDAT', idat) + chunk(b'IEND', b''))


def truncated_pdf():
    from PIL import Image
    buffer = io.BytesIO()
    Image.open(PAGE).save(buffer, format='PDF', resolution=150.0)
    return buffer.getvalue()[:400]


BAD_UPLOADS = [
    ('notes.txt', b'hello', 400, 'notes.txt: not a page file'),
    ('text.png', '계약서 본문'.encode('utf-8'), 400, 'text.png: not a readable image'),
    ('broken.png', b'\x89PNG\r\n\x1a\n' + b'\0' * 100, 400, 'broken.png: not a readable image'),
    ('empty.jpg', b'', 400, 'empty.jpg is empty'),
    ('big.png', b'\0' * (2 << 20), 413, 'over the limit of 1 MB'),
    ('huge.png', huge_png(), 400, 'huge.png: 30000x30000 px is too large to read'),
    ('cut.pdf', truncated_pdf(), 400, 'cut.pdf: not a readable PDF'),
]


@pytest.mark.parametrize('name, data, status, message', BAD_UPLOADS)
def test_bad_uploads_are_4xx_json_errors(server, name, data, status, message):
    url, _ = server
    r = requests.post(url + 'api/read', files={'file': (name, data)}, timeout=60)
    assert r.status_code == status and message in r.json()['error'], r.text
    assert 'Traceback' not in r.text


def test_pages_of_a_pdf_and_unknown_pages_or_uploads(server, tmp_path):
    from PIL import Image
    url, _ = server
    image = Image.open(PAGE)
    pdf = str(tmp_path / 'two.pdf')
    image.save(pdf, save_all=True, append_images=[image.rotate(180)], resolution=150.0)
    first = post_page(url, pdf)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body['page_count'] == 2 and body['pages'][0]['turn'] == 0
    second = requests.post(url + 'api/read', data={'upload': body['upload'], 'page': '2'}, timeout=120)
    assert second.status_code == 200, second.text
    assert second.json()['pages'][0]['page'] == 2 and second.json()['pages'][0]['turn'] == 180
    r = requests.post(url + 'api/read', data={'upload': body['upload'], 'page': '3'}, timeout=60)
    assert r.status_code == 400 and r.json()['error'] == 'two.pdf has 2 page(s): page 3 does not exist'
    r = requests.post(url + 'api/read', data={'upload': 'feedbeef', 'page': '1'}, timeout=60)
    assert r.status_code == 404 and 'no upload' in r.json()['error']


def test_ten_requests_at_once_good_and_bad_are_all_answered(server):
    """Reads are one at a time (one model): concurrent ones wait their turn; bad ones do not disturb them."""
    url, _ = server
    bad = [(name, data) for name, data, _, _ in BAD_UPLOADS[:6]]

    def ask(k):
        if k % 2:
            return post_page(url)
        return requests.post(url + 'api/read', files={'file': bad[k // 2 % len(bad)]}, timeout=300)
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(ask, range(10)))
    good = [a for k, a in enumerate(answers) if k % 2]
    assert [a.status_code for a in good] == [200] * 5
    assert all(a.json()['pages'] == good[0].json()['pages'] for a in good)
    assert len({a.json()['upload'] for a in good}) == 5
    assert all(400 <= a.status_code < 500 and a.json()['error'] for k, a in enumerate(answers) if not k % 2)
    assert requests.get(url, timeout=30).status_code == 200  # still up


def test_export_writes_crops_and_labels_that_crnn_labels_reads(server, tmp_path):
    url, out = server
    body = post_page(url).json()
    lines = [{'index': i, 'text': ' | '.join(c['text'] for c in line['cells']) if 'cells' in line else line['text']}
             for i, line in enumerate(body['pages'][0]['lines'])]  # a table row's cells marked, as the page shows
    lines[0]['text'] = '계약번호 2029-2917'  # corrected
    table_row = next(i for i, line in enumerate(body['pages'][0]['lines']) if line.get('cells'))
    r = requests.post(url + 'api/export', json={'upload': body['upload'], 'page': 1, 'lines': lines}, timeout=60)
    assert r.status_code == 200 and r.headers['content-type'] == 'application/zip', r.text
    folder = r.headers['x-export-folder']
    assert re.fullmatch(r'\d{8}-\d{6}_[0-9a-f]{16}_p1', folder) and os.path.isdir(os.path.join(out, folder))
    expected = []  # (image, text): a table row's cells are lines of their own
    for i, line in enumerate(lines):
        cells = line['text'].split(' | ')
        expected += ([('images/line_%04d.png' % (i + 1), line['text'])] if len(cells) == 1 else
                     [('images/line_%04d_%d.png' % (i + 1, k), c) for k, c in enumerate(cells, 1)])
    assert len(expected) > len(lines)  # the sample page has a table
    names = sorted(zipfile.ZipFile(io.BytesIO(r.content)).namelist())
    assert names == sorted([folder + '/' + image for image, _ in expected] + [folder + '/labels.txt'])
    labels = open(os.path.join(out, folder, 'labels.txt'), encoding='utf-8').read()
    assert labels == ''.join('%s\t%s\n' % pair for pair in expected)
    # the README's fine-tuning commands, as written, on the export (training capped at one step)
    readme = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
    convert = re.search(r'`python (CRNN_labels\.py labels\.txt [^`]*)`', readme).group(1).split()
    train = re.search(r'`python (CRNN_training\.py --data-dir my_data [^`]*)`', readme).group(1).split()
    data = str(tmp_path / 'my_data')
    swap = {'labels.txt': os.path.join(out, folder, 'labels.txt'), 'my_data': data}
    converted = run_tool(*[swap.get(a, a) for a in convert])
    assert converted.returncode == 0 and 'wrote %d lines' % len(expected) in converted.stdout, converted.stderr[-2000:]
    trained = run_tool(*[swap.get(a, a) for a in train], '--epochs', '1', '--steps-per-epoch', '1',
                       '--checkpoint-root', tmp_path / 'runs')
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert 'every character of the data is in the charset already' in trained.stdout
    read = run_tool('CRNN_predict.py', '--no-lm', os.path.join(out, folder, 'images', 'line_0001.png'))
    assert read.stdout.strip().endswith('\t계약번호 2029-2916'), read.stdout  # the crop is the line, upright
                                                                          # (what it prints, not the correction)
    for bad, message in ((dict(lines=[{'index': 999, 'text': 'x'}]), 'line index 999 is not a line'),
                         (dict(lines=[{'index': 0, 'text': 'a\tb'}]), 'one line without tabs'),
                         (dict(lines=[]), 'give the lines to export'),
                         (dict(lines=[{'index': table_row, 'text': 'one cell'}]), 'is a table row of')):
        r = requests.post(url + 'api/export', json={'upload': body['upload'], 'page': 1, **bad}, timeout=60)
        assert r.status_code == 400 and message in r.json()['error'], r.text


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip('Chromium and its driver (Debian: chromium, chromium-driver; requirements-debian.txt)')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--window-size=1400,1000'):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_the_page_uploads_draws_edits_and_exports(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    url, out = server
    before = set(os.listdir(out))
    browser.get(url)
    browser.find_element(By.ID, 'file').send_keys(PAGE)
    wait = WebDriverWait(browser, 120)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '#boxes polygon')) > 20)
    boxes = browser.find_elements(By.CSS_SELECTOR, '#boxes polygon')
    assert len(browser.find_elements(By.CSS_SELECTOR, '#lines li')) == len(boxes)
    assert browser.find_element(By.ID, 'lines').find_element(By.TAG_NAME, 'li').text == '계약번호 2029-2916'

    shot = str(tmp_path / 'page.png')
    browser.save_screenshot(shot)
    import cv2
    rgb = cv2.imread(shot)[..., ::-1].astype(int)
    green = np.all(np.abs(rgb - [0x1a, 0x96, 0x41]) < 40, axis=-1).sum()
    assert green > 2000, green  # the sure lines' boxes are drawn over the page

    browser.find_elements(By.CSS_SELECTOR, '#lines li')[0].click()
    wait.until(lambda d: d.execute_script("const c = document.getElementById('crop');"
                                          "return c.complete && c.naturalWidth > 100"))
    edit = browser.find_element(By.ID, 'edit')
    edit.send_keys(Keys.CONTROL, 'a')
    edit.send_keys('계약번호 2029-2917')
    assert 'changed' in browser.find_elements(By.CSS_SELECTOR, '#lines li')[0].get_attribute('class')
    browser.find_element(By.ID, 'only-changed').click()
    browser.find_element(By.ID, 'export').click()
    wait.until(lambda d: '내보냈습니다' in d.find_element(By.ID, 'status').text)
    [folder] = set(os.listdir(out)) - before
    labels = open(os.path.join(out, folder, 'labels.txt'), encoding='utf-8').read()
    assert labels == 'images/line_0001.png\t계약번호 2029-2917\n'
    crop = cv2.imread(os.path.join(out, folder, 'images', 'line_0001.png'), cv2.IMREAD_GRAYSCALE)
    assert crop.shape[1] > 4 * crop.shape[0] and crop.min() < 100  # a line of dark text, wider than high
