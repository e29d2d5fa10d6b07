"""Accuracy analyses of coverage models (Basenji 2018, Figs 2-3 and S4).

Everything here takes plain arrays, ``(windows, bins, tracks)`` for predictions and
targets, plus the store's track table, so the same functions evaluate a trained network,
a baseline or another model's predictions:

- :func:`track_accuracy`: per-track Pearson r and R^2 of log2(1 + x) over all bins;
- baselines: :func:`mean_profile_baseline` and :func:`kmer_ridge_baseline`;
- :func:`replicate_comparison`: prediction-vs-experiment against replicate-vs-replicate;
- gene-level CAGE: :func:`tss_bins`, :func:`gene_matrix`, :func:`gene_accuracy`,
  :func:`quantile_normalize`, :func:`cluster_agreement`, :func:`accuracy_by_variability`,
  :func:`tss_switching`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def log2p(values: np.ndarray) -> np.ndarray:
    """``log2(1 + x)`` as float64 (the scale of the papers' scatter plots)."""
    return np.log2(1.0 + np.asarray(values, dtype=np.float64))


def pearson(a: np.ndarray, b: np.ndarray, axis: int = 0) -> np.ndarray:
    """Pearson correlation along ``axis`` (NaN where either side is constant)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=axis) / denominator, np.nan)


def r_squared(target: np.ndarray, prediction: np.ndarray, axis: int = 0) -> np.ndarray:
    """Coefficient of determination ``1 - SSE / SST`` along ``axis``."""
    target = np.asarray(target, dtype=np.float64)
    residual = ((target - prediction) ** 2).sum(axis=axis)
    total = ((target - target.mean(axis=axis, keepdims=True)) ** 2).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)


def assay_type(assay: str) -> str:
    """The assay family a track's ``assay`` belongs to, as the papers group tracks:
    ``DNase`` (DNase-seq, ATAC-seq), ``histone ChIP`` (H2/H3/H4 marks), ``TF ChIP`` (other
    ChIP-seq), ``CAGE``; anything else is returned unchanged."""
    upper = assay.upper()
    if upper.startswith(("DNASE", "ATAC")):
        return "DNase"
    if upper.startswith("CAGE"):
        return "CAGE"
    target = upper.split("-", 1)[1] if upper.startswith("CHIP-") else upper
    if target.startswith(("H2A", "H2B", "H3", "H4")):
        return "histone ChIP"
    if upper.startswith("CHIP"):
        return "TF ChIP"
    return assay


def track_accuracy(prediction: np.ndarray, target: np.ndarray, tracks: list[dict]):
    """Per-track accuracy over every bin of every window.

    Parameters
    ----------
    prediction, target
        ``(windows, bins, tracks)``.
    tracks
        The store's track table (``id``, ``assay``, ``cell_type``...).

    Returns
    -------
    pandas.DataFrame
        One row per track: ``track``, ``assay``, ``assay_type`` (:func:`assay_type`),
        ``cell_type``, ``pearson_r`` and ``r2``
        of log2(1 + x), and ``pearson_r_raw`` of the untransformed values.
    """
    import pandas as pd

    n_tracks = target.shape[-1]
    flat_target = target.reshape(-1, n_tracks)
    flat_prediction = prediction.reshape(-1, n_tracks)
    log_target, log_prediction = log2p(flat_target), log2p(flat_prediction)
    return pd.DataFrame(
        {
            "track": [t["id"] for t in tracks],
            "assay": [t["assay"] for t in tracks],
            "assay_type": [assay_type(t["assay"]) for t in tracks],
            "cell_type": [t.get("cell_type") for t in tracks],
            "pearson_r": pearson(log_target, log_prediction),
            "r2": r_squared(log_target, log_prediction),
            "pearson_r_raw": pearson(flat_target, flat_prediction),
        }
    )


# -- baselines -------------------------------------------------------------------------------
def mean_profile_baseline(train_targets: np.ndarray, n_windows: int) -> np.ndarray:
    """Each track's mean profile over training windows, repeated for ``n_windows``.

    ``(windows, bins, tracks)`` in; ``(n_windows, bins, tracks)`` out. It knows where in a
    window signal tends to be (nowhere in particular, for tiled windows) and each track's
    level, nothing about the sequence.
    """
    profile = np.asarray(train_targets, dtype=np.float64).mean(axis=0)
    return np.broadcast_to(profile, (n_windows, *profile.shape)).astype(np.float32)


def kmer_features(codes: np.ndarray, pool_width: int, crop_bp: int, k: int = 4) -> np.ndarray:
    """Per-bin GC fraction and k-mer frequencies (both strands pooled) of the sequence.

    Parameters
    ----------
    codes
        ``(windows, seq_length)`` uint8 codes A=0 C=1 G=2 T=3 N=4.
    pool_width, crop_bp
        Bin width and the bases cropped at each end, as in the store's spec.
    k
        k-mer length; ``4 ** k / 2`` canonical k-mers (roughly; palindromes once).

    Returns
    -------
    np.ndarray
        ``(windows, bins, 1 + n_kmers)`` float32: GC fraction, then k-mer frequencies
        per bin.
    """
    codes = np.asarray(codes)
    windows, length = codes.shape
    bins = (length - 2 * crop_bp) // pool_width
    core = codes[:, crop_bp : crop_bp + bins * pool_width]
    valid = core < 4
    gc = ((core == 1) | (core == 2)).reshape(windows, bins, pool_width).mean(axis=2)
    # k-mer index of the k bases starting at each position; N anywhere -> invalid
    index = np.zeros((windows, core.shape[1] - k + 1), dtype=np.int64)
    ok = np.ones_like(index, dtype=bool)
    for offset in range(k):
        part = core[:, offset : offset + index.shape[1]]
        index = index * 4 + np.minimum(part, 3)
        ok &= valid[:, offset : offset + index.shape[1]]
    # canonical k-mer: the smaller of the k-mer and its reverse complement
    canonical = np.minimum(index, _reverse_complement_index(index, k))
    kmers = np.unique(np.minimum(np.arange(4**k), _reverse_complement_index(np.arange(4**k), k)))
    column = np.searchsorted(kmers, canonical)
    position_bin = np.minimum(np.arange(index.shape[1]) // pool_width, bins - 1)
    counts = np.zeros((windows, bins, len(kmers)), dtype=np.float32)
    rows = np.broadcast_to(np.arange(windows)[:, None], index.shape)
    cols = np.broadcast_to(position_bin[None], index.shape)
    np.add.at(counts, (rows[ok], cols[ok], column[ok]), 1.0)
    counts /= pool_width
    return np.concatenate([gc[..., None].astype(np.float32), counts], axis=2)


def _reverse_complement_index(index: np.ndarray, k: int) -> np.ndarray:
    reverse = np.zeros_like(index)
    value = index.copy()
    for _ in range(k):
        reverse = reverse * 4 + (3 - value % 4)
        value //= 4
    return reverse


def kmer_ridge_baseline(train_features: np.ndarray, train_targets: np.ndarray,
                        test_features: np.ndarray, alpha: float = 1.0,
                        context_bins: int = 1) -> np.ndarray:  # fmt: skip
    """Ridge regression from each bin's GC and k-mer content to log(1 + targets).

    Parameters
    ----------
    train_features, test_features
        ``(windows, bins, features)`` from :func:`kmer_features`.
    train_targets
        ``(windows, bins, tracks)``.
    alpha
        Ridge penalty (features are standardised first).
    context_bins
        Also use the features of this many neighbouring bins on each side (0: the bin only).

    Returns
    -------
    np.ndarray
        ``(test windows, bins, tracks)`` predictions, back on the count scale.
    """
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def with_context(features):
        if not context_bins:
            return features
        padded = np.pad(features, ((0, 0), (context_bins, context_bins), (0, 0)), mode="edge")
        bins = features.shape[1]
        shifted = [padded[:, offset : offset + bins] for offset in range(2 * context_bins + 1)]
        return np.concatenate(shifted, axis=2)

    x_train = with_context(train_features)
    x_test = with_context(test_features)
    n_tracks = train_targets.shape[-1]
    model = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
    model.fit(x_train.reshape(-1, x_train.shape[-1]), np.log1p(train_targets.reshape(-1, n_tracks)))
    predicted = model.predict(x_test.reshape(-1, x_test.shape[-1]))
    return np.expm1(np.clip(predicted, 0, None)).reshape(*x_test.shape[:2], n_tracks)


# -- replicates ------------------------------------------------------------------------------
def replicate_pairs(tracks: list[dict]) -> list[tuple[int, int]]:
    """Index pairs of tracks that share a ``replicate_group`` (each unordered pair once)."""
    groups: dict[str, list[int]] = {}
    for i, track in enumerate(tracks):
        group = track.get("replicate_group")
        if group:
            groups.setdefault(group, []).append(i)
    return [(a, b) for members in groups.values() for i, a in enumerate(members)
            for b in members[i + 1 :]]  # fmt: skip


def replicate_comparison(prediction: np.ndarray, target: np.ndarray, tracks: list[dict]):
    """Replicate-vs-replicate and prediction-vs-experiment correlations (Basenji Fig 2D).

    For each pair of replicates (a, b): r(a, b) of the experiments, and the mean of
    r(prediction of a, experiment a) and r(prediction of b, experiment b), all on
    log2(1 + x) over every bin. A Wilcoxon signed-rank test compares the two across pairs.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per pair, and ``{"pairs", "median_replicate_r", "median_prediction_r",
        "wilcoxon_p"}``.
    """
    import pandas as pd
    from scipy.stats import wilcoxon

    n_tracks = target.shape[-1]
    log_target = log2p(target.reshape(-1, n_tracks))
    log_prediction = log2p(prediction.reshape(-1, n_tracks))
    rows = []
    for a, b in replicate_pairs(tracks):
        rows.append(
            {
                "track_a": tracks[a]["id"],
                "track_b": tracks[b]["id"],
                "assay": tracks[a]["assay"],
                "replicate_r": float(pearson(log_target[:, a], log_target[:, b])),
                "prediction_r": float(
                    np.mean([pearson(log_prediction[:, i], log_target[:, i]) for i in (a, b)])
                ),
            }
        )
    table = pd.DataFrame(rows, columns=["track_a", "track_b", "assay", "replicate_r",
                                        "prediction_r"])  # fmt: skip
    summary: dict[str, Any] = {"pairs": len(table)}
    if len(table):
        summary["median_replicate_r"] = float(table["replicate_r"].median())
        summary["median_prediction_r"] = float(table["prediction_r"].median())
        difference = table["prediction_r"] - table["replicate_r"]
        summary["wilcoxon_p"] = (
            float(wilcoxon(difference).pvalue) if len(table) > 1 and difference.any() else None
        )
    return table, summary


# -- genes -----------------------------------------------------------------------------------
def tss_bins(tss, windows, seq_length: int, pool_width: int, crop_bp: int):
    """Where each TSS falls in the windows' target bins.

    Parameters
    ----------
    tss
        DataFrame with ``chrom``, ``position`` (0-based), ``strand``, ``transcript_id`` and
        ``gene_id``.
    windows
        DataFrame with ``chrom`` and ``start`` (the store's windows, in store order).

    Returns
    -------
    pandas.DataFrame
        One row per (TSS, window) hit: the TSS columns plus ``window`` (row in
        ``windows``) and ``bin``. A TSS in two overlapping windows appears twice.
    """
    import pandas as pd

    bins = (seq_length - 2 * crop_bp) // pool_width
    frames = []
    windows = windows.reset_index(drop=True)
    for chrom, members in windows.groupby("chrom"):
        starts = members["start"].to_numpy() + crop_bp
        order = np.argsort(starts)
        starts, rows = starts[order], members.index.to_numpy()[order]
        sites = tss[tss["chrom"] == chrom]
        positions = sites["position"].to_numpy()
        # candidate windows: target region starting within one region length before the TSS
        first = np.searchsorted(starts, positions - bins * pool_width, side="right")
        last = np.searchsorted(starts, positions, side="right")
        for site_index, (lo, hi) in enumerate(zip(first, last, strict=True)):
            for w in range(lo, hi):
                b = (positions[site_index] - starts[w]) // pool_width
                if 0 <= b < bins:
                    row = sites.iloc[site_index].to_dict()
                    frames.append({**row, "window": int(rows[w]), "bin": int(b)})
    found = pd.DataFrame(frames, columns=[*tss.columns, "window", "bin"])
    return found.astype({"window": np.int64, "bin": np.int64})


def cage_strand_tracks(tracks: list[dict], assay: str = "CAGE") -> dict[str, dict[str, int]]:
    """``{cell type: {"+": index, "-": index}}`` of stranded CAGE tracks (first replicate).

    An unstranded CAGE track serves both strands.
    """
    found: dict[str, dict[str, int]] = {}
    for i, track in enumerate(tracks):
        if track["assay"] != assay:
            continue
        strands = found.setdefault(track.get("cell_type") or track["id"], {})
        strand = track.get("strand") or "."
        for s in ("+", "-") if strand == "." else (strand,):
            strands.setdefault(s, i)
    return found


def gene_matrix(values: np.ndarray, hits, tracks: list[dict], assay: str = "CAGE"):
    """Gene x cell type CAGE: the strand-matched TSS bin, summed over a gene's TSSs.

    Parameters
    ----------
    values
        ``(windows, bins, tracks)`` predictions or targets.
    hits
        :func:`tss_bins` output. A TSS seen in several windows is averaged over them.

    Returns
    -------
    pandas.DataFrame
        Genes (rows) x cell types (columns).
    """
    return tss_matrix(values, hits, tracks, assay).groupby(level="gene_id").sum()


def gene_accuracy(experiment, prediction) -> Any:
    """Per cell type Pearson r across genes of log2(1 + CAGE), all genes and nonzero genes."""
    import pandas as pd

    rows = []
    for cell_type in experiment.columns:
        e, p = experiment[cell_type].to_numpy(), prediction[cell_type].to_numpy()
        nonzero = e > 0
        rows.append(
            {
                "cell_type": cell_type,
                "genes": len(e),
                "pearson_r_all": float(pearson(log2p(e), log2p(p))),
                "nonzero_genes": int(nonzero.sum()),
                "pearson_r_nonzero": float(pearson(log2p(e[nonzero]), log2p(p[nonzero])))
                if nonzero.sum() > 2
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def quantile_normalize(matrix: np.ndarray) -> np.ndarray:
    """Quantile-normalise columns: each column's sorted values become the mean sorted column."""
    matrix = np.asarray(matrix, dtype=np.float64)
    order = np.argsort(matrix, axis=0, kind="stable")
    reference = np.sort(matrix, axis=0).mean(axis=1)
    out = np.empty_like(matrix)
    for column in range(matrix.shape[1]):
        out[order[:, column], column] = reference
    return out


def cluster_agreement(experiment: np.ndarray, prediction: np.ndarray, n_clusters: int = 6,
                      n_boot: int = 200, seed: int = 0) -> dict[str, float]:  # fmt: skip
    """Gaussian-mixture clusters of genes from experiment and from prediction, compared.

    Both matrices (genes x cell types) are log2(1 + x), quantile-normalised and centred
    per gene, then clustered with ``n_clusters`` full-covariance Gaussian mixtures. The
    adjusted Rand index (ARI) of the two clusterings is reported with a bootstrap 95%
    interval over genes and a permutation p-value (the share of label shuffles whose ARI
    reaches the observed one, with the +1 correction).

    Returns
    -------
    dict
        ``ari``, ``ari_low``, ``ari_high``, ``p_value``, ``n_genes``, and the label arrays
        ``labels_experiment`` and ``labels_prediction``.
    """
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    def prepare(matrix):
        normalised = quantile_normalize(log2p(matrix))
        return normalised - normalised.mean(axis=1, keepdims=True)

    def cluster(matrix):
        mixture = GaussianMixture(n_clusters, covariance_type="full", random_state=seed,
                                  n_init=3, reg_covar=1e-4)  # fmt: skip
        return mixture.fit_predict(matrix)

    labels_e = cluster(prepare(experiment))
    labels_p = cluster(prepare(prediction))
    ari = adjusted_rand_score(labels_e, labels_p)
    rng = np.random.default_rng(seed)
    n = len(labels_e)
    boot = [
        adjusted_rand_score(labels_e[idx], labels_p[idx])
        for idx in (rng.integers(0, n, n) for _ in range(n_boot))
    ]
    null = [adjusted_rand_score(labels_e, rng.permutation(labels_p)) for _ in range(n_boot)]
    return {
        "ari": float(ari),
        "ari_low": float(np.percentile(boot, 2.5)),
        "ari_high": float(np.percentile(boot, 97.5)),
        "p_value": float((1 + np.sum(np.asarray(null) >= ari)) / (1 + n_boot)),
        "n_genes": n,
        "labels_experiment": labels_e,
        "labels_prediction": labels_p,
    }


def accuracy_by_variability(experiment, prediction, n_quantiles: int = 4):
    """Accuracy across cell types for genes binned by their coefficient of variation.

    The CV of each gene's experimental CAGE across cell types sorts genes into quartiles;
    within each, per-gene Pearson r across cell types of log2(1 + x) (quantile-normalised)
    summarises how well the model follows the gene's cell-type specificity.

    Returns
    -------
    pandas.DataFrame
        ``quartile``, ``cv_low``, ``cv_high``, ``genes``, ``median_r``, ``mean_r``.
    """
    import pandas as pd

    e = experiment.to_numpy(dtype=np.float64)
    p = prediction.to_numpy(dtype=np.float64)
    expressed = e.sum(axis=1) > 0
    e, p = e[expressed], p[expressed]
    cv = e.std(axis=1) / e.mean(axis=1)
    ne, np_ = quantile_normalize(log2p(e)), quantile_normalize(log2p(p))
    r = pearson(ne, np_, axis=1)
    quartile = pd.qcut(cv, n_quantiles, labels=False, duplicates="drop")
    rows = []
    for q in sorted(set(quartile)):
        members = quartile == q
        rows.append(
            {
                "quartile": int(q) + 1,
                "cv_low": float(cv[members].min()),
                "cv_high": float(cv[members].max()),
                "genes": int(members.sum()),
                "median_r": float(np.nanmedian(r[members])),
                "mean_r": float(np.nanmean(r[members])),
            }
        )
    return pd.DataFrame(rows)


def tss_switching(values_experiment: np.ndarray, values_prediction: np.ndarray, hits,
                  tracks: list[dict], min_distance: int = 500) -> dict[str, Any]:  # fmt: skip
    """Alternative-TSS usage across cell types (Basenji Fig 3 TSS switching).

    For genes with two TSSs more than ``min_distance`` bp apart (the two most expressed,
    in different bins), the log2 fold change between them in each cell type, centred per
    gene across cell types, from experiment and from prediction.

    Returns
    -------
    dict
        ``genes``, ``pearson_r`` of the centred fold changes over (gene, cell type), and
        the arrays ``experiment`` and ``prediction`` (genes x cell types).
    """
    experiment = tss_matrix(values_experiment, hits, tracks)
    prediction = tss_matrix(values_prediction, hits, tracks)
    positions = hits.groupby("transcript_id")["position"].first()
    genes_e, genes_p = [], []
    for _gene, members in experiment.groupby(level="gene_id"):
        if len(members) < 2:
            continue
        top = members.sum(axis=1).sort_values(ascending=False).index[:2]
        first, second = (t for _, t in top)
        if abs(positions[first] - positions[second]) <= min_distance:
            continue
        for store, matrix in ((genes_e, experiment), (genes_p, prediction)):
            ratio = log2p(matrix.loc[top[0]].to_numpy()) - log2p(matrix.loc[top[1]].to_numpy())
            store.append(ratio - ratio.mean())
    if not genes_e:
        return {"genes": 0, "pearson_r": np.nan, "experiment": np.empty((0, 0)),
                "prediction": np.empty((0, 0))}  # fmt: skip
    e, p = np.array(genes_e), np.array(genes_p)
    return {
        "genes": len(e),
        "pearson_r": float(pearson(e.ravel(), p.ravel())),
        "experiment": e,
        "prediction": p,
    }


def tss_matrix(values: np.ndarray, hits, tracks: list[dict], assay: str = "CAGE"):
    """TSS x cell type CAGE at each TSS's strand-matched bin, averaged over the windows
    holding it; rows indexed by (gene_id, transcript_id)."""
    import pandas as pd

    strands = cage_strand_tracks(tracks, assay)
    window, bin_ = hits["window"].to_numpy(), hits["bin"].to_numpy()
    columns = {}
    for cell_type, by_strand in strands.items():
        track_index = np.array(
            [by_strand.get(s, by_strand.get("+")) for s in hits["strand"]], dtype=np.int64
        )
        columns[cell_type] = values[window, bin_, track_index]
    frame = pd.DataFrame(columns)
    frame["gene_id"] = hits["gene_id"].to_numpy()
    frame["transcript_id"] = hits["transcript_id"].to_numpy()
    return frame.groupby(["gene_id", "transcript_id"]).mean()


def summarise_by_assay(table, columns: Sequence[str] = ("pearson_r", "r2"), by: str = "assay"):
    """Mean of per-track metrics per ``assay`` (or per ``assay_type``)."""
    return table.groupby(by)[list(columns)].mean()


def truth_targets(expected, tracks: list[dict], windows, seq_length: int, pool_width: int,
                  crop_bp: int, bin_size: int) -> np.ndarray:  # fmt: skip
    """Noise-free expected signal of simulated tracks, cut and pooled like the store's targets.

    Parameters
    ----------
    expected
        Mapping ``"<track id>/<chrom>" -> (chrom_length / bin_size,)`` expected reads per
        ``bin_size`` bases (the synthetic dataset's ``truth_expected`` npz).
    windows
        DataFrame with ``chrom`` and ``start`` in store order.

    Returns
    -------
    np.ndarray
        ``(windows, bins, tracks)``: expected reads summed over each target bin (NaN for
        tracks without truth). Only the scale differs from the targets' before noise.
    """
    bins = (seq_length - 2 * crop_bp) // pool_width
    out = np.full((len(windows), bins, len(tracks)), np.nan, dtype=np.float32)
    starts = windows["start"].to_numpy() + crop_bp
    chroms = windows["chrom"].to_numpy()
    for t, track in enumerate(tracks):
        for chrom in np.unique(chroms):
            key = f"{track['id']}/{chrom}"
            if key not in expected:
                continue
            per_base = np.repeat(np.asarray(expected[key], dtype=np.float32), bin_size)
            for w in np.flatnonzero(chroms == chrom):
                segment = per_base[starts[w] : starts[w] + bins * pool_width]
                if len(segment) == bins * pool_width:
                    out[w, :, t] = segment.reshape(bins, pool_width).sum(axis=1) / bin_size
    return out


def truth_recovery(prediction: np.ndarray, target: np.ndarray, truth: np.ndarray,
                   tracks: list[dict]):  # fmt: skip
    """Per-track Pearson r with the noise-free truth: of the prediction and of the experiment.

    The experiment carries sampling noise; a model that learned the regulatory grammar can
    correlate with the truth better than the experiment it was trained on does.
    """
    import pandas as pd

    n_tracks = target.shape[-1]
    flat_truth = truth.reshape(-1, n_tracks)
    rows = []
    for t, track in enumerate(tracks):
        truth_t = flat_truth[:, t]
        if np.isnan(truth_t).all():
            continue
        keep = ~np.isnan(truth_t)
        rows.append(
            {
                "track": track["id"],
                "assay": track["assay"],
                "prediction_truth_r": float(
                    pearson(log2p(prediction.reshape(-1, n_tracks)[keep, t]), log2p(truth_t[keep]))
                ),
                "experiment_truth_r": float(
                    pearson(log2p(target.reshape(-1, n_tracks)[keep, t]), log2p(truth_t[keep]))
                ),
            }
        )
    return pd.DataFrame(rows)
