# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Batch sampler that refuses a dataset smaller than one global batch."""
from torch.utils.data import BatchSampler, Sampler

from mmengine.dist import get_world_size

from mmgen_ada.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class GANBatchSampler(BatchSampler):
    """torch ``BatchSampler`` that checks the dataset holds a global batch.

    One optimisation step draws ``batch_size * world_size`` real images. A
    dataset with fewer images would repeat images inside every step (and
    with the minibatch-stddev layer, inside one discriminator group), which
    is almost always a configuration mistake, so it is an error here rather
    than silently working. Mirrored copies count as images.

    mmengine's ``Runner.build_dataloader`` passes ``sampler`` and
    ``batch_size`` when the dataloader config has
    ``batch_sampler=dict(type='GANBatchSampler')``.

    Args:
        sampler (Sampler): The index sampler, e.g. mmengine's
            ``InfiniteSampler``; it must have a ``dataset`` attribute.
        batch_size (int): Images per batch on one process.
        drop_last (bool): Drop a last incomplete batch (never happens with
            ``InfiniteSampler``). Defaults to True.

    Raises:
        ValueError: The dataset has fewer than ``batch_size * world_size``
            items; the message gives both numbers.
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 drop_last: bool = True) -> None:
        super().__init__(sampler, batch_size, drop_last)
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None:
            raise TypeError(f'GANBatchSampler needs a sampler with a '
                            f'`dataset` attribute, got {type(sampler)}')
        world_size = getattr(sampler, 'world_size', None) or get_world_size()
        global_batch = batch_size * world_size
        if len(dataset) < global_batch:
            root = getattr(dataset, 'data_root', type(dataset).__name__)
            raise ValueError(
                f'dataset {root} has {len(dataset)} images, fewer than one '
                f'batch of {global_batch} ({batch_size} per process x '
                f'{world_size} processes); add images, enable mirror=True '
                'or lower batch_size')
