"""The shared entry point of the command-line tools."""

import sys


def run_cli(main):
    """Run ``main()`` and exit with its status; a user's mistake (bad data,
    file or value) becomes one 'error: ...' line on stderr and exit code 2."""
    from crnn_gt import DataError
    try:
        sys.exit(main())
    except (DataError, ValueError, OSError) as e:
        print('error: %s' % e, file=sys.stderr)
        sys.exit(2)
