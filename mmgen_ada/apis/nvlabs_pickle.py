# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Read official NVlabs network pickles without running any pickled code.

``stylegan2-ada-pytorch`` and ``stylegan3`` save snapshots as
``pickle.dump(dict(G=..., D=..., G_ema=..., augment_pipe=...,
training_set_kwargs=...))``. Each network class is decorated by
``torch_utils.persistence.persistent_class``, which pickles an instance as
``_reconstruct_persistent_obj(meta)`` with ``meta = dict(type='class',
version=6, module_src=<source code of its module>, class_name=..., state=
<the module's __dict__>)``. The official loader ``exec``s ``module_src``:
loading a pickle from the internet runs whatever code it carries.

:class:`RestrictedNVlabsUnpickler` instead resolves only the globals in an
explicit allow-list (:data:`ALLOWED_GLOBALS`); any other global, e.g.
``os.system`` smuggled in through ``__reduce__``, raises
:class:`pickle.UnpicklingError` before anything is called. Persistent objects
become inert :class:`NVlabsModuleRecord` objects built from ``meta['state']``
(parameters, buffers, child modules, init kwargs, plain attributes);
``module_src`` is kept as text and never executed. ``dnnlib.util.EasyDict``
becomes a plain ``dict``. Tensors are rebuilt with torch's own rebuild
functions behind type checks; their storages, which plain pickling nests as
``torch.save`` bytes, are read with ``torch.load(weights_only=True)``.
"""
import _compat_pickle
import codecs
import collections
import io
import pickle
from collections import OrderedDict
from typing import Any, BinaryIO, Dict, Optional, Tuple, Union

import torch

from mmgen_ada.numpy_pickle_globals import NUMPY_ARRAY_GLOBALS
from mmgen_ada.numpy_pickle_globals import GuardedCallable as _Guarded

#: Keys of an official snapshot pickle that hold networks.
NETWORK_KEYS = ('G', 'D', 'G_ema', 'augment_pipe')

# nn.Module bookkeeping entries of a pickled module ``__dict__`` that carry
# no model information (hooks are refused below if non-empty).
_MODULE_INTERNALS = frozenset({
    'training', '_parameters', '_buffers', '_non_persistent_buffers_set',
    '_modules', '_backward_pre_hooks', '_backward_hooks',
    '_is_full_backward_hook', '_forward_hooks', '_forward_hooks_with_kwargs',
    '_forward_hooks_always_called', '_forward_pre_hooks',
    '_forward_pre_hooks_with_kwargs', '_state_dict_hooks',
    '_state_dict_pre_hooks', '_load_state_dict_pre_hooks',
    '_load_state_dict_post_hooks', '_init_args', '_init_kwargs',
    '_compiled_call_impl', '_orig_class_name', '_orig_module_src'
})


class NVlabsModuleRecord:
    """Inert record of one pickled NVlabs ``torch.nn.Module``.

    Holds what the pickle's ``meta`` describes; no class of the pickled
    source is ever created.

    Attributes:
        class_name (str): The official class name (``'Generator'``, ...).
        module_src (str): Source text of its module as pickled. Never run.
        version (int): ``torch_utils.persistence`` format version.
        init_args (tuple): Positional constructor arguments.
        init_kwargs (dict): Keyword constructor arguments (plain dicts).
        attributes (dict): Other plain attributes (``z_dim``, ...).
        parameters (OrderedDict[str, Tensor]): Own parameters.
        buffers (OrderedDict[str, Tensor]): Own buffers.
        non_persistent_buffers (set[str]): Buffers left out of
            :meth:`state_dict` (as in torch).
        children (OrderedDict[str, NVlabsModuleRecord]): Child modules.
    """

    def __init__(self, class_name: str, module_src: str, version: int,
                 state: Dict[str, Any]) -> None:
        self.class_name = class_name
        self.module_src = module_src
        self.version = version
        self.init_args = tuple(state.get('_init_args', ()) or ())
        self.init_kwargs = dict(state.get('_init_kwargs', {}) or {})
        self.parameters = OrderedDict(
            (k, v) for k, v in (state.get('_parameters') or {}).items()
            if v is not None)
        self.buffers = OrderedDict(
            (k, v) for k, v in (state.get('_buffers') or {}).items()
            if v is not None)
        self.non_persistent_buffers = set(
            state.get('_non_persistent_buffers_set') or ())
        self.children = OrderedDict(state.get('_modules') or {})
        self.attributes = {
            k: v
            for k, v in state.items() if k not in _MODULE_INTERNALS
        }
        for key, value in self.children.items():
            if value is not None and not isinstance(value, NVlabsModuleRecord):
                raise pickle.UnpicklingError(
                    f'child module {key!r} of {class_name} is a '
                    f'{type(value).__name__}, not a persistent NVlabs module')
        for name in ('_parameters', '_buffers'):
            for key, value in (state.get(name) or {}).items():
                if value is not None and not isinstance(value, torch.Tensor):
                    raise pickle.UnpicklingError(
                        f'{class_name}.{name}[{key!r}] is a '
                        f'{type(value).__name__}, not a tensor')

    def state_dict(self, prefix: str = '') -> 'OrderedDict[str, torch.Tensor]':
        """Parameters and persistent buffers, named as ``nn.Module`` would.

        Args:
            prefix (str): Prepended to every key. Defaults to ''.

        Returns:
            OrderedDict[str, Tensor]: The same keys, order and values as the
            official module's ``state_dict()``.
        """
        out = OrderedDict()
        for key, value in self.parameters.items():
            out[prefix + key] = value.detach()
        for key, value in self.buffers.items():
            if key not in self.non_persistent_buffers:
                out[prefix + key] = value.detach()
        for key, child in self.children.items():
            if child is not None:
                out.update(child.state_dict(f'{prefix}{key}.'))
        return out

    def __repr__(self) -> str:
        return (f'NVlabsModuleRecord({self.class_name}, '
                f'{len(self.state_dict())} tensors)')


class _FrozenType(type):
    """Metaclass whose classes refuse attribute assignment.

    A pickle's BUILD opcode may target any object it holds, including a
    class handed out by ``find_class``; this keeps it from patching ours.
    """

    def __setattr__(cls, name: str, value: Any) -> None:
        raise pickle.UnpicklingError(
            f'refusing to set {cls.__name__}.{name} while unpickling')


class _EasyDictStandIn(dict, metaclass=_FrozenType):
    """What ``dnnlib.util.EasyDict`` unpickles to; turned into ``dict``."""


# ---------------------------------------------------------------------------
# Allowed callables. Each checks its arguments before doing anything.


def _reconstruct_persistent_obj(meta: Any) -> NVlabsModuleRecord:
    if not isinstance(meta, dict) or meta.get('type') != 'class':
        raise pickle.UnpicklingError(
            'torch_utils.persistence meta must be a dict with '
            f"type='class', got {type(meta).__name__}")
    state = meta.get('state')
    if not isinstance(state, dict):
        raise pickle.UnpicklingError(
            f"persistent object {meta.get('class_name')!r} has a "
            f'{type(state).__name__} state; only module __dict__ states are '
            'supported')
    class_name, module_src = meta.get('class_name'), meta.get('module_src')
    if not isinstance(class_name, str) or not isinstance(module_src, str):
        raise pickle.UnpicklingError(
            'persistent object meta needs str class_name and module_src')
    return NVlabsModuleRecord(class_name, module_src,
                              int(meta.get('version', -1)),
                              to_plain_dicts(state))


def _load_storage_from_bytes(data: bytes) -> Any:
    """``torch.storage._load_from_bytes`` with ``weights_only=True``."""
    if not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError('tensor storage must be bytes, got '
                                     f'{type(data).__name__}')
    storage = torch.load(
        io.BytesIO(data), map_location='cpu', weights_only=True)
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise pickle.UnpicklingError(
            f'expected a tensor storage, got {type(storage).__name__}')
    return storage


def _check_no_hooks(hooks: Any) -> None:
    if hooks:
        raise pickle.UnpicklingError(
            'refusing a tensor with pickled backward hooks')


def _rebuild_tensor_v2(storage: Any,
                       storage_offset: int,
                       size: Tuple[int, ...],
                       stride: Tuple[int, ...],
                       requires_grad: bool = False,
                       backward_hooks: Any = None,
                       metadata: Any = None) -> torch.Tensor:
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise pickle.UnpicklingError(
            f'tensor storage must be a torch storage, got '
            f'{type(storage).__name__}')
    _check_no_hooks(backward_hooks)
    return torch._utils._rebuild_tensor_v2(storage, int(storage_offset),
                                           tuple(size), tuple(stride),
                                           bool(requires_grad), OrderedDict())


def _rebuild_parameter(data: Any,
                       requires_grad: bool,
                       backward_hooks: Any,
                       state: Any = None) -> torch.nn.Parameter:
    # ``state`` (extra Python attributes set on the parameter) is dropped.
    if not isinstance(data, torch.Tensor):
        raise pickle.UnpicklingError(
            f'parameter data must be a tensor, got {type(data).__name__}')
    _check_no_hooks(backward_hooks)
    return torch.nn.Parameter(data, bool(requires_grad))


# Stand-ins for the tensor classes: only _rebuild_from_type_v2 uses them.
_TENSOR_TYPE = _Guarded(torch.Tensor, 'torch.Tensor')
_PARAMETER_TYPE = _Guarded(torch.nn.Parameter, 'torch.nn.Parameter')


def _rebuild_from_type_v2(func: Any, new_type: Any, args: tuple,
                          state: Any) -> torch.Tensor:
    # ``state`` (extra Python attributes of the tensor) is dropped.
    if func is not _ALLOWED_REBUILD_TENSOR or new_type not in (
            _TENSOR_TYPE, _PARAMETER_TYPE):
        raise pickle.UnpicklingError(
            f'refusing tensor reconstruction with ({func!r}, {new_type!r})')
    tensor = func(*args)
    if new_type is _PARAMETER_TYPE:
        return torch.nn.Parameter(tensor, tensor.requires_grad)
    return tensor


def _codecs_encode(text: str, encoding: str = 'utf-8') -> bytes:
    """How protocol-2 pickles store bytes: ``encode(text, 'latin1')``."""
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError(
            f'refusing _codecs.encode(..., {encoding!r})')
    return codecs.encode(text, encoding)


def _torch_dtype_globals() -> Dict[Tuple[str, str], Any]:
    return {
        ('torch', name): value
        for name, value in vars(torch).items()
        if isinstance(value, torch.dtype)
    }


_ALLOWED_REBUILD_TENSOR = _Guarded(_rebuild_tensor_v2,
                                   'torch._utils._rebuild_tensor_v2')

#: ``(module, name)`` -> the object the unpickler hands out for it. Python
#: functions are wrapped in :class:`_Guarded`; the classes are immutable
#: (C types, or :class:`_FrozenType`).
ALLOWED_GLOBALS: Dict[Tuple[str, str], Any] = {
    ('torch_utils.persistence', '_reconstruct_persistent_obj'):
    _Guarded(_reconstruct_persistent_obj, '_reconstruct_persistent_obj'),
    ('dnnlib.util', 'EasyDict'):
    _EasyDictStandIn,
    ('dnnlib', 'EasyDict'):
    _EasyDictStandIn,
    ('collections', 'OrderedDict'):
    collections.OrderedDict,
    ('builtins', 'set'):
    set,
    ('builtins', 'frozenset'):
    frozenset,
    ('_codecs', 'encode'):
    _Guarded(_codecs_encode, '_codecs.encode'),
    ('torch._utils', '_rebuild_tensor_v2'):
    _ALLOWED_REBUILD_TENSOR,
    ('torch._utils', '_rebuild_parameter'):
    _Guarded(_rebuild_parameter, 'torch._utils._rebuild_parameter'),
    ('torch._utils', '_rebuild_parameter_with_state'):
    _Guarded(_rebuild_parameter, 'torch._utils._rebuild_parameter_with_state'),
    ('torch._tensor', '_rebuild_from_type_v2'):
    _Guarded(_rebuild_from_type_v2, 'torch._tensor._rebuild_from_type_v2'),
    ('torch.storage', '_load_from_bytes'):
    _Guarded(_load_storage_from_bytes, 'torch.storage._load_from_bytes'),
    ('torch', 'Size'):
    torch.Size,
    ('torch', 'Tensor'):
    _TENSOR_TYPE,
    ('torch.nn.parameter', 'Parameter'):
    _PARAMETER_TYPE,
    ('torch', 'device'):
    torch.device,
    **_torch_dtype_globals(),
    **NUMPY_ARRAY_GLOBALS,
}


class RestrictedNVlabsUnpickler(pickle.Unpickler):
    """Unpickler that resolves only :data:`ALLOWED_GLOBALS`.

    Raises:
        pickle.UnpicklingError: For any other global, naming it.
    """

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names (protocol < 3 pickles), as pickle's fix_imports;
        # the mapped name still has to be in the allow-list.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            pass
        hint = ''
        if module.startswith('dnnlib.tflib'):
            hint = (' This is a TensorFlow StyleGAN pickle; convert it to the '
                    'PyTorch format with NVlabs legacy.py first.')
        raise pickle.UnpicklingError(
            f'Refusing to load global {module}.{name} from an NVlabs pickle: '
            'it is not in the allow-list of data types (tensors, numpy '
            'arrays, dicts and torch_utils.persistence records), so loading '
            f'it could run arbitrary code.{hint}')

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(
            f'Refusing persistent id {pid!r}: NVlabs network pickles do not '
            'use persistent ids.')


def to_plain_dicts(obj: Any) -> Any:
    """Replace ``EasyDict`` stand-ins by plain dicts, recursively.

    Descends into dicts, lists and tuples (not into tensors or records).
    """
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, to_plain_dicts(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: to_plain_dicts(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain_dicts(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(to_plain_dicts(v) for v in obj)
    return obj


def load_nvlabs_pickle(file: Union[str, BinaryIO]) -> Dict[str, Optional[Any]]:
    """Load an official StyleGAN2-ADA / StyleGAN3 network pickle safely.

    Args:
        file (str | BinaryIO): Path of a ``network-snapshot-*.pkl`` or an
            open binary file.

    Returns:
        dict: ``G``, ``D``, ``G_ema``, ``augment_pipe``
        (:class:`NVlabsModuleRecord` or None when absent),
        ``training_set_kwargs`` (dict or None), and any other top-level
        entries of the pickle as plain data.

    Raises:
        pickle.UnpicklingError: If the pickle refers to a global outside
            :data:`ALLOWED_GLOBALS`.
        ValueError: If the content is not an official snapshot dict.
    """
    if isinstance(file, str):
        with open(file, 'rb') as f:
            data = RestrictedNVlabsUnpickler(f).load()
    else:
        data = RestrictedNVlabsUnpickler(file).load()
    name = file if isinstance(file, str) else getattr(file, 'name', 'pickle')
    if not isinstance(data, dict):
        raise ValueError(f'{name} holds a {type(data).__name__}; expected '
                         'the dict of an NVlabs network snapshot')
    data = to_plain_dicts(data)
    if not any(
            isinstance(data.get(k), NVlabsModuleRecord)
            for k in ('G', 'D', 'G_ema')):
        raise ValueError(f'{name} has no network under G, D or G_ema; '
                         f'its keys are {sorted(map(str, data))}')
    for key in NETWORK_KEYS:
        value = data.setdefault(key, None)
        if value is not None and not isinstance(value, NVlabsModuleRecord):
            raise ValueError(f'{name}[{key!r}] is a {type(value).__name__}, '
                             'not a persistent NVlabs network')
    data.setdefault('training_set_kwargs', None)
    return data
