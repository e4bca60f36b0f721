"""Loading a recognizer's weights: the shipped model, a run folder, a weights
file with its charset, and transfer learning with a grown classifier."""

import os

import numpy as np

from utils.train.run import latest_weights, load_arguments, run_input_width

def extend_classifier(model, path, old_classes, layer='dense1', seed=0):
    """Load the classifier of ``path``, trained on ``old_classes`` classes
    (blank last), into the model's larger one after ``extend_charset``: the old
    characters' and the blank's weights are copied unchanged, and each new
    class starts like an average old one (random kernel column with the old
    columns' spread, the old characters' mean bias)."""
    import keras
    from utils.weights.h5 import read_weights_h5
    stored = read_weights_h5(path).get(layer)
    target = model.get_layer(layer)
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in target.weights)
    if stored is None or stored[0].shape != (kernel.shape[0], old_classes):
        raise ValueError('%s: layer %r is not a classifier of %d classes over %d features (found %s)'
                         % (path, layer, old_classes, kernel.shape[0], None if stored is None else stored[0].shape))
    old_kernel, old_bias = stored
    chars, added = old_classes - 1, kernel.shape[1] - old_classes
    if added < 0:
        raise ValueError('the model has fewer classes (%d) than %s (%d)' % (kernel.shape[1], path, old_classes))
    rng = np.random.default_rng(seed)
    kernel = np.concatenate([old_kernel[:, :chars],
                             rng.normal(0, old_kernel[:, :chars].std(), (kernel.shape[0], added)).astype(kernel.dtype),
                             old_kernel[:, chars:]], axis=1)
    bias = np.concatenate([old_bias[:chars], np.full(added, old_bias[:chars].mean(), bias.dtype), old_bias[chars:]])
    target.set_weights([kernel, bias])


def load_initial_weights(model, path, log=print, old_classes=None):
    """Start from ``path`` (transfer learning): every layer whose shapes match is
    loaded; a classifier of another charset size is skipped, and said so, or,
    given ``old_classes`` (the charset was extended), extended."""
    from utils.weights.h5 import load_weights_h5
    skipped = load_weights_h5(model, path, skip_mismatch=True)
    if old_classes and 'dense1' in skipped:
        extend_classifier(model, path, old_classes)
        skipped.remove('dense1')
        log('classifier dense1 extended from %d to %d classes; the old classes keep their weights'
            % (old_classes, model.get_layer('dense1').weights[1].shape[0]))
    loaded = [l.name for l in model.layers if l.weights and l.name not in skipped]
    log('loaded %d layers from %s' % (len(loaded), path))
    if skipped:
        hint = (" - the charset differs from the one these weights were trained with: give it with --charset (and "
                "--extend-charset to add your data's characters) to keep the trained classifier"
                if 'dense1' in skipped else '')
        log('not loaded (shapes differ, e.g. another charset): %s - these start from random weights%s'
            % (', '.join(skipped), hint))
    return skipped


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED_WEIGHTS = os.path.join(ROOT, 'CRNN_weights_korean_v8.h5')
SHIPPED_CHARSET = os.path.join(ROOT, 'CRNN_charset_korean_v8.json')


def charset_for_weights(path):
    """The charset file that belongs to a weights file: CRNN_charset_X.json
    beside CRNN_weights_X.h5 (the shipped model's naming), or the charset.json
    of the run folder that holds it; None if there is none."""
    folder, name = os.path.split(path)
    if name.startswith('CRNN_weights_') and name.endswith('.h5'):
        charset = os.path.join(folder, 'CRNN_charset_' + name[len('CRNN_weights_'):-3] + '.json')
    else:
        charset = os.path.join(folder, 'charset.json')
    return charset if os.path.exists(charset) else None


def grown_from(weights, charset):
    """The class count of the charset ``weights`` were trained with when
    ``charset`` extends it (the same classes first, more before the blank),
    so that the trained classifier is kept and extended; else None."""
    from crnn_utils import load_charset
    old_file = charset_for_weights(weights)
    if not old_file:
        return None
    old = load_charset(old_file)
    return len(old) if len(old) < len(charset) and charset.startswith(old[:-1]) else None


def arch_of_weights(path):
    """The architecture (a crnn_model.ARCHS name) a weights file was saved
    from, told by its layer names, without Keras; 'crnn' when they don't say."""
    from crnn_model import arch_of_layers
    from utils.weights.h5 import stored_layer_names
    return arch_of_layers(stored_layer_names(path)) or 'crnn'


def model_files(run_dir=None, weights=None, charset=None, width=None, height=32, rnn=None):
    """(weights file, charset, width, height, head) of a run folder, a weights
    file and a charset file, or, given neither, the shipped model, without
    Keras. ``width``: 0 or None for lines of any width (None in the result); a
    run's args.json gives its own width, height and head unless ``width`` is given.
    ``rnn`` None: the head of the weights' architecture."""
    from crnn_utils import load_charset
    from utils.weights.h5 import stored_classes
    if run_dir:
        if os.path.exists(os.path.join(run_dir, 'args.json')):
            args = load_arguments(run_dir)
            width = run_input_width(args) if width is None else width
            height, rnn = args.get('height', height), args.get('rnn', rnn)
        charset = charset or run_dir
        weights = weights or latest_weights(run_dir)
    elif not weights and not charset:
        weights, charset = SHIPPED_WEIGHTS, SHIPPED_CHARSET
        if not os.path.exists(weights):
            raise ValueError('the shipped model %s is missing; give --run, or --weights and --charset' % weights)
    if not (weights and charset):
        raise ValueError('give a run folder, or both a weights file and a charset file')
    alphabet = load_charset(charset)
    classes = stored_classes(weights) if os.path.isfile(weights) else None
    if classes is not None and classes != len(alphabet):
        raise ValueError('%s reads %d classes but the charset %s has %d: give the charset the weights were trained '
                         'with' % (weights, classes, charset, len(alphabet)))
    return weights, alphabet, width or None, height, rnn


def load_recognizer(run_dir=None, weights=None, charset=None, width=None, height=32, rnn=None, precision='float32'):
    """(model_pred, charset, (width, height)) of model_files' model, built in
    Keras. ``precision``: the Keras dtype policy the model computes in (the
    classifier stays float32)."""
    import keras
    from crnn_model import CRNN
    from utils.weights.h5 import load_weights_h5
    weights, charset, width, height, rnn = model_files(run_dir, weights, charset, width, height, rnn)
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(precision)
    try:
        model_pred = CRNN((width, height, 1), len(charset), prediction_only=True, head=rnn,
                          arch=arch_of_weights(weights))
    finally:
        keras.mixed_precision.set_global_policy(previous)
    load_weights_h5(model_pred, weights)
    return model_pred, charset, (width, height)
