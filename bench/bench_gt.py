"""Benchmark: GTUtility on an AI-Hub-scale annotation file, JSON to train/val split.

    python bench/bench_gt.py [--annotations 530000] [--sentences 40000] [--repeats 3]

Writes a JSON in AI Hub's schema with ``--annotations`` entries of all three
types (``--sentences`` of them 문장) and an empty placeholder file for each
sentence image (GTUtility only checks that files exist), then times, in a
fresh process each repeat, GTUtility(types='문장') + split(0.8), and reads
that process's peak resident memory. Writes BENCHMARKS.md section 'gt'.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from harness import PEAK_MB, ROOT, write_section

TYPES = ('문장', '단어(어절)', '글자(음절)')

MEASURE = PEAK_MB + r'''
import json, sys, time
sys.path.insert(0, sys.argv[2])
from crnn_gt import GTUtility

before = peak_mb()
t = time.perf_counter()
gtu = GTUtility(sys.argv[1], types='문장', verbose=False)
train, val = gtu.split(0.8)
seconds = time.perf_counter() - t
print(json.dumps({'seconds': seconds, 'samples': gtu.num_samples, 'train': train.num_samples,
                  'val': val.num_samples, 'peak_mb': peak_mb(), 'before_mb': before}))
'''


def write_dataset(out, annotations, sentences):
    """AI-Hub-schema JSON: sentences first-class, the rest words and syllables."""
    images, anns = [], []
    text = '제1조(목적) 이 계약은 갑과 을 사이의 권리와 의무를 정한다'
    for k in range(annotations):
        kind = TYPES[0] if k < sentences else TYPES[1 + k % 2]
        image_id = '%08d' % k
        images.append({'id': image_id, 'width': 600 if kind == TYPES[0] else 80, 'height': 40,
                       'file_name': image_id + '.png', 'date_captured': '2019-08-01 00:00:00'})
        anns.append({'id': image_id, 'image_id': image_id, 'text': text[:(k % 30) + 1] if kind != TYPES[2] else '계',
                     'attributes': {'font': '나눔바른고딕', 'type': kind, 'is_aug': False}})
    gt = {'info': {'name': 'benchmark', 'date_created': '2019-08-01'}, 'images': images,
          'annotations': anns, 'licenses': []}
    with open(os.path.join(out, 'korean_printed_sentence.json'), 'w', encoding='utf-8') as f:
        json.dump(gt, f, ensure_ascii=False)
    os.makedirs(os.path.join(out, 'printed'))
    for k in range(sentences):
        open(os.path.join(out, 'printed', '%08d.png' % k), 'wb').close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--annotations', type=int, default=530000)
    p.add_argument('--sentences', type=int, default=40000)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_dataset(tmp, args.annotations, args.sentences)
        size_mb = os.path.getsize(os.path.join(tmp, 'korean_printed_sentence.json')) / 2**20
        print('wrote %.0f MB JSON in %.1f s' % (size_mb, time.perf_counter() - t))
        runs = [json.loads(subprocess.run([sys.executable, '-c', MEASURE, tmp, ROOT], check=True,
                                          capture_output=True, text=True).stdout) for _ in range(args.repeats)]
    assert all(r['samples'] == args.sentences for r in runs), runs
    secs = [r['seconds'] for r in runs]
    r = runs[0]
    table = ['| step | median s | min | max | peak RSS MB | RSS before MB |', '|---|---|---|---|---|---|',
             '| GTUtility(types=문장) + split(0.8) | %.2f | %.2f | %.2f | %.0f | %.0f |'
             % (statistics.median(secs), min(secs), max(secs), statistics.median(x['peak_mb'] for x in runs),
                r['before_mb']),
             '',
             '%d annotations (%d 문장, the rest 단어(어절)/글자(음절)), %.0f MB of JSON; %d sentence images present '
             '(empty placeholders); split %d / %d; %d fresh processes.'
             % (args.annotations, args.sentences, size_mb, args.sentences, r['train'], r['val'], args.repeats)]
    print('\n'.join(table))
    command = ' '.join(['python bench/bench_gt.py'] + sys.argv[1:])
    write_section('gt', 'Annotation loading (GTUtility)', command, table)


if __name__ == '__main__':
    main()
