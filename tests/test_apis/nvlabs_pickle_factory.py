# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Write pickles in the official NVlabs snapshot format, for tests.

The official format: ``pickle.dump(dict(G=..., D=..., G_ema=...,
augment_pipe=..., training_set_kwargs=EasyDict(...)))`` where every network
is an ``nn.Module`` whose ``__reduce__`` (added by
``torch_utils.persistence.persistent_class``) returns
``(torch_utils.persistence._reconstruct_persistent_obj, (meta,))`` with
``meta = dict(type='class', version=6, module_src=..., class_name=...,
state=<the module's __dict__>)``. Here fake ``torch_utils.persistence`` and
``dnnlib.util`` modules are put into ``sys.modules`` only while pickling,
and module trees are rebuilt from (official-layout) state dicts.
"""
import contextlib
import pickle
import sys
import types
from pathlib import Path
from typing import Iterable, Mapping, Optional

import torch
import torch.nn as nn

#: Marks the module source: the official loader would exec() it.
FAKE_MODULE_SRC = 'raise RuntimeError("module_src must never be executed")\n'


def _reconstruct_persistent_obj(meta):  # never called: only pickled by name
    raise RuntimeError('only used as a pickled reference')


class EasyDict(dict):
    """Stand-in for ``dnnlib.util.EasyDict`` (pickled by that name)."""


@contextlib.contextmanager
def fake_nvlabs_modules():
    """Register fake ``torch_utils.persistence`` and ``dnnlib.util``."""
    names = ('torch_utils', 'torch_utils.persistence', 'dnnlib', 'dnnlib.util')
    saved = {name: sys.modules.get(name) for name in names}
    mods = {name: types.ModuleType(name) for name in names}
    mods['torch_utils'].persistence = mods['torch_utils.persistence']
    mods['dnnlib'].util = mods['dnnlib.util']
    persistence, util = mods['torch_utils.persistence'], mods['dnnlib.util']
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj
    old_fn_module = _reconstruct_persistent_obj.__module__
    old_cls = (EasyDict.__module__, EasyDict.__qualname__)
    _reconstruct_persistent_obj.__module__ = 'torch_utils.persistence'
    EasyDict.__module__ = 'dnnlib.util'
    util.EasyDict = EasyDict
    sys.modules.update(mods)
    try:
        yield
    finally:
        _reconstruct_persistent_obj.__module__ = old_fn_module
        EasyDict.__module__, EasyDict.__qualname__ = old_cls
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class PersistentModule(nn.Module):
    """An ``nn.Module`` that pickles like a persistent NVlabs class."""

    def __init__(self,
                 class_name: str,
                 init_kwargs: Optional[dict] = None,
                 **attributes) -> None:
        super().__init__()
        self._orig_class_name = class_name
        self._init_args = ()
        self._init_kwargs = init_kwargs or {}
        for key, value in attributes.items():
            setattr(self, key, value)

    def __reduce__(self):
        state = dict(self.__dict__)
        meta = dict(
            type='class',
            version=6,
            module_src=FAKE_MODULE_SRC,
            class_name=self._orig_class_name,
            state=state)
        return (_reconstruct_persistent_obj, (meta, ))


def module_tree(state_dict: Mapping[str, torch.Tensor],
                buffer_names: Iterable[str],
                class_name: str,
                init_kwargs: Optional[dict] = None,
                **attributes) -> PersistentModule:
    """Persistent module tree with exactly ``state_dict`` as its state.

    Keys whose last component is in ``buffer_names`` become buffers, the
    others parameters; inner modules are named ``<name>Layer``.
    """
    root = PersistentModule(class_name, init_kwargs, **attributes)
    buffer_names = set(buffer_names)
    for key, value in state_dict.items():
        *path, leaf = key.split('.')
        module = root
        for part in path:
            if part not in module._modules:
                module.add_module(part, PersistentModule(f'{part}Layer'))
            module = module._modules[part]
        if leaf in buffer_names:
            module.register_buffer(leaf, value.clone())
        else:
            module.register_parameter(
                leaf, nn.Parameter(value.clone(), requires_grad=False))
    return root


def dump_snapshot(path: str, **networks) -> None:
    """``pickle.dump`` a snapshot dict with the fake NVlabs modules."""
    with fake_nvlabs_modules():
        data = dict(networks)
        data.setdefault(
            'training_set_kwargs',
            EasyDict(
                class_name='training.dataset.ImageFolderDataset',
                path='~/datasets/tiny.zip',
                resolution=32))
        with open(path, 'wb') as f:
            pickle.dump(data, f)


def easydict(**kwargs) -> EasyDict:
    """An EasyDict (pickled as ``dnnlib.util.EasyDict``)."""
    return EasyDict(**kwargs)


#: The shared official-format fixture (see its README.md).
FIXTURE = Path(__file__).resolve().parents[2] / '..' / 'shared' / \
    'fixtures' / 'nvlabs-small'
#: Init kwargs of the fixture's generator (besides the nested ones).
FIXTURE_G_KWARGS = dict(
    z_dim=64, c_dim=0, w_dim=64, img_resolution=32, img_channels=3)
#: Buffer names of the official StyleGAN2 generator.
G_BUFFERS = ('resample_filter', 'noise_const', 'w_avg')


def fixture_g_kwargs() -> EasyDict:
    """Init kwargs of the fixture's official ``Generator``."""
    return easydict(
        **FIXTURE_G_KWARGS,
        mapping_kwargs=easydict(num_layers=2),
        synthesis_kwargs=easydict(channel_base=2048, channel_max=64))


def fixture_d_kwargs() -> EasyDict:
    """Init kwargs of the fixture's official ``Discriminator``."""
    return easydict(
        c_dim=0,
        img_resolution=32,
        img_channels=3,
        architecture='resnet',
        channel_base=2048,
        channel_max=64,
        num_fp16_res=0,
        conv_clamp=None,
        cmap_dim=None,
        block_kwargs=easydict(),
        mapping_kwargs=easydict(),
        epilogue_kwargs=easydict(mbstd_group_size=4))


def write_snapshot(path: str,
                   g_sd: Mapping[str, torch.Tensor],
                   d_sd: Mapping[str, torch.Tensor],
                   augment_p: float = 0.25) -> str:
    """An official snapshot (G, D, G_ema = G, augment pipe) of the
    fixture's architecture with the given official-layout state dicts."""
    G = module_tree(g_sd, G_BUFFERS, 'Generator', fixture_g_kwargs(),
                    **FIXTURE_G_KWARGS)
    D = module_tree(d_sd, ['resample_filter'], 'Discriminator',
                    fixture_d_kwargs())
    pipe = module_tree({'p': torch.tensor(augment_p)}, ['p'], 'AugmentPipe',
                       easydict(xflip=1))
    dump_snapshot(str(path), G=G, D=D, G_ema=G, augment_pipe=pipe)
    return str(path)


def write_fixture_snapshot(path: str) -> str:
    """The fixture's perturbed official networks as a snapshot ``.pkl``."""
    return write_snapshot(
        path,
        torch.load(
            FIXTURE / 'generator_small_perturbed_state_dict.pt',
            weights_only=True),
        torch.load(
            FIXTURE / 'discriminator_small_perturbed_state_dict.pt',
            weights_only=True))
