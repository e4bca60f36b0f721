"""Documents laid out by a real engine: LibreOffice Writer turns text into PDFs,
the PDF's own text layer gives the ground-truth lines.

    python -m utils.synth.doc --out data/docs --count 6 --seed 1 [--heldout]

Each document is a contract-like text (a title, a preamble, numbered clauses of
running corpus text) in one font, 10-12 pt, justified or left-aligned, one or
two columns, written as flat ODF (``.fodt``) and converted with ``soffice
--headless --convert-to pdf`` (Debian: libreoffice-writer-nogui). The lines
come from the PDF's text layer (utils.synth.textlayer), in PDF points, checked against
the document's text.
``page_lines`` scales them to a rendering's pixels; ``scan`` makes a simulated
office scan of a rendered page (skew, blur, noise, JPEG) with the lines moved
along. --heldout draws the held-out text and fonts (bench/bench_docs.py).
"""
import argparse
import html
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np

from utils.synth.listing import listing, tables, text_runs
from utils.synth.textlayer import check_lines, column_order, merge_rows, pdf_lines, require
from utils.synth.text import (ARTICLE_TITLES, HELDOUT_CORPUS, MANUAL_CORPUS, TRAINING_CORPUS, marks_snippet,
                              read_corpus)

# fontconfig family names: held-out ones are utils.synth.HELDOUT_FONTS' families
HELDOUT_FAMILIES = ('Baekmuk Batang', 'Baekmuk Dotum', 'UnGraphic', 'NanumSquareRound')
TRAINING_FAMILIES = ('NanumMyeongjo', 'NanumGothic', 'Noto Serif CJK KR', 'Noto Sans CJK KR', 'UnBatang', 'UnDotum',
                     'Lexi Gulim', 'NanumBarunGothic')
TITLES = ('용역 계약서', '물품 공급 계약서', '업무 위탁 계약서', '비밀유지 계약서', '임대차 계약서', '공사 도급 계약서')
SOFFICE_TIMEOUT = 180
DATASET_JSON = 'korean_printed_sentence.json'

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"')


def text_props(family, size):
    return ('<style:text-properties style:font-name="F" fo:font-size="{s}pt" style:font-name-asian="F" '
            'style:font-size-asian="{s}pt" fo:language="ko" fo:country="KR" style:language-asian="ko" '
            'style:country-asian="KR"/>'.format(s=size))


