"""Text sources for synthetic lines: contract-style sentences, public-domain
Korean documents (utils/synth/corpus), words of a Korean dictionary, numbers/dates/
amounts, random KS X 1001 syllables, or a user's text file. Each function
takes its own random source so that a sample is a pure function of (seed,
index)."""

import itertools
import os
import random
import string
import unicodedata
from typing import Callable, NamedTuple

from crnn_utils import KSX1001_HANGUL
# the corpora's home is utils.corpus; their names stay importable from here
from utils.corpus import HELDOUT_CORPUS, MANUAL_CORPUS, TRAINING_CORPUS, read_corpus  # noqa: F401
from utils.synth.confusable import confusable_line
from utils.synth.hanja import HANJA_DICTIONARY, HanjaText, read_hanja_table

ARTICLE_TITLES = ['목적', '정의', '계약기간', '계약금액', '대금 지급', '위약금', '손해배상', '비밀유지', '계약의 해지',
                  '분쟁 해결', '권리 의무의 양도', '지체상금', '하자보수', '검수', '통지', '효력', '기타 사항']
PARTY_ROLES = ['매도인', '매수인', '임대인', '임차인', '도급인', '수급인', '위탁자', '수탁자', '발주자', '공급자']
PHRASES = [
    '갑은 을에게 {amount}을 지급한다.', '을은 {date}까지 납품한다.', '계약기간은 {date}부터 {months}개월로 한다.',
    '본 계약은 서명한 날부터 효력이 있다.', '{company}(이하 "갑"이라 한다)', '{name}(이하 "을"이라 한다)',
    '주소: {address}', '대표이사 {name}', '계약금액: 금 {amount}', '지급일: 매월 {day}일', '{date} 계약 체결',
    '위 계약을 증명하기 위하여', '갑과 을은 서명 날인한다.', '잔금은 {date}에 지급한다.', '보증금 {amount}',
    '연체 시 연 {rate}퍼센트의 이자를 가산한다.', '제{n}조 ({title})', '제{n}조 제{m}항에 따른다.', '{role}: {name}',
    '상호: {company}', '계좌번호: {account}', '전화: {phone}', '{n}. {title}', '[{title}]', '<{title}>',
    "{company}(이하 '갑'이라 한다)", "{name}(이하 '을'이라 한다)", "'{title}'에 관한 사항", "제{n}조의 '{title}'",
]


def amount(rng):
    value = rng.choice([10, 50, 100, 300, 500, 1000]) * 10 ** rng.randint(3, 6) + rng.randint(0, 99) * 1000
    return '{:,}원'.format(value)


def contract_line(rng, fake):
    """One contract-style line from a template filled with Faker's ko_KR data."""
    date = '%d년 %d월 %d일' % (rng.randint(2015, 2030), rng.randint(1, 12), rng.randint(1, 28))
    fields = dict(amount=amount(rng), date=date, months=rng.randint(1, 36), day=rng.randint(1, 28),
                  company=fake.company(), name=fake.name(), address=fake.address().split(',')[0],
                  rate=rng.choice([3, 5, 6, 12, 15]), n=rng.randint(1, 30), m=rng.randint(1, 5),
                  title=rng.choice(ARTICLE_TITLES), role=rng.choice(PARTY_ROLES),
                  account='%03d %02d %06d' % (rng.randint(1, 999), rng.randint(1, 99), rng.randint(0, 999999)),
                  phone='(02) %d %04d' % (rng.randint(200, 999), rng.randint(0, 9999)))
    return rng.choice(PHRASES).format(**fields)


# Debian's hunspell-ko (MPL-1.1/GPL-2+/LGPL-2.1+): about 100,000 Korean words and inflected forms, read where
# installed, not bundled.
HUNSPELL_KO = '/usr/share/hunspell/ko.dic'
# Characters a random line mixes in now and then, so that every class is seen.
RARE_CHARS = string.digits + string.ascii_letters + '.,:;!?()[]{}<>"\'-%/~·₩&+=*#@$※○●□■△▲①②③④⑤⑥⑦⑧⑨⑩「」『』×'


