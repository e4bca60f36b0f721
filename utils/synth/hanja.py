"""Hanja as Korean statutes, contracts and court decisions print them: a noun
followed by its hanja in parentheses (전차금(前借金)을) or written in hanja
alone (前借金을), in running text of the training corpora.

The readings come from libhangul's hanja dictionary (Debian: libhangul-data,
BSD-3; read where installed, not bundled). Only the hanja most used by the
corpora's nouns become classes (``HanjaText.chars``), so that the charset
grows by a bounded, frequent set, every one of them drawn often enough to
be learned.
"""

import collections
import os

from crnn_utils import KSX1001_HANGUL

HANJA_DICTIONARY = '/usr/share/libhangul/hanja/hanja.txt'
# What follows a noun in a written word, longest first: a noun is a word's start that the dictionary knows, with
# one of these (or nothing) after it.
PARTICLES = tuple(sorted(('', '은', '는', '이', '가', '을', '를', '의', '에', '에서', '으로', '로', '과', '와', '도', '만',
                          '에게', '에는', '으로서', '로서', '이나', '나', '하는', '한', '하고', '하여', '할', '된', '되는',
                          '이다', '등', '상'), key=len, reverse=True))
_HANGUL = frozenset(KSX1001_HANGUL)


def is_ksx1001_hanja(c):
    """A CJK ideograph that KS X 1001 encodes (the 4,888 hanja of Korean code pages)."""
    if not '\u4e00' <= c <= '\u9fff':
        return False
    try:
        c.encode('euc-kr')
    except UnicodeEncodeError:
        return False
    return True


def read_hanja_table(path=HANJA_DICTIONARY):
    """{Hangul word: its hanja} from a libhangul hanja.txt ('reading:hanja:meaning' lines): words of two or more
    KS X 1001 syllables written in as many KS X 1001 hanja; the dictionary's first entry of a reading."""
    if not os.path.isfile(path):
        raise ValueError("text source 'hanja': dictionary %s not found (Debian: apt-get install libhangul-data)" % path)
    table = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            parts = line.rstrip('\n').split(':')
            if line.startswith('#') or len(parts) < 2:
                continue
            reading, hanja = parts[0], parts[1]
            if (len(reading) >= 2 and len(reading) == len(hanja) and reading not in table
                    and all(c in _HANGUL for c in reading) and all(is_ksx1001_hanja(c) for c in hanja)):
                table[reading] = hanja
    if not table:
        raise ValueError("text source 'hanja': %s has no word of KS X 1001 syllables and hanja" % path)
    return table


def split_noun(word, table):
    """(noun, the rest) where ``word`` is a noun the table knows and a particle, else None."""
    for particle in PARTICLES:
        stem = word[:len(word) - len(particle)] if particle else word
        if word.endswith(particle) and len(stem) >= 2 and stem in table:
            return stem, word[len(stem):]
    return None


class HanjaText:
    """The table's nouns as the corpora use them: ``chars``, the ``limit`` hanja
    most used by the nouns of the ``paragraphs`` (the classes this source
    teaches), and ``nouns``, every noun of the table written in those only."""

    def __init__(self, table, paragraphs, limit=1000):
        counts = collections.Counter()
        for paragraph in paragraphs:
            for word in paragraph.split():
                found = split_noun(word, table)
                if found:
                    counts.update(table[found[0]])
        self.chars = ''.join(c for c, _ in counts.most_common(limit))
        allowed = set(self.chars)
        self.table = {k: v for k, v in table.items() if set(v) <= allowed}
        self.nouns = sorted(self.table)

    def render(self, rng, noun, rest):
        """One noun with its hanja: in parentheses after it (mostly), or instead of it."""
        hanja = self.table[noun]
        return (noun + '(' + hanja + ')' if rng.random() < 0.7 else hanja) + rest

    def line(self, rng, words, share=0.4):
        """``words`` (running text) with a ``share`` of its known nouns given their hanja, and at least one."""
        out, known = list(words), []
        for i, word in enumerate(words):
            found = split_noun(word, self.table)
            if found:
                known.append(i)
                if rng.random() < share:
                    out[i] = self.render(rng, *found)
        if out == list(words):
            if known:
                i = rng.choice(known)
                out[i] = self.render(rng, *split_noun(words[i], self.table))
            else:
                out.insert(rng.randint(0, len(out)), self.render(rng, rng.choice(self.nouns), ''))
        return ' '.join(out)
