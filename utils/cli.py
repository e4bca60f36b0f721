"""The shared entry point of the command-line tools."""

import argparse
import signal
import sys


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written, and every flag's default after its help."""


def _terminate(signum, frame):
    raise KeyboardInterrupt(signum)


def run_cli(main):
    """Run ``main()`` and exit with its status; a user's mistake (bad data,
    file or value) becomes one 'error: ...' line on stderr and exit code 2.
    Ctrl-C (SIGINT) or SIGTERM at any moment: one line, exit 130 or 143,
    no traceback (training handles them itself, see utils.training.StopOnSignal)."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:  # crnn_gt.DataError is a ValueError
        print('error: %s' % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as e:
        signum = getattr(e, 'signum', None) or (e.args[0] if e.args and isinstance(e.args[0], int) else signal.SIGINT)
        print('interrupted (%s)' % signal.Signals(signum).name, file=sys.stderr, flush=True)
        sys.exit(128 + signum)
