#!/usr/bin/env python
"""Train the Korean CRNN on AI-Hub-format data: the job users run under nohup.

    nohup python CRNN_training.py --experiment crnn_korean_v1 &

Defaults reproduce the original's run (256x32, batch 128, SGD lr 1e-4 with
decay 1e-6, momentum 0.9, Nesterov, clipnorm 5, 8:2 split, patience 25),
computed in bf16 where the hardware does it natively (--precision float32
--jit-compile off: exactly the original's arithmetic).
"""

import argparse
import os
import signal
import sys
from typing import NamedTuple

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('MPLBACKEND', 'Agg')


def preset_text(settings):
    return ', '.join('%s %g:%g' % (name, p, s) for name, (p, s) in settings.items())


def parse_args(argv=None):
    """The arguments; with --resume, the run's own args.json fills in every flag not given here."""
    from utils.cli import HelpFormatter
    from utils.train.augment import AUGMENTATIONS, PRESETS
    from utils.train.distribute import STRATEGIES
    p = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    g = p.add_argument_group('data').add_argument
    g('--data-dir', default='.', help='folder with the JSON file and the image folder')
    g('--json', default='korean_printed_sentence.json',
      help='AI Hub annotation file in --data-dir (printed, handwriting or CRNN_labels.py output); a comma list '
           'merges several sources')
    g('--image-dir', default='printed', help='image folder in --data-dir; a comma list: one per --json file')
    g('--types', default='문장', help="annotation types: 문장 (sentence), 단어(어절) (word), 글자(음절) (syllable), a comma "
      "list of them, or 'all'")
    g('--split', type=float, default=0.8, help='training share of the data (the first part, in file order)')
    g('--random-split', action='store_true', help='split at random (seeded by --seed) instead of in file order')
    g('--mix', type=float, default=0.0, help='fine-tuning: also train on this share (0..1) of the --mix-json '
      "data's training split")
    g('--mix-data-dir', default='.', help='folder of the --mix data')
    g('--mix-json', default='korean_printed_sentence.json', help='annotation file of the --mix data')
    g('--mix-image-dir', default='printed', help='image folder of the --mix data')
    g('--workers', type=int, help='threads decoding images (default: one per core)')
    g('--prefetch', type=int, default=1, help='training batches prepared ahead, each in its own thread, while the '
      'model trains (Keras PyDataset workers; 1: one after another). For JAX/PyTorch on a GPU; TensorFlow\'s '
      'width-bucket input prefetches by itself')
    g = p.add_argument_group('model').add_argument
    g('--width', help="input width in pixels, or 'auto' (fits 95%% of the lines unsqueezed); default: 256, the "
      "original's (not with --buckets, which set the widths)")
    g('--height', type=int, default=32, help='input height in pixels (the CRNN needs 32)')
    g('--buckets', help='comma list of input widths, e.g. 128,192,256,320,384,512,768: each batch holds lines of '
      'one width bucket (long lines unsqueezed, short ones cheap); replaces --width')
    g('--arch', default='crnn', help="architecture, a name of crnn_model.ARCHS: 'crnn' (the original's VGG CRNN) or "
      "'light' (a narrow conv stack and a smaller BiLSTM head with the same time steps, for fast reading)")
    g('--rnn', help="sequence head, a name of crnn_model.HEADS (default: the --arch's; 'lstm' is the original's)")
    g('--teacher', help='distillation: a trained recognizer (weights .h5 with its charset beside it, e.g. the shipped '
      'model) whose per-step probabilities on each training line the model also learns; same charset')
    g('--distill', type=float, default=1.0, help='weight of the --teacher term beside the CTC loss')
    g('--charset', help="charset.json (or run folder), or 'general' (all 2,350 KS X 1001 syllables, digits, Latin, "
      "punctuation: the shipped model's), instead of building one from the data; default with --weights "
      "CRNN_weights_X.h5: the CRNN_charset_X.json beside it")
    g('--extend-charset', action='store_true', help="append the data's characters missing from --charset; with "
      "--weights the old classes keep their trained weights")
    g('--weights', help='initial weights (.h5 of Keras 2 or this project, or Keras 3 .weights.h5/.keras): transfer '
      'learning; a classifier of another size is skipped')
    g('--freeze', default='', help='comma list of layer names not to train, e.g. conv1_1,conv2_1')
    g = p.add_argument_group('optimizer').add_argument
    g('--optimizer', choices=['sgd', 'adam'], default='sgd', help='the original: SGD with Nesterov momentum')
    g('--lr', type=float, default=1e-4, help='learning rate (peak rate with --schedule cosine)')
    g('--schedule', choices=['keras2', 'cosine', 'cosine-time'], default='keras2', help="keras2: --decay (the "
      "original); cosine: linear warm-up over --warmup-steps, then cosine decay to 1%% of --lr at the last step of "
      "--epochs x --steps-per-epoch; cosine-time: the same shape over the minutes of --time-limit (warm-up its "
      "first 5%%), set at each epoch's start: for a machine of unknown speed")
    g('--decay', type=float, default=1e-6, help="Keras 2 decay: lr / (1 + decay * iteration), --schedule keras2")
    g('--warmup-steps', type=int, default=0, help='warm-up steps of --schedule cosine')
    g('--momentum', type=float, default=0.9, help='SGD momentum')
    g('--no-nesterov', dest='nesterov', action='store_false', help='plain momentum instead of Nesterov (SGD)')
    g('--clipnorm', type=float, default=5.0, help='clip each gradient to this norm')
    g('--batch-size', type=int, default=128, help='lines per step and replica (global batch: x replicas)')
    g = p.add_argument_group('run').add_argument
    g('--resume', metavar='RUN_DIR', help="continue checkpoints/<run> after its last completed epoch, with its "
      "arguments (flags given here override them, e.g. --epochs)")
    g('--epochs', type=int, default=3000, help='epochs to train (the original: 3000, with early stopping)')
    g('--steps-per-epoch', type=int, help='cap on training steps per epoch (default: one pass over the data)')
    g('--validation-steps', type=int, help='cap on validation steps (default: one pass)')
    g('--patience', type=int, default=25, help='early stopping patience on val_loss, in epochs')
    g('--time-limit', type=float, metavar='MINUTES', help='stop after this many minutes of training (the running '
      'epoch ends early and is recorded; default: no limit)')
    g('--experiment', default='crnn_korean_2_v2', help='run name: <checkpoint-root>/<time>_<experiment>/')
    g('--checkpoint-root', default='checkpoints', help='folder that holds the run folders')
    g('--seed', type=int, default=1337, help='seed of weights, data order, split and augmentation')
    g('--snapshot-interval', type=int, default=0, help='also save weights every N iterations (0: off)')
    g('--keep-best', action='store_true', help='also keep weights.best_loss.h5 and weights.best_cer.h5')
    g('--keep-last', type=int, help='keep only the N newest weights.NNN.h5 (default: all, like the original; '
      '--keep-best files are always kept)')
    g('--metrics-steps', type=int, default=4, help='validation batches for CER/NED/ACC each epoch (0: off)')
    g('--metrics-interval', type=int, default=1, help='compute CER/NED/ACC every N epochs')
    g('--beam-width', type=int, default=0, help='beam search width for the metrics (0: greedy)')
    g('--tensorboard', action='store_true', help='also write TensorBoard logs into <run>/tensorboard: loss, CER, '
      'NED, accuracy, learning rate and a few validation lines with their readings per epoch (tensorboard --logdir '
      'checkpoints)')
    g('--log-every', type=float, default=60, help='without a terminal (nohup): a step k/n line with loss, lines/s and '
      "the epoch's ETA at least every N seconds (0: only one line per epoch)")
    g('--verbose', action='store_true', help="show TensorFlow's start-up log lines (hidden by default)")
    aug = p.add_argument_group('augmentation', 'training lines only, fresh every epoch; --aug-NAME P:S overrides '
                               'one distortion of the preset (probability, strength). light = %s; strong = %s'
                               % (preset_text(PRESETS['light']), preset_text(PRESETS['strong'])))
    aug.add_argument('--augment', choices=sorted(PRESETS), default='off', help='preset (off: the original)')
    for name, (_, strength) in AUGMENTATIONS.items():
        aug.add_argument('--aug-' + name, metavar='P[:S]', help='%s: probability, %s' % (name, strength))
    g = p.add_argument_group('distribution (docs/distributed.md)').add_argument
    g('--strategy', choices=STRATEGIES, default='none',
      help='mirrored: all GPUs of this machine; multiworker: the cluster in TF_CONFIG')
    g('--scale-lr', action='store_true', help='multiply --lr by the number of replicas (linear scaling rule)')
    g('--cpu-devices', type=int, default=0, help='with --strategy mirrored: split the CPU into N devices (testing)')
    g = p.add_argument_group('speed').add_argument
    g('--precision', choices=['auto', 'float32', 'mixed_bfloat16', 'mixed_float16'], default='auto',
      help='compute dtype; the classifier and CTC loss stay float32. auto: bf16 where the hardware computes it '
      'natively (AVX512-BF16/AMX CPUs, GPUs of compute capability >= 8.0), float32 elsewhere')
    g('--jit-compile', choices=['auto', 'on', 'off'], default='auto',
      help="XLA compilation of the train step. auto: Keras' choice on GPUs, off on the CPU (where the sparse CTC "
      'op without XLA measured faster); --precision float32 --jit-compile off is the original exactly')
    resume_dir = argparse.ArgumentParser(add_help=False)
    resume_dir.add_argument('--resume')
    run_dir = resume_dir.parse_known_args(argv)[0].resume
    if run_dir:
        from utils.train.run import load_arguments
        p.set_defaults(**{k: v for k, v in load_arguments(run_dir).items() if k != 'resume'})
    return p.parse_args(argv)


