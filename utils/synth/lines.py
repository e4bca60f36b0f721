"""Synthetic Korean text-line images in AI Hub's '한국어 글자체 이미지' format.

    python -m utils.synth --out data/synth --count 40000 --workers 2

Writes ``<out>/printed/NNNNNNNN.png`` and ``<out>/korean_printed_sentence.json``
(info, images, annotations with attributes {font, type, is_aug}, licenses),
which GTUtility reads like the real data. Sample k is a pure function of
(seed, k): the same seed gives byte-identical files, in any number of processes.
"""

import argparse
import glob
import io
import json
import multiprocessing
import os
import sys
from collections import Counter

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from crnn_utils import LOOK_ALIKES
from utils.atomic import write_text_atomic
from utils.synth.distort import distort
from utils.synth.hanja import HANJA_DICTIONARY
from utils.synth.text import HUNSPELL_KO, TextSource, as_kind, make_rng, parse_mix, parse_weights

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLED_FONT = os.path.join(ROOT, 'NanumBarunGothic.ttf')
# Korean print fonts of Debian's packages: fonts-nanum, -nanum-extra, -nanum-eco, -noto-cjk(-extra),
# -unfonts-core/-extra, -baekmuk, -naver-d2coding, -lexi-gulim, -lexi-saebom, -wqy-microhei (SIL OFL, GPL with or
# without font exception, Apache-2.0, or Baekmuk's BSD-style license; docs/data.md). Used for training, not bundled.
SYSTEM_FONT_GLOBS = tuple('/usr/share/fonts/**/%s.%s' % (name, ext) for name in
                          ('Nanum*', 'Un*', 'Noto*CJK*', 'D2Coding*', 'Lexi*', 'batang', 'dotum', 'gulim', 'hline',
                           'wqy-microhei')
                          for ext in ('ttf', 'ttc', 'otf'))
# Handwriting, brush, old-Hangul and jamo-composing fonts: not the print of documents.
HANDWRITING_FONTS = ('Brush', 'Pen', 'pen', 'Pilgi', 'Gungseo', 'Jamo', 'Yetgul', 'YetHangul')
# Fonts kept out of training so that accuracy is measured on unseen fonts (utils/synth/heldout.py).
HELDOUT_FONTS = ('batang.ttf', 'dotum.ttf', 'gulim.ttf', 'UnGraphic.ttf', 'UnGraphicBold.ttf', 'NanumSquareRoundR.ttf',
                 'NanumSquareRoundB.ttf', 'NanumSquareRoundL.ttf', 'NanumSquareRoundEB.ttf')
KINDS = ('문장', '단어(어절)', '글자(음절)')
MAX_TRIES = 20


def find_fonts(font_dir=None, system=True, heldout=False):
    """The bundled font, every font in ``font_dir`` and, if ``system``, the
    installed Korean print fonts except HELDOUT_FONTS; sorted so the list is
    stable. ``heldout``: only the installed HELDOUT_FONTS."""
    if heldout:
        found = {p for g in SYSTEM_FONT_GLOBS for p in glob.glob(g, recursive=True)}
        return sorted(p for p in found if os.path.basename(p) in HELDOUT_FONTS)
    fonts = [BUNDLED_FONT]
    if font_dir:
        found = [p for ext in ('ttf', 'otf', 'ttc') for p in glob.glob(os.path.join(font_dir, '*.' + ext))]
        if not found:
            raise ValueError('no .ttf/.otf/.ttc fonts in %s' % font_dir)
        fonts += sorted(found)
    if system:
        found = {p for g in SYSTEM_FONT_GLOBS for p in glob.glob(g, recursive=True)}
        fonts += sorted(p for p in found if not any(h in os.path.basename(p) for h in HANDWRITING_FONTS)
                        and os.path.basename(p) not in HELDOUT_FONTS + (os.path.basename(BUNDLED_FONT),))
    return fonts


def font_coverage(path):
    """Code points the font maps to a glyph (its cmap)."""
    from fontTools.ttLib import TTFont
    with TTFont(path, fontNumber=0, lazy=True) as f:
        return frozenset(f.getBestCmap() or ())


