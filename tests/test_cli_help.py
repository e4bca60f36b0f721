"""Every flag of every command-line tool is explained, with its default shown."""
import argparse
import importlib

import pytest


class Captured(Exception):
    pass


def parser_of(module_name, monkeypatch):
    def capture(self, args=None, namespace=None):
        raise Captured(self)
    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args', capture)
    module = importlib.import_module(module_name)
    with pytest.raises(Captured) as e:
        module.parse_args([])
    return e.value.args[0]


CLIS = ['CRNN_training', 'CRNN_predict', 'CRNN_labels', 'CRNN_serve', 'utils.synth.lines', 'utils.synth.page', 'utils.synth.doc',
        'utils.synth.heldout', 'utils.weights.average', 'utils.train.gpu']


@pytest.mark.parametrize('module_name', CLIS)
def test_every_flag_has_help(module_name, monkeypatch):
    parser = parser_of(module_name, monkeypatch)
    missing = [a.option_strings[0] for a in parser._actions if a.option_strings and not a.help]
    assert not missing, missing
    if module_name != 'CRNN_labels':
        assert issubclass(parser.formatter_class, argparse.ArgumentDefaultsHelpFormatter)


@pytest.mark.parametrize('module_name', CLIS)
def test_each_default_is_shown_once_and_says_something(module_name, monkeypatch):
    parser = parser_of(module_name, monkeypatch)
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        text = formatter._expand_help(action) if action.help else ''
        assert text.count('default') <= 1, (action.option_strings, text)
        for empty in ('(default: None)', '(default: False)', '(default: True)', '(default: )'):
            assert empty not in text, (action.option_strings, text)


def test_training_flags_are_grouped(monkeypatch):
    parser = parser_of('CRNN_training', monkeypatch)
    titles = [g.title for g in parser._action_groups]
    for group in ('data', 'model', 'optimizer', 'run', 'augmentation', 'speed'):
        assert group in titles
    aug = next(g for g in parser._action_groups if g.title == 'augmentation')
    assert 'light = pad 0.3:0.1' in aug.description and 'strong = ' in aug.description


def test_benchmarks_start_quietly():
    """Bench scripts import TensorFlow like the CLIs: no start-up lines unless --verbose."""
    import os
    import subprocess
    import sys
    from helpers import ROOT
    out = subprocess.run([sys.executable, os.path.join('bench', 'bench_train.py'), '--help'], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stderr == '' and 'usage:' in out.stdout