def corpus_window(rng, paragraphs, cum_weights, length):
    """About ``length`` characters of running text from a random place in the
    paragraphs, starting at a word. ``cum_weights``: the running sum of the
    paragraph lengths (longer paragraphs are drawn more often), computed once."""
    para = rng.choices(paragraphs, cum_weights=cum_weights)[0]
    words = para.split()
    start = rng.randrange(len(words))
    return fit_length(' '.join(words[start:]), rng, length, from_start=True)


def read_dictionary(path):
    """The words of a hunspell .dic file whose syllables are all KS X 1001
    Hangul (the general charset's), in NFC (hunspell-ko stores jamo)."""
    if not os.path.isfile(path):
        raise ValueError("text source 'words': dictionary %s not found (Debian: apt-get install hunspell-ko; "
                         "or --dictionary PATH)" % path)
    hangul = set(KSX1001_HANGUL)
    with open(path, encoding='utf-8') as f:
        entries = [unicodedata.normalize('NFC', line.split('/')[0].strip()) for line in f.readlines()[1:]]
    words = [w for w in entries if w and all(c in hangul for c in w)]
    if not words:
        raise ValueError("text source 'words': %s has no word of KS X 1001 Hangul syllables" % path)
    return words


def dictionary_words(rng, words, length):
    """Random dictionary words, as many as fit in ``length`` characters (at
    least one): every word of the language in every neighbourhood, against
    the habits a model picks up from the corpora."""
    out = rng.choice(words)
    while True:
        word = rng.choice(words)
        if len(out) + 1 + len(word) > length:
            return out
        out += ' ' + word


UNITS = ('㎡', '㎢', '㎥', '㎠', '㎏', '㎎', '㎞', '㎝', '㎜', '㎖', 'ℓ', '℃', '㎾', '%', '‰')
ENUMERATORS = (tuple(map(chr, range(0x2160, 0x216A))), tuple(map(chr, range(0x2170, 0x217A))),
               tuple(map(chr, range(0x2460, 0x2474))), tuple(map(chr, range(0x2474, 0x247E))),
               tuple(map(chr, range(0x3260, 0x326E))), tuple(map(chr, range(0x326E, 0x327C))),
               tuple('ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ'), tuple('가나다라마바사아자차카타파하'))
PARTIES = '甲乙丙丁戊'
SIGNS = ('※', '◎', '◇', '◆', '▷', '▶', '▽', '▼', '☆', '★', '→', '←', '↑', '↓', '↔', '⇒', '…', '○', '●', '□', '■')


def quantity(rng):
    value = rng.choice(['%d' % rng.randint(1, 999), '%d.%d' % (rng.randint(0, 999), rng.randint(0, 99)),
                        '{:,}'.format(rng.randint(1000, 99999))])
    return value + rng.choice(UNITS)


def marks_snippet(rng):
    """One of the marks documents print, in the place they print it: ㈜ before a
    name, units after numbers, an enumerator before an item, 甲 and 乙 for the
    parties, § before a number, a sign before a note, brackets round a title,
    nouns joined by middle dots (시장·군수·구청장)."""
    kind = rng.randrange(10)
    if kind == 0:
        return rng.choice(['㈜', '㈜', '㈔', '(주)', '주식회사 ']) + rng.choice(KSX1001_HANGUL) + rng.choice(KSX1001_HANGUL)
    if kind == 1:
        return rng.choice(['면적', '전용면적', '대지', '중량', '길이', '용량', '온도', '출력', '약', '총']) + ' ' + quantity(rng)
    if kind == 2:
        marks = rng.choice(ENUMERATORS)
        i = rng.randrange(len(marks))
        return marks[i] + rng.choice(['.', ')', '', ' ']) if marks[0] in 'ㄱ가Ⅰⅰ' else marks[i]
    if kind == 3:
        a, b = ('甲', '乙') if rng.random() < 0.7 else rng.sample(PARTIES, 2)
        return rng.choice(['%s과 %s은', '%s은 %s에게', '%s(임대인)과 %s(임차인)', '%s 및 %s', '%s의 %s에 대한'])  % (a, b)
    if kind == 4:
        return rng.choice(['§ %d', '§%d', '제%d조 §2', '№ %d', '%d°', '±%d', '≤ %d', '≥ %d', '≠ %d', '%d ÷ 2', '%d™',
                           '¶ %d', '%d†']) % rng.randint(1, 99)
    if kind == 5:
        return rng.choice(SIGNS)
    if kind == 6:
        left, right = rng.choice(['【】', '《》', '〔〕', '「」', '『』', '[]', '<>', '()'])
        return left + rng.choice(['별표 %d' % rng.randint(1, 9), '서식 %d' % rng.randint(1, 9), '붙임', '참고',
                                  '개정 %d. %d. %d.' % (rng.randint(2000, 2030), rng.randint(1, 12),
                                                       rng.randint(1, 28))]) + right
    if kind == 7:
        return '☎ %02d-%d-%04d' % (rng.randint(2, 64), rng.randint(200, 9999), rng.randint(0, 9999))
    if kind == 8:
        return '·'.join(''.join(rng.choice(KSX1001_HANGUL) for _ in range(rng.randint(1, 3)))
                        for _ in range(rng.randint(2, 4)))
    return quantity(rng)


