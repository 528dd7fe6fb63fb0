# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Read and write MMagic's ``inception_pkl`` files of real statistics.

MMagic (and MMGeneration) store the Inception statistics of a dataset in a
pickle: a dict with the mean and covariance (keys ``mean``/``cov``, or
``mu``/``sigma``, or ``real_mean``/``real_cov``) and, for features-based
metrics, ``raw_feature`` (N, D). Nothing in such a file is executed here: it
is read with an unpickler that only rebuilds plain containers and numpy
arrays (:data:`~mmgen_ada.numpy_pickle_globals.NUMPY_ARRAY_GLOBALS`); any
other object in the file is an error.
``.npz`` files are read with ``allow_pickle=False``.
"""
import collections
import io
import os
import os.path as osp
import pickle
import uuid
from typing import Dict

import numpy as np

from mmgen_ada.numpy_pickle_globals import NUMPY_ARRAY_GLOBALS

#: Accepted (mean, covariance) key pairs, in order of preference.
MEAN_COV_KEYS = (('mean', 'cov'), ('mu', 'sigma'), ('real_mean', 'real_cov'))
#: Accepted keys of all real features (N, D).
FEATURE_KEYS = ('raw_feature', 'features')


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds only numpy arrays and builtin containers."""

    def find_class(self, module: str, name: str):
        if (module, name) == ('collections', 'OrderedDict'):
            return collections.OrderedDict
        if (module, name) in NUMPY_ARRAY_GLOBALS:
            return NUMPY_ARRAY_GLOBALS[(module, name)]
        raise pickle.UnpicklingError(
            f'refusing to load {module}.{name}: only numpy arrays and plain '
            'containers are read from statistics files')


def _read(path: str) -> dict:
    with open(path, 'rb') as f:
        head = f.read(4)
        f.seek(0)
        if head.startswith(b'PK'):  # an npz (zip) archive
            with np.load(f, allow_pickle=False) as npz:
                return {k: npz[k] for k in npz.files}
        try:
            data = _ArrayUnpickler(io.BytesIO(f.read())).load()
        except (pickle.UnpicklingError, EOFError, ValueError,
                TypeError) as err:
            raise ValueError(
                f'inception_pkl {path!r} cannot be read as a statistics '
                f'pickle ({err}). It must hold a dict of numpy arrays; '
                'delete it to have it recomputed.') from err
    if not isinstance(data, dict):
        raise ValueError(f'inception_pkl {path!r} holds a '
                         f'{type(data).__name__}, expected a dict.')
    return data


def load_real_stats(path: str, payload_kind: str) -> Dict[str, np.ndarray]:
    """Real statistics from ``path`` in this package's payload layout.

    Args:
        path (str): Pickle or npz file.
        payload_kind (str): 'mean-cov' (FID: returns ``mean``, ``cov``) or
            'features' (returns ``features`` (N, D)).

    Returns:
        dict: float64 arrays.
    """
    data = _read(path)
    if payload_kind == 'mean-cov':
        for mean_key, cov_key in MEAN_COV_KEYS:
            if mean_key in data and cov_key in data:
                mean = np.asarray(data[mean_key], dtype=np.float64)
                cov = np.asarray(data[cov_key], dtype=np.float64)
                if mean.ndim != 1 or cov.shape != (mean.shape[0], ) * 2:
                    raise ValueError(
                        f'inception_pkl {path!r}: {mean_key} {mean.shape} '
                        f'and {cov_key} {cov.shape} are not (D,) and (D, D).')
                out = dict(mean=mean, cov=cov)
                if 'num' in data:
                    out['num'] = np.asarray(data['num'])
                return out
        raise KeyError(f'inception_pkl {path!r} has keys {sorted(data)}; '
                       f'expected one of the pairs {list(MEAN_COV_KEYS)}.')
    for key in FEATURE_KEYS:
        if key in data:
            feats = np.asarray(data[key], dtype=np.float64)
            if feats.ndim != 2:
                raise ValueError(f'inception_pkl {path!r}: {key} has shape '
                                 f'{feats.shape}, expected (N, D).')
            return dict(features=feats)
    raise KeyError(f'inception_pkl {path!r} has keys {sorted(data)}; '
                   f'expected one of {list(FEATURE_KEYS)} (all real '
                   'features).')


def save_real_stats(path: str, payload: Dict[str, np.ndarray]) -> None:
    """Write ``payload`` to ``path`` as MMagic's layout, atomically.

    FID statistics are stored under ``mean``/``cov`` (and ``num``), all
    real features under ``raw_feature``; the file holds only numpy arrays,
    so :func:`load_real_stats` (and MMagic) read it back.
    """
    data = dict(payload)
    if 'features' in data:
        data['raw_feature'] = data.pop('features')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.{uuid.uuid4().hex}.tmp'
    with open(tmp, 'wb') as f:
        pickle.dump({k: np.asarray(v) for k, v in data.items()}, f, protocol=4)
    os.replace(tmp, path)
