"""Page reading: line finding on rendered pages with known line boxes, and CRNN_predict.py --page end to end."""
import json
import os
import shutil

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from crnn_page import (binarize, estimate_skew, find_lines, match_lines, polygon_iou, remove_specks)
from utils.page_files import PageReadError, read_page
from bounds import bound
from crnn_utils import edit_distance
from helpers import ROOT, run_tool
from utils.synth.lines import find_fonts
from utils.synth.page import render_page
from utils.synth.text import HELDOUT_CORPUS, read_corpus

PAGES = os.path.join(ROOT, 'pages')
needs_fonts = pytest.mark.skipif(not find_fonts(heldout=True), reason='Debian Korean fonts not installed (README)')


def page(seed, **kw):
    return render_page(seed, find_fonts(heldout=True), read_corpus(HELDOUT_CORPUS), **kw)


def order_of_matches(found, truth):
    """Indices of the true lines that found lines match (IoU >= 0.5), in the found order."""
    out = []
    for f in found:
        scores = [polygon_iou(f, t['polygon']) for t in truth]
        if max(scores) >= 0.5:
            out.append(int(np.argmax(scores)))
    return out


@needs_fonts
@pytest.mark.parametrize('seed, columns, angle', [(1, 1, 4.5), (2, 1, -3.0), (3, 2, 2.0), (4, 2, -0.7)])
def test_lines_found_in_reading_order(seed, columns, angle):
    """Skewed one- and two-column pages with a ruled table: every line found once, in reading order."""
    gray, truth, _ = page(seed, columns=columns, angle=angle)
    lines, skew = find_lines(gray)
    assert abs(skew - angle) < 0.2
    recall, precision = match_lines([line.polygon for line in lines], [t['polygon'] for t in truth])
    assert recall >= 0.97 and precision >= 0.97, (recall, precision)
    order = order_of_matches([line.polygon for line in lines], truth)
    assert order == sorted(order)  # columns left to right, table rows top to bottom, cells left to right


def test_iou_and_matching():
    a = [[0, 0], [10, 0], [10, 10], [0, 10]]
    b = [[5, 0], [15, 0], [15, 10], [5, 10]]
    assert polygon_iou(a, a) == pytest.approx(1.0) and polygon_iou(a, b) == pytest.approx(1 / 3)
    assert match_lines([a], [a, b]) == (0.5, 1.0)
    assert match_lines([a, a], [a]) == (1.0, 0.5)  # one to one: a duplicate is a false positive


def test_blank_and_ruled_pages_have_no_lines():
    """Uneven light and noise, or ruling lines alone, are not text."""
    rng = np.random.default_rng(0)
    h, w = 1000, 800
    light = np.linspace(150, 250, w)[None, :] * np.ones((h, 1))
    blank = np.clip(light + rng.normal(0, 6, (h, w)), 0, 255).astype(np.uint8)
    assert find_lines(blank)[0] == []
    assert remove_specks(binarize(blank)).sum() < 50
    grid = blank.copy()
    for y in range(100, 900, 60):
        grid[y:y + 2, 100:700] = 30
    for x in (100, 300, 700):
        grid[100:882, x:x + 2] = 30
    assert find_lines(grid)[0] == []


def test_skew_of_a_blank_page_is_zero():
    assert estimate_skew(np.zeros((100, 100), np.uint8)) == 0.0


def test_read_page_errors_and_downscale(tmp_path):
    bad = tmp_path / 'scan.png'
    bad.write_text('not an image')
    with pytest.raises(PageReadError, match='scan.png: not a readable image'):
        read_page(str(bad))
    with pytest.raises(PageReadError, match='no such file'):
        read_page(str(tmp_path / 'missing.png'))
    big = tmp_path / 'big.png'
    cv2.imwrite(str(big), np.full((3000, 2000), 255, np.uint8))
    notes = []
    [gray] = read_page(str(big), max_pixels=1_500_000, notes=notes)
    assert gray.shape[0] * gray.shape[1] <= 1_500_000 and 'downscaled' in notes[0]


