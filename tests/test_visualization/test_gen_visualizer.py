# Copyright (c) mmgen-ada contributors. All rights reserved.
import glob
import json
import os.path as osp
import uuid

from mmengine.visualization import LocalVisBackend, TensorboardVisBackend

from mmgen_ada.visualization import GenVisualizer


def _backends(vis):
    return [type(b) for b in vis._vis_backends.values()]


def test_one_backend_override_keeps_scalars_json(tmp_path):
    vis = GenVisualizer(
        name=f'v-{uuid.uuid4().hex}',
        vis_backends=[dict(type='TensorboardVisBackend')],
        save_dir=str(tmp_path))
    assert _backends(vis) == [LocalVisBackend, TensorboardVisBackend]
    vis.add_scalars(dict(loss=1.5), step=3)
    vis.close()
    with open(tmp_path / 'vis_data' / 'scalars.json') as f:
        assert json.loads(f.readline()) == dict(loss=1.5, step=3)
    assert glob.glob(osp.join(tmp_path, 'vis_data', 'events.out.tfevents.*'))


def test_keep_local_false_leaves_it_out(tmp_path):
    vis = GenVisualizer(
        name=f'v-{uuid.uuid4().hex}',
        vis_backends=dict(type='TensorboardVisBackend'),
        save_dir=str(tmp_path),
        keep_local=False)
    assert _backends(vis) == [TensorboardVisBackend]
    vis = GenVisualizer(
        name=f'v-{uuid.uuid4().hex}',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path))
    assert _backends(vis) == [LocalVisBackend]
