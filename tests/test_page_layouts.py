"""Page layouts laid out by LibreOffice Writer (held-out text and fonts): lists with their figures at the right
margin, two justified columns, a table of contents with dot leaders and ruled tables, each read in the order of
the PDF's own text layer."""
import numpy as np

from bounds import bound
from crnn_page import find_lines, match_lines
from crnn_utils import edit_distance
from test_page import needs_fonts, needs_libreoffice, order_of_matches
from utils.page_files import read_page


def laid_out(tmp_path, seed, **kw):
    """(the PDF of one held-out document of utils.synth.doc.write_documents, its first page's truth record, that
    page's true lines in pixels at 150 dpi)."""
    from utils.synth.doc import load_truth, page_lines, write_documents
    [pdf] = write_documents(str(tmp_path), 1, seed=seed, heldout=True, **kw)
    page = load_truth(pdf)['pages'][0]
    return pdf, page, page_lines([(line['text'], line['box']) for line in page['lines']], 150)


def found_in_order(pdf, true_lines, precision_at_least=0.9):
    """The first page's lines found one to one (recall >= 0.95) and in the text layer's order."""
    lines, _ = find_lines(next(iter(read_page(pdf, dpi=150))))
    polygons = [line.polygon for line in lines]
    recall, precision = match_lines(polygons, [t['polygon'] for t in true_lines])
    assert recall >= 0.95 and precision >= precision_at_least, (recall, precision)
    order = order_of_matches(polygons, true_lines)
    assert order == sorted(order)


@needs_libreoffice
@needs_fonts
def test_a_list_document_laid_out_by_libreoffice_reads_each_label_with_its_figure(tmp_path):
    """A held-out document of lists (labels, and figures at a right-aligned tab stop) laid out by LibreOffice:
    its rows found one to one, in the text layer's order, so that each label is read beside its figure."""
    pdf, _, true_lines = laid_out(tmp_path, 9501, kind='lists')
    assert sum(t['text'].endswith(tuple('0123456789%원')) for t in true_lines) >= 5  # rows ending in their figure
    found_in_order(pdf, true_lines)


@needs_libreoffice
@needs_fonts
def test_two_justified_columns_laid_out_by_libreoffice_read_column_by_column(tmp_path):
    """A held-out contract set in two justified columns by LibreOffice: its text layer taken column by column
    (utils.synth.textlayer.column_order) matches the document, and the page's lines are found one to one, a justified
    line's wide word gaps never parting it, the left column read before the right."""
    pdf, page, true_lines = laid_out(tmp_path, 9701, columns=2, clauses_per_doc=(6, 8))
    middle = 150 / 72 * page['width'] / 2
    sides = [np.mean(np.asarray(t['polygon'])[:, 0]) > middle for t in true_lines]
    assert sides == sorted(sides) and 0 < sum(sides) < len(sides)  # the truth: the left column, then the right
    found_in_order(pdf, true_lines, 0.95)


@needs_libreoffice
@needs_fonts
def test_a_table_of_contents_with_dot_leaders_reads_each_label_with_its_figure(tmp_path):
    """A held-out list document whose figures sit at a dotted leader (a table of contents): the PDF's text
    layer has the dots, the truth and the reader make each leader one space, so a row reads 'label figure'."""
    from crnn_reader import Reader
    from crnn_utils import drop_leaders
    from utils.synth.doc import load_truth
    pdf, _, true_lines = laid_out(tmp_path, 9501, kind='lists', first=2)
    assert load_truth(pdf)['leaders'] and drop_leaders('제1조 (목적) ........ 3') == '제1조 (목적) 3'
    read = Reader(lm=None).read_page(pdf)
    recall, precision = match_lines([line.polygon for line in read.lines], [t['polygon'] for t in true_lines])
    assert recall >= 0.95 and precision >= 0.9, (recall, precision)
    text = '\n'.join(t['text'] for t in true_lines)
    cer = edit_distance(text, read.text) / len(text)
    assert '.....' not in read.text and cer <= bound('libreoffice_leaders'), cer


@needs_libreoffice
@needs_fonts
def test_ruled_tables_laid_out_by_libreoffice_read_row_by_row(tmp_path):
    """A held-out document of small ruled tables: each row one true line (its cells joined by a space, as the
    text layer has it), found one to one in order and read row by row; a cell of figures alone is cropped at its
    row's height (crnn_page.level_cells), so dates and shares read as figures."""
    from crnn_reader import Reader
    pdf, _, true_lines = laid_out(tmp_path, 9800, kind='tables', first=3)
    rows = [t['text'] for t in true_lines if t['text'].startswith('구분 ')]
    assert len(rows) >= 2 and all(len(r.split()) >= 3 for r in rows)  # heading rows, their cells joined
    read = Reader(lm=None).read_page(pdf)
    recall, precision = match_lines([line.polygon for line in read.lines], [t['polygon'] for t in true_lines])
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)
    text = '\n'.join(t['text'] for t in true_lines)
    cer = edit_distance(text, read.text) / len(text)
    assert cer <= bound('libreoffice_tables'), (cer, read.text)


def test_short_labels_far_from_their_figures_read_across_and_columns_down():
    """crnn_layout.xy_cut on ink masks: rows of short labels and figures at the right margin far apart (leader
    dots too faint to be ink), the figures wider than NARROW_SIDE of the labels but not of the gap, read row by
    row, each label with its figure; two columns of text as wide apart by a narrow gutter, their lines level, read
    column by column."""
    from crnn_layout import xy_cut
    height = 20
    rows = [(40 * i, 40 * i + height) for i in range(6)]
    listing = np.zeros((240, 1000), np.uint8)
    for (y0, y1), width in zip(rows, (150, 260, 180, 225, 160, 240)):
        listing[y0:y1, :width] = 1
        listing[y0:y1, 880:1000] = 1  # the figure, 120 px: wider than NARROW_SIDE of the widest label
    none = np.zeros_like(listing)
    boxes = xy_cut(listing, none, none, 1.5 * height, 0.3 * height)
    assert [(x0, y0, x1) for x0, y0, x1, _, _ in boxes] == [(0, y0, 1000) for y0, _ in rows]
    columns = np.zeros((240, 1000), np.uint8)
    for y0, y1 in rows:
        columns[y0:y1, :470] = columns[y0:y1, 530:] = 1
    boxes = xy_cut(columns, none, none, 1.5 * height, 0.3 * height)
    assert [(x0, y0) for x0, y0, _, _, _ in boxes] == [(0, y0) for y0, _ in rows] + [(530, y0) for y0, _ in rows]
