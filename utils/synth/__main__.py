"""python -m utils.synth: the line generator (utils.synth.lines)."""
from utils.cli import run_cli
from utils.synth.lines import main

if __name__ == '__main__':
    run_cli(main)