def empty_pdf(path):
    """A valid PDF whose page tree has no pages."""
    body, offsets = b'%PDF-1.4\n', []
    for i, obj in enumerate([b'<< /Type /Catalog /Pages 2 0 R >>', b'<< /Type /Pages /Kids [] /Count 0 >>'], 1):
        offsets.append(len(body))
        body += b'%d 0 obj\n%s\nendobj\n' % (i, obj)
    xref = len(body)
    body += b'xref\n0 3\n0000000000 65535 f \n' + b''.join(b'%010d 00000 n \n' % o for o in offsets)
    body += b'trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % xref
    with open(path, 'wb') as f:
        f.write(body)
    return str(path)


def test_pdf_pages_are_rendered_at_the_dpi(tmp_path):
    from PIL import Image
    jpg = Image.open(os.path.join(PAGES, 'contract_page1.jpg'))
    pdf = str(tmp_path / 'two.pdf')
    jpg.save(pdf, save_all=True, append_images=[jpg], resolution=150.0)
    pages = read_page(pdf, dpi=150)
    assert len(pages) == 2 and abs(pages[0].shape[1] - jpg.width) <= 1 and abs(pages[0].shape[0] - jpg.height) <= 1
    with pytest.raises(PageReadError, match='empty.pdf: the PDF has no pages'):
        read_page(empty_pdf(tmp_path / 'empty.pdf'))
    (tmp_path / 'cut.pdf').write_bytes(open(pdf, 'rb').read()[:300])
    with pytest.raises(PageReadError, match='cut.pdf: not a readable PDF'):
        read_page(str(tmp_path / 'cut.pdf'))


def predict(*args):
    return run_tool('CRNN_predict.py', '--page', *args)


def cell_polygons(record):
    """The boxes of a page record's lines, a table row's cells each on its own (the truth's lines)."""
    return [cell['polygon'] for line in record['lines'] for cell in line.get('cells', [line])]


def cells_as_lines(text):
    """Page text printed with --cells, each table cell on a line of its own, as the synthetic pages' truth has
    them."""
    from crnn_page import CELL_MARK
    return text.replace(CELL_MARK, '\n')


def record_text(record):
    """A page record's text with each table cell on a line of its own."""
    return '\n'.join(cell['text'] for line in record['lines'] for cell in line.get('cells', [line]))


def test_cli_reads_a_page_with_the_shipped_model(tmp_path):
    """The bundled sample page: its text on stdout, boxes and confidences in JSON, an overlay to look at."""
    out, overlay = str(tmp_path / 'page.json'), str(tmp_path / 'boxes.png')
    r = predict(os.path.join(PAGES, 'contract_page1.jpg'), '--output', out, '--overlay', overlay, '--cells')
    assert r.returncode == 0, r.stderr[-2000:]
    [record] = json.load(open(out, encoding='utf-8'))['pages']
    assert cells_as_lines(r.stdout.rstrip('\n')) == record_text(record)
    truth = json.load(open(os.path.join(PAGES, 'contract_page1.json'), encoding='utf-8'))
    recall, precision = match_lines(cell_polygons(record), [t['polygon'] for t in truth['lines']])
    assert recall >= 0.97 and precision >= 0.97
    assert all(0 < line['confidence'] <= 1 for line in record['lines'])
    cer = edit_distance(truth['text'], cells_as_lines(r.stdout.rstrip('\n'))) / len(truth['text'])
    assert cer <= bound('sample_page'), cer
    assert cv2.imread(overlay).shape[:2] == (record['height'], 2 * record['width'])  # the page, then its text
    confidences = sorted(line['confidence'] for line in record['lines'])
    threshold = confidences[2] + 1e-4  # the three least confident lines
    r = predict(os.path.join(PAGES, 'contract_page1.jpg'), '--tsv', '--min-confidence', str(threshold))
    assert r.returncode == 0, r.stderr[-2000:]
    rows = [line.split('\t', 1) for line in r.stdout.splitlines()]
    assert [t.removeprefix('? ') for _, t in rows] == [line['text'] for line in record['lines']]
    assert sum(t.startswith('? ') for _, t in rows) == 3 and all(0 < float(c) <= 1 for c, _ in rows)
    assert '3 of %d lines read with confidence under' % len(rows) in r.stderr
    r = predict(os.path.join(PAGES, 'contract_page1.jpg'), '--min-confidence', str(threshold), '--drop-low')
    assert len(r.stdout.splitlines()) == len(rows) - 3 and 'left out' in r.stderr