def fodt(paragraphs, family, size, align='justify', columns=1, leading=1.5, leaders=False):
    """A flat ODF text document: ``paragraphs`` are (style, text), style one of
    'title', 'heading', 'body', 'list' (a label, a tab and its figure at the
    right margin, with dot ``leaders`` between), or ('table', rows of cell texts):
    a table ruled all round, the page's width; A4, 2.5 cm margins."""
    styles = []
    tab = '<style:tab-stops><style:tab-stop style:position="%.1fcm" style:type="right"%s/></style:tab-stops>' % (
        (16.0 - (columns - 1)) / columns, ' style:leader-style="dotted" style:leader-text="."' if leaders else '')
    for name, scale, par_align, bold in (('title', 1.6, 'center', True), ('heading', 1.0, 'start', True),
                                         ('body', 1.0, align, False), ('list', 1.0, 'start', False),
                                         ('cell', 1.0, 'start', False)):
        styles.append('<style:style style:name="%s" style:family="paragraph"><style:paragraph-properties '
                      'fo:text-align="%s" fo:margin-bottom="%.2fcm" fo:line-height="%d%%">%s'
                      '</style:paragraph-properties>%s</style:style>'
                      % (name, par_align, 0.5 if name == 'title' else 0.15, leading * 100, tab if name == 'list'
                         else '', text_props(family, round(size * scale, 1))))
    table_styles = ('<style:style style:name="Cell" style:family="table-cell"><style:table-cell-properties '
                    'fo:border="0.5pt solid #000000" fo:padding="0.1cm"/></style:style><style:style '
                    'style:name="Table" style:family="table"><style:table-properties style:width="%.1fcm" '
                    'table:align="margins"/></style:style>' % ((16.0 - (columns - 1)) / columns))
    body = ''.join(table_xml(text) if style == 'table' else '<text:p text:style-name="%s">%s</text:p>' % (
        style, html.escape(text, quote=False).replace('\t', '<text:tab/>')) for style, text in paragraphs)
    if columns > 1:
        section_style = ('<style:style style:name="Sect" style:family="section"><style:section-properties>'
                         '<style:columns fo:column-count="%d" fo:column-gap="1cm"/></style:section-properties>'
                         '</style:style>' % columns)
        body = '<text:section text:style-name="Sect" text:name="S1">%s</text:section>' % body
    else:
        section_style = ''
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document %s office:version="1.2" '
            'office:mimetype="application/vnd.oasis.opendocument.text">'
            '<office:font-face-decls><style:font-face style:name="F" svg:font-family="\'%s\'"/>'
            '</office:font-face-decls><office:styles>%s</office:styles><office:automatic-styles>%s'
            '<style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21cm" '
            'fo:page-height="29.7cm" fo:margin-top="2.5cm" fo:margin-bottom="2.5cm" fo:margin-left="2.5cm" '
            'fo:margin-right="2.5cm"/></style:page-layout></office:automatic-styles><office:master-styles>'
            '<style:master-page style:name="Standard" style:page-layout-name="pm1"/></office:master-styles>'
            '<office:body><office:text>%s</office:text></office:body></office:document>'
            % (NS, family, ''.join(styles), section_style + table_styles, body))


def table_xml(rows):
    cell = '<table:table-cell table:style-name="Cell" office:value-type="string"><text:p text:style-name="cell">' \
           '%s</text:p></table:table-cell>'
    return ('<table:table table:style-name="Table"><table:table-column table:number-columns-repeated="%d"/>%s'
            '</table:table>' % (len(rows[0]), ''.join('<table:table-row>%s</table:table-row>' % ''.join(
                cell % html.escape(c, quote=False) for c in row) for row in rows)))


def clauses(rng, paragraphs, count, words=(25, 70), marks=0.0):
    """(style, text) of a contract-like document: title, preamble and ``count``
    clauses of corpus text; ``marks``: the share of words followed by one of
    the document marks of utils.synth.text.marks_snippet."""
    out = [('title', rng.choice(TITLES)), ('body', '아래 당사자는 다음과 같이 계약을 체결한다.')]
    for n in range(1, count + 1):
        i, chosen = rng.randrange(len(paragraphs)), []
        target = rng.randint(*words)
        while len(chosen) < target:
            chosen += [w for w in paragraphs[i % len(paragraphs)].split() if len(w) <= 2 or any(c.isalnum() for c in w)]
            i += 1
        chosen = chosen[:target]
        if marks:
            chosen = [w + ' ' + marks_snippet(rng) if rng.random() < marks else w for w in chosen]
        out.append(('heading', '제%d조 (%s)' % (n, rng.choice(ARTICLE_TITLES))))
        out.append(('body', ' '.join(chosen)))
    return out


def convert(fodt_paths, out_dir):
    """The PDFs LibreOffice writes for ``fodt_paths`` (into ``out_dir``), in one
    soffice call with a private profile."""
    require('soffice', 'libreoffice-writer-nogui')
    with tempfile.TemporaryDirectory() as profile:
        cmd = ['soffice', '-env:UserInstallation=file://' + profile, '--headless', '--norestore',
               '--convert-to', 'pdf', '--outdir', out_dir] + list(fodt_paths)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT * len(fodt_paths))
    pdfs = [os.path.join(out_dir, os.path.splitext(os.path.basename(p))[0] + '.pdf') for p in fodt_paths]
    missing = [p for p, pdf in zip(fodt_paths, pdfs) if not os.path.exists(pdf)]
    if proc.returncode or missing:
        raise RuntimeError('soffice could not convert %s: %s' % (', '.join(missing) or fodt_paths[0],
                                                                 (proc.stderr or proc.stdout).strip()))
    return pdfs


