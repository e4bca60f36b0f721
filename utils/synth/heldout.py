"""Held-out line and page sets: text and fonts that training never uses.

    python -m utils.synth.heldout --out ~/crnn-heldout [--count 150]
    python -m utils.synth.heldout --out ~/crnn-heldout-pages --pages

Lines: AI-Hub-format datasets, ``<out>/short`` (4-9 characters without
spaces), ``<out>/long`` (14-26) and ``<out>/typeset`` (10-26, drawn as word
processors print them: curly quotes and other look-alike marks, half of the
lines with justified word gaps; see utils.synth.lines), rendered from utils/synth/corpus/
heldout_documents.txt (bills kept out of the training corpus) with
utils.synth.lines.HELDOUT_FONTS (kept out of find_fonts()), 32-44 px glyphs, mild
blur and noise. ``CRNN_predict.py --data-dir <out>/short`` evaluates on one;
bench/bench_accuracy.py compares with Tesseract on both.

Symbol lines (--symbols): ``<out>/symbols``, held-out text with one to three
document marks a line (crnn_utils.SYMBOLS: ①, ㈜, ㎡, ※, 「」, 甲, ...; see
HeldoutSymbols), half of them typeset, for the symbol recall of
bench/bench_accuracy.py.

Out-of-domain lines (--ood): ``<out>/ood_dev`` and ``<out>/ood_test``, lines
of a text that no training data and no language model has seen, the Korean
Debian FAQ (Debian: debian-faq-ko, read where installed), as it is wrapped,
split by source: the first half of the document for choosing decoding
settings (dev), the second half for judging them (test); held-out fonts,
and ``<out>/ood_seen``: the second half in the fonts training uses (where a
language model has the least to add). With --pages: ``<out>/ood_plain``, plain
one-column pages whose clauses are the second half's Korean paragraphs.

Pages (--pages): folders of page images, each with a page_NNNN.json of its
ground-truth lines (text, polygon in the image's pixels), for
bench/bench_page.py --sets: ``plain`` (one-column pages of utils.synth.page
without table, 150 dpi, skew under 0.5 degrees, light noise), and documents
that LibreOffice Writer laid out (utils.synth.doc, held-out text and font
families): ``lo_pdf`` (the PDF pages rendered at 150 dpi as ``CRNN_predict.py
--page x.pdf`` renders them; the PDFs are kept in ``lo_pdf/pdf``),
``lo_scan200`` and ``lo_scan300`` (simulated office scans: skew up to 2
degrees, uneven light, blur, noise, JPEG), the layout sets of LAYOUTS (--lists
adds them): ``lo_list``, LibreOffice documents of lists, labels with their
figures at the right margin (utils.synth.listing), ``lo_columns``, contracts
set in two justified columns, and ``lo_table``, documents of small ruled
tables (each row one line, its cells joined by a space), at 150 dpi; and the
PHOTO_SETS (--photos adds them to existing page sets): ``photo_mild`` and
``photo_strong``, the plain pages photographed on a desk (utils.synth.photo:
perspective, uneven light and a shadow, defocus, noise, JPEG at phone sizes),
``photo_curl``, the plain pages curled (lines bowed, as near a book's spine)
and photographed mildly, ``photo_columns``, the lo_columns pages
photographed mildly, and ``photo_12mp``, the plain pages photographed mildly
at 12 megapixels; each photo's record names its flat page (``flat``).
"""
import argparse
import json
import os

from utils.synth.lines import Renderer, SampleMaker, find_fonts, generate
from utils.synth.text import HELDOUT_CORPUS, UNITS, read_corpus

# name: (fewest, most non-space characters, share drawn typeset, share drawn with justified gaps)
SETS = {'short': (4, 9, 0.0, 0.0), 'long': (14, 26, 0.0, 0.0), 'typeset': (10, 26, 1.0, 0.5)}
# the symbol lines of --symbols: held-out text with document marks (HeldoutSymbols), half of them typeset
SYMBOL_SETS = {'symbols': (8, 22, 0.5, 0.0)}
SEEDS = {'short': 9001, 'long': 9002, 'typeset': 9003, 'symbols': 9004}
PAGE_SEEDS = {'plain': 9200, 'lo': 9300, 'photo': 9400, 'lists': 9500, 'ood': 9600, 'columns': 9700, 'tables': 9800}
# page sets of layouts the reading order must get right: utils.synth.doc.write_documents arguments
LAYOUTS = {'lo_list': dict(kind='lists', columns=1, seed=PAGE_SEEDS['lists']),
           'lo_columns': dict(kind='clauses', columns=2, seed=PAGE_SEEDS['columns']),
           'lo_table': dict(kind='tables', columns=1, seed=PAGE_SEEDS['tables'])}
DISTORTIONS = {'blur': 0.5, 'noise': 0.5}


