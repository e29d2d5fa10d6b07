"""Scale presets, the one place where ``smoke``, ``demo`` and ``paper`` are defined.

``smoke`` proves the plumbing in seconds (the tests), ``demo`` gives meaningful results
in minutes on a 2-core CPU (the default of ``make all``), and ``paper`` follows the
documents' sizes and is meant for a GPU and real data. Notebooks read their settings
with :func:`preset` instead of copying numbers.
"""

from __future__ import annotations

from typing import Any, Literal

Scale = Literal["smoke", "demo", "paper"]


SCALES: tuple[str, ...] = ("smoke", "demo", "paper")


_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "synthetic": {
        # the embedded dataset (seqreg.simulate): chromosome lengths in bases, bases between
        # neighbouring genes, and the population and variant data. The demo genome packs
        # genes 2.5x closer than the others (1,000 genes, about 1,260 promoters and 2,600
        # enhancers in 20 Mb): with one gene per 50 kb its promoters were too few for the
        # demo model to learn the promoter grammar, and its CAGE output fell back on
        # CpG-island content. 20 Mb rather than 10 Mb gives notebook 03 about 190 held-out
        # genes: over the 96 of 10 Mb, even the planted expression clustered with the
        # measured CAGE at ARI 0.19 only (0.34 over 194 genes), the bootstrap's noise
        # being larger than the structure. Demo plants 1.25 causal eQTL variants per gene.
        # qtl_target_share: the share of active elements with histone-QTL sources; 7% at
        # demo and paper leaves most 10-kb regions without a QTL, as in the microglia QTL
        # report (9% left 79-86% untargeted over two demo genomes, below the report's 92%);
        # the 1-Mb smoke genome needs half of them to have any QTL to test the plumbing on.
        "smoke": {
            "chromosomes": [400_000, 350_000, 250_000],
            "gene_spacing": 50_000,
            "individuals": 100,
            "causal_variants": 40,
            "cis_window": 200_000,
            "families": 100,
            "gwas_positives": 20,
            "qtl_target_share": 0.5,
            # ChromDragoNN's cell-type panel (seqreg.simulate.panel): labelled cell types,
            # RNA-only ones, and decoy TFs beside the 21 planted (1,630 TFs in the paper)
            "panel_cell_types": 14,
            "panel_rna_only": 12,
            "panel_decoy_tfs": 19,
        },
        "demo": {
            "chromosomes": [6_400_000, 5_600_000, 4_800_000, 3_200_000],
            "gene_spacing": 20_000,
            "individuals": 500,
            "causal_variants": 1250,
            "cis_window": 250_000,
            "families": 1000,
            "gwas_positives": 150,
            "qtl_target_share": 0.07,
            "panel_cell_types": 40,
            "panel_rna_only": 12,
            "panel_decoy_tfs": 179,
        },
        "paper": {
            "chromosomes": [40_000_000, 32_000_000, 28_000_000, 24_000_000, 20_000_000, 16_000_000],
            "gene_spacing": 50_000,
            "individuals": 1000,
            "causal_variants": 2500,
            "cis_window": 1_000_000,
            "families": 2000,
            "gwas_positives": 1500,
            "qtl_target_share": 0.07,
            "panel_cell_types": 123,
            "panel_rna_only": 24,
            "panel_decoy_tfs": 1609,
        },
    },
    "coverage": {
        # reads simulated from one synthetic DNase track for the BAM-to-coverage comparison;
        # demo: 4M 50-bp reads over 20 Mb, the 10x coverage that 2M gave the former 10-Mb genome
        "smoke": {"n_reads": 300_000},
        "demo": {"n_reads": 4_000_000},
        "paper": {"n_reads": 20_000_000},
    },
    "preprocess": {
        # windows of seq_length every stride bp (2019: half overlap + 63 bp), 128-bp bins,
        # crop_bp trimmed from each end of the targets (2019 crops 64 of 1024 bins per side).
        # Demo tiles its 20-Mb genome without overlap: 900 training windows, about as many as
        # half-overlapping windows of 10 Mb gave (851), so an epoch takes about as long. The
        # cropped ends are then never a target: 2,048 bp of every 16,447 (12%), so about one
        # TSS in eight is neither trained on nor evaluated (smoke's tiling does the same)
        "smoke": {"seq_length": 4096, "pool_width": 128, "stride": 4096, "crop_bp": 256},
        "demo": {"seq_length": 16384, "pool_width": 128, "stride": 16384 + 63, "crop_bp": 1024},
        "paper": {"seq_length": 131072, "pool_width": 128, "stride": 65536 + 63, "crop_bp": 8192},
    },
    "train": {
        # seqreg.train.TrainConfig fields. paper: the Basenji2 human parameters (SGD with
        # momentum 0.99, rate 0.15, batch 4, clip norm 2, patience 16); smoke and demo use
        # Adam, which converges in few epochs on small data. The demo model learns its first
        # motifs by epoch 10 and the promoter grammar that variant scores need by about 20;
        # its validation loss was still falling at 24 (best epoch 20 of 24 in two runs), so
        # it trains up to 30 epochs, patience 6 (about 35 s per epoch on 2 CPU cores)
        "smoke": {
            "epochs": 3,
            "batch_size": 8,
            "optimizer": "adam",
            "learning_rate": 2e-3,
            "warmup_steps": 10,
            "patience": 3,
        },
        "demo": {
            "epochs": 30,
            "batch_size": 4,
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "warmup_steps": 200,
            "patience": 6,
        },
        "paper": {
            "epochs": 200,
            "batch_size": 4,
            "optimizer": "sgd",
            "learning_rate": 0.15,
            "momentum": 0.99,
            "warmup_steps": 0,
            "clipnorm": 2.0,
            "patience": 16,
        },
    },
    # model sizes (seqreg.models.specs); a model's seq_length and cropping come from
    # "preprocess", so models always fit the store's windows and target bins. paper follows
    # the documents; smoke and demo are chosen to train on a CPU
    "basenji2": {
        "smoke": {"stem": 16, "tower": (16, 32), "residual_filters": 8, "residual": 3, "final": 32},
        "demo": {
            "stem": 48,
            "tower": (48, 128),
            "residual_filters": 32,
            "residual": 8,
            "final": 256,
        },
        "paper": {
            "stem": 288,
            "tower": (339, 768),
            "residual_filters": 384,
            "residual": 11,
            "final": 1536,
        },
    },
    "basenji2018": {
        "smoke": {"filters": (16, 16, 24, 32), "dense_filters": 8, "dilated": 4, "final": 32},
        "demo": {"filters": (64, 64, 96, 128), "dense_filters": 24, "dilated": 6, "final": 192},
        "paper": {"filters": (128, 128, 192, 256), "dense_filters": 32, "dilated": 7, "final": 384},
    },
    # the binary peak classifiers of Basenji 2018 Supp. Fig. S1 (seqreg.models.specs.basset
    # and .deepsea; the kernel widths are the published ones at every scale). paper: Basset's
    # 300/200/200 filters and two dense layers of 1000, DeepSEA's 320/480/960 filters and
    # hidden layer of 925 (the paper; its code has 919). demo keeps the papers' filter ratios
    # (1.5:1:1, 1:1.5:3) and trains one epoch over the ~12,600 1,024-bp subsequences of the
    # demo benchmark in under 30 s on 2 CPU cores (batches of 64, train_on_batch: Basset
    # ~21 s, DeepSEA ~14 s; 537k and 2.86M parameters with 17 targets)
    "basset": {
        "smoke": {"filters": (8, 8, 8), "dense": (16, 16)},
        "demo": {"filters": (96, 64, 64), "dense": (256, 256)},
        "paper": {"filters": (300, 200, 200), "dense": (1000, 1000)},
    },
    "deepsea": {
        "smoke": {"filters": (8, 8, 8), "hidden": 16},
        "demo": {"filters": (64, 96, 192), "hidden": 256},
        "paper": {"filters": (320, 480, 960), "hidden": 925},
    },
    "chromdragonn": {
        # ChromDragoNN (Nair et al. 2019; seqreg.models.specs.chromdragonn): the filters of
        # each convolution, in order, of its three stage-1 trunks on 1,000-bp inputs (the
        # kernel widths and pools are the published ones at every scale). basset: 3 convs;
        # factorized: 9 (5 before the first pool, 3 before the second, 1); resnet: the stem's
        # two convs (the second sets the first residual group's width), the convs opening
        # the 2nd and 3rd residual groups (the 3rd also sets the 4th group's width) and the
        # last conv. dense: units of the two fully connected layers of both stages; dropout
        # after each. stage1 / stage2: training (seqreg.train.TrainConfig fields); paper:
        # Adam 0.002 with batches of 256 for stage 1, 1e-4 with batches of 512 for stage 2.
        # demo trains on a 2-core CPU: in notebook 11, three epochs of stage 1 on 16,192
        # sequences of 1,000 bp took basset 59 s, factorized 141 s and resnet 236 s; all
        # embeddings are 48 x 21 = 1,008. Smaller widths gain
        # little: the ResNet's time is its 11 convolutions at full length (and their batch
        # norms), and widths 4, 6, 8, 24, 40 still took about 90 ms per batch of 64 against
        # 60-70 ms for Basset and Factorized Basset at about 320k parameters.
        "smoke": {
            "basset": (8, 8, 8),
            "factorized": (4, 4, 6, 6, 8, 8, 8, 8, 8),
            "resnet": (4, 6, 8, 8, 8),
            "dense": 16,
            "dropout": 0.3,
            "bn_momentum": 0.9,
            "stage1": {
                "optimizer": "adam",
                "learning_rate": 2e-3,
                "batch_size": 32,
                "loss": "bce_logits",
            },
            "stage2": {
                "optimizer": "adam",
                "learning_rate": 1e-3,
                "batch_size": 32,
                "loss": "bce_logits",
            },
        },
        "demo": {
            "basset": (64, 48, 48),
            "factorized": (12, 16, 24, 32, 64, 48, 48, 48, 48),
            "resnet": (12, 16, 32, 48, 48),
            "dense": 256,
            "dropout": 0.3,
            "bn_momentum": 0.9,
            "stage1": {
                "optimizer": "adam",
                "learning_rate": 2e-3,
                "batch_size": 64,
                "loss": "bce_logits",
            },
            "stage2": {
                "optimizer": "adam",
                "learning_rate": 1e-3,
                "batch_size": 64,
                "loss": "bce_logits",
            },
        },
        "paper": {
            "basset": (300, 200, 200),
            "factorized": (48, 64, 100, 150, 300, 200, 200, 200, 200),
            "resnet": (48, 64, 128, 200, 200),
            "dense": 1000,
            "dropout": 0.3,
            "bn_momentum": 0.9,
            "stage1": {
                "optimizer": "adam",
                "learning_rate": 2e-3,
                "batch_size": 256,
                "loss": "bce_logits",
                "warmup_steps": 0,
                "clipnorm": None,
            },
            "stage2": {
                "optimizer": "adam",
                "learning_rate": 1e-4,
                "batch_size": 512,
                "loss": "bce_logits",
                "warmup_steps": 0,
                "clipnorm": None,
            },
        },
    },
    "rf_ablation": {
        # Basenji 2018 trained with different numbers of dilated layers (Supp. Fig. S4)
        "smoke": {"dilated_layers": (0, 2), "epochs": 2},
        "demo": {"dilated_layers": (0, 2, 4, 6), "epochs": 5},
        "paper": {"dilated_layers": (0, 1, 3, 5, 7), "epochs": 30},
    },
    "variant_scores": {
        # window centres every stride bp (each variant within stride/2 of its window's
        # centre), LD window for LD scores, pruning and signed LD profiles
        "smoke": {"stride": 512, "ld_window": 50_000},
        "demo": {"stride": 2048, "ld_window": 100_000},
        "paper": {"stride": 8192, "ld_window": 1_000_000},
    },
    "peak_benchmark": {
        # Basenji 2018 Supp. Fig. S1: 1,024-bp subsequences, peaks in the centre 256 bp,
        # and the training of the binary baselines (seqreg.train.TrainConfig fields per
        # model). paper: Basset's RMSprop (rate 0.002, alpha 0.98, batch 128) and DeepSEA's
        # SGD with momentum 0.9 (its rate 1 was for summed, not averaged, losses); demo:
        # Adam, which converges in a few epochs on ~12,600 subsequences. Smoke halves the
        # length so its 4-kb windows give seven subsequences each rather than three (the
        # centre's flanks must be whole 128-bp bins for Basenji's score)
        "smoke": {
            "length": 512,
            "centre": 256,
            "train": {
                "basset": {
                    "epochs": 2,
                    "batch_size": 32,
                    "optimizer": "adam",
                    "learning_rate": 2e-3,
                },
                "deepsea": {
                    "epochs": 2,
                    "batch_size": 32,
                    "optimizer": "adam",
                    "learning_rate": 2e-3,
                },
            },
        },
        "demo": {
            "length": 1024,
            "centre": 256,
            "train": {
                "basset": {
                    "epochs": 8,
                    "batch_size": 64,
                    "optimizer": "adam",
                    "learning_rate": 1e-3,
                    "patience": 3,
                },
                "deepsea": {
                    "epochs": 8,
                    "batch_size": 64,
                    "optimizer": "adam",
                    "learning_rate": 1e-3,
                    "patience": 3,
                },
            },
        },
        "paper": {
            "length": 1024,
            "centre": 256,
            "train": {
                "basset": {
                    "epochs": 60,
                    "batch_size": 128,
                    "optimizer": "rmsprop",
                    "learning_rate": 2e-3,
                    "rho": 0.98,
                    "patience": 10,
                },
                "deepsea": {
                    "epochs": 60,
                    "batch_size": 16,
                    "optimizer": "sgd",
                    "learning_rate": 0.01,
                    "momentum": 0.9,
                    "patience": 10,
                },
            },
        },
    },
    "chromdragonn_experiment": {
        # notebook 11's held-out cell types and training budget (ChromDragoNN, Nair et al.
        # 2019). folds x test_per_fold test cell types plus n_valid validation ones are held
        # out; stage 1 trains on the rest (the paper: 10 validation and 10 test of 123 in
        # one split; the 5 folds at paper). pool_*: training bins (open in a
        # pre-training cell type, and drawn at random); eval_every: every k-th bin is
        # evaluated (the authors take every 500th locus of the genome). tuned_folds,
        # tuned_variants ("mean", "nomean") and tuned_archs: the stage-2 models that also
        # tune the trunk, starting from the frozen model's head at tuned_lr (each costs a
        # sequence model's training, so demo tunes the ResNet with the mean in the first
        # fold only). Demo stage 1 stops at 2 epochs: at 3, validation loss rose again for
        # the ResNet and Factorized Basset (0.36 -> 0.47, 0.41 -> 0.46) as training loss fell.
        # pretrain_epochs, pretrain_steps: Fig 1B's two runs from a random head (trunk from
        # stage 1, or random). *_steps: batches per epoch.
        "smoke": {
            "folds": 2,
            "test_per_fold": 2,
            "n_valid": 2,
            "pool_positive": 600,
            "pool_random": 300,
            "valid_share": 0.15,
            "stage1_epochs": 1,
            "head_epochs": 2,
            "head_steps": 10,
            "head_batch": 128,
            "tuned_epochs": 1,
            "tuned_steps": 4,
            "tuned_lr": 1e-4,
            "tuned_folds": (),
            "tuned_variants": ("mean",),
            "tuned_archs": ("resnet",),
            "pretrain_epochs": 0,
            "pretrain_steps": 4,
            "eval_every": 10,
            "patience": 3,
        },
        "demo": {
            "folds": 2,
            "test_per_fold": 5,
            "n_valid": 4,
            "pool_positive": 14_000,
            "pool_random": 4_000,
            "valid_share": 0.1,
            "stage1_epochs": 2,
            "head_epochs": 8,
            "head_steps": 150,
            "head_batch": 256,
            "tuned_epochs": 1,
            "tuned_steps": 100,
            "tuned_lr": 1e-4,
            "tuned_folds": (0,),
            "tuned_variants": ("mean",),
            "tuned_archs": ("resnet",),
            "pretrain_epochs": 2,
            "pretrain_steps": 40,
            "eval_every": 30,
            "patience": 3,
        },
        "paper": {
            "folds": 5,
            "test_per_fold": 10,
            "n_valid": 10,
            "pool_positive": 2_000_000,
            "pool_random": 2_000_000,
            "valid_share": 0.05,
            "stage1_epochs": 100,
            "head_epochs": 100,
            "head_steps": 4000,
            "head_batch": 512,
            "tuned_epochs": 100,
            "tuned_steps": 4000,
            "tuned_lr": 1e-4,
            "tuned_folds": (0, 1, 2, 3, 4),
            "tuned_variants": ("nomean", "mean"),
            "tuned_archs": ("basset", "factorized", "resnet"),
            "pretrain_epochs": 20,
            "pretrain_steps": 4000,
            "eval_every": 500,
            "patience": 5,
        },
    },
    "chromdragonn_motifs": {
        # notebook 12 (ChromDragoNN Figs 2-3): cell types analysed per tissue, bins per cell
        # type given to gradient x input (at least min_sequences, else the cell type is left
        # out), the central crop_bp bases TF-MoDISco sees, its seqlet cap and Leiden runs
        # (modiscolite's default is 50) and nearest neighbours (its default 500; 150 finds
        # the same patterns on a planted toy in a third of the time), every
        # impute_every-th bin imputed for the t-SNE maps. Demo: three cell types per tissue
        # (Fig 3A correlates motif activity with expression across them, so more cell
        # types give it more power) of 500 bins each, to stay within 10 minutes.
        "smoke": {
            "per_tissue": 1,
            "n_sequences": 150,
            "min_sequences": 40,
            "crop_bp": 400,
            "max_seqlets": 500,
            "n_leiden_runs": 2,
            "n_neighbors": 100,
            "impute_every": 100,
            "tsne_perplexity": 3,
        },
        "demo": {
            "per_tissue": 3,
            "n_sequences": 500,
            "min_sequences": 100,
            "crop_bp": 400,
            "max_seqlets": 1000,
            "n_leiden_runs": 2,
            "n_neighbors": 150,
            "impute_every": 40,
            "tsne_perplexity": 4,
        },
        "paper": {
            "per_tissue": 3,
            "n_sequences": 5000,
            "min_sequences": 500,
            "crop_bp": 400,
            "max_seqlets": 20_000,
            "n_leiden_runs": 50,
            "n_neighbors": 500,
            "impute_every": 500,
            "tsne_perplexity": 10,
        },
    },
    "leopard": {
        # Leopard's U-Net (microglia report 4.2): 10,240-bp inputs, 15 first-level filters
        # x1.5 per level, 5 levels at paper, as GuanLab/Leopard; demo and smoke shrink.
        # Training as Leopard's train.py at paper (Adam 1e-3, decay 1e-5, 5 epochs of 1,000
        # steps of 100 random windows); demo trains each of the four
        # models on 5 x 80 batches of 16 random 4,096-bp windows (about 1.5 min on 2 CPU
        # cores). resolution: bin size (bp) of labels and accessibility (32: the synthetic
        # bigWigs' bins). test/valid: held-out chromosomes (paper: Leopard's chr1, chr8,
        # chr21); empty: the smallest chromosome for test, the next for validation.
        # bn_momentum: Keras's default 0.99 at paper, as Leopard; 0.9 where training is a few
        # hundred steps, since with 0.99 the batch-norm statistics used at inference still
        # lagged the weights after 400 steps (demo model B: validation loss 2.6-10.7 against
        # a training loss of 0.3-0.6)
        "smoke": {
            "seq_length": 1024,
            "filters_init": 8,
            "levels": 3,
            "bn_momentum": 0.9,
            "resolution": 32,
            "epochs": 2,
            "batch_size": 8,
            "steps": 6,
            "valid_steps": 2,
            "test_chroms": [],
            "valid_chroms": [],
        },
        "demo": {
            "seq_length": 4096,
            "filters_init": 15,
            "levels": 5,
            "bn_momentum": 0.9,
            "resolution": 32,
            "epochs": 5,
            "batch_size": 16,
            "steps": 80,
            "valid_steps": 12,
            "test_chroms": [],
            "valid_chroms": [],
        },
        "paper": {
            "seq_length": 10240,
            "filters_init": 15,
            "levels": 5,
            "bn_momentum": 0.99,
            "resolution": 10,
            "epochs": 5,
            "batch_size": 100,
            "steps": 1000,
            "valid_steps": 100,
            "test_chroms": ["chr1", "chr8", "chr21"],
            "valid_chroms": [],
        },
    },
    "attention": {
        # an Enformer-like attention model (microglia report 4.3 compares its receptive field
        # with convolutional ones; DeepMind enformer.py): channels C, heads H (C / H divisible
        # by 6: three basis functions and their signed copies), transformer layers, key size,
        # and the tower's filters rounded to multiples of divisible_by (Enformer: C = 1536,
        # 8 heads, 11 layers, key 64, divisible by 128; 128 leaves a small C without
        # filters). Its input length, 128-bp bins and crop follow "preprocess", as Basenji's,
        # so it trains on notebook 02's store; epochs: its training in notebook 14 (the other
        # settings are "train"'s; demo: about 1.5 min per epoch of 900 windows on 2 CPU cores)
        "smoke": {
            "channels": 48,
            "heads": 2,
            "layers": 1,
            "key_size": 16,
            "divisible_by": 8,
            "dropout": 0.1,
            "epochs": 1,
        },
        "demo": {
            "channels": 96,
            "heads": 4,
            "layers": 2,
            "key_size": 32,
            "divisible_by": 16,
            "dropout": 0.2,
            "epochs": 3,
        },
        "paper": {
            "channels": 1536,
            "heads": 8,
            "layers": 11,
            "key_size": 64,
            "divisible_by": 128,
            "dropout": 0.4,
            "epochs": 200,
        },
    },
    "saliency_ism": {
        # Basenji 2018 Fig 4: shuffled copies of each annotation element for the saliency
        # background; elements of planted truth scored by ISM in the recovery check (each
        # up to max_ism_bp bases, centred on the element)
        "smoke": {"shuffle_copies": 2, "recovery_elements": 2, "max_ism_bp": 160},
        "demo": {"shuffle_copies": 3, "recovery_elements": 30, "max_ism_bp": 300},
        "paper": {"shuffle_copies": 3, "recovery_elements": 200, "max_ism_bp": 300},
    },
    "gwas": {
        # Supp. Fig. S9: principal components of Basenji's penultimate features (128 in the
        # paper); fewer where there are few SNPs (demo: 300 SNPs, ~270 per training fold)
        "smoke": {"components": 4},
        "demo": {"components": 16},
        "paper": {"components": 128},
    },
    "data_qc": {
        # chromosomes read for track QC (None = all) and values sampled per track
        "smoke": {"max_chromosomes": None, "values_per_track": 20_000},
        "demo": {"max_chromosomes": None, "values_per_track": 100_000},
        "paper": {"max_chromosomes": 24, "values_per_track": 200_000},
    },
}


def check_scale(scale: str) -> str:
    """Return ``scale`` if it is one of :data:`SCALES`, else raise ``ValueError``.

    Raises
    ------
    ValueError
        For a scale other than smoke, demo or paper.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return scale


def preset(analysis: str, scale: str) -> dict[str, Any]:
    """Settings of ``analysis`` at ``scale`` (a copy; safe to modify).

    Raises
    ------
    ValueError
        For an unknown scale.
    KeyError
        For an analysis without presets.
    """
    check_scale(scale)
    if analysis not in _PRESETS:
        raise KeyError(f"no scale presets for {analysis!r}; known: {', '.join(sorted(_PRESETS))}")
    return dict(_PRESETS[analysis][scale])
