"""The correction page's reading time against the command line's, on the bundled sample page.

    python bench/bench_serve.py [--repeat 5] [--no-write]

Side by side in one run: the Reader in this process (read_page, the model loaded once), POST /api/read to a
CRNN_serve.py process (upload, read, JSON; the model loaded once at start), and whole `CRNN_predict.py --page`
processes (start-up and model load included). Medians of --repeat; BENCHMARKS.md section 'serve'.
"""
import argparse
import os
import re
import subprocess
import sys
import time

from harness import ROOT, report

PAGE = os.path.join(ROOT, 'pages', 'contract_page1.jpg')


def median_seconds(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--no-write', action='store_true', help='print only, leave BENCHMARKS.md as it is')
    args = p.parse_args()
    import requests
    from crnn_reader import Reader

    reader = Reader()
    reader.read_page(PAGE)  # warm: graph built, language model loaded
    in_process = median_seconds(lambda: reader.read_page(PAGE), args.repeat)

    server = subprocess.Popen([sys.executable, 'CRNN_serve.py', '--port', '0', '--out', '/tmp/bench_serve'],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r'http://\S+/', server.stdout.readline()).group(0)

        def post():
            with open(PAGE, 'rb') as f:
                r = requests.post(url + 'api/read', files={'file': ('page.jpg', f)}, timeout=300)
            r.raise_for_status()
        post()
        served = median_seconds(post, args.repeat)
    finally:
        server.terminate()
        server.wait()
    cli = median_seconds(lambda: subprocess.run([sys.executable, 'CRNN_predict.py', '--page', PAGE], cwd=ROOT,
                                                capture_output=True, check=True), args.repeat)
    lines = ['| how | seconds for the sample page (median of %d) | vs the Reader |' % args.repeat, '|---|---|---|',
             '| Reader.read_page, model loaded | %.2f | 1.00x |' % in_process,
             '| POST /api/read to CRNN_serve.py (upload, read, JSON) | %.2f | %.2fx |' % (served, served / in_process),
             '| CRNN_predict.py --page, whole process | %.2f | %.2fx |' % (cli, cli / in_process),
             '', 'The page answers in the Reader\'s time plus the upload and the JSON; the command line adds its '
             'start-up and model load to every page.']
    report('serve', 'Correction page: reading time of the sample page', 'python bench/bench_serve.py', lines,
           not args.no_write)


if __name__ == '__main__':
    main()