class Run(NamedTuple):
    """What the training loop needs once data, charset and model are set up."""
    model: object
    model_pred: object
    charset: str
    gen_train: object
    gen_val: object
    strategy: object
    replicas: int
    chief: bool
    checkdir: str
    buckets: list
    width: int
    jit: object


def main(argv=None):
    args = parse_args(argv)
    if args.schedule == 'cosine-time' and not args.time_limit:
        raise ValueError('--schedule cosine-time spans the minutes of --time-limit: give --time-limit')
    from utils.cli import comma_list, import_keras
    keras = import_keras(args.verbose)
    from crnn_data import InputGenerator
    from crnn_gt import load_sources, merge_all, split_sources
    from crnn_model import CRNN, output_steps, time_steps
    from crnn_utils import build_charset, extend_charset, load_charset
    from utils.train.augment import AUGMENTATIONS, Augmenter, parse_setting
    from utils.train.callbacks import TrainingInterrupted, check_layer_names, signal_name
    from utils.train.distribute import is_chief, make_strategy, num_replicas, scope, worker_dir
    from utils.train.precision import choose_jit, choose_precision, describe
    from utils.train.resume import check_resumable
    from utils.train.run import interrupted_hint, make_run_dir, remove_if_no_weights
    from utils.weights.load import charset_for_weights, grown_from, load_initial_weights

    # devices, precision, XLA
    strategy = make_strategy(args.strategy, args.cpu_devices)
    replicas, chief = num_replicas(strategy), is_chief(strategy)
    if args.resume:
        check_resumable(args.resume)
    keras.utils.set_random_seed(args.seed)
    backend = keras.backend.backend()
    precision, precision_reason = choose_precision(args.precision, backend=backend)
    jit, jit_reason = choose_jit(args.jit_compile, distributed=strategy is not None, backend=backend)
    print(describe(precision, precision_reason, jit, jit_reason))
    keras.mixed_precision.set_global_policy(precision)

    # data: one or more sources, each split on its own; --mix adds some of the original data to training
    split_seed = args.seed if args.random_split else None
    sources = load_sources(args.data_dir, args.json, args.image_dir, args.types)
    gt_util_train, gt_util_val = split_sources(sources, args.split, split_seed)
    if args.mix:
        if not 0 < args.mix <= 1:
            raise ValueError('--mix %g: give the share of the --mix-json data to add, in (0, 1]' % args.mix)
        mix_train, _ = split_sources(load_sources(args.mix_data_dir, args.mix_json, args.mix_image_dir, args.types),
                                     args.split, split_seed)
        mixed = mix_train.sample(args.mix, seed=args.seed)
        print('mixing in %d of %d training lines of %s' % (mixed.num_samples, mix_train.num_samples, args.mix_json))
        gt_util_train = merge_all([gt_util_train, mixed])
    if not gt_util_val.num_samples:
        raise ValueError('the validation split is empty (%d lines, --split %g): lower --split or give more data'
                         % (gt_util_train.num_samples, args.split))
    gt_util = merge_all([gt_util_train, gt_util_val])

    # charset: the run's, the given one, the one beside --weights, or built from the data
    charset_file = args.resume or args.charset
    if not charset_file and args.weights:
        charset_file = charset_for_weights(args.weights)
        if charset_file:
            print('charset: %s, the one beside --weights' % charset_file)
    charset = load_charset(charset_file) if charset_file else build_charset(gt_util.text)
    old_classes = None
    if args.extend_charset and not args.resume:
        if not charset_file:
            raise ValueError('--extend-charset needs --charset: the charset the --weights were trained with')
        old_classes = len(charset)
        charset, added = extend_charset(charset, gt_util.text)
        print('charset extended by %d characters: %s' % (len(added), added) if added else
              '--extend-charset: every character of the data is in the charset already')
    elif args.weights and not args.resume:
        old_classes = grown_from(args.weights, charset)
        if old_classes:
            print('charset: extends the %d classes of --weights by %d; the old classes keep their weights'
                  % (old_classes, len(charset) - old_classes))
    print('charset: %d classes (blank last)' % len(charset))

    # input size: width buckets, or one width
    print(gt_util.width_report(args.height))
    buckets = sorted(int(w) for w in comma_list(args.buckets)) if args.buckets else None
    if buckets and strategy is not None:
        raise ValueError('--buckets works on one device; leave out --strategy or --buckets')
    if buckets and args.width and not args.resume:
        raise ValueError('--width %s and --buckets: the buckets set the input widths, give one of the two' % args.width)
    width = (buckets[-1] if buckets else gt_util.input_width(args.height) if args.width == 'auto'
             else int(args.width or 256))
    print('input %s; train %d, validation %d lines' % (
        'width buckets %s x %d' % (','.join(map(str, buckets)), args.height) if buckets else
        '%dx%d' % (width, args.height), gt_util_train.num_samples, gt_util_val.num_samples))

    # model, built under the strategy
    with scope(strategy):
        model, model_pred = CRNN((None if buckets else width, args.height, 1), len(charset), head=args.rnn,
                                 arch=args.arch, sync_batchnorm=strategy is not None, sparse_ctc=jit is False,
                                 distill=args.distill if args.teacher else 0.0)
    if args.weights and not args.resume:
        load_initial_weights(model, args.weights, old_classes=old_classes)
    check_layer_names(model, comma_list(args.freeze))

    # batches
    max_string_len = output_steps(width) if buckets else time_steps(model_pred)
    bucketing = dict(buckets=buckets, steps=output_steps) if buckets else {}
    batch_size = args.batch_size * replicas
    if strategy is not None:
        print('%d replicas: global batch %d' % (replicas, batch_size))
    overrides = {n: parse_setting(getattr(args, 'aug_' + n), n) for n in AUGMENTATIONS if getattr(args, 'aug_' + n)}
    augment = Augmenter.from_preset(args.augment, overrides, seed=args.seed)
    print('augmentation of training lines:', augment.describe())
    teacher = None
    if args.teacher:
        from utils.train.distill import Teacher
        teacher = Teacher(args.teacher, charset)
        print('distillation from %s (weight %g%s)' % (args.teacher, args.distill, '' if augment else
                                                      '; each line read by it once'))
    gen_train = InputGenerator(gt_util_train, batch_size, charset, (width, args.height),
                               max_string_len=max_string_len, seed=args.seed, threads=args.workers, augment=augment,
                               teacher=teacher, workers=args.prefetch, **bucketing)
    gen_val = InputGenerator(gt_util_val, batch_size, charset, (width, args.height),
                             max_string_len=max_string_len, seed=args.seed + 1, threads=args.workers, teacher=teacher,
                             **bucketing)

    # run folder: the chief's; other workers write to a private temporary folder
    if chief:
        checkdir = args.resume or make_run_dir(args.experiment, args.checkpoint_root)
        print('run folder:', checkdir, flush=True)
    else:
        checkdir = worker_dir(strategy)
    run = Run(model, model_pred, charset, gen_train, gen_val, strategy, replicas, chief, checkdir, buckets, width, jit)
    try:
        return train(args, run)
    except TrainingInterrupted as e:
        remove_if_no_weights(checkdir, chief and not args.resume)
        print('%s: %s' % (signal_name(e.signum), interrupted_hint(e, checkdir)), file=sys.stderr, flush=True)
        return e.exit_code
    except BaseException:
        remove_if_no_weights(checkdir, chief and not args.resume)
        raise


