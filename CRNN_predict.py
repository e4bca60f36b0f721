#!/usr/bin/env python
"""Recognize text-line images with a trained CRNN, or evaluate it on a dataset.

    python CRNN_predict.py line1.png scans/lines/          (the shipped model)
    python CRNN_predict.py --run checkpoints/<run> line1.png scans/lines/
    python CRNN_predict.py --weights w.h5 --charset charset.json --output out.csv images/
    python CRNN_predict.py --run checkpoints/<run> --data-dir . --types 문장
    python CRNN_predict.py --run checkpoints/<run> --export exported/

Recognition prints ``path<TAB>text`` per image. Evaluation prints CER, NED and
line accuracy; its last line is ``CER <x> NED <y> ACC <z>``.
"""

import argparse
import csv
import json
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
SHIPPED = 'CRNN_weights_korean_v1.h5'


def width_arg(value):
    """'any' -> 0 (per-line widths), else a positive pixel count."""
    if value == 'any':
        return 0
    if not value.isdigit() or int(value) < 16:
        raise argparse.ArgumentTypeError("give 'any' or a width in pixels (>= 16), not %r" % value)
    return int(value)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a('inputs', nargs='*', help='image files or folders (one text line per image)')
    a('--run', help='run folder: checkpoints/<time>_<experiment>/ (default: the shipped model, %s)' % SHIPPED)
    a('--weights', help='.h5 weights (default: the run\'s final_weights.h5, or the shipped model\'s)')
    a('--charset', help='charset.json (default: the run\'s, or the shipped model\'s)')
    a('--width', type=width_arg, help="input width: 'any' (each line the width that holds it), or pixels "
      "(lines squeezed to fit); default: the run's own, 'any' for a weights file")
    a('--height', type=int, default=32)
    a('--batch-size', type=int, default=64)
    a('--beam-width', type=int, default=0, help='beam search width (0: greedy)')
    a('--output', help='also write results to a .csv or .json file')
    a('--data-dir', help='evaluate on an AI-Hub-format dataset instead')
    a('--json', default='korean_printed_sentence.json')
    a('--image-dir', default='printed')
    a('--types', default='문장')
    a('--export', metavar='DIR', help='export the model (SavedModel and ONNX, charset beside) to DIR instead')
    a('--formats', default='saved_model,onnx', help='export formats: saved_model, onnx')
    return p.parse_args(argv)


def list_images(inputs):
    """Image files named or inside named folders, sorted per folder."""
    paths = []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(os.path.join(item, f) for f in os.listdir(item) if f.lower().endswith(IMAGE_EXTENSIONS))
            if not found:
                raise ValueError('no images (%s) in folder %s' % ('/'.join(IMAGE_EXTENSIONS), item))
            paths += found
        elif os.path.isfile(item):
            paths.append(item)
        else:
            raise ValueError('no such file or folder: %s' % item)
    return paths


def recognize(model_pred, charset, paths, input_size, batch_size=64, beam_width=0, progress=True):
    """Texts of the line images at ``paths``, in order, batch by batch. With
    width None each line gets the narrowest input width that holds it
    (crnn_data.INFERENCE_WIDTHS), lines of one width batched together."""
    import numpy as np
    from tqdm import tqdm
    from crnn_data import load_input, load_inputs_any_width
    from crnn_utils import decode_batch
    width, height = input_size
    texts = [None] * len(paths)
    bar = tqdm(total=len(paths), disable=not progress or len(paths) < 2 * batch_size, file=sys.stderr)
    chunk_size = batch_size if width else 8 * batch_size
    for start in range(0, len(paths), chunk_size):
        chunk = paths[start:start + chunk_size]
        if width:
            groups = {width: (range(len(chunk)), np.stack([load_input(p, width, height) for p in chunk]))}
        else:
            groups = load_inputs_any_width(chunk, height)
        for positions, rows in groups.values():
            for b in range(0, len(rows), batch_size):
                decoded = decode_batch(model_pred.predict_on_batch(rows[b:b + batch_size]), charset, beam_width)
                for j, text in zip(positions[b:b + batch_size], decoded):
                    texts[start + j] = text
        bar.update(len(chunk))
    bar.close()
    return texts


def write_output(path, rows, fields):
    if path.endswith('.json'):
        with open(path, 'w', encoding='utf-8') as f:
            json.dump([dict(zip(fields, r)) for r in rows], f, ensure_ascii=False, indent=1)
    else:
        with open(path, 'w', encoding='utf-8', newline='') as f:
            w = csv.writer(f)
            w.writerow(fields)
            w.writerows(rows)


def main(argv=None):
    args = parse_args(argv)
    if not args.inputs and not args.data_dir and not args.export:
        raise ValueError('give image files/folders, --data-dir to evaluate, or --export DIR')
    from crnn_utils import recognition_metrics
    from utils.run import load_recognizer
    model_pred, charset, size = load_recognizer(args.run, args.weights, args.charset, args.width, args.height)
    if args.export:
        from utils.export import export_recognizer
        for kind, path in export_recognizer(model_pred, charset, args.export, args.formats.split(',')).items():
            print('%s\t%s' % (kind, path))
        return 0
    if args.data_dir:
        from crnn_data import GTUtility
        gtu = GTUtility(args.data_dir, json_file=args.json, image_dir=args.image_dir, types=args.types, verbose=False)
        paths = [os.path.join(gtu.image_path, n) for n in gtu.image_names]
        preds = recognize(model_pred, charset, paths, size, args.batch_size, args.beam_width)
        gts = gtu.texts()
        if args.output:
            write_output(args.output, list(zip(paths, gts, preds)), ['path', 'gt', 'text'])
        m = recognition_metrics(gts, preds)
        print('%d lines from %s' % (len(gts), gtu.json_path))
        print('CER %.4f NED %.4f ACC %.4f' % (m['cer'], m['ned'], m['acc']))
        return 0
    paths = list_images(args.inputs)
    texts = recognize(model_pred, charset, paths, size, args.batch_size, args.beam_width)
    for p, t in zip(paths, texts):
        print('%s\t%s' % (p, t))
    if args.output:
        write_output(args.output, list(zip(paths, texts)), ['path', 'text'])
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
