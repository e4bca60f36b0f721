"""Lists and tables as documents print them: a label on the left and its figure at the right margin (a table of
contents, amounts, shares), the figure set by a right-aligned tab stop (utils.synth.doc.fodt's 'list' style), and
small ruled tables of labels, amounts, dates and shares (fodt's ('table', rows))."""

from utils.synth.text import ARTICLE_TITLES

KINDS = ('contents', 'amounts', 'shares')
HEADINGS = {'contents': '목차', 'amounts': '항목별 금액', 'shares': '항목별 비율'}


def label(rng, paragraphs, words=(2, 5)):
    """A few consecutive words of a paragraph, as a list item names something."""
    paragraph = paragraphs[rng.randrange(len(paragraphs))].split()
    n = rng.randint(*words)
    start = rng.randrange(max(1, len(paragraph) - n))
    return ' '.join(paragraph[start:start + n]).rstrip('.') or '항목'  # a leader's dots would take a final '.'


def figure(rng, kind, n):
    if kind == 'contents':
        return str(n * rng.randint(1, 3) + rng.randint(0, 2))
    if kind == 'amounts':
        return '{:,}원'.format(rng.randint(1, 9999) * 1000)
    return '%.1f%%' % rng.uniform(0.1, 99.9)


def listing(rng, paragraphs, blocks=(2, 3), items=(5, 9)):
    """(style, text) of a document of lists: a title, then blocks of a heading, a sentence and items
    'label<TAB>figure'."""
    out = [('title', '%s 명세' % rng.choice(('사업', '예산', '계약', '용역')))]
    for _ in range(rng.randint(*blocks)):
        kind = rng.choice(KINDS)
        out.append(('heading', HEADINGS[kind]))
        out.append(('body', label(rng, paragraphs, (8, 16))))
        for n in range(1, rng.randint(*items) + 1):
            name = ('제%d조 (%s)' % (n, rng.choice(ARTICLE_TITLES)) if kind == 'contents'
                    else label(rng, paragraphs))
            out.append(('list', '%s\t%s' % (name, figure(rng, kind, n))))
    return out


def cell_words(rng, paragraphs, words=(1, 2), longest=10):
    """A short cell text: one or two Hangul words of a paragraph, at most ``longest`` characters (a table's
    cells here never wrap, so that each row is one printed line)."""
    while True:
        found = [w for w in paragraphs[rng.randrange(len(paragraphs))].split()
                 if 2 <= len(w) <= 6 and all('가' <= c <= '힣' for c in w)]
        if found:
            start = rng.randrange(len(found))
            text = ' '.join(found[start:start + rng.randint(*words)])
            if len(text) <= longest:
                return text


# column heading -> a cell of that column (rng, paragraphs, row number)
COLUMNS = {'구분': lambda rng, paragraphs, n: cell_words(rng, paragraphs),
           '금액': lambda rng, paragraphs, n: figure(rng, 'amounts', n),
           '비율': lambda rng, paragraphs, n: figure(rng, 'shares', n),
           '기한': lambda rng, paragraphs, n: '%d. %d. %d.' % (rng.randint(2024, 2030), rng.randint(1, 12),
                                                            rng.randint(1, 28)),
           '수량': lambda rng, paragraphs, n: '%d개' % rng.randint(1, 500),
           '비고': lambda rng, paragraphs, n: cell_words(rng, paragraphs)}


def table(rng, paragraphs, rows=(3, 6)):
    """A ruled table's rows: a heading row of 3-4 COLUMNS ('구분' first), then its cells."""
    names = ['구분'] + rng.sample([c for c in COLUMNS if c != '구분'], rng.randint(2, 3))
    return [names] + [[COLUMNS[c](rng, paragraphs, n) for c in names] for n in range(1, rng.randint(*rows) + 1)]


def tables(rng, paragraphs, blocks=(2, 3)):
    """(style, text or rows) of a document of small ruled tables: a title, then blocks of a heading, a sentence
    and a table."""
    out = [('title', '%s 내역' % rng.choice(('대금 지급', '납품', '용역 수행', '예산 집행')))]
    for n in range(1, rng.randint(*blocks) + 1):
        out.append(('heading', '%d. %s' % (n, cell_words(rng, paragraphs))))
        out.append(('body', label(rng, paragraphs, (8, 16))))
        out.append(('table', table(rng, paragraphs)))
    return out


def text_runs(doc):
    """(style, text) of a document in the order its text prints: a table's cells row by row."""
    return [(style, cell) for style, body in doc
            for cell in ([c for row in body for c in row] if style == 'table' else [body])]
