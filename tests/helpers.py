"""What the tests share: tiny AI-Hub-style datasets with real PNG files, and one
runner for the command-line tools in real subprocesses."""
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FONT = os.path.join(ROOT, 'NanumBarunGothic.ttf')
# CLI runs about plumbing use the original's exact speed setting; the 'auto' choice has its own tests
ORIGINAL_SPEED = ['--precision', 'float32', '--jit-compile', 'off']


def tool_command(tool, args):
    """argv of a tool: a script of the repo ('CRNN_training.py') or a module ('-m utils.synth')."""
    head = ['-m', tool[3:]] if tool.startswith('-m ') else [os.path.join(ROOT, tool)]
    return [sys.executable] + head + [str(a) for a in args]


def tool_env(env=None):
    """This process's environment, unbuffered, with ``env`` on top (a value None removes the variable)."""
    out = dict(os.environ, PYTHONUNBUFFERED='1')
    for k, v in (env or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def run_tool(tool, *args, cwd=ROOT, env=None, timeout=300, **kw):
    """Run one of the repo's command-line tools to its end; a CompletedProcess with text stdout and stderr."""
    kw.setdefault('capture_output', 'stdout' not in kw and 'stderr' not in kw)
    return subprocess.run(tool_command(tool, args), cwd=cwd, env=tool_env(env), text=True, timeout=timeout, **kw)


def start_tool(tool, *args, cwd=ROOT, env=None):
    """Start one of the repo's command-line tools (Popen, pipes for stdout and stderr) for a test to signal."""
    return subprocess.Popen(tool_command(tool, args), cwd=cwd, env=tool_env(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(predicate, p, timeout=240):
    """Poll ``predicate`` until it holds; fails at once if process ``p`` ends first, or after ``timeout`` s."""
    deadline = time.time() + timeout
    while not predicate():
        assert p.poll() is None, p.communicate()[1][-2000:]
        assert time.time() < deadline, 'timed out'
        time.sleep(0.05)


def tensorflow_loaded(p):
    """Whether process ``p`` has mapped TensorFlow's library: it is importing TensorFlow (Linux's /proc)."""
    with open('/proc/%d/maps' % p.pid) as f:
        return 'libtensorflow' in f.read()


def only_run(root):
    """The one run folder under a --checkpoint-root."""
    [run] = os.listdir(root)
    return os.path.join(root, run)


def render_line(path, text, size=24):
    font = ImageFont.truetype(FONT, size)
    l, t, r, b = font.getbbox(text)
    img = Image.new('L', (r - l + 8, size + 12), 255)
    ImageDraw.Draw(img).text((4 - l, 4), text, font=font, fill=0)
    img.save(path)
    return img.size


def write_aihub(root, entries, json_name='korean_printed_sentence.json', image_dir='printed',
                shuffle_annotations=True):
    """entries: (id, text, type, has_file). Annotations are written in reverse
    order so a reader must join by image_id, not by position."""
    os.makedirs(os.path.join(root, image_dir), exist_ok=True)
    images, anns = [], []
    for img_id, text, kind, has_file in entries:
        name = '%s.png' % img_id
        w, h = 100, 32
        if has_file:
            w, h = render_line(os.path.join(root, image_dir, name), text)
        images.append({'id': img_id, 'width': w, 'height': h, 'file_name': name})
        anns.append({'id': img_id, 'image_id': img_id, 'text': text,
                     'attributes': {'font': 'NanumBarunGothic', 'type': kind, 'is_aug': False}})
    if shuffle_annotations:
        anns = anns[::-1]
    gt = {'info': {'name': 'test'}, 'images': images, 'annotations': anns, 'licenses': []}
    with open(os.path.join(root, json_name), 'w', encoding='utf-8') as f:
        json.dump(gt, f, ensure_ascii=False)
    return gt


SENTENCES = ['계약기간은 1년', '갑은 을에게', '대금을 지급한다.', '제3조 (목적)', '본 계약은 유효',
             '서명 날인한다.', '위약금 100,000원', '잔금 지급일', '임대인 김철수', '보증금 500원']


def random_probs(shape, seed=0):
    x = np.random.default_rng(seed).random(shape).astype(np.float32)
    return x / x.sum(-1, keepdims=True)
