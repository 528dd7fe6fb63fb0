# Copyright (c) mmgen-ada contributors. All rights reserved.
"""mmengine's ``Visualizer`` that keeps the local JSON log."""
from typing import List, Optional, Sequence, Union

from mmengine.logging import print_log
from mmengine.visualization import (BaseVisBackend, LocalVisBackend,
                                    Visualizer)

from mmgen_ada.registry import VISUALIZERS

BackendCfg = Union[dict, BaseVisBackend]


def _is_local(backend: BackendCfg) -> bool:
    if isinstance(backend, BaseVisBackend):
        return isinstance(backend, LocalVisBackend)
    kind = backend.get('type', '')
    if isinstance(kind, type):
        return issubclass(kind, LocalVisBackend)
    return str(kind).split('.')[-1] == 'LocalVisBackend'


@VISUALIZERS.register_module()
class GenVisualizer(Visualizer):
    """A ``Visualizer`` whose backends always include ``LocalVisBackend``.

    ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/
    scalars.json``, which ``tools/analysis/plot_curves.py`` reads. Overriding
    the backend list with only, say, TensorBoard would drop it; here it is
    added back (and logged) unless ``keep_local=False``.

    Args:
        name (str): Instance name. Defaults to 'visualizer'.
        vis_backends (dict | list, optional): Backend configs or instances,
            as for ``Visualizer``. Defaults to None (only the local one).
        save_dir (str, optional): Where backends write (the runner sets
            ``<work_dir>/<timestamp>``). Defaults to None.
        keep_local (bool): Add ``LocalVisBackend`` when the list lacks it.
            Defaults to True.
        **kwargs: Other ``Visualizer`` arguments.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 vis_backends: Optional[Union[BackendCfg,
                                              Sequence[BackendCfg]]] = None,
                 save_dir: Optional[str] = None,
                 keep_local: bool = True,
                 **kwargs) -> None:
        if isinstance(vis_backends, (dict, BaseVisBackend)):
            vis_backends = [vis_backends]
        backends: List[BackendCfg] = list(vis_backends or [])
        if keep_local and not any(
                isinstance(b, (dict, BaseVisBackend)) and _is_local(b)
                for b in backends):
            backends.insert(0, dict(type='LocalVisBackend'))
            print_log(
                'GenVisualizer: added LocalVisBackend to the vis backends '
                '(scalars.json, read by tools/analysis/plot_curves.py); set '
                'visualizer.keep_local=False to leave it out',
                logger='current')
        super().__init__(
            name=name, vis_backends=backends, save_dir=save_dir, **kwargs)
