"""The original project's CRNN as it was built there: Keras 2 API (tf_keras),
softmax output, ``Lambda`` over ``K.ctc_batch_cost``, SGD with Nesterov and
clipnorm. Written for the benchmarks and the Keras 2 loading check; needs
``pip install tf_keras`` (a bench extra, not a runtime dependency).

    python bench/original_crnn.py --load CRNN_weights_korean_v8.h5 --classes 2602

loads a weights file with Keras 2's own ``model.load_weights`` and prints the
prediction shape and the largest difference to this project's model.
"""
import argparse
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def keras2():
    """tf_keras, or None when it is not installed."""
    try:
        import tf_keras
    except ImportError:
        return None
    return tf_keras


def original_crnn(k, input_shape, num_classes):
    """(model_train, model_pred) with the original's layer names and shapes."""
    L, K = k.layers, k.backend
    act = 'relu'
    x = image = L.Input(shape=input_shape, name='image_input')
    for name, filters, pool in (('conv1_1', 64, ('pool1', (2, 2), 'same')), ('conv2_1', 128, ('pool2', (2, 2), 'same')),
                                ('conv3_1', 256, None), ('conv3_2', 256, ('pool3', (1, 2), 'same')),
                                ('conv4_1', 512, None), ('conv5_1', 512, ('pool5', (1, 2), 'valid'))):
        x = L.Conv2D(filters, (3, 3), activation=act, padding='same', name=name)(x)
        if name in ('conv4_1', 'conv5_1'):
            x = L.BatchNormalization(name='batchnorm%d' % (1 if name == 'conv4_1' else 2))(x)
        if pool:
            x = L.MaxPooling2D((2, 2), strides=pool[1], padding=pool[2], name=pool[0])(x)
    x = L.Conv2D(512, (2, 2), activation=act, padding='valid', name='conv6_1')(x)
    steps = x.shape[1]
    x = L.Reshape((steps, 512), name='reshape_1')(x)
    for i in (1, 2):
        x = L.Bidirectional(L.LSTM(256, return_sequences=True), name='bidirectional_%d' % i)(x)
    x = L.Dense(num_classes, name='dense1')(x)
    y_pred = L.Activation('softmax', name='softmax')(x)
    model_pred = k.models.Model(image, y_pred)
    labels = L.Input(name='label_input', shape=[steps], dtype='float32')
    input_length = L.Input(name='input_length', shape=[1], dtype='int64')
    label_length = L.Input(name='label_length', shape=[1], dtype='int64')
    loss = L.Lambda(lambda a: K.ctc_batch_cost(*a), output_shape=(1,), name='ctc')(
        [labels, y_pred, input_length, label_length])
    model_train = k.models.Model([image, labels, input_length, label_length], loss)
    return model_train, model_pred


def compile_original(k, model_train):
    """The original's optimizer and loss."""
    opt = k.optimizers.legacy.SGD(learning_rate=1e-4, decay=1e-6, momentum=0.9, nesterov=True, clipnorm=5)
    model_train.compile(loss={'ctc': lambda y_true, y_pred: y_pred}, optimizer=opt)
    return model_train


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--load', required=True, help='weights .h5 to load with Keras 2')
    p.add_argument('--classes', type=int, required=True)
    p.add_argument('--width', type=int, default=256)
    args = p.parse_args(argv)
    k = keras2()
    if k is None:
        print('tf_keras is not installed (pip install tf_keras): skipped')
        return 0
    import numpy as np
    model_train, model_pred = original_crnn(k, (args.width, 32, 1), args.classes)
    model_train.load_weights(args.load)  # Keras 2's own loader, topological order
    x = np.random.default_rng(0).uniform(0, 255, (2, args.width, 32, 1)).astype('float32')
    y2 = model_pred.predict(x, verbose=0)
    from crnn_model import CRNN
    from utils.weights.h5 import load_weights_h5
    ours = CRNN((args.width, 32, 1), args.classes, prediction_only=True)
    load_weights_h5(ours, args.load)
    y3 = np.asarray(ours.predict(x, verbose=0))
    dtypes = sorted({str(w.dtype) for w in model_pred.weights})
    print('Keras 2 (tf_keras %s) loaded %s: weights %s, prediction %s, max |Keras 2 - Keras 3| %.2e'
          % (k.__version__, args.load, dtypes, y2.shape, np.abs(y2 - y3).max()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