class Renderer:
    """Draws a text line with a font that has every one of its characters."""

    def __init__(self, fonts, size=(20, 30), padding=(2, 10), distortions=None):
        self.fonts = list(fonts)
        self.coverage = [font_coverage(p) for p in self.fonts]
        self.size = size
        self.padding = padding
        self.distortions = distortions or {}
        self._cache = {}

    def fonts_for(self, text):
        need = {ord(c) for c in text}
        return [i for i, cov in enumerate(self.coverage) if need <= cov]

    def _font(self, i, size):
        key = (i, size)
        if key not in self._cache:
            self._cache[key] = ImageFont.truetype(self.fonts[i], size)
        return self._cache[key]

    def render(self, text, font_index, rng, tracking=0.0):
        """(uint8 gray image, list of distortions applied); ``tracking``: extra space after every character, in
        ems (letter-spaced headings and old gulim-style documents)."""
        size = int(rng.integers(self.size[0], self.size[1] + 1))
        font = self._font(font_index, size)
        left, top, right, bottom = font.getbbox(text)
        ascent, descent = font.getmetrics()
        pad_x, pad_y = (int(v) for v in rng.integers(self.padding[0], self.padding[1] + 1, 2))
        extra = int(round(tracking * size))
        w, h = right - left + extra * (len(text) - 1) + 2 * pad_x, ascent + descent + 2 * pad_y
        paper, ink = int(rng.integers(200, 256)), int(rng.integers(0, 90))
        img = Image.new('L', (w, h), paper)
        draw = ImageDraw.Draw(img)
        if extra:
            x = pad_x - left
            for c in text:
                draw.text((x, pad_y), c, font=font, fill=ink)
                x += font.getlength(c) + extra
        else:
            draw.text((pad_x - left, pad_y), text, font=font, fill=ink)
        return distort(np.asarray(img), rng, self.distortions, ink)


def png_bytes(img):
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format='PNG', optimize=False, compress_level=6)
    return buf.getvalue()


def typeset(text, covered, rng):
    """``text`` as word processors print it: each mark that has look-alikes
    (crnn_utils.LOOK_ALIKES; spaces stay) drawn as one the font ``covered``,
    the same one throughout the line; quotes curled, opening at the start of
    the line or after a space or bracket, closing elsewhere."""
    chosen, out = {}, []
    for i, c in enumerate(text):
        if c in '"\'':
            opening = i == 0 or text[i - 1] in ' ([{<「『'
            variant = LOOK_ALIKES[c][0 if opening else 1]
            out.append(variant if ord(variant) in covered else c)
            continue
        if c not in chosen:
            variants = [v for v in LOOK_ALIKES.get(c, '') if c != ' ' and ord(v) in covered]
            chosen[c] = variants[int(rng.integers(len(variants)))] if variants else c
        out.append(chosen[c])
    return ''.join(out)


class SampleMaker:
    """Everything needed to make sample k; picklable for worker processes.
    ``look_alikes``: the share of lines drawn typeset (see typeset), and
    ``wide_spaces`` the share drawn with the wide word gaps of justified text
    (2-5 spaces), both labelled with the charset's characters and one space;
    ``letter_spacing`` the share drawn letter-spaced (0.15-0.6 em after each
    character), labelled without extra spaces."""

    def __init__(self, seed, kinds, source, renderer, look_alikes=0.0, wide_spaces=0.0, letter_spacing=0.0):
        self.seed, self.kinds, self.source, self.renderer = seed, kinds, source, renderer
        self.look_alikes, self.wide_spaces, self.letter_spacing = look_alikes, wide_spaces, letter_spacing

    def __call__(self, k):
        rng = make_rng(self.seed, k)
        nprng = np.random.default_rng([self.seed, k])
        kind = rng.choices([n for n, _ in self.kinds], weights=[w for _, w in self.kinds])[0]
        for attempt in range(MAX_TRIES):
            text, _ = self.source.draw(rng, self.seed * 7919 + k * 31 + attempt)
            text = as_kind(text, kind, rng) if text.strip() else text
            usable = self.renderer.fonts_for(text) if text.strip() else []
            if usable:
                break
        else:
            raise ValueError('sample %d: no font covers any of %d drawn texts' % (k, MAX_TRIES))
        font_index = usable[int(nprng.integers(len(usable)))]
        drawn = text
        layout = np.random.default_rng([self.seed, k, 1])  # apart from the other draws, so they stay as they were
        if self.look_alikes and layout.random() < self.look_alikes:
            drawn = typeset(drawn, self.renderer.coverage[font_index], layout)
        if self.wide_spaces and ' ' in text and layout.random() < self.wide_spaces:
            drawn = drawn.replace(' ', ' ' * int(layout.integers(2, 6)))
        tracking = 0.0
        if self.letter_spacing and layout.random() < self.letter_spacing:  # drawn last: older sets stay as they were
            tracking = float(layout.uniform(0.15, 0.6))
        img, applied = self.renderer.render(drawn, font_index, nprng, tracking)
        return dict(k=k, text=text, kind=kind, font=os.path.basename(self.renderer.fonts[font_index]),
                    is_aug=bool(applied), png=png_bytes(img), width=img.shape[1], height=img.shape[0],
                    redrawn=attempt)