def test_cli_bad_pages(tmp_path):
    blank = str(tmp_path / 'blank.png')
    cv2.imwrite(blank, np.full((400, 300), 240, np.uint8))
    r = predict(blank)
    assert r.returncode == 0 and r.stdout == '' and 'no text lines found' in r.stderr
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'\xff\xd8 truncated')
    empty = empty_pdf(tmp_path / 'empty.pdf')
    for path, message in ((str(bad), 'broken.jpg: not a readable image'), (empty, 'empty.pdf: the PDF has no pages')):
        r = predict(path, '--output', str(tmp_path / 'out.json'))
        errors = [line for line in r.stderr.splitlines() if line.startswith('error:')]
        assert r.returncode == 2 and len(errors) == 1 and message in errors[0] and r.stdout == ''
        assert not os.path.exists(tmp_path / 'out.json')  # nothing read, nothing written


@needs_fonts
def test_synth_page_cli_is_deterministic(tmp_path):
    """Same seed, same pages: PNG bytes and ground truth (lines in reading order, polygons inside the page)."""
    for out in ('a', 'b'):
        r = run_tool('-m utils.synth.page', '--out', tmp_path / out, '--count', 1, '--seed', 5, '--heldout',
                     timeout=120)
        assert r.returncode == 0, r.stderr
    a, b = (tmp_path / d / 'page_0001.png' for d in ('a', 'b'))
    assert a.read_bytes() == b.read_bytes()
    truth = json.load(open(tmp_path / 'a' / 'page_0001.json', encoding='utf-8'))
    assert truth['text'] == '\n'.join(line['text'] for line in truth['lines']) and len(truth['lines']) > 20
    corners = np.array([line['polygon'] for line in truth['lines']])
    assert corners.min() >= 0 and corners[..., 0].max() < 1240 and corners[..., 1].max() < 1754


def test_cli_reads_every_page_of_a_pdf(tmp_path):
    """Two pages: each page's text after a '# <file> page <n>' line, one overlay per page."""
    from PIL import Image
    jpg = Image.open(os.path.join(PAGES, 'contract_page2.jpg'))
    pdf = str(tmp_path / 'contract.pdf')
    jpg.save(pdf, save_all=True, append_images=[jpg.rotate(180)], resolution=150.0)
    r = predict(pdf, '--overlay', str(tmp_path / 'boxes.png'), '--cells')
    assert r.returncode == 0, r.stderr[-2000:]
    headers = [line for line in r.stdout.splitlines() if line.startswith('# ')]
    assert headers == ['# %s page 1' % pdf, '# %s page 2' % pdf]
    first, second = (part.split('\n', 1)[1] for part in r.stdout.split('# %s page ' % pdf)[1:])
    assert len(first.splitlines()) >= 40 and os.path.exists(tmp_path / 'boxes_1.png')
    assert os.path.exists(tmp_path / 'boxes_2.png')
    truth = json.load(open(os.path.join(PAGES, 'contract_page2.json'), encoding='utf-8'))['text']
    for text in (first, second):  # the second page upside down: turned back and read the same
        assert edit_distance(truth, cells_as_lines(text.rstrip('\n'))) / len(truth) <= bound('sample_pdf_page')


@needs_fonts
@settings(max_examples=12, deadline=None, derandomize=True)
@given(dpi=st.sampled_from([100, 150, 200, 300, 400]), angle=st.floats(-5, 5),
       extra=st.tuples(st.integers(0, 3), st.integers(0, 3)))
def test_skew_is_found_at_any_size_and_resolution(dpi, angle, extra):
    """A page scanned at 100-400 dpi, any width and height (odd or even), turned by up to 5 degrees: the skew
    is found within 0.1 degree."""
    gray, _, _ = page(11, columns=1, angle=0.0)
    f = dpi / 150.0
    scanned = cv2.resize(gray, (int(gray.shape[1] * f) + extra[0], int(gray.shape[0] * f) + extra[1]),
                         interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    h, w = scanned.shape
    turned = cv2.warpAffine(scanned, cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0), (w, h),
                            borderValue=255)
    found = estimate_skew(remove_specks(binarize(turned)))
    assert abs(found - angle) <= 0.1, (dpi, scanned.shape, angle, found)