BRACKETS = ('【】', '《》', '〔〕', '「」', '『』')


def symbol_snippet(rng):
    """A mark drawn uniformly from crnn_utils.SYMBOLS (so that ⑰ or ㉳ is as
    common as ①), in the place marks_snippet would print it."""
    from crnn_utils import SYMBOLS
    mark = rng.choice(sorted(SYMBOLS))
    if mark in UNITS or mark == '°':
        return quantity(rng)[:-1] + mark
    family = next((f for f in ENUMERATORS if mark in f), None)
    if family:
        return mark + rng.choice(['.', ')', '', ' ']) if family[0] in 'ㄱ가Ⅰⅰ' else mark
    if mark in PARTIES:
        return mark + rng.choice(['은', '과', '의', '에게', '(임대인)', ''])
    pair = next((p for p in BRACKETS if mark in p), None)
    if pair:
        return pair[0] + rng.choice(['별표 %d' % rng.randint(1, 9), '서식', '붙임', '참고', '부칙']) + pair[1]
    return rng.choice(['%s', '%s', '%s %d', '%d%s', '%s%d']).replace('%d', str(rng.randint(1, 99))) % mark


def marks_line(rng, paragraphs, cum_weights, length, snippet=marks_snippet):
    """About ``length`` characters of running text with one to three document
    marks (``snippet``) at its start or between its words; the marks are
    kept whole."""
    snippets = [snippet(rng) for _ in range(rng.randint(1, 3))]
    while len(snippets) > 1 and sum(len(s) + 1 for s in snippets) > length:
        snippets.pop()
    room = length - sum(len(s) + 1 for s in snippets)
    words = corpus_window(rng, paragraphs, cum_weights, room).split() if room > 1 else []
    for snippet in snippets:
        words.insert(0 if rng.random() < 0.4 else rng.randint(0, len(words)), snippet)
    return ' '.join(words)


def numbers_line(rng):
    """Dates, amounts, numbers, phone numbers and clause marks as documents write them."""
    y, m, d = rng.randint(1990, 2035), rng.randint(1, 12), rng.randint(1, 28)
    value = rng.randint(1, 9999) * 10 ** rng.randint(0, 5)
    forms = [
        '%d년 %d월 %d일' % (y, m, d), '%d. %d. %d.' % (y, m, d), '%d.%02d.%02d' % (y, m, d),
        '%d-%02d-%02d' % (y, m, d), '%d/%02d/%02d' % (y, m, d), '{:,}원'.format(value), '금 {:,}원정'.format(value),
        '₩{:,}'.format(value), '{:,}'.format(value), '%d%%' % rng.randint(0, 100), '%d.%d%%' % (rng.randint(0, 30),
                                                                                           rng.randint(0, 9)),
        '제%d조 제%d항' % (rng.randint(1, 60), rng.randint(1, 9)), '제%d조(%s)' % (rng.randint(1, 60),
                                                                       rng.choice(ARTICLE_TITLES)),
        '%s %s' % (rng.choice('①②③④⑤⑥⑦⑧⑨⑩'), rng.choice(ARTICLE_TITLES)), '%d.' % rng.randint(1, 30),
        '010-%04d-%04d' % (rng.randint(0, 9999), rng.randint(0, 9999)),
        '(%02d) %d-%04d' % (rng.randint(2, 64), rng.randint(200, 9999), rng.randint(0, 9999)),
        '%d~%d' % (rng.randint(1, 50), rng.randint(51, 99)), '%d개월' % rng.randint(1, 60),
        '%d시 %d분' % (rng.randint(0, 23), rng.randint(0, 59)), 'No. %d' % rng.randint(1, 9999),
        '%d.·%d.' % (m, m + 1), "'%02d년" % (y % 100), "'%02d. %d. %d." % (y % 100, m, d), "'%02d년 %d월" % (y % 100, m),
    ]
    return rng.choice(forms)