_MAKER = None


def _init_worker(maker):
    global _MAKER
    _MAKER = maker


def _make(k):
    return _MAKER(k)


def read_existing(json_path):
    with open(json_path, encoding='utf-8') as f:
        gt = json.load(f)
    ids = [int(x['id']) for x in gt['images']] + [int(x['id']) for x in gt['annotations']]
    return gt, (max(ids) + 1 if ids else 1)


def generate(out, count, maker, json_name='korean_printed_sentence.json', image_dir='printed',
             append=False, drop_images=0, workers=1, progress=True):
    """Make ``count`` samples into ``out``; returns a summary dict."""
    json_path = os.path.join(out, json_name)
    img_dir = os.path.join(out, image_dir)
    os.makedirs(img_dir, exist_ok=True)
    if os.path.exists(json_path) and not append:
        raise ValueError('%s exists: pass --append to add to it, or choose another --out' % json_path)
    if append and os.path.exists(json_path):
        gt, first_id = read_existing(json_path)
    else:
        gt, first_id = {'info': {'name': 'Korean text lines (synthetic, utils.synth)', 'version': '1.0'},
                        'images': [], 'annotations': [],
                        'licenses': [{'name': 'generated by utils.synth', 'fonts': 'SIL Open Font License 1.1'}]}, 1
    gt['info'].setdefault('seeds', []).append(maker.seed)
    drop = set(np.random.default_rng([maker.seed, 99]).choice(count, size=min(drop_images, count), replace=False)
               .tolist()) if drop_images else set()
    stats = Counter()
    ks = range(first_id, first_id + count)
    pool = multiprocessing.get_context('fork').Pool(workers, _init_worker, (maker,)) if workers > 1 else None
    results = pool.imap(_make, ks, chunksize=16) if pool else map(maker, ks)
    try:
        from tqdm import tqdm
        for j, r in enumerate(tqdm(results, total=count, disable=not progress, desc='synth', file=sys.stderr)):
            name = '%08d' % r['k']
            file_name = name + '.png'
            if j in drop:
                stats['missing_image'] += 1
            else:
                with open(os.path.join(img_dir, file_name), 'wb') as f:
                    f.write(r['png'])
            gt['images'].append({'id': name, 'width': r['width'], 'height': r['height'], 'file_name': file_name})
            gt['annotations'].append({'id': name, 'image_id': name, 'text': r['text'],
                                      'attributes': {'font': r['font'], 'type': r['kind'], 'is_aug': r['is_aug']}})
            stats[r['kind']] += 1
            stats['redrawn_for_font'] += r['redrawn']
            stats['is_aug'] += r['is_aug']
    finally:
        if pool:
            pool.close()
            pool.join()
    write_text_atomic(json_path, json.dumps(gt, ensure_ascii=False, indent=1) + '\n')
    return dict(stats, json=json_path, first_id=first_id, total=len(gt['images']))