def png_header(path, width, height):
    """A PNG that declares width x height (8-bit gray) and holds one empty row: big by its header alone."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(b'\x00' * (width + 1))) + chunk(b'IEND', b''))
    return str(path)


def test_images_as_scanners_and_editors_write_them(tmp_path):
    """Text drawn in a transparent PNG's alpha channel, 16-bit gray, CMYK JPEG, multi-page TIFF: all read as
    gray pages with their text lines; an image too large to decode whole is refused by its header, a large
    JPEG is decoded reduced."""
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.truetype(os.path.join(ROOT, 'NanumBarunGothic.ttf'), 28)
    page = Image.new('RGB', (600, 200), 'white')
    ImageDraw.Draw(page).text((20, 50), '계약서 제1조 목적', font=font, fill='black')
    transparent = Image.new('RGBA', (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(transparent).text((20, 50), '계약서 제1조 목적', font=font, fill=(0, 0, 0, 255))
    transparent.save(tmp_path / 'alpha.png')
    page.convert('CMYK').save(tmp_path / 'cmyk.jpg')
    page.save(tmp_path / 'pages.tif', save_all=True, append_images=[page, page])
    deep = (np.asarray(page.convert('L'), np.uint16) * 257)
    cv2.imwrite(str(tmp_path / 'deep.png'), deep)
    for name, count in (('alpha.png', 1), ('cmyk.jpg', 1), ('pages.tif', 3), ('deep.png', 1)):
        pages = read_page(str(tmp_path / name))
        assert len(pages) == count, name
        for gray in pages:
            assert gray.dtype == np.uint8 and gray.shape == (200, 600) and gray.max() >= 250, name
            assert len(find_lines(gray)[0]) == 1, name
    with pytest.raises(PageReadError, match=r'huge.png: 30000x30000 px is too large to read'):
        read_page(png_header(tmp_path / 'huge.png', 30000, 30000))
    Image.new('L', (3000, 3000), 255).save(tmp_path / 'big.jpg')
    notes = []
    [gray] = read_page(str(tmp_path / 'big.jpg'), max_pixels=500_000, notes=notes)
    assert gray.shape[0] * gray.shape[1] <= 500_000 and 'decoded reduced' in notes[0]


def test_pages_on_their_side_or_upside_down_are_turned_and_read(tmp_path):
    """The sample page scanned at 90, 180 and 270 degrees: each is turned back (said on stderr and in the JSON),
    read as well as upright, its line boxes in the turned image's own pixels."""
    gray = cv2.imread(os.path.join(PAGES, 'contract_page1.jpg'), cv2.IMREAD_GRAYSCALE)
    truth = json.load(open(os.path.join(PAGES, 'contract_page1.json'), encoding='utf-8'))
    paths = []
    for k in (1, 2, 3):
        paths.append(str(tmp_path / ('turned%d.png' % k)))
        cv2.imwrite(paths[-1], np.rot90(gray, k))
    out = str(tmp_path / 'pages.json')
    r = predict(*paths, '--output', out)
    assert r.returncode == 0, r.stderr[-2000:]
    records = json.load(open(out, encoding='utf-8'))['pages']
    assert [rec['turn'] for rec in records] == [270, 180, 90]
    assert r.stderr.count('turned by') == 3 and 'upside down' in r.stderr
    for k, rec in zip((1, 2, 3), records):
        text = record_text(rec)
        assert edit_distance(truth['text'], text) / len(truth['text']) <= bound('sample_page'), k
        h, w = rec['height'], rec['width']
        assert (h, w) == np.rot90(gray, k).shape
        assert all(0 <= x <= w and 0 <= y <= h for line in rec['lines'] for x, y in line['polygon'])


@pytest.mark.parametrize('seed, columns', [(1, 1), (3, 1), (1, 2), (2, 2), (3, 2)])
def test_justified_lines_and_spaced_titles_stay_one_line(seed, columns):
    """Justified paragraphs (wide word gaps that line up down a few lines) and a letter-spaced title, on one-
    and two-column pages in the bundled font: every line found once, in reading order, the title one line."""
    from utils.synth.lines import BUNDLED_FONT
    gray, truth, _ = render_page(seed, [BUNDLED_FONT], read_corpus(HELDOUT_CORPUS), columns=columns, angle=1.0,
                                 justify=True)
    lines, _ = find_lines(gray)
    polygons = [line.polygon for line in lines]
    recall, precision = match_lines(polygons, [t['polygon'] for t in truth])
    assert recall >= 0.97 and precision >= 0.97, (recall, precision)
    order = order_of_matches(polygons, truth)
    assert order == sorted(order)
    title = truth[1]
    assert '  ' in title['text'] and order_of_matches(polygons, [title]).count(0) == 1


