"""SAD and SED variant scores from edited-sequence predictions (Basenji 2018, Fig 5 and
Methods), streamed to HDF5 with resume.

SAD (SNP accessibility difference) sums, over the predicted bins of a window, the
difference between the prediction with the alternative and the reference allele;
SED (SNP expression difference) takes that difference at the bins of a gene's TSSs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..io.vcf import VARIANT_COLUMNS
from ..models.geometry import bin_of, crop_of, variant_reach
from ..project.files import fingerprint
from ..project.manifest import Track
from .scorefile import _ScoreFile


# -- variant effect scores -------------------------------------------------------------------
def variant_windows(variants, seq_length: int, stride: int):
    """Assign each variant to the window whose centre is nearest (centres every ``stride``).

    Returns the window table (``chrom``, ``center``, ``start`` 0-based, may run past a
    chromosome end) and each variant's window row, in the variants' order.
    """
    import pandas as pd

    pos0 = variants["pos"].to_numpy(np.int64) - 1
    center = (pos0 // stride) * stride + stride // 2
    keys = pd.DataFrame({"chrom": variants["chrom"].to_numpy(), "center": center})
    windows = keys.drop_duplicates().reset_index(drop=True)
    windows["start"] = windows["center"] - seq_length // 2
    row = pd.MultiIndex.from_frame(windows[["chrom", "center"]]).get_indexer(
        pd.MultiIndex.from_frame(keys)
    )
    return windows, row


def gene_pairs(variants, tss, max_distance: int):
    """Variant-gene pairs whose TSS lies within ``max_distance`` bases of the variant.

    Parameters
    ----------
    variants
        ``chrom`` and ``pos`` (1-based), in scoring order.
    tss
        ``chrom``, ``position`` (0-based), ``strand``, ``gene_id``; one row per TSS.

    Returns
    -------
    pandas.DataFrame
        One row per (variant, gene, TSS in range): ``variant`` (row of ``variants``),
        ``gene_id``, ``tss`` (0-based) and ``tss_distance`` (variant minus TSS, negated for
        minus-strand genes, as GTEx reports it).
    """
    import pandas as pd

    pieces = []
    pos0 = variants["pos"].to_numpy(np.int64) - 1
    chroms = variants["chrom"].to_numpy()
    for chrom, sites in tss.groupby("chrom", sort=False):
        sites = sites.sort_values("position")
        positions = sites["position"].to_numpy(np.int64)
        rows = np.flatnonzero(chroms == chrom)
        lo = np.searchsorted(positions, pos0[rows] - max_distance, side="left")
        hi = np.searchsorted(positions, pos0[rows] + max_distance, side="right")
        counts = hi - lo
        variant = np.repeat(rows, counts)
        site = np.concatenate(
            [np.arange(a, b) for a, b in zip(lo, hi, strict=True)] or [[]]
        ).astype(int)
        picked = sites.iloc[site]
        distance = pos0[variant] - picked["position"].to_numpy()
        distance = np.where(picked["strand"].to_numpy() == "-", -distance, distance)
        pieces.append(pd.DataFrame({"variant": variant, "gene_id": picked["gene_id"].to_numpy(),
                                    "tss": picked["position"].to_numpy(), "tss_distance": distance}))  # fmt: skip
    if not pieces:
        return pd.DataFrame({"variant": [], "gene_id": [], "tss": [], "tss_distance": []})
    return pd.concat(pieces, ignore_index=True).sort_values(["variant", "gene_id", "tss"],
                                                            ignore_index=True)  # fmt: skip


def window_sequences(fasta, windows, seq_length: int) -> np.ndarray:
    """One-hot ``(W, seq_length, 4)`` of windows, padded with N past chromosome ends."""
    from ..sequence.encode import one_hot_codes, sequence_codes

    codes = np.full((len(windows), seq_length), 4, dtype=np.uint8)  # 4 = N
    for row, (chrom, start) in enumerate(zip(windows["chrom"], windows["start"], strict=True)):
        size = fasta.get_reference_length(chrom)
        lo, hi = max(int(start), 0), min(int(start) + seq_length, size)
        if hi > lo:
            codes[row, lo - start : hi - start] = sequence_codes(fasta.fetch(chrom, lo, hi))
    return one_hot_codes(codes)


def _weights_digest(model) -> bytes:
    import hashlib

    h = hashlib.sha256()
    for weight in model.weights:
        h.update(
            np.ascontiguousarray(
                np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
            ).tobytes()
        )
    return h.digest()


def score_variants(model, variants, fasta: str | Path, out_path: str | Path, *, tracks: Sequence[Track],
                   pool_width: int, tss=None, stride: int = 2048, sed_distance: int | None = None,
                   reverse_complement: bool = True, shifts=(0,), batch_size: int = 8,
                   windows_per_chunk: int = 32, method: str = "local", progress: bool = True) -> Path:  # fmt: skip
    """Score SNVs with a trained model: SAD and SAR per track, SED and SER per gene and track.

    Each variant is placed in the window whose centre is nearest to it (centres every
    ``stride`` bases), so every variant sits within ``stride / 2`` of its window's centre
    and all variants of a window share its reference prediction. With ``p_ref`` and
    ``p_alt`` the ensemble-mean predictions (reverse complement and ``shifts``):

    - ``sad`` = sum over bins of ``p_alt - p_ref``; ``sar`` = log2((sum p_alt + 1) / (sum p_ref + 1));
    - ``sed`` = the same difference at the bins of a gene's TSSs within ``sed_distance`` of
      the variant, summed over those TSSs; ``ser`` its log2 ratio.

    Before anything is written, every variant is checked against ``fasta``: alleles must
    be A, C, G or T, the chromosome in the FASTA and REF its base, so that rows that did
    not come through :func:`read_vcf` are not scored against the wrong allele.

    Scores stream to an HDF5 file (``variants/*``, ``sad``, ``sar`` of shape
    ``(variants, tracks)``; ``pairs/*``, ``sed``, ``ser`` of shape ``(pairs, tracks)``;
    settings as JSON in the ``settings`` attribute). It is written to a hidden partial
    file and renamed when complete; rerunning after a kill resumes at the last finished
    chunk of windows. Read it with :func:`read_scores`.

    Parameters
    ----------
    model
        Keras model, one-hot ``(batch, seq_length, 4)`` to ``(batch, bins, tracks)``.
    variants
        ``chrom``, ``pos`` (1-based), ``variant_id``, ``ref``, ``alt`` (as from
        :func:`read_vcf`, REF already checked against ``fasta``), and optionally
        ``flipped`` (REF and ALT exchanged relative to the VCF; stored with the scores).
    tracks
        The model's output tracks (:class:`~seqreg.project.Track`, or records such as
        ``{"id": ..., "strand": ..., "strand_pair": ...}``; ``strand_pair`` for stranded ones).
    pool_width
        Bases per output bin; the output covers the window's centre, cropped equally
        on both sides.
    tss
        ``chrom``, ``position`` (0-based), ``strand``, ``gene_id``; None skips SED.
    sed_distance
        Largest variant-TSS distance scored; default (and maximum) the distance every
        variant's window still predicts on both sides.

    Returns
    -------
    Path
        ``out_path``, complete.

    Raises
    ------
    InputFileError
        Naming ``fasta``, the number of such variants and the first of them, when a
        variant has an allele other than A, C, G, T, a chromosome or position the FASTA
        lacks, or a REF that differs from the FASTA base (nothing is written then).
    ValueError
        When the model's track count differs from ``tracks``, its bins do not fit its
        window evenly, ``stride`` or ``sed_distance`` exceeds what a window predicts, or
        ``variants`` lacks a column.
    """
    import pandas as pd
    import pysam

    from ..data.loader import strand_swap_order
    from ..interpret.edits import EditPredictor
    from ..project.manifest import Track
    from ..project.progress import progress_bar as tqdm

    tracks = [t if isinstance(t, Track) else Track.from_record(dict(t)) for t in tracks]
    seq_length, crop_bp, sed_distance = _scoring_geometry(
        model, tracks, pool_width, stride, sed_distance
    )
    variants, windows, pairs = _plan_scoring(variants, tss, seq_length, stride, sed_distance,
                                             pool_width, crop_bp)  # fmt: skip
    _check_alleles(variants, Path(fasta))
    settings = {"seq_length": seq_length, "pool_width": pool_width, "crop_bp": crop_bp, "stride": stride,
                "sed_distance": sed_distance, "reverse_complement": reverse_complement,
                "shifts": list(shifts), "tracks": [t.id for t in tracks], "fasta": str(fasta)}  # fmt: skip
    digest = fingerprint(_weights_digest(model), settings,
                         pd.util.hash_pandas_object(variants[[*VARIANT_COLUMNS, "flipped"]],
                                                    index=False).to_numpy().tobytes(),
                         pd.util.hash_pandas_object(pairs, index=False).to_numpy().tobytes())  # fmt: skip
    predictor = EditPredictor(model, strand_swap_order(tracks), reverse_complement=reverse_complement,
                              shifts=shifts, batch_size=batch_size, method=method)  # fmt: skip
    writer = _ScoreFile(Path(out_path), digest, len(tracks))
    code_of = {b: i for i, b in enumerate("ACGT")}
    try:
        first = writer.windows_done
        bar = tqdm(total=len(windows), initial=first, unit="window", disable=not progress,
                   desc="scoring variants")  # fmt: skip
        with pysam.FastaFile(str(fasta)) as genome:
            for lo in range(first, len(windows), windows_per_chunk):
                hi = min(lo + windows_per_chunk, len(windows))
                chunk = variants[(variants["window"] >= lo) & (variants["window"] < hi)]
                onehot = window_sequences(genome, windows.iloc[lo:hi], seq_length)
                position = (
                    chunk["pos"].to_numpy() - 1 - windows["start"].to_numpy()[chunk["window"]]
                )
                code = np.array([code_of[a] for a in chunk["alt"]], dtype=np.int64)
                reference, edited = predictor.predict(
                    onehot, chunk["window"].to_numpy() - lo, position, code
                )
                # sums of many bins in double precision
                ref_of = reference[chunk["window"].to_numpy() - lo].astype(np.float64)
                edited = edited.astype(np.float64)
                gene_rows, pair_scores = gene_scores(chunk, pairs, ref_of, edited)
                writer.append(chunk, window_scores(ref_of, edited), gene_rows, pair_scores, hi)
                bar.update(hi - lo)
        bar.close()
        return writer.finish(settings | {"method": predictor.method})
    finally:
        writer.close()


def _scoring_geometry(model, tracks, pool_width: int, stride: int,
                      sed_distance: int | None) -> tuple[int, int, int]:  # fmt: skip
    """``(seq_length, crop_bp, sed_distance)`` of a model's windows, checked."""
    seq_length = int(model.inputs[0].shape[1])
    bins, n_tracks = (int(d) for d in model.outputs[0].shape[1:])
    if n_tracks != len(tracks):
        raise ValueError(f"the model predicts {n_tracks} tracks but {len(tracks)} were described")
    crop_bp = crop_of(seq_length, bins, pool_width)
    reach = variant_reach(seq_length, crop_bp, stride)
    if reach <= 0:
        raise ValueError(
            f"stride {stride} is too large for the predicted span of {bins * pool_width} bp"
        )
    sed_distance = reach if sed_distance is None else int(sed_distance)
    if sed_distance > reach:
        raise ValueError(
            f"sed_distance {sed_distance} exceeds what every window predicts ({reach} bp)"
        )
    return seq_length, crop_bp, sed_distance


def _plan_scoring(variants, tss, seq_length: int, stride: int, sed_distance: int, pool_width: int,
                  crop_bp: int):  # fmt: skip
    """Variants sorted and assigned to windows, the windows, and the variant-TSS pairs with
    the target bin of each TSS."""
    import pandas as pd

    missing = [c for c in VARIANT_COLUMNS if c not in variants.columns]
    if missing:
        raise ValueError(f"variants lack the column(s) {missing}")
    variants = variants.sort_values(["chrom", "pos"], kind="stable").reset_index(drop=True)
    if "flipped" not in variants.columns:
        variants = variants.assign(flipped=False)
    variants["flipped"] = variants["flipped"].astype(bool)
    windows, window_of = variant_windows(variants, seq_length, stride)
    variants = variants.assign(window=window_of)
    if tss is None:
        tss, sed_distance = (
            pd.DataFrame({"chrom": [], "position": [], "strand": [], "gene_id": []}),
            0,
        )
    pairs = gene_pairs(variants, tss, sed_distance)
    window_start = windows["start"].to_numpy()[variants["window"].to_numpy()[pairs["variant"]]]
    pairs["bin"] = bin_of(pairs["tss"].to_numpy(np.int64) - window_start, pool_width, crop_bp)
    return variants, windows, pairs


_VCF_ADVICE = "read them with read_vcf against this FASTA, which leaves such variants out"


def _check_alleles(variants, fasta: Path, advice: str = _VCF_ADVICE) -> None:
    """Refuse, before anything is written, variants that cannot be scored against
    ``fasta``: an allele other than A, C, G, T, a chromosome or position the FASTA lacks,
    or a REF that is not the FASTA base. One error names the FASTA, how many variants
    fail and the first of them."""
    import pysam

    from ..project.errors import InputFileError

    bases = frozenset("ACGT")
    kinds: dict[str, int] = {}
    first = None
    with pysam.FastaFile(str(fasta)) as genome:
        sizes = dict(zip(genome.references, genome.lengths, strict=True))
        columns = (variants[c].to_numpy() for c in ("chrom", "pos", "ref", "alt"))
        for chrom, pos, ref, alt in zip(*columns, strict=True):
            ref, alt, pos = str(ref).upper(), str(alt).upper(), int(pos)
            if ref not in bases or alt not in bases:
                kind, why = "an allele other than A, C, G, T", "not a single A, C, G or T"
            elif chrom not in sizes:
                kind, why = "a chromosome not in the FASTA", f"the FASTA has no {chrom!r}"
            elif not 1 <= pos <= sizes[chrom]:
                kind, why = "a position past the chromosome", f"{chrom} has {sizes[chrom]:,} bp"
            else:
                base = genome.fetch(chrom, pos - 1, pos).upper()
                if base == ref:
                    continue
                kind, why = "a REF that is not the genome's base", f"the genome has {base}"
                if base == alt and advice == _VCF_ADVICE:
                    why += " (REF and ALT exchanged? read_vcf(..., flip_swapped=True) flips them)"
                elif base == alt:
                    why += " (REF and ALT exchanged?)"
            kinds[kind] = kinds.get(kind, 0) + 1
            if first is None:
                first = f"{chrom}:{pos} {ref}>{alt}: {why}"
    if kinds:
        n = sum(kinds.values())
        listed = ", ".join(f"{count} with {kind}" for kind, count in kinds.items())
        raise InputFileError(fasta, f"{n} of {len(variants)} variants to score do not fit this genome "
                                    f"({listed}; first: {first}); {advice}")  # fmt: skip


def window_scores(reference: np.ndarray, edited: np.ndarray) -> dict[str, np.ndarray]:
    """SAD and SAR of edits from their predictions (Basenji 2018, Methods "SNP scores").

    Parameters
    ----------
    reference, edited
        ``(variants, bins, tracks)`` predictions of each variant's window with the reference
        and with the alternative allele.

    Returns
    -------
    dict
        ``sad``: sum over bins of ``edited - reference``; ``sar``: ``log2(sum edited + 1) -
        log2(sum reference + 1)``; each ``(variants, tracks)``.
    """
    total_alt, total_ref = edited.sum(axis=1), reference.sum(axis=1)
    return {
        "sad": (edited - reference).sum(axis=1),
        "sar": np.log2(total_alt + 1) - np.log2(total_ref + 1),
    }


def gene_scores(chunk, pairs, reference: np.ndarray, edited: np.ndarray):
    """SED and SER of the variant-gene pairs of ``chunk`` (Basenji 2018, Fig 5).

    Parameters
    ----------
    chunk
        Variant rows (index: variant number) whose predictions are given.
    pairs
        Variant-TSS pairs (``variant``, ``gene_id``, ``tss``, ``tss_distance``, ``bin``), one
        row per TSS.
    reference, edited
        ``(len(chunk), bins, tracks)`` predictions, rows in ``chunk`` order.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per (variant, gene): ``variant``, ``gene_id``, ``tss_distance`` (of the
        nearest TSS), ``n_tss``; and ``sed`` (the difference at the gene's TSS bins summed
        over its TSSs) and ``ser`` (log2 ratio of those sums), each ``(genes, tracks)``.
    """
    import pandas as pd

    n_tracks = reference.shape[2]
    chunk_pairs = pairs[pairs["variant"].isin(chunk.index)]
    local = chunk.index.get_indexer(chunk_pairs["variant"])
    alt_tss = edited[local, chunk_pairs["bin"].to_numpy()]
    ref_tss = reference[local, chunk_pairs["bin"].to_numpy()]
    keys = chunk_pairs[["variant", "gene_id"]].to_numpy()
    groups = pd.MultiIndex.from_arrays(keys.T).factorize()[0] if len(keys) else np.zeros(0, int)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    alt_gene = np.zeros((n_groups, n_tracks))
    ref_gene = np.zeros((n_groups, n_tracks))
    np.add.at(alt_gene, groups, alt_tss)
    np.add.at(ref_gene, groups, ref_tss)
    gene_rows = (chunk_pairs.assign(group=groups, abs_distance=chunk_pairs["tss_distance"].abs())
                 .sort_values("abs_distance").groupby("group", sort=True)
                 .agg(variant=("variant", "first"), gene_id=("gene_id", "first"),
                      tss_distance=("tss_distance", "first"), n_tss=("tss", "size")))  # fmt: skip
    return gene_rows, {
        "sed": alt_gene - ref_gene,
        "ser": np.log2(alt_gene + 1) - np.log2(ref_gene + 1),
    }


def strand_matched(
    matrix: np.ndarray, gene_ids, gene_strand, columns: dict[str, int]
) -> np.ndarray:
    """Each variant-gene pair's score in the CAGE track on its gene's strand.

    Parameters
    ----------
    matrix
        ``(pairs, tracks)`` scores (SED or SER of :class:`VariantScores`).
    gene_ids
        ``(pairs,)`` gene of each pair.
    gene_strand
        Mapping gene id -> ``+`` or ``-``.
    columns
        ``{"+": track index, "-": track index}`` of one cell type's CAGE tracks
        (:func:`seqreg.evaluate.cage_strand_tracks`).

    Returns
    -------
    numpy.ndarray
        ``(pairs,)`` scores.

    Raises
    ------
    KeyError
        When a gene's strand has no track in ``columns``.
    """
    column = np.array([columns[gene_strand[g]] for g in gene_ids], dtype=np.int64)
    return np.asarray(matrix)[np.arange(len(column)), column]
