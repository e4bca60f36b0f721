"""Held-out line sets: text and fonts that training never uses.

    python bench/heldout.py --out ~/crnn-heldout [--count 150]

Writes two AI-Hub-format datasets, ``<out>/short`` (4-9 characters without
spaces) and ``<out>/long`` (14-26), rendered from utils/corpus/
heldout_documents.txt (bills kept out of the training corpus) with
utils.synth.HELDOUT_FONTS (kept out of find_fonts()), 32-44 px glyphs, mild
blur and noise. ``CRNN_predict.py --data-dir <out>/short`` evaluates on one;
bench/bench_accuracy.py compares with Tesseract on both.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from utils.synth import Renderer, SampleMaker, find_fonts, generate  # noqa: E402
from utils.synth_text import HELDOUT_CORPUS, read_corpus  # noqa: E402

SETS = {'short': (4, 9), 'long': (14, 26)}
SEEDS = {'short': 9001, 'long': 9002}
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


def build(out, name, count, workers=2):
    lo, hi = SETS[name]
    renderer = Renderer(find_fonts(heldout=True), size=(32, 44), padding=(4, 14), distortions=DISTORTIONS)
    if not renderer.fonts:
        raise ValueError('no held-out fonts installed (apt-get install fonts-baekmuk fonts-unfonts-core fonts-nanum-extra)')
    maker = SampleMaker(SEEDS[name], (('문장', 1.0),), HeldoutText(lo, hi), renderer)
    return generate(os.path.join(out, name), count, maker, workers=workers, progress=False)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True, help='folder for the sets (short/ and long/)')
    p.add_argument('--count', type=int, default=150, help='lines per set')
    p.add_argument('--workers', type=int, default=2)
    args = p.parse_args(argv)
    for name in SETS:
        stats = build(args.out, name, args.count, args.workers)
        print('%s: %d lines, %s' % (name, stats['total'], stats['json']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
