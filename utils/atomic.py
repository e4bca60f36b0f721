"""Write-then-rename, the one way this project writes a file that must never be half there.

A process killed at any moment (SIGKILL, power loss after fsync) leaves
either the old file or the complete new one, plus at most a hidden
``.NAME.tmpPID.EXT`` sibling that no reader looks at.
"""

import contextlib
import os


def atomic_path(path):
    """A hidden temporary sibling of ``path`` with the same extension (which
    Keras and matplotlib read to pick the format)."""
    head, tail = os.path.split(path)
    root, ext = os.path.splitext(tail)
    return os.path.join(head, '.%s.tmp%d%s' % (root, os.getpid(), ext))


@contextlib.contextmanager
def atomic_write(path):
    """Yield a temporary path to write; on success it is synced and renamed to
    ``path``, on any error removed (and the error, e.g. no space left, raised)."""
    tmp = atomic_path(path)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        # h5py reports a full disk as OSError or, on close, RuntimeError('... errno = 28 ...'), naming no file
        if isinstance(e, OSError) or (isinstance(e, RuntimeError) and 'errno' in str(e)):
            raise OSError(getattr(e, 'errno', None), 'cannot write %s: %s' % (path, getattr(e, 'strerror', None) or e)) from e
        raise


def write_text_atomic(path, text):
    with atomic_write(path) as tmp:
        with open(tmp, 'w', encoding='utf-8', newline='') as f:
            f.write(text)
    return path