def parse_args(argv=None):
    from utils.cli import HelpFormatter
    p = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    a = p.add_argument
    a('--out', required=True, help='dataset folder (JSON + image folder)')
    a('--count', type=int, required=True, help='lines to make')
    a('--seed', type=int, default=0, help='sample k is a pure function of (seed, k)')
    a('--kinds', default='문장', help="sample kinds with weights, e.g. '문장:0.9,단어(어절):0.05,글자(음절):0.05'")
    a('--source', default='contract:0.7,random:0.3', help="text sources with weights: contract, corpus (bundled "
      "public-domain documents), manual (LibreOffice's Korean help), words (of --dictionary), confusable, hanja "
      "(documents' nouns with their hanja, from libhangul-data), numbers, marks, random, file")
    a('--text-file', help="UTF-8 text, one line per sample, for the 'file' source")
    a('--dictionary', default=HUNSPELL_KO, help="hunspell .dic file of the 'words' source (Debian: hunspell-ko)")
    a('--hanja-dictionary', default=HANJA_DICTIONARY, help="libhangul hanja.txt of the 'hanja' source (Debian: "
      "libhangul-data)")
    a('--max-chars', type=int, default=10, help='longest line in characters (10 fits 256x32 unsqueezed)')
    a('--min-chars', type=int, default=2, help="shortest length a line aims at (its length is drawn from "
      "min..max; 'contract' and 'file' lines are kept whole up to max)")
    a('--fonts', help='folder of extra .ttf/.otf fonts')
    a('--no-system-fonts', action='store_true', help='only the bundled font (and --fonts)')
    a('--font-size', default='20:30', help='font size range in px, min:max')
    a('--padding', default='2:10', help='padding range in px, min:max')
    a('--blur', type=float, default=0.15, help='probability of a Gaussian blur')
    a('--noise', type=float, default=0.15, help='probability of pixel noise')
    a('--rotate', type=float, default=0.1, help='probability of a slight rotation')
    a('--perspective', type=float, default=0.1, help='probability of a slight perspective warp')
    a('--jpeg', type=float, default=0.1, help='probability of JPEG artifacts')
    a('--rules', type=float, default=0.05, help='probability of underline/table rules')
    a('--look-alikes', type=float, default=0.2, help="share of lines drawn as word processors print them: curly "
      "quotes, other middle dots and tildes (labelled with the charset's characters)")
    a('--wide-spaces', type=float, default=0.1, help='share of lines drawn with the wide word gaps of justified '
      'text (labelled with one space)')
    a('--letter-spacing', type=float, default=0.0, help='share of lines drawn letter-spaced (0.15-0.6 em after each '
      "character, as spaced-out headings print; labelled without extra spaces)")
    a('--json-name', default='korean_printed_sentence.json', help='annotation file written in --out')
    a('--image-dir', default='printed', help='image folder written in --out')
    a('--append', action='store_true', help='add to an existing dataset, ids continue')
    a('--drop-images', type=int, default=0, help='leave N image files out (like AI Hub entries without files)')
    a('--workers', type=int, default=os.cpu_count() or 1, help='processes rendering lines')
    a('--no-progress', action='store_true', help='no progress bar on stderr')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    lines = None
    if args.text_file:
        with open(args.text_file, encoding='utf-8') as f:
            lines = [' '.join(l.split()) for l in f if l.strip()]
    mix = parse_mix(args.source)
    size = tuple(int(v) for v in args.font_size.split(':'))
    padding = tuple(int(v) for v in args.padding.split(':'))
    probs = {k: getattr(args, k) for k in ('blur', 'noise', 'rotate', 'perspective', 'jpeg', 'rules')}
    renderer = Renderer(find_fonts(args.fonts, system=not args.no_system_fonts), size, padding, probs)
    source = TextSource(mix, lines, args.max_chars, args.min_chars, dictionary=args.dictionary,
                        hanja_dictionary=args.hanja_dictionary)
    maker = SampleMaker(args.seed, parse_weights(args.kinds, KINDS, 'kind'), source, renderer, args.look_alikes,
                        args.wide_spaces, args.letter_spacing)
    stats = generate(args.out, args.count, maker, args.json_name, args.image_dir, args.append,
                     args.drop_images, args.workers, progress=not args.no_progress)
    print('wrote %(json)s: %(total)d entries in all, ids from %(first_id)08d' % stats)
    print('kinds: %s; distorted %d; texts redrawn for font coverage %d; entries without image %d; fonts %d'
          % (', '.join('%s %d' % (k, stats.get(k, 0)) for k in KINDS if stats.get(k)), stats.get('is_aug', 0),
             stats.get('redrawn_for_font', 0), stats.get('missing_image', 0), len(renderer.fonts)))
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
