"""Text sources for synthetic lines: contract-style sentences, random KS X 1001
syllables, or a user's text file. Each function takes its own random source so
that a sample is a pure function of (seed, index)."""

import random

# The 2,350 Hangul syllables of KS X 1001: those EUC-KR can encode.
KSX1001_HANGUL = ''.join(c for c in map(chr, range(0xAC00, 0xD7A4)) if len(c.encode('euc-kr', 'ignore')) == 2)

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


def random_syllables(rng, min_len=2, max_len=10):
    """A 'sentence' of random KS X 1001 syllables in words of 1-4."""
    n = rng.randint(min_len, max_len)
    chars = [rng.choice(KSX1001_HANGUL) for _ in range(n)]
    out, i = [], 0
    while i < n:
        k = rng.randint(1, 4)
        out.append(''.join(chars[i:i + k]))
        i += k
    return ' '.join(out)


def fit_length(text, rng, max_chars):
    """At most ``max_chars`` characters of whole words from a random word on
    (a single longer word is cut)."""
    if len(text) <= max_chars:
        return text
    words = text.split()
    start = rng.randrange(len(words))
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


class TextSource:
    """Draws texts from a weighted mix of 'contract', 'random' and 'file'."""

    def __init__(self, mix=(('contract', 0.7), ('random', 0.3)), lines=None, max_chars=12):
        self.mix = [(name, w) for name, w in mix if w > 0]
        if any(name == 'file' for name, _ in self.mix) and not lines:
            raise ValueError("text source 'file' needs a non-empty text file")
        self.lines = lines or []
        self.max_chars = max_chars
        self._fake = None

    def fake(self, seed):
        if self._fake is None:
            from faker import Faker
            self._fake = Faker('ko_KR')
        self._fake.seed_instance(seed)
        return self._fake

    def draw(self, rng, seed):
        name = rng.choices([n for n, _ in self.mix], weights=[w for _, w in self.mix])[0]
        if name == 'contract':
            text = contract_line(rng, self.fake(seed))
        elif name == 'random':
            text = random_syllables(rng, max_len=self.max_chars)
        else:
            text = rng.choice(self.lines)
        return fit_length(' '.join(text.split()), rng, self.max_chars), name


def parse_mix(spec):
    """'contract:0.7,random:0.3' -> (('contract', 0.7), ('random', 0.3))."""
    out = []
    for part in spec.split(','):
        name, _, weight = part.partition(':')
        if name not in ('contract', 'random', 'file'):
            raise ValueError('unknown text source %r (contract, random, file)' % name)
        out.append((name, float(weight or 1)))
    return tuple(out)


def make_rng(seed, index):
    return random.Random(seed * 1_000_003 + index)