def random_syllables(rng, min_len=2, max_len=10, rare=0.08):
    """A 'sentence' of random KS X 1001 syllables in words of 1-4; a share
    ``rare`` of the characters are digits, Latin letters or punctuation."""
    n = rng.randint(min_len, max_len)
    chars = [rng.choice(RARE_CHARS) if rng.random() < rare else rng.choice(KSX1001_HANGUL) for _ in range(n)]
    out, i = [], 0
    while i < n:
        k = rng.randint(1, 4)
        out.append(''.join(chars[i:i + k]))
        i += k
    return ' '.join(out)


def fit_length(text, rng, max_chars, from_start=False):
    """At most ``max_chars`` characters of whole words from a random word on
    (or from the first, ``from_start``; a single longer word is cut)."""
    if len(text) <= max_chars:
        return text
    words = text.split()
    start = 0 if from_start else rng.randrange(len(words))
    out = words[start][:max_chars]
    for w in words[start + 1:]:
        if len(out) + 1 + len(w) > max_chars:
            break
        out += ' ' + w
    return out


def as_kind(text, kind, rng):
    """A sentence, one word of it (어절), or one syllable of it (음절)."""
    if kind == '문장':
        return text
    words = [w for w in text.split() if w]
    word = rng.choice(words)
    if kind == '단어(어절)':
        return word
    hangul = [c for c in word if '가' <= c <= '힣'] or [c for c in text if '가' <= c <= '힣'] or [word[0]]
    return rng.choice(hangul)


class Source(NamedTuple):
    """A text source: ``draw(text_source, rng, seed, length) -> text``; its
    lines kept ``whole`` up to max_chars (else cut to the drawn length), cut
    ``from_start`` (else from a random word), and the resources of TextSource
    it ``needs`` ('corpus', 'manual', 'dictionary', 'hanja', 'lines')."""
    draw: Callable
    whole: bool = False
    from_start: bool = False
    needs: tuple = ()


SOURCES = {}  # name -> Source; a new text source is one @source entry below


def source(name, whole=False, from_start=False, needs=()):
    """Register the decorated draw function as text source ``name``."""
    def register(draw):
        SOURCES[name] = Source(draw, whole, from_start, needs)
        return draw
    return register


@source('contract', whole=True)
def _contract(ts, rng, seed, length):
    return contract_line(rng, ts.fake(seed))


@source('corpus', needs=('corpus',))
def _corpus(ts, rng, seed, length):
    return corpus_window(rng, *ts.corpora['corpus'], length)


@source('manual', needs=('manual',))
def _manual(ts, rng, seed, length):
    return corpus_window(rng, *ts.corpora['manual'], length)


@source('words', from_start=True, needs=('dictionary',))
def _words(ts, rng, seed, length):
    return dictionary_words(rng, ts.words, length)


@source('confusable', from_start=True, needs=('dictionary',))
def _confusable(ts, rng, seed, length):
    return confusable_line(rng, ts.words, length)


@source('numbers', from_start=True)
def _numbers(ts, rng, seed, length):
    text = numbers_line(rng)
    while len(text) < length - 4:
        text += ' ' + rng.choice([numbers_line(rng), rng.choice(ARTICLE_TITLES), rng.choice(PARTY_ROLES)])
    return text


@source('marks', whole=True, needs=('manual',))
def _marks(ts, rng, seed, length):
    return marks_line(rng, *ts.corpora['manual'], length)


@source('symbols', whole=True, needs=('manual',))
def _symbols(ts, rng, seed, length):
    return marks_line(rng, *ts.corpora['manual'], length, snippet=symbol_snippet)


