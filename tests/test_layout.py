"""The code's layout: no import cycle among the project's modules (imports inside functions count too), and
no module over 400 lines outside tests."""
import ast
import os

from helpers import ROOT

LIMIT = 400


def project_modules():
    """{module name: path} of the project's own code (the top level, utils/ and bench/; not tests)."""
    out = {}
    for folder in ('', 'utils', 'bench'):
        for base, _, names in os.walk(os.path.normpath(os.path.join(ROOT, folder))):
            if folder == '' and base != os.path.normpath(ROOT):
                continue
            for name in names:
                if name.endswith('.py'):
                    rel = os.path.relpath(os.path.join(base, name), ROOT)[:-3].replace(os.sep, '.')
                    out[rel[:-len('.__init__')] if rel.endswith('.__init__') else rel] = os.path.join(base, name)
    return out


def imports(path, modules):
    """The project modules that the file at ``path`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding='utf-8').read())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + ['%s.%s' % (node.module, a.name) for a in node.names]
        for name in names:
            if name.startswith('bench.') or name in ('harness',):
                name = 'bench.' + name.split('.')[-1]
            while name and name not in modules:
                name = name.rpartition('.')[0]
            if name:
                found.add(name)
    return found


def test_no_import_cycle_among_the_project_modules():
    modules = project_modules()
    graph = {m: imports(p, modules) - {m} for m, p in modules.items()}
    state, path, cycles = {}, [], []

    def visit(m):
        state[m] = 'open'
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 'open':
                cycles.append(path[path.index(n):] + [n])
            elif n not in state:
                visit(n)
        path.pop()
        state[m] = 'done'

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, '\n'.join(' -> '.join(c) for c in cycles)


def test_no_module_over_the_line_limit():
    long = {m: n for m, p in project_modules().items() if (n := sum(1 for _ in open(p, encoding='utf-8'))) > LIMIT}
    assert not long, long