def page_lines(lines, dpi, matrix=None):
    """Ground-truth lines of one page in pixels at ``dpi`` ({"text", "polygon"}), moved by a 2x3 ``matrix``."""
    from crnn_page import box_polygon
    f = dpi / 72.0
    matrix = np.array([[1.0, 0, 0], [0, 1.0, 0]]) if matrix is None else matrix
    return [dict(text=text, polygon=box_polygon([b[0] * f, b[1] * f, b[2] * f, b[3] * f], matrix))
            for text, b in lines]


def scan(gray, rng, max_angle=2.0, jpeg_quality=(70, 90)):
    """(JPEG bytes, 2x3 matrix): a simulated office scan of a rendered page: a
    slight skew, uneven light, blur, noise, JPEG; the matrix maps page pixels
    to scan pixels."""
    import cv2
    h, w = gray.shape
    angle = rng.uniform(-max_angle, max_angle)
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    out = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-0.08, 0.08, 2)
    out = out * (1.0 - abs(gx) / 2 - abs(gy) / 2 + gx * xx / w + gy * yy / h) * rng.uniform(0.88, 1.0)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.8) * w / 1654)
    out += rng.normal(0, rng.uniform(2, 6), out.shape)
    ok, buf = cv2.imencode('.jpg', np.clip(out, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*jpeg_quality))])
    return buf.tobytes(), m, angle


def document_settings(rng, families):
    return dict(family=rng.choice(families), size=rng.choice([10, 10.5, 11, 11.5, 12]),
                align=rng.choice(['justify', 'left']), leading=round(rng.uniform(1.3, 1.7), 2))


# kind -> (rng, paragraphs, clauses per document, marks) -> [(style, text or rows)]
KINDS = {'clauses': lambda rng, paragraphs, count, marks: clauses(rng, paragraphs, rng.randint(*count), marks=marks),
         'lists': lambda rng, paragraphs, count, marks: listing(rng, paragraphs),
         'tables': lambda rng, paragraphs, count, marks: tables(rng, paragraphs)}


def write_documents(out, count, seed, heldout=False, columns=1, clauses_per_doc=(6, 10), families=None, marks=0.0,
                    first=1, batch=20, skipped=None, kind='clauses'):
    """``count`` documents in ``out``: doc_NNNN.fodt, .pdf and .json (settings
    and each page's ground-truth lines in points), numbered from ``first``;
    ``batch`` documents per soffice call; ``kind`` of KINDS: 'clauses' (a contract),
    'lists' (utils.synth.listing; every second one with dot leaders, their
    dots dropped from the truth as the reader drops them) or 'tables' (ruled
    tables, each row one true line, its cells joined by a space). Returns the PDF paths. A PDF whose
    text layer does not match its document raises ValueError, or, given a
    list ``skipped``, is left out and its error appended there."""
    families = families or (HELDOUT_FAMILIES if heldout else TRAINING_FAMILIES)
    if heldout:
        paragraphs = read_corpus(HELDOUT_CORPUS)
    else:
        paragraphs = read_corpus(TRAINING_CORPUS) + read_corpus(MANUAL_CORPUS)
    os.makedirs(out, exist_ok=True)
    pdfs = []
    for start in range(0, count, batch):
        docs = {}
        for k in range(first + start, first + min(count, start + batch)):
            rng = random.Random(seed * 100_003 + k - 1)
            settings = dict(document_settings(rng, families), columns=columns, leaders=kind == 'lists' and k % 2 == 0)
            doc = KINDS[kind](rng, paragraphs, clauses_per_doc, marks)
            stem = os.path.join(out, 'doc_%04d' % k)
            with open(stem + '.fodt', 'w', encoding='utf-8') as f:
                f.write(fodt(doc, settings['family'], settings['size'], settings['align'], columns,
                             settings['leading'], settings['leaders']))
            docs[stem] = (settings, doc)
        for stem, pdf in zip(docs, convert([s + '.fodt' for s in docs], out)):
            settings, doc = docs[stem]
            try:
                runs = text_runs(doc)
                pages = (check_lines(runs, column_order(pdf_lines(pdf), columns), pdf) if columns > 1
                         else merge_rows(check_lines(runs, pdf_lines(pdf), pdf)))
            except ValueError as e:
                if skipped is None:
                    raise
                skipped.append(str(e))
                os.remove(pdf)
                continue
            with open(stem + '.json', 'w', encoding='utf-8') as f:
                json.dump(dict(settings, pages=[dict(width=w, height=h, lines=[dict(text=t, box=b) for t, b in lines])
                                                for w, h, lines in pages]), f, ensure_ascii=False, indent=1)
            pdfs.append(pdf)
    return pdfs