@source('hanja', whole=True, needs=('corpus', 'manual', 'hanja'))
def _hanja(ts, rng, seed, length):
    return ts.hanja.line(rng, corpus_window(rng, *ts.corpora['corpus'], max(4, length - 8)).split())


@source('random')
def _random(ts, rng, seed, length):
    return random_syllables(rng, min(ts.min_chars, length), length)


@source('file', whole=True, needs=('lines',))
def _file(ts, rng, seed, length):
    return rng.choice(ts.lines)


class TextSource:
    """Draws texts from a weighted ``mix`` of SOURCES: 'contract' templates,
    'corpus' (running text of ``corpus``, the bundled public-domain documents by
    default), 'manual' (running text of LibreOffice's Korean help), 'words' of
    the hunspell ``dictionary``, 'confusable' (those words beside one-jamo twins,
    utils.synth.confusable), 'hanja' (corpus text with nouns in hanja,
    utils.synth.hanja), 'numbers', 'marks' (running LibreOffice help
    text with the marks of crnn_utils.DOCUMENT_SYMBOLS where documents print
    them), 'symbols' (the same text with marks drawn uniformly from
    crnn_utils.SYMBOLS), 'random' syllables and 'file' ``lines``.
    Each line aims at a length drawn from ``min_chars``..``max_chars`` ('numbers'
    and 'words' join up to it); 'contract', 'marks' and 'file' lines are kept
    whole up to ``max_chars``."""

    def __init__(self, mix=(('contract', 0.7), ('random', 0.3)), lines=None, max_chars=12, min_chars=2,
                 corpus=TRAINING_CORPUS, dictionary=HUNSPELL_KO, hanja_dictionary=HANJA_DICTIONARY):
        self.mix = [(name, w) for name, w in mix if w > 0]
        needs = {need for name, _ in self.mix for need in SOURCES[name].needs}
        if 'lines' in needs and not lines:
            raise ValueError("text source 'file' needs a non-empty text file")
        if not 1 <= min_chars <= max_chars:
            raise ValueError('line length %d..%d: need 1 <= min <= max' % (min_chars, max_chars))
        self.lines = lines or []
        self.max_chars, self.min_chars = max_chars, min_chars
        self.corpora = {}
        for name, path in (('corpus', corpus), ('manual', MANUAL_CORPUS)):
            if name in needs:
                paragraphs = read_corpus(path)
                self.corpora[name] = (paragraphs, list(itertools.accumulate(len(p) for p in paragraphs)))
        self.words = read_dictionary(dictionary) if 'dictionary' in needs else []
        self.hanja = (HanjaText(read_hanja_table(hanja_dictionary), self.corpora['corpus'][0] + self.corpora['manual'][0])
                      if 'hanja' in needs else None)
        self._fake = None

    def fake(self, seed):
        if self._fake is None:
            from faker import Faker
            self._fake = Faker('ko_KR')
        self._fake.seed_instance(seed)
        return self._fake

    def draw(self, rng, seed):
        """(text, source name) of one line."""
        name = rng.choices([n for n, _ in self.mix], weights=[w for _, w in self.mix])[0]
        length = rng.randint(self.min_chars, self.max_chars)
        src = SOURCES[name]
        text = src.draw(self, rng, seed, length)
        limit = self.max_chars if src.whole else length
        return fit_length(' '.join(text.split()), rng, limit, from_start=src.from_start), name


def parse_weights(spec, allowed, what='value'):
    """'a:0.7,b:0.3' -> (('a', 0.7), ('b', 0.3)); a name not in ``allowed`` is an error naming ``what`` it is."""
    out = []
    for part in spec.split(','):
        name, _, weight = part.partition(':')
        if name not in allowed:
            raise ValueError('unknown %s %r (%s)' % (what, name, ', '.join(allowed)))
        out.append((name, float(weight or 1)))
    return tuple(out)


def parse_mix(spec):
    """'contract:0.7,random:0.3' -> (('contract', 0.7), ('random', 0.3))."""
    return parse_weights(spec, SOURCES, 'text source')


def make_rng(seed, index):
    return random.Random(seed * 1_000_003 + index)