def test_folders_of_pages_into_an_out_dir_and_a_rerun_skips_what_is_done(tmp_path):
    """--out-dir over a folder tree: one .txt and .json per page (every page of a multi-page TIFF), a bad file
    named and the rest read (exit 2), a summary line; run again, everything already read is skipped."""
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.truetype(os.path.join(ROOT, 'NanumBarunGothic.ttf'), 30)

    def page(text):
        img = Image.new('L', (700, 160), 255)
        ImageDraw.Draw(img).text((30, 40), text, font=font, fill=0)
        return img
    scans = tmp_path / 'scans'
    (scans / 'sub').mkdir(parents=True)
    page('계약기간은 1년으로 한다').save(scans / 'a.png')
    page('갑은 을에게 지급한다').save(scans / 'sub' / 'b.tif', save_all=True, append_images=[page('제3조 목적')])
    (scans / 'broken.jpg').write_bytes(b'not a jpeg')
    out = tmp_path / 'out'
    r = predict(str(scans), '--out-dir', str(out))
    assert r.returncode == 2 and 'broken.jpg' in r.stderr, r.stderr[-2000:]
    assert sorted(os.listdir(out)) == ['a.p1.json', 'a.p1.txt', 'sub__b.p1.json', 'sub__b.p1.txt', 'sub__b.p2.json',
                                       'sub__b.p2.txt']
    assert 'read 3 pages (3 lines) of 2 files' in r.stderr and '1 unreadable' in r.stderr
    record = json.load(open(out / 'sub__b.p2.json', encoding='utf-8'))
    assert record['pages_in_file'] == 2 and record['page'] == 2
    assert (out / 'sub__b.p2.txt').read_text(encoding='utf-8') == record['lines'][0]['text'] + '\n'
    r = predict(str(scans), '--out-dir', str(out))
    assert 'read 0 pages (0 lines) of 0 files' in r.stderr and '2 files already read skipped' in r.stderr


def test_a_table_row_reads_as_one_line_in_cell_order(tmp_path):
    """A ruled table: each row is one output line of text, its cells in order joined by a space (' | ' with
    --cells), the JSON keeping every cell's box, text, row and column."""
    from utils.synth.lines import BUNDLED_FONT
    gray, truth, _ = render_page(2, [BUNDLED_FONT], read_corpus(HELDOUT_CORPUS), columns=1, angle=1.5)
    cv2.imwrite(str(tmp_path / 'table.png'), gray)
    r = predict(str(tmp_path / 'table.png'), '--output', str(tmp_path / 'table.json'))
    assert r.returncode == 0, r.stderr[-2000:]
    [record] = json.load(open(tmp_path / 'table.json', encoding='utf-8'))['pages']
    rows = [line for line in record['lines'] if 'cells' in line]
    assert len(rows) >= 3 and len({len(row['cells']) for row in rows}) == 1 and len(rows[0]['cells']) >= 2
    assert [row['row'] for row in rows] == list(range(rows[0]['row'], rows[0]['row'] + len(rows)))
    header = rows[0]
    assert [cell['column'] for cell in header['cells']] == list(range(len(header['cells'])))
    assert header['text'] == ' '.join(cell['text'] for cell in header['cells'])
    assert header['text'].startswith('구분') and header['text'] in r.stdout.splitlines()
    xs = [cell['polygon'][0][0] for cell in header['cells']]
    assert xs == sorted(xs)
    marked = predict(str(tmp_path / 'table.png'), '--cells')
    assert ' | '.join(cell['text'] for cell in header['cells']) in marked.stdout.splitlines()


needs_libreoffice = pytest.mark.skipif(not (shutil.which('soffice') and shutil.which('pdftotext')),
                                       reason='LibreOffice Writer and poppler-utils not installed (docs/data.md)')