def spans(found, true):
    """Whether polygon ``found`` reaches both ends of polygon ``true`` to within
    the true line's height (about a syllable): a crop of part of a line (a list's
    figure and its leader dots without the label) must not take the whole line's text."""
    found, true = np.asarray(found, np.float32), np.asarray(true, np.float32)
    slack = np.ptp(true[:, 1])
    return found[:, 0].min() <= true[:, 0].min() + slack and found[:, 0].max() >= true[:, 0].max() - slack


def page_crops(gray, truth_lines):
    """(crop, text) of each true line that the page reader finds one to one
    (IoU >= 0.5, end to end), cropped as crnn_page crops it; and the count of
    true lines it did not find so."""
    from crnn_page import crop_line, deskew, find_lines, polygon_iou
    lines, angle = find_lines(gray)
    upright = deskew(gray, angle)
    pairs = sorted(((polygon_iou(l.polygon, t['polygon']), i, j) for i, l in enumerate(lines)
                    for j, t in enumerate(truth_lines)
                    if abs(l.polygon[0][1] - t['polygon'][0][1]) < 100 and spans(l.polygon, t['polygon'])),
                   reverse=True)
    used_l, used_t, out = set(), set(), []
    for iou, i, j in pairs:
        if iou >= 0.5 and i not in used_l and j not in used_t:
            used_l.add(i)
            used_t.add(j)
            out.append((crop_line(upright, lines[i]), truth_lines[j]['text']))
    return out, len(truth_lines) - len(used_t)


