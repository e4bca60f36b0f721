#!/usr/bin/env python
"""Convert your own line images with a ``file<TAB>text`` label file into AI Hub's layout.

    python CRNN_labels.py my_lines/labels.txt --out my_data --charset checkpoints/<run>

One image per line, its path relative to the label file. Every bad line is
reported with its line number and nothing is written. With --charset, the
characters the charset lacks are listed (train with --extend-charset to add
them). Then fine-tune, e.g.:

    python CRNN_training.py --data-dir my_data --json custom_lines.json --image-dir images \\
        --weights checkpoints/<run>/final_weights.h5 --charset checkpoints/<run> --extend-charset \\
        --freeze conv1_1,conv2_1,conv3_1,conv3_2 --mix 0.2
"""

import argparse
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a('labels', help='label file: image path <TAB> text, one per line (UTF-8)')
    a('--out', required=True, help='folder to create (must not exist)')
    a('--json', default='custom_lines.json', help='name of the annotation file in --out')
    a('--image-dir', default='images', help='name of the image folder in --out')
    a('--charset', help="charset.json or run folder: report the characters it lacks")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from crnn_utils import describe_chars, load_charset
    from utils.labels import convert_label_file, missing_chars

    charset = load_charset(args.charset) if args.charset else None
    texts = convert_label_file(args.labels, args.out, args.json, args.image_dir)
    print('wrote %d lines: %s, %s/' % (len(texts), os.path.join(args.out, args.json),
                                       os.path.join(args.out, args.image_dir)))
    if charset is not None:
        missing = missing_chars(texts, charset)
        if missing:
            lines = sum(any(c in missing for c in t) for t in texts)
            print('%d characters in %d lines are not in %s: %s' % (len(missing), lines, args.charset,
                                                                    describe_chars(missing, limit=30)))
            print('train with --charset %s --extend-charset to add them' % args.charset)
        else:
            print('every character is in %s' % args.charset)
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