@needs_libreoffice
@needs_fonts
def test_a_document_laid_out_by_libreoffice_reads_from_its_pdf(tmp_path):
    """A held-out contract laid out by LibreOffice Writer (justified, a held-out font): read from the PDF, every
    line of its text layer found once and the page read within the bound of the shipped model."""
    from utils.synth.doc import load_truth, page_lines, write_documents
    [pdf] = write_documents(str(tmp_path), 1, seed=9302, heldout=True, clauses_per_doc=(3, 4))
    out = str(tmp_path / 'doc.json')
    r = predict(pdf, '--output', out)
    assert r.returncode == 0, r.stderr[-2000:]
    pages = json.load(open(out, encoding='utf-8'))['pages']
    truth = load_truth(pdf)['pages']
    assert len(pages) == len(truth)
    edits = chars = 0
    for record, page in zip(pages, truth):
        true_lines = page_lines([(line['text'], line['box']) for line in page['lines']], 150)
        recall, precision = match_lines(cell_polygons(record), [t['polygon'] for t in true_lines])
        assert recall >= 0.95 and precision >= 0.95, (recall, precision)
        text = '\n'.join(t['text'] for t in true_lines)
        edits += edit_distance(text, '\n'.join(line['text'] for line in record['lines']))
        chars += len(text)
    assert edits / chars <= bound('libreoffice_page'), edits / chars


def _draw_rows(rows, size=(1240, 900), font_px=26, leading=48):
    """A white page with ``rows`` of (x, text) pieces drawn with the bundled font, one row per ``leading`` px."""
    from PIL import Image, ImageDraw, ImageFont
    from utils.synth.lines import BUNDLED_FONT
    img = Image.new('L', size, 255)
    draw, font = ImageDraw.Draw(img), ImageFont.truetype(BUNDLED_FONT, font_px)
    for i, pieces in enumerate(rows):
        for x, text in pieces:
            if x < 0:  # right-aligned at -x
                x = -x - draw.textlength(text, font=font)
            draw.text((x, 80 + i * leading), text, font=font, fill=0)
    return np.asarray(img)


def test_a_list_with_figures_on_the_right_reads_row_by_row():
    """Labels on the left and their figures right-aligned far away (a table of contents, a price list): each row
    is one line, top to bottom, not the label column and then the figure column."""
    labels = ['제1조 목적', '제2조 정의', '제3조 계약기간', '제4조 대금의 지급', '제5조 손해배상']
    gray = _draw_rows([[(100, label), (-1140, '%d.%d%%' % (10 + i, i))] for i, label in enumerate(labels)])
    lines, _ = find_lines(gray)
    assert len(lines) == len(labels)
    tops = [line.box[1] for line in lines]
    assert tops == sorted(tops) and all(line.box[2] - line.box[0] > 900 for line in lines)


def test_two_columns_with_level_lines_still_read_column_by_column():
    """Two columns of equal width whose lines happen to be level: the left column first, then the right."""
    left = ['가나다라마바사아자', '차카타파하가나다라', '마바사아자차카타파', '하가나다라마바사아', '자차카타파하가나다']
    gray = _draw_rows([[(100, a), (680, a[::-1])] for a in left])
    lines, _ = find_lines(gray)
    assert len(lines) == 2 * len(left)
    xs = [line.box[0] for line in lines]
    assert xs[:len(left)] == [min(xs)] * len(left) or max(xs[:len(left)]) < min(xs[len(left):])


def test_lines_a_photo_s_defocus_brings_together_are_split_apart():
    """Tight paragraphs defocused as a phone photo blurs them: the blur joins each syllable's parts (raising
    the glyph height the row gaps are measured against) and narrows the gaps between lines, so the XY-cut leaves
    each paragraph one box; crnn_layout.split_stacked parts them at their blank rows, by the height of the page's
    single lines. Sharp, the same page reads the same."""
    para = ['계약을 체결한다. 갑과 을은 다음과 같이', '시장·군수·구청장은 다음 각 호의 사항을', '공시하여 1. 현재 등록된 국제결혼중개업체',
            '2. 제18조에 따라 영업정지 및 등록취소', '등의 조치를 받은 경우 그 조치에 관한 사항', '필요한 사항은 여성가족부령으로 정한다.']
    rows = ([[(100, '제1조 (목적)')], [(100, '')]] + [[(100, t)] for t in para[:4]] + [[(100, '')], [(100, '제2조 (정의)')],
            [(100, '')]] + [[(100, t)] for t in para[3:]])
    sharp = _draw_rows(rows, leading=31)
    for gray in (sharp, cv2.GaussianBlur(sharp, (0, 0), 1.2)):
        lines, _ = find_lines(gray)
        tops = [line.box[1] for line in lines]
        assert len(lines) == 9 and tops == sorted(tops), [line.box for line in lines]
        assert all(line.box[3] - line.box[1] < 45 for line in lines)  # one line each: 31 px apart
