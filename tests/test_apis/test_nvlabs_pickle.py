# Copyright (c) mmgen-ada contributors. All rights reserved.
import io
import os
import os.path as osp
import pickle
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, osp.dirname(__file__))
import nvlabs_pickle_factory as factory  # noqa: E402

from mmgen_ada.apis import NVlabsModuleRecord, load_nvlabs_pickle  # noqa
from mmgen_ada.apis.nvlabs_pickle import RestrictedNVlabsUnpickler  # noqa


def _state_dict():
    torch.manual_seed(0)
    return {
        'mapping.fc0.weight': torch.randn(4, 3),
        'mapping.fc0.bias': torch.randn(4),
        'mapping.w_avg': torch.randn(4),
        'synthesis.b4.const': torch.randn(2, 4, 4),
        'synthesis.b4.conv1.noise_const': torch.randn(4, 4),
    }


def _snapshot(tmp_path, protocol=pickle.DEFAULT_PROTOCOL):
    sd = _state_dict()
    kwargs = factory.easydict(
        z_dim=3, c_dim=0, mapping_kwargs=factory.easydict(num_layers=1))
    net = factory.module_tree(
        sd, ['w_avg', 'noise_const'],
        'Generator',
        kwargs,
        z_dim=3,
        img_resolution=4,
        img_size=np.asarray([4, 4]))
    path = str(tmp_path / 'snapshot.pkl')
    with factory.fake_nvlabs_modules():
        with open(path, 'wb') as f:
            pickle.dump(
                dict(
                    G=net,
                    G_ema=net,
                    training_set_kwargs=factory.easydict(
                        path='x.zip', xflip=False)),
                f,
                protocol=protocol)
    return path, net.state_dict()


@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_official_format_loads_as_inert_records(tmp_path, protocol):
    path, sd = _snapshot(tmp_path, protocol)
    data = load_nvlabs_pickle(path)
    rec = data['G']
    assert isinstance(rec, NVlabsModuleRecord)
    assert rec.class_name == 'Generator'
    assert rec.module_src == factory.FAKE_MODULE_SRC  # kept, never run
    assert rec.version == 6
    got = rec.state_dict()
    assert list(got) == list(sd)  # nn.Module.state_dict() order
    for key, value in sd.items():
        assert torch.equal(got[key], value), key
    assert set(rec.children['mapping'].buffers) == {'w_avg'}
    assert set(rec.children['mapping'].children['fc0'].parameters) == {
        'weight', 'bias'
    }
    # EasyDicts become plain dicts, recursively.
    assert type(rec.init_kwargs) is dict
    assert type(rec.init_kwargs['mapping_kwargs']) is dict
    assert rec.init_kwargs['mapping_kwargs'] == {'num_layers': 1}
    assert type(data['training_set_kwargs']) is dict
    assert data['training_set_kwargs'] == {'path': 'x.zip', 'xflip': False}
    assert rec.attributes['z_dim'] == 3
    np.testing.assert_array_equal(rec.attributes['img_size'], [4, 4])
    assert data['D'] is None and data['augment_pipe'] is None


class _System:

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


def test_malicious_reduce_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    payload = pickle.dumps(dict(G=_System(f'touch {marker}')))
    with pytest.raises(pickle.UnpicklingError, match='system'):
        load_nvlabs_pickle(io.BytesIO(payload))
    assert not marker.exists()
    # Sanity check of the payload: the plain unpickler does run it.
    pickle.loads(payload)
    assert marker.exists()


@pytest.mark.parametrize('module,name', [('builtins', 'eval'),
                                         ('builtins', 'exec'),
                                         ('builtins', 'getattr'),
                                         ('torch', 'load'),
                                         ('torch.serialization', 'load'),
                                         ('subprocess', 'Popen')])
def test_other_globals_are_refused(module, name):
    payload = f'c{module}\n{name}\n(S"1"\ntR.'.encode()
    with pytest.raises(pickle.UnpicklingError, match=f'{module}.{name}'):
        RestrictedNVlabsUnpickler(io.BytesIO(payload)).load()


def test_malicious_object_inside_persistent_state_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    net = factory.module_tree(_state_dict(), ['w_avg'], 'Generator', {})
    net.evil = _System(f'touch {marker}')
    path = str(tmp_path / 'evil.pkl')
    factory.dump_snapshot(path, G=net)
    with pytest.raises(pickle.UnpicklingError, match='posix.system|os.system'):
        load_nvlabs_pickle(path)
    assert not marker.exists()


def test_build_cannot_patch_allowed_callables():
    # GLOBAL, then BUILD with slot state {'__defaults__': ()}: would rewrite
    # the function's defaults if the unpickler handed out a plain function.
    payload = b"ctorch._utils\n_rebuild_tensor_v2\n(N(dS'__defaults__'\n(tstb."
    with pytest.raises(pickle.UnpicklingError, match='refusing to set'):
        RestrictedNVlabsUnpickler(io.BytesIO(payload)).load()
    payload = b"cdnnlib.util\nEasyDict\n(N(dS'__init__'\nNstb."
    with pytest.raises(pickle.UnpicklingError, match='refusing to set'):
        RestrictedNVlabsUnpickler(io.BytesIO(payload)).load()


def test_tensorflow_pickle_hint():
    payload = b'cdnnlib.tflib.network\nNetwork\n)R.'
    with pytest.raises(pickle.UnpicklingError, match='TensorFlow'):
        RestrictedNVlabsUnpickler(io.BytesIO(payload)).load()


def test_not_a_snapshot(tmp_path):
    with pytest.raises(ValueError, match='expected the dict'):
        load_nvlabs_pickle(io.BytesIO(pickle.dumps([1, 2])))
    with pytest.raises(ValueError, match='no network'):
        load_nvlabs_pickle(io.BytesIO(pickle.dumps(dict(a=1))))