def write_line_crops(out, count, seed, dpis=(150, 200, 300), scans=0.5, marks=0.03, json_name=DATASET_JSON,
                     image_dir='printed', progress=True, columns=1, kind='clauses'):
    """A training dataset in AI Hub's format of lines as the page reader crops
    them from LibreOffice documents (training text and font families) of ``kind``
    in ``columns``: each page rendered at one of ``dpis``, a share ``scans`` of
    them as simulated scans. Returns a summary (lines, pages, true lines not found)."""
    import cv2
    from utils.page_files import read_page
    from utils.atomic import write_text_atomic
    json_path = os.path.join(out, json_name)
    if os.path.exists(json_path):
        raise ValueError('%s exists: choose another --out' % json_path)
    os.makedirs(os.path.join(out, image_dir), exist_ok=True)
    rng = np.random.default_rng([seed, 7])
    gt = {'info': {'name': 'Korean text lines cropped from LibreOffice documents (utils.synth.doc)', 'version': '1.0',
                   'seeds': [seed]}, 'images': [], 'annotations': [],
          'licenses': [{'name': 'generated by utils.synth.doc', 'fonts': 'see docs/data.md'}]}
    stats = dict(lines=0, pages=0, not_found=0)
    skipped = []
    with tempfile.TemporaryDirectory() as work:
        for start in range(0, count, 20):
            pdfs = write_documents(work, min(20, count - start), seed, columns=columns, marks=marks, first=start + 1,
                                   skipped=skipped, kind=kind)
            for pdf in pdfs:
                truth = load_truth(pdf)
                dpi = int(rng.choice(dpis))
                for gray, page in zip(read_page(pdf, dpi=dpi), truth['pages']):
                    lines = [(l['text'], l['box']) for l in page['lines']]
                    matrix = None
                    if rng.random() < scans:
                        jpeg, matrix, _ = scan(gray, rng)
                        gray = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
                    crops, missed = page_crops(gray, page_lines(lines, dpi, matrix))
                    stats['pages'] += 1
                    stats['not_found'] += missed
                    for crop, text in crops:
                        name = '%08d' % (stats['lines'] + 1)
                        cv2.imwrite(os.path.join(out, image_dir, name + '.png'), crop)
                        gt['images'].append({'id': name, 'width': int(crop.shape[1]), 'height': int(crop.shape[0]),
                                             'file_name': name + '.png'})
                        gt['annotations'].append({'id': name, 'image_id': name, 'text': text, 'attributes': {
                            'font': truth['family'], 'type': '문장', 'is_aug': matrix is not None, 'dpi': dpi}})
                        stats['lines'] += 1
                os.remove(pdf)
            if progress:
                print('documents %d/%d: %d lines, %d pages, %d true lines not found'
                      % (min(count, start + 20), count, stats['lines'], stats['pages'], stats['not_found']),
                      file=sys.stderr, flush=True)
    write_text_atomic(json_path, json.dumps(gt, ensure_ascii=False, indent=1) + '\n')
    return dict(stats, json=json_path, skipped_documents=len(skipped))


def load_truth(pdf):
    """The .json written beside a document's PDF: settings and per-page lines (text, box in points)."""
    with open(os.path.splitext(pdf)[0] + '.json', encoding='utf-8') as f:
        return json.load(f)


def parse_args(argv=None):
    from utils.cli import HelpFormatter, add_generator_args
    p = argparse.ArgumentParser(prog='python -m utils.synth.doc', description=__doc__, formatter_class=HelpFormatter)
    add_generator_args(p, 'documents', 6, 'held-out text and fonts (for benchmarks)')
    p.add_argument('--columns', type=int, choices=[1, 2], default=1, help='text columns')
    p.add_argument('--kind', choices=sorted(KINDS), default='clauses', help='what the documents hold: contract '
                   'clauses, lists with figures at the right margin (every second one with dot leaders) or ruled tables')
    p.add_argument('--crops', action='store_true', help='write an AI-Hub-format training dataset of the lines the '
                   'page reader crops from the documents (rendered at 150, 200 or 300 dpi, half as simulated scans) '
                   'instead of the documents')
    p.add_argument('--json-name', default=DATASET_JSON, help='annotation file of --crops, in --out')
    p.add_argument('--image-dir', default='printed', help='image folder of --crops, in --out')
    args = p.parse_args(argv)
    if args.crops and args.heldout:
        p.error('--crops makes training data: held-out text and fonts never go into training')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.crops:
        stats = write_line_crops(args.out, args.count, args.seed, json_name=args.json_name, image_dir=args.image_dir,
                                 columns=args.columns, kind=args.kind)
        print('wrote %s: %d lines from %d pages; %d true lines not found one to one by the page reader and %d '
              'documents whose PDF text layer did not match their text left out'
              % (stats['json'], stats['lines'], stats['pages'], stats['not_found'], stats['skipped_documents']))
        return 0
    pdfs = write_documents(args.out, args.count, args.seed, args.heldout, args.columns, kind=args.kind)
    print('wrote %d documents to %s' % (len(pdfs), args.out))
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
