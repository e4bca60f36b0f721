"""Average Keras 2 .h5 weights files of one model into one file.

    python -m utils.average_weights OUT.h5 RUN/weights.013.h5 ... RUN/weights.017.h5

Checkpoint averaging: the mean of a run's last epochs often reads better
than any one of them (v3's training started from the mean of v2's last five
epochs; README section 11).
"""
import argparse
import sys

from utils.cli import HelpFormatter
from utils.quiet import import_keras


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='python -m utils.average_weights', description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument('out', help='the averaged .h5 file to write')
    p.add_argument('weights', nargs='+', help='two or more .h5 weights files of one model')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import_keras()
    from utils.h5weights import average_weights_h5
    try:
        average_weights_h5(args.weights, args.out)
    except (ValueError, OSError) as e:
        print('error: %s' % e, file=sys.stderr)
        return 1
    print('wrote %s: the mean of %d weights files' % (args.out, len(args.weights)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
