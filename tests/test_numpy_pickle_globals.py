# Copyright (c) mmgen-ada contributors. All rights reserved.
import io
import pickle

import numpy as np
import pytest

from mmgen_ada.apis.nvlabs_pickle import RestrictedNVlabsUnpickler
from mmgen_ada.evaluation.metrics.real_stats_file import load_real_stats
from mmgen_ada.numpy_pickle_globals import NUMPY_ARRAY_GLOBALS, GuardedCallable


def _arrays():
    return dict(
        mean=np.linspace(-1, 1, 5),
        cov=np.eye(5, dtype=np.float32) * 3,
        counts=np.arange(4, dtype=np.uint8))


@pytest.mark.parametrize('protocol', [4, 5])
def test_both_readers_rebuild_arrays_of_every_protocol(tmp_path, protocol):
    # Protocol 5 pickles arrays through numpy's _frombuffer, which the
    # statistics reader did not resolve before it used the shared list.
    data = _arrays()
    blob = pickle.dumps(data, protocol=protocol)
    path = tmp_path / 'stats.pkl'
    path.write_bytes(blob)
    stats = load_real_stats(str(path), 'mean-cov')
    np.testing.assert_array_equal(stats['mean'], data['mean'])
    np.testing.assert_array_equal(stats['cov'], data['cov'])
    out = RestrictedNVlabsUnpickler(io.BytesIO(blob)).load()
    for key, value in data.items():
        np.testing.assert_array_equal(out[key], value)
        assert out[key].dtype == value.dtype


def test_object_arrays_are_refused(tmp_path):
    # An object array pickles its items' globals, which no list holds.
    path = tmp_path / 'obj.pkl'
    blob = pickle.dumps(
        dict(mean=np.array([print], dtype=object), cov=np.eye(1)))
    path.write_bytes(blob)
    with pytest.raises(ValueError, match='refusing to load builtins.print'):
        load_real_stats(str(path), 'mean-cov')
    with pytest.raises(pickle.UnpicklingError, match='builtins.print'):
        RestrictedNVlabsUnpickler(io.BytesIO(blob)).load()


def test_guarded_callables_refuse_attribute_writes():
    frombuffer = NUMPY_ARRAY_GLOBALS[('numpy.core.numeric', '_frombuffer')]
    assert isinstance(frombuffer, GuardedCallable)
    with pytest.raises(pickle.UnpicklingError, match='refusing to set'):
        frombuffer.__defaults__ = (1, )
    with pytest.raises(pickle.UnpicklingError, match='object dtype'):
        frombuffer(b'\0' * 8, np.dtype(object), (1, ), 'C')