def nonspace(text):
    return sum(not c.isspace() for c in text)


class HeldoutText:
    """Running text of the held-out documents with ``lo``..``hi`` non-space
    characters, at least half of them Hangul syllables, cut at word
    boundaries (a TextSource for SampleMaker)."""

    def __init__(self, lo, hi, corpus=HELDOUT_CORPUS):
        self.lo, self.hi = lo, hi
        self.words = [p.split() for p in read_corpus(corpus)]
        self.words = [w for w in self.words if sum(map(len, w)) >= lo]

    def draw(self, rng, seed):
        target = rng.randint(self.lo, self.hi)
        while True:
            words = rng.choice(self.words)
            start = rng.randrange(len(words))
            out = []
            for w in words[start:]:
                if nonspace(' '.join(out + [w])) > target:
                    break
                out.append(w)
            text = ' '.join(out)
            if self.lo <= nonspace(text) <= self.hi and 2 * sum('가' <= c <= '힣' for c in text) >= nonspace(text):
                return text, 'heldout'


class HeldoutSymbols(HeldoutText):
    """Held-out running text with one to three document marks (crnn_utils.SYMBOLS), each drawn uniformly from
    them and placed by rules of its own, apart from the training source's (utils.synth.text.marks_snippet):
    units after a number, enumerators before a word, bracket pairs round a word, any other mark alone between
    words or before one."""

    UNITS = set(UNITS) | {'°'}
    OPENING = dict(zip('「『【《〔', '」』】》〕'))

    def __init__(self, lo, hi, corpus=HELDOUT_CORPUS):
        super().__init__(lo, hi, corpus)
        from crnn_utils import SYMBOLS
        closing = set(self.OPENING.values())
        self.symbols = sorted(c for c in SYMBOLS if c not in closing)

    def draw(self, rng, seed):
        words = HeldoutText.draw(self, rng, seed)[0].split()
        for _ in range(rng.randint(1, 3)):
            mark, at = rng.choice(self.symbols), rng.randint(0, len(words))
            if mark in self.UNITS:
                words.insert(at, '%d%s' % (rng.randint(1, 500), mark))
            elif mark in self.OPENING:
                at = min(at, len(words) - 1)
                words[at] = mark + words[at] + self.OPENING[mark]
            elif at < len(words) and rng.random() < 0.5:
                words[at] = mark + words[at]
            else:
                words.insert(at, mark)
        return ' '.join(words), 'symbols'


DEBIAN_FAQ_KO = '/usr/share/doc/debian/FAQ/debian-faq.ko.txt.gz'
OOD_SEEDS = {'ood_dev': 9501, 'ood_test': 9502, 'ood_seen': 9503}


class DocumentLines:
    """Whole lines of a document as it is wrapped (a TextSource for SampleMaker): those with
    ``lo``..``hi`` non-space characters, at least half of them Hangul syllables."""

    def __init__(self, lines, lo=8, hi=30):
        self.lines = [' '.join(l.split()) for l in lines]
        self.lines = [l for l in self.lines if lo <= nonspace(l) <= hi and 2 * sum('가' <= c <= '힣' for c in l)
                      >= nonspace(l)]
        if not self.lines:
            raise ValueError('no line of %d-%d characters, half Hangul, in the document' % (lo, hi))

    def draw(self, rng, seed):
        return rng.choice(self.lines), 'document'


