"""Average Keras 2 .h5 weights files of one model into one file.

    python -m utils.weights.average OUT.h5 RUN/weights.013.h5 ... RUN/weights.017.h5

Checkpoint averaging: the mean of a run's last epochs often reads better
than any one of them (v3's training started from the mean of v2's last five
epochs; docs/model_card.md).
"""
import argparse
import shutil
import sys

import h5py
import numpy as np

from utils.atomic import atomic_write
from utils.cli import HelpFormatter, import_keras
from utils.weights.h5 import _text, _weights_root, is_keras3_file, read_weights_h5


def average_weights_h5(paths, out):
    """Write the element-wise mean of several weights files of one model to
    ``out`` (checkpoint averaging: the last epochs of a run average to weights
    that often read better than any one of them). Every file must hold the
    same layers with the same shapes; ``out`` keeps the first file's layout
    and storage dtype."""
    if len(paths) < 2:
        raise ValueError('give at least two weights files to average, not %d' % len(paths))
    for p in paths:
        if is_keras3_file(p):
            raise ValueError('%s is a Keras 3 file; averaging reads Keras 2 .h5 weights' % p)
    stored = [read_weights_h5(p) for p in paths]
    first = stored[0]
    for p, s in zip(paths[1:], stored[1:]):
        if sorted(s) != sorted(first):
            raise ValueError('%s has layers %s, %s has %s' % (p, sorted(s), paths[0], sorted(first)))
        for name, values in first.items():
            shapes, other = [v.shape for v in values], [v.shape for v in s[name]]
            if shapes != other:
                raise ValueError('layer %r: %s has shapes %s, %s has %s' % (name, p, other, paths[0], shapes))
    with atomic_write(out) as tmp:
        shutil.copyfile(paths[0], tmp)
        with h5py.File(tmp, 'r+') as f:
            root = _weights_root(f)
            for name, values in first.items():
                for i, wname in enumerate(np.atleast_1d(root[name].attrs['weight_names'])):
                    if np.issubdtype(values[i].dtype, np.floating):
                        mean = np.mean([s[name][i].astype(np.float64) for s in stored], axis=0)
                        root[name][_text(wname)][...] = mean
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='python -m utils.weights.average', description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument('out', help='the averaged .h5 file to write')
    p.add_argument('weights', nargs='+', help='two or more .h5 weights files of one model')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import_keras()
    try:
        average_weights_h5(args.weights, args.out)
    except (ValueError, OSError) as e:
        print('error: %s' % e, file=sys.stderr)
        return 1
    print('wrote %s: the mean of %d weights files' % (args.out, len(args.weights)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
