"""Write one benchmark's table into BENCHMARKS.md, with machine, date and command."""
import datetime
import os
import platform
import re

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'BENCHMARKS.md')


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return '%s, %d cores, Python %s' % (cpu, os.cpu_count() or 0, platform.python_version())


def write_section(key, title, command, lines):
    """Replace (or add) the section marked <!-- key --> in BENCHMARKS.md."""
    body = '<!-- %s -->\n## %s\n\n- machine: %s\n- date: %s\n- command: `%s`\n\n%s\n<!-- /%s -->' % (
        key, title, machine(), datetime.date.today().isoformat(), command, '\n'.join(lines), key)
    text = open(PATH, encoding='utf-8').read() if os.path.exists(PATH) else '# Benchmarks\n'
    pattern = re.compile(r'<!-- %s -->.*?<!-- /%s -->' % (key, key), re.S)
    text = pattern.sub(lambda m: body, text) if pattern.search(text) else text.rstrip('\n') + '\n\n' + body + '\n'
    with open(PATH, 'w', encoding='utf-8') as f:
        f.write(text)


def rate_table(first_column, rows, baseline_name, footer):
    """Markdown lines: one row per (name, lines/s), with the ratio to the first row, then ``footer``."""
    base = rows[0][1]
    table = ['| %s | lines/s (median) | vs %s |' % (first_column, baseline_name), '|---|---|---|']
    table += ['| %s | %.0f | %.2fx |' % (name, rate, rate / base) for name, rate in rows]
    return table + ['', footer]