def ood_halves(path=DEBIAN_FAQ_KO):
    """(dev lines, test lines): the first and the second half of the out-of-domain document's lines."""
    import gzip
    if not os.path.isfile(path):
        raise ValueError('the out-of-domain document %s is not installed (apt-get install debian-faq-ko)' % path)
    with gzip.open(path, 'rt', encoding='utf-8') as f:
        lines = f.read().splitlines()
    return lines[:len(lines) // 2], lines[len(lines) // 2:]


def ood_paragraphs(lines, shortest=20):
    """The paragraphs of a wrapped document (blank-line separated) that are mostly Korean: at least ``shortest``
    non-space characters, half of them Hangul syllables."""
    paragraphs, current = [], []
    for line in lines + ['']:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(' '.join(current))
            current = []
    return [p for p in paragraphs if nonspace(p) >= shortest and 2 * sum('가' <= c <= '힣' for c in p) >= nonspace(p)]


def build_ood_pages(out, pages=8):
    """``ood_plain`` in ``out``: plain one-column pages whose clauses are the out-of-domain document's second half
    (the test half), in held-out fonts; returns the page count."""
    from utils.synth.page import write_pages
    return len(write_pages(os.path.join(out, 'ood_plain'), pages, PAGE_SEEDS['ood'], heldout=True, columns=1,
                           max_angle=0.5, table=False, paragraphs=ood_paragraphs(ood_halves()[1])))


def build_ood(out, count, workers=2):
    """ood_dev, ood_test and ood_seen in ``out``; returns {set name: generate's summary}."""
    dev, test = ood_halves()
    sets = {'ood_dev': (dev, True), 'ood_test': (test, True), 'ood_seen': (test, False)}
    out_sets = {}
    for name, (lines, heldout) in sets.items():
        renderer = Renderer(find_fonts(heldout=heldout), size=(32, 44), padding=(4, 14), distortions=DISTORTIONS)
        maker = SampleMaker(OOD_SEEDS[name], (('문장', 1.0),), DocumentLines(lines), renderer)
        out_sets[name] = generate(os.path.join(out, name), count, maker, workers=workers, progress=False)
    return out_sets


def build(out, name, count, workers=2):
    """The line set ``name`` of SETS or SYMBOL_SETS in ``out``; returns generate's summary."""
    lo, hi, look_alikes, wide_spaces = {**SETS, **SYMBOL_SETS}[name]
    source = (HeldoutSymbols if name in SYMBOL_SETS else HeldoutText)(lo, hi)
    renderer = Renderer(find_fonts(heldout=True), size=(32, 44), padding=(4, 14), distortions=DISTORTIONS)
    if not renderer.fonts:
        raise ValueError('no held-out fonts installed (apt-get install fonts-baekmuk fonts-unfonts-core fonts-nanum-extra)')
    maker = SampleMaker(SEEDS[name], (('문장', 1.0),), source, renderer, look_alikes, wide_spaces)
    return generate(os.path.join(out, name), count, maker, workers=workers, progress=False)


def write_page(stem, ext, image, lines, settings, quality=None):
    import cv2
    if ext == '.jpg':
        with open(stem + ext, 'wb') as f:
            f.write(image)
    else:
        cv2.imwrite(stem + ext, image)
    with open(stem + '.json', 'w', encoding='utf-8') as f:
        json.dump(dict(text='\n'.join(l['text'] for l in lines), lines=lines, **settings), f, ensure_ascii=False,
                  indent=1)


def build_pages(out, plain_pages=8, documents=6):
    """The page sets of --pages in ``out``; returns {set name: page count}."""
    import numpy as np
    from utils.page_files import read_page
    from utils.synth.doc import load_truth, page_lines, scan, write_documents
    from utils.synth.page import write_pages
    counts = {'plain': len(write_pages(os.path.join(out, 'plain'), plain_pages, PAGE_SEEDS['plain'], heldout=True,
                                       columns=1, max_angle=0.5, table=False))}
    pdf_dir = os.path.join(out, 'lo_pdf', 'pdf')
    pdfs = write_documents(pdf_dir, documents, PAGE_SEEDS['lo'], heldout=True)
    for name, dpi in (('lo_pdf', 150), ('lo_scan200', 200), ('lo_scan300', 300)):
        folder, k = os.path.join(out, name), 0
        os.makedirs(folder, exist_ok=True)
        rng = np.random.default_rng([PAGE_SEEDS['lo'], dpi])
        for pdf in pdfs:
            truth = load_truth(pdf)
            for gray, page in zip(read_page(pdf, dpi=dpi), truth['pages']):
                k += 1
                lines = [(l['text'], l['box']) for l in page['lines']]
                settings = dict(font=truth['family'], size=truth['size'], align=truth['align'], dpi=dpi,
                                source=os.path.basename(pdf))
                stem = os.path.join(folder, 'page_%04d' % k)
                if name == 'lo_pdf':
                    write_page(stem, '.png', gray, page_lines(lines, dpi), settings)
                else:
                    jpeg, matrix, angle = scan(gray, rng)
                    write_page(stem, '.jpg', jpeg, page_lines(lines, dpi, matrix), dict(settings, angle=round(angle, 2)))
        counts[name] = k
    counts.update(build_lists(out, documents))
    counts.update(build_photos(out))
    return counts


def build_lists(out, documents=6, dpi=150, names=None):
    """The LAYOUTS sets (or those ``names``) in ``out``, ``documents`` LibreOffice documents each at ``dpi``;
    returns {set: pages}. A document whose PDF text layer does not match it is left out and counted."""
    from utils.page_files import read_page
    from utils.synth.doc import load_truth, page_lines, write_documents
    counts = {}
    for name, layout in LAYOUTS.items():
        if names and name not in names:
            continue
        folder, skipped, k = os.path.join(out, name), [], 0
        for pdf in write_documents(os.path.join(folder, 'pdf'), documents, layout['seed'], heldout=True,
                                   columns=layout['columns'], kind=layout['kind'], skipped=skipped):
            truth = load_truth(pdf)
            for gray, page in zip(read_page(pdf, dpi=dpi), truth['pages']):
                k += 1
                write_page(os.path.join(folder, 'page_%04d' % k), '.png', gray,
                           page_lines([(l['text'], l['box']) for l in page['lines']], dpi),
                           dict(font=truth['family'], size=truth['size'], dpi=dpi, source=os.path.basename(pdf),
                                table_rows=layout['kind'] == 'tables'))
        if skipped:
            print('%s: %d of %d documents left out, their text layer unlike the document: %s'
                  % (name, len(skipped), documents, '; '.join(skipped)))
        counts[name] = k
    return counts


# Photographed sets: {set: (the set whose pages are photographed, strength, curled first, seed)}
PHOTO_SETS = {'photo_mild': ('plain', 'mild', False, 0), 'photo_strong': ('plain', 'strong', False, 1),
              'photo_curl': ('plain', 'mild', True, 9), 'photo_columns': ('lo_columns', 'mild', False, 10),
              'photo_12mp': ('plain', 'mild_12mp', False, 11)}


def build_photos(out):
    """The PHOTO_SETS from the page sets in ``out`` (plain, lo_columns): each page photographed on a desk
    (utils.synth.photo; curled first for photo_curl, utils.synth.photo.bend), its record naming the flat page
    (``flat``); returns {set name: page count}. A set whose pages are not there yet is said and left out."""
    import cv2
    import numpy as np
    from crnn_photo import map_polygon
    from utils.synth.photo import bend, photograph
    counts = {}
    for name, (source, strength, curled, seed) in PHOTO_SETS.items():
        flat = os.path.join(out, source)
        pages = sorted(f for f in os.listdir(flat) if f.endswith('.png')) if os.path.isdir(flat) else []
        if not pages and source == 'plain':
            raise ValueError('%s: no plain pages to photograph (write the page sets first: --pages)' % flat)
        if not pages:
            print('%s: left out, no %s pages to photograph (--lists writes them)' % (name, source))
            continue
        folder, rng = os.path.join(out, name), np.random.default_rng([PAGE_SEEDS['photo'], seed])
        os.makedirs(folder, exist_ok=True)
        for page_name in pages:
            stem = os.path.splitext(page_name)[0]
            truth = json.load(open(os.path.join(flat, stem + '.json'), encoding='utf-8'))
            page = cv2.imread(os.path.join(flat, page_name), cv2.IMREAD_GRAYSCALE)
            h, w = page.shape
            moved = lambda polygon: polygon
            if curled:
                page, displacement = bend(page, rng)
                moved = lambda polygon: [[x, y + float(displacement(x, y))] for x, y in polygon]
            jpeg, matrix = photograph(page, rng, strength)
            lines = [dict(l, polygon=map_polygon(moved(l['polygon']), matrix)) for l in truth['lines']]
            settings = dict({k: v for k, v in truth.items() if k not in ('text', 'lines')},
                            photo=strength + (', curled' if curled else ''), flat=source + '/' + page_name)
            if not curled:
                settings['corners'] = map_polygon([[0, 0], [w, 0], [w, h], [0, h]], matrix)
            write_page(os.path.join(folder, stem), '.jpg', jpeg, lines, settings)
        counts[name] = len(pages)
    return counts


def parse_args(argv=None):
    from utils.cli import HelpFormatter
    p = argparse.ArgumentParser(prog='python -m utils.synth.heldout', description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument('--out', required=True, help='folder for the sets (short/, long/ and typeset/, or the page sets)')
    p.add_argument('--count', type=int, default=150, help='lines per set')
    p.add_argument('--pages', action='store_true', help='write the page sets instead of the line sets')
    p.add_argument('--photos', action='store_true', help='only add the photo sets to the page sets in --out')
    p.add_argument('--lists', action='store_true', help='only add the layout sets (lo_list, lo_columns) to the page '
                   'sets in --out')
    p.add_argument('--ood', action='store_true', help='write the out-of-domain line sets (ood_dev, ood_test) instead; '
                   'with --pages, the out-of-domain page set (ood_plain)')
    p.add_argument('--symbols', action='store_true', help='write the symbol line set (symbols/) instead')
    p.add_argument('--workers', type=int, default=2, help='processes rendering lines')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.ood and args.pages:
        print('ood_plain: %d pages, %s' % (build_ood_pages(args.out), os.path.join(args.out, 'ood_plain')))
        return 0
    if args.ood:
        for name, stats in build_ood(args.out, args.count, args.workers).items():
            print('%s: %d lines, %s' % (name, stats['total'], stats['json']))
        return 0
    if args.pages or args.photos or args.lists:
        build_sets = build_photos if args.photos else build_lists if args.lists else build_pages
        for name, n in build_sets(args.out).items():
            print('%s: %d pages, %s' % (name, n, os.path.join(args.out, name)))
        return 0
    for name in SYMBOL_SETS if args.symbols else SETS:
        stats = build(args.out, name, args.count, args.workers)
        print('%s: %d lines, %s' % (name, stats['total'], stats['json']))
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
