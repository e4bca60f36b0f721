"""Lists as documents print them: a label on the left and its figure at the right margin (a table of contents,
amounts, shares), the figure set by a right-aligned tab stop (utils.synth.doc.fodt's 'list' style)."""

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
