"""Peak memory of reading one large page image: CRNN_predict.py --page as a whole process.

    python bench/bench_page_memory.py [--work /tmp/page_memory]

The bundled sample page (pages/contract_page1.jpg) scaled to an A4 scan at
600 dpi (35 MP, read whole), a 144 MP PNG (over utils.page_files.MAX_PIXELS:
downscaled), a 900 MP JPEG (30000 x 30000: decoded reduced in the DCT) and a
900 MP PNG (refused with one error line, never decoded). Reported per image:
exit code, lines read, peak resident memory of the process (its VmHWM),
wall time. BENCHMARKS.md section 'page_memory'.
"""
import argparse
import os
import subprocess
import sys
import time

from harness import PEAK_MB, ROOT, report

SIZES = [('A4 at 600 dpi, PNG', (4960, 7016), 'png'), ('144 MP, PNG', (10000, 14400), 'png'),
         ('30000 x 30000 (900 MP), JPEG', (30000, 30000), 'jpg'), ('30000 x 30000 (900 MP), PNG', (30000, 30000), 'png')]
PEAK = PEAK_MB + (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('peak_mb', peak_mb(), file=sys.stderr))\n"
    "sys.argv = ['CRNN_predict.py'] + sys.argv[1:]\n"
    "runpy.run_path('CRNN_predict.py', run_name='__main__')\n")


def make_image(path, size):
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(os.path.join(ROOT, 'pages', 'contract_page1.jpg')) as page:
        page.convert('L').resize(size, Image.NEAREST).save(path, quality=90)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work', default='/tmp/page_memory', help='folder for the generated images')
    args = p.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    rows = ['| image | exit code | lines read | peak RSS MB | seconds |', '|---|---|---|---|---|']
    for name, size, ext in SIZES:
        path = os.path.join(args.work, '%dx%d.%s' % (size[0], size[1], ext))
        if not os.path.exists(path):
            make_image(path, size)
        t = time.perf_counter()
        r = subprocess.run([sys.executable, '-c', PEAK, '--page', path], cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        peak = [line.split()[1] for line in r.stderr.splitlines() if line.startswith('peak_mb ')]
        lines = len([line for line in r.stdout.splitlines() if line.strip()])
        rows.append('| %s | %d | %d | %.0f | %.1f |' % (name, r.returncode, lines, float(peak[0]) if peak else -1,
                                                       seconds))
        print(name, r.returncode, r.stderr.strip().splitlines()[-2:], flush=True)
    rows += ['', 'Whole processes with the default engine (ONNX Runtime, graph cached), one after another. The images '
             'are the bundled sample page scaled (nearest neighbour) to each size. Exit code 2 with one error line is '
             'the refusal of an image that would have to be decoded whole. Peak memory is bounded by '
             'utils.page_files.MAX_PIXELS, whatever the file\'s size; seconds are wall time of the whole process.']
    report('page_memory', 'Page reading: peak memory on large images', 'python bench/bench_page_memory.py', rows)


if __name__ == '__main__':
    main()
