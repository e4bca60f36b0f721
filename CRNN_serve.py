#!/usr/bin/env python
"""A local web page to check and correct readings, and turn the corrections into fine-tuning data.

    python CRNN_serve.py                      # http://127.0.0.1:<a free port>/ (printed once the model is loaded)
    python CRNN_serve.py --port 8000 --out corrections

Drop a scan or a PDF on the page: every line's box is drawn over it, coloured by confidence, with its reading
beside it; click a line to see it large and fix its text; 'export' writes the lines as crops and a
file<TAB>text label file under --out (and downloads them as a zip), ready for

    python CRNN_labels.py corrections/<export>/labels.txt --out my_data --charset CRNN_charset_korean_v8.json

The HTTP API beside it: POST /api/read (multipart field 'file', optional 'page') answers the JSON record of
CRNN_predict.py --output x.json (docs/serve.md). It listens on localhost only unless --host says otherwise.
"""

import argparse
import os
import socket

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')


def parse_args(argv=None):
    from utils.cli import HelpFormatter
    from utils.lm import DEFAULT_DECODING, DEFAULT_LM, LANGUAGE_MODELS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    a = p.add_argument
    a('--host', default='127.0.0.1', help='address to listen on (another address than localhost opens the page, '
      'and what people upload, to the network)')
    a('--port', type=int, default=0, help='port (0: a free one, printed)')
    a('--out', default='corrections', help='folder the exports are written to')
    a('--run', help='run folder to read with (default: the shipped model)')
    a('--weights', help='.h5 weights (with --charset)')
    a('--charset', help='charset.json of --weights')
    a('--lm', nargs='?', const=DEFAULT_LM, default=DEFAULT_DECODING, choices=sorted(LANGUAGE_MODELS),
      help='language model for the lines the recognizer is unsure of')
    a('--no-lm', dest='lm', action='store_const', const=None, help='greedy decoding of every line')
    a('--dpi', type=int, default=150, help='resolution PDF pages are rendered at')
    a('--max-upload-mb', type=int, default=50, help='largest upload accepted, in MB')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise ValueError('--port %d is not a port (0-65535)' % args.port)
    if args.max_upload_mb < 1:
        raise ValueError('--max-upload-mb must be at least 1')
    import uvicorn
    from crnn_reader import Reader
    from utils.serve.app import create_app
    sock = socket.socket(socket.AF_INET6 if ':' in args.host else socket.AF_INET)
    try:
        sock.bind((args.host, args.port))
    except OSError as e:
        raise ValueError('cannot listen on %s:%d (%s)' % (args.host, args.port, e.strerror or e)) from None
    os.makedirs(args.out, exist_ok=True)
    reader = Reader(run=args.run, weights=args.weights, charset=args.charset, lm=args.lm, dpi=args.dpi)
    app = create_app(reader, os.path.abspath(args.out), args.max_upload_mb << 20)
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    host, port = sock.getsockname()[:2]
    print('serving on http://%s:%d/ (exports in %s; Ctrl-C stops)' % (
        '[%s]' % host if ':' in host else host, port, os.path.abspath(args.out)), flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning'))
    server.run(sockets=[sock])
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