def train(args, run):
    """Everything from the run folder on: optimizer, compile, resume state, fit, final files."""
    import keras
    from crnn_model import ctc_identity
    from crnn_utils import save_charset
    from utils.cli import comma_list
    from utils.train.callbacks import (EpochLine, Logger, ModelCheckpoint, ModelSnapshot, StopOnSignal,
                                       TensorBoardLines, TimeLimit, ValidationMetrics, freeze_layers)
    from utils.train.distribute import (clip_after_all_reduce, distributed_input, local_predict, prepare_fit,
                                        scope, variable_width_input)
    from utils.train.optimizers import SGD, Adam, TimeCosine, warmup_cosine
    from utils.train.resume import ResumeState
    from utils.train.run import next_steps, save_arguments, save_final
    model, strategy, checkdir = run.model, run.strategy, run.checkdir

    save_arguments(checkdir, {**vars(args), 'input_width': None if run.buckets else run.width})
    save_charset(checkdir, run.charset)

    # optimizer, freezing, compile
    lr = args.lr * run.replicas if args.scale_lr else args.lr
    steps_per_epoch = args.steps_per_epoch or run.gen_train.steps_per_epoch()
    decay = args.decay
    if args.schedule == 'cosine':
        lr, decay = warmup_cosine(lr, args.epochs * steps_per_epoch, args.warmup_steps), 0.0
    elif args.schedule == 'cosine-time':
        decay = 0.0
    with scope(strategy):
        if args.optimizer == 'sgd':
            optimizer = SGD(learning_rate=lr, decay=decay, momentum=args.momentum,
                            nesterov=args.nesterov, clipnorm=args.clipnorm)
        else:
            optimizer = Adam(learning_rate=lr, decay=decay, clipnorm=args.clipnorm)
        if strategy is not None:
            clip_after_all_reduce(optimizer)
        freeze_layers(model, comma_list(args.freeze), log=print)
        model.compile(loss={'ctc': ctc_identity}, optimizer=optimizer, jit_compile=run.jit)

    # resume state: weights, optimizer (momentum, schedule position), early stopping, best checkpoints
    best_only = []
    if args.keep_best:
        best_only.append(ModelCheckpoint(os.path.join(checkdir, 'weights.best_loss.h5'), save_best_only=True))
        if args.metrics_steps:
            best_only.append(ModelCheckpoint(os.path.join(checkdir, 'weights.best_cer.h5'), monitor='val_cer',
                                             save_best_only=True))
    early_stopping = keras.callbacks.EarlyStopping(monitor='val_loss', mode='auto', restore_best_weights=True,
                                                   verbose=1, patience=args.patience)
    resume = ResumeState(checkdir, early_stopping, best_only, source_dir=args.resume)
    with scope(strategy):
        initial_epoch = resume.restore(model) if args.resume else 0
    if initial_epoch:
        print('resuming after epoch %d' % initial_epoch, flush=True)
    mb = model.count_params() * 4 / 2 ** 20
    print('disk per epoch: weights.NNN.h5 %.0f MB (%s), resume.h5 %.0f MB (rewritten)'
          % (mb, 'the newest %d kept' % args.keep_last if args.keep_last else 'all kept: --keep-last N limits them',
             (3 if args.optimizer == 'adam' else 2) * mb), flush=True)
    if initial_epoch >= args.epochs:
        print('%s already finished %d of %d epochs: nothing to do. To train further, resume with more epochs, '
              'e.g. --resume %s --epochs %d' % (checkdir, initial_epoch, args.epochs, checkdir, args.epochs * 2),
              flush=True)
        return 0

    # callbacks: metrics first (the others see val_cer), the signal handler last
    val_seq = run.gen_val.generate()
    callbacks = [TimeLimit(args.time_limit)] if args.time_limit else []
    if args.schedule == 'cosine-time':
        callbacks.append(TimeCosine(lr, args.time_limit))
    if args.metrics_steps:
        predict = local_predict(run.model_pred) if strategy is not None else None
        metrics = ValidationMetrics(val_seq, run.model_pred, run.charset, args.metrics_steps,
                                    args.metrics_interval, args.beam_width, predict)
        callbacks.append(metrics)
        print('val_cer, val_ned, val_acc: %d of the %d validation lines (--metrics-steps)'
              % (metrics.lines(), len(run.gen_val.indices)), flush=True)
    logger = Logger(checkdir, resume_epoch=initial_epoch)
    callbacks += best_only + [
        ModelCheckpoint(os.path.join(checkdir, 'weights.{epoch:03d}.h5'), verbose=0, keep_last=args.keep_last),
        logger,
        early_stopping,
        resume,
    ]
    if args.tensorboard:
        if keras.backend.backend() != 'tensorflow':
            raise ValueError('--tensorboard writes TensorFlow event files: it needs the TensorFlow backend')
        board = os.path.join(checkdir, 'tensorboard')
        callbacks += [keras.callbacks.TensorBoard(board, write_graph=False),
                      TensorBoardLines(board, val_seq, run.model_pred, run.charset)]
    if args.snapshot_interval:
        callbacks.append(ModelSnapshot(checkdir, args.snapshot_interval, iteration=initial_epoch * steps_per_epoch))
    interactive = sys.stdout.isatty()
    if not interactive:
        callbacks.append(EpochLine(args.epochs, log_every=args.log_every, batch_size=args.batch_size * run.replicas))
    callbacks.append(StopOnSignal(os.path.join(checkdir, 'weights.interrupted.h5')))

    # fit
    train_data = run.gen_train.generate(start=initial_epoch * steps_per_epoch)
    if strategy is not None:
        prepare_fit(model, strategy, train_data)
        train_data, val_data = distributed_input(strategy, train_data), distributed_input(strategy, val_seq)
    elif run.buckets and keras.backend.backend() == 'tensorflow':
        train_data, val_data = variable_width_input(train_data), variable_width_input(val_seq)
    else:
        val_data = val_seq
    model.fit(train_data, steps_per_epoch=steps_per_epoch, epochs=args.epochs, initial_epoch=initial_epoch,
              validation_data=val_data, validation_steps=args.validation_steps or run.gen_val.steps_per_epoch(),
              callbacks=callbacks, shuffle=False, verbose=1 if interactive else 0)

    paths = save_final(checkdir, model, run.model_pred, logger.as_history())
    if run.chief:
        print('saved %s' % ', '.join(paths.values()), flush=True)
        print(next_steps(checkdir, args), flush=True)
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main, hard_exit=(128 + signal.SIGINT, 128 + signal.SIGTERM))
