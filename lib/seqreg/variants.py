"""Variant-level inputs in the layouts their sources publish: GTEx eQTLs, de novo variants,
GWAS-catalog-like SNP sets. Readers check columns up front and name the file at fault."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InputFileError

#: GTEx v8 single-tissue cis-eQTL columns (all pairs); significant pairs add more
GTEX_EQTL_COLUMNS: dict[str, type] = {
    "gene_id": str, "variant_id": str, "tss_distance": int, "ma_samples": int, "ma_count": int,
    "maf": float, "pval_nominal": float, "slope": float, "slope_se": float,
}  # fmt: skip
#: An et al. 2018 (Science) Table S2 columns this project uses
DE_NOVO_COLUMNS: dict[str, type] = {
    "SampleID": str, "Chr": str, "Pos": int, "Ref": str, "Alt": str, "Type": str, "Fam": str, "Pheno": str,
}  # fmt: skip
GWAS_COLUMNS: dict[str, type] = {
    "variant_id": str, "chrom": str, "pos": int, "ref": str, "alt": str, "maf": float, "label": int, "fold": int,
}  # fmt: skip


def _read_table(path: str | Path, columns: dict[str, type], what: str, **kwargs):
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, f"no such {what} file")
    try:
        if path.suffix == ".xlsx":
            table = pd.read_excel(
                path, dtype={c: t for c, t in columns.items() if t is str}, **kwargs
            )
        else:
            table = pd.read_csv(path, sep=kwargs.pop("sep", "\t"), dtype={c: t for c, t in columns.items() if t is str},
                                **kwargs)  # fmt: skip
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError, OSError) as err:
        raise InputFileError(path, f"is not a readable {what} table ({err})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputFileError(
            path, f"lacks the {what} column(s) {missing}; it has {list(table.columns)[:12]}"
        )
    for column, kind in columns.items():
        if kind is not str:
            try:
                table[column] = table[column].astype(kind)
            except (TypeError, ValueError):
                raise InputFileError(
                    path, f"column {column!r} is not all {kind.__name__}"
                ) from None
    return table


def parse_gtex_variant_ids(variant_ids):
    """Split GTEx ids ``chr1_12345_A_G_b38`` into ``chrom``, ``pos`` (1-based), ``ref``, ``alt``."""
    parts = variant_ids.str.split("_", expand=True)
    return parts[0], parts[1].astype(int), parts[2], parts[3]


def read_gtex_eqtl(path: str | Path):
    """Read a GTEx v8 single-tissue eQTL table (all pairs or significant pairs, gzipped or not).

    Returns the columns of :data:`GTEX_EQTL_COLUMNS` (and any others) plus ``chrom``,
    ``pos`` (1-based), ``ref``, ``alt`` parsed from ``variant_id``.
    """
    import pandas as pd

    table = _read_table(path, GTEX_EQTL_COLUMNS, "GTEx eQTL")
    if table.empty:
        return table.assign(chrom=pd.Series(dtype=str), pos=pd.Series(dtype=int), ref=pd.Series(dtype=str),
                            alt=pd.Series(dtype=str))  # fmt: skip
    try:
        table["chrom"], table["pos"], table["ref"], table["alt"] = parse_gtex_variant_ids(
            table["variant_id"]
        )
    except (ValueError, KeyError, TypeError):
        raise InputFileError(
            path, "variant_id values are not of the form chr_pos_ref_alt_build"
        ) from None
    return table


def read_de_novo(path: str | Path):
    """Read de novo variants in the columns of An et al. 2018 Table S2 (TSV or xlsx)."""
    table = _read_table(path, DE_NOVO_COLUMNS, "de novo variant")
    bad = sorted(set(table["Pheno"]) - {"case", "control"})
    if bad:
        raise InputFileError(path, f"Pheno must be 'case' or 'control', found {bad[:3]}")
    return table


def read_gwas_set(path: str | Path):
    """Read a labelled SNP set (trait SNPs = 1, matched negatives = 0) with CV folds."""
    table = _read_table(path, GWAS_COLUMNS, "GWAS SNP set")
    if not set(table["label"]) <= {0, 1}:
        raise InputFileError(path, "label must be 0 or 1")
    return table


# -- VCF -------------------------------------------------------------------------------------
VARIANT_COLUMNS = ["chrom", "pos", "variant_id", "ref", "alt"]


def read_vcf(path: str | Path, fasta: str | Path, region: str | None = None,
             mismatch_warning: float = 0.05):  # fmt: skip
    """Read the single-nucleotide variants of a VCF and check their REF alleles.

    Multi-allelic records are split into one row per ALT allele; indels and symbolic
    alleles are skipped and counted. Chromosome names are matched to the FASTA's
    (``chr1`` or ``1``). A REF allele that differs from the FASTA base excludes the
    variant (counted); when no REF matches at all the VCF is almost certainly on another
    genome build, and that is an error naming both files.

    Parameters
    ----------
    path
        VCF or bgzipped VCF (``region`` needs its tabix index).
    fasta
        The genome FASTA the model reads (indexed; an index is made when missing).
    region
        Optional ``chrom`` or ``chrom:start-end`` (1-based) to read.
    mismatch_warning
        Warn when more than this fraction of REF alleles disagree with the FASTA.

    Returns
    -------
    variants, counts
        DataFrame of ``chrom`` (FASTA spelling), ``pos`` (1-based), ``variant_id`` (the ID
        column, or ``chrom_pos_ref_alt`` when it is ``.``), ``ref``, ``alt``; and a dict of
        counts: ``records``, ``alleles``, ``snvs``, ``indels_skipped``,
        ``symbolic_skipped``, ``other_contig``, ``ref_mismatch``, ``kept``.
    """
    import warnings

    import pandas as pd
    import pysam

    from .genome import ensure_fasta_index
    from .tracks import chrom_alias

    path, fasta = Path(path), Path(fasta)
    if not path.exists():
        raise InputFileError(path, "no such VCF file")
    ensure_fasta_index(fasta)
    counts = dict.fromkeys(("records", "alleles", "snvs", "indels_skipped", "symbolic_skipped",
                            "other_contig", "ref_mismatch", "kept"), 0)  # fmt: skip
    rows = []
    try:
        vcf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"is not a readable VCF ({err})") from None
    with vcf, pysam.FastaFile(str(fasta)) as genome:
        contigs = set(genome.references)
        name_of: dict[str, str | None] = {}
        try:
            records = vcf.fetch(region=region) if region else vcf
            for record in records:
                counts["records"] += 1
                chrom = record.chrom
                if chrom not in name_of:
                    name_of[chrom] = (chrom if chrom in contigs
                                      else chrom_alias(chrom) if chrom_alias(chrom) in contigs else None)  # fmt: skip
                ref = (record.ref or "").upper()
                for alt in record.alts or ():
                    counts["alleles"] += 1
                    if alt.startswith("<") or alt in ("*", "."):
                        counts["symbolic_skipped"] += 1
                        continue
                    if len(ref) != 1 or len(alt) != 1:
                        counts["indels_skipped"] += 1
                        continue
                    counts["snvs"] += 1
                    name = name_of[chrom]
                    if name is None:
                        counts["other_contig"] += 1
                        continue
                    base = genome.fetch(name, record.pos - 1, record.pos).upper()
                    if base != ref:
                        counts["ref_mismatch"] += 1
                        continue
                    vid = record.id or f"{name}_{record.pos}_{ref}_{alt.upper()}"
                    rows.append((name, record.pos, vid, ref, alt.upper()))
        except (OSError, ValueError) as err:
            raise InputFileError(path, f"could not be read to the end ({err})") from None
    counts["kept"] = len(rows)
    if counts["snvs"] and not rows:
        if counts["other_contig"] == counts["snvs"]:
            raise InputFileError(path, f"none of its chromosomes ({', '.join(list(name_of)[:5])}) "
                                       f"is in {fasta}")  # fmt: skip
        raise InputFileError(
            path, f"none of its {counts['snvs']} REF alleles matches {fasta}; the VCF is "
                  "probably on another genome build"
        )  # fmt: skip
    checked = counts["snvs"] - counts["other_contig"]
    if checked and counts["ref_mismatch"] > mismatch_warning * checked:
        warnings.warn(f"{path}: {counts['ref_mismatch']} of {checked} REF alleles differ from "
                      f"{fasta} and were excluded", stacklevel=2)  # fmt: skip
    table = pd.DataFrame(rows, columns=VARIANT_COLUMNS).astype({"pos": np.int64})
    return table, counts


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
    from .genome import one_hot_codes, sequence_codes

    codes = np.full((len(windows), seq_length), 4, dtype=np.uint8)  # 4 = N
    for row, (chrom, start) in enumerate(zip(windows["chrom"], windows["start"], strict=True)):
        size = fasta.get_reference_length(chrom)
        lo, hi = max(int(start), 0), min(int(start) + seq_length, size)
        if hi > lo:
            codes[row, lo - start : hi - start] = sequence_codes(fasta.fetch(chrom, lo, hi))
    return one_hot_codes(codes)


class _ScoreFile:
    """HDF5 score tables written window chunk by window chunk to a hidden partial file,
    renamed into place when complete; a rerun with the same settings resumes it."""

    def __init__(self, path: Path, digest: str, n_tracks: int):
        import h5py

        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self.h5 = None
        if self.partial.exists():
            try:
                h5 = h5py.File(self.partial, "a")
                if h5.attrs.get("digest") == digest:
                    self.h5 = h5
                    self._truncate()
                else:
                    h5.close()
            except OSError:  # a file cut short by a kill mid-write: start again
                pass
        if self.h5 is None:
            self.partial.unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.h5 = h5py.File(self.partial, "w")
            self.h5.attrs["digest"] = digest
            self.h5.attrs["windows_done"] = 0
            strings = h5py.string_dtype()
            for name, dtype in (("chrom", strings), ("pos", "i8"), ("variant_id", strings),
                                ("ref", strings), ("alt", strings), ("window", "i8")):  # fmt: skip
                self.h5.create_dataset(
                    f"variants/{name}", (0,), dtype, maxshape=(None,), chunks=(4096,)
                )
            for name, dtype in (
                ("variant", "i8"),
                ("gene_id", strings),
                ("tss_distance", "i8"),
                ("n_tss", "i8"),
            ):
                self.h5.create_dataset(
                    f"pairs/{name}", (0,), dtype, maxshape=(None,), chunks=(4096,)
                )
            for name in ("sad", "sar", "sed", "ser"):
                self.h5.create_dataset(name, (0, n_tracks), "f4", maxshape=(None, n_tracks),
                                       chunks=(256, n_tracks))  # fmt: skip
            self.h5.attrs["n_variants"] = 0
            self.h5.attrs["n_pairs"] = 0

    @property
    def windows_done(self) -> int:
        return int(self.h5.attrs["windows_done"])

    def _truncate(self) -> None:
        """Drop rows written after the last completed chunk."""
        n_variants, n_pairs = int(self.h5.attrs["n_variants"]), int(self.h5.attrs["n_pairs"])
        for name in ("chrom", "pos", "variant_id", "ref", "alt", "window"):
            self.h5[f"variants/{name}"].resize((n_variants,))
        for name in ("variant", "gene_id", "tss_distance", "n_tss"):
            self.h5[f"pairs/{name}"].resize((n_pairs,))
        for name in ("sad", "sar"):
            self.h5[name].resize(n_variants, axis=0)
        for name in ("sed", "ser"):
            self.h5[name].resize(n_pairs, axis=0)

    def _append(self, name: str, values) -> None:
        data = self.h5[name]
        n = data.shape[0]
        data.resize(n + len(values), axis=0)
        data[n:] = values

    def append(self, variants, scores: dict, pairs, pair_scores: dict, windows_done: int) -> None:
        for column in ("chrom", "pos", "variant_id", "ref", "alt", "window"):
            self._append(f"variants/{column}", variants[column].to_numpy())
        for column in ("variant", "gene_id", "tss_distance", "n_tss"):
            self._append(f"pairs/{column}", pairs[column].to_numpy())
        for name, values in (scores | pair_scores).items():
            self._append(name, values)
        self.h5.attrs["n_variants"] = int(self.h5.attrs["n_variants"]) + len(variants)
        self.h5.attrs["n_pairs"] = int(self.h5.attrs["n_pairs"]) + len(pairs)
        self.h5.attrs["windows_done"] = windows_done
        self.h5.flush()

    def finish(self, attrs: dict) -> Path:
        import json
        import os

        self.h5.attrs["settings"] = json.dumps(attrs)
        self.h5.close()
        os.replace(self.partial, self.path)
        return self.path

    def close(self) -> None:
        if self.h5 is not None and self.h5.id.valid:
            self.h5.close()


def _digest(*parts) -> str:
    import hashlib

    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
    return h.hexdigest()


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


def score_variants(model, variants, fasta: str | Path, out_path: str | Path, *, tracks: list[dict],
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
        :func:`read_vcf`, REF already checked against ``fasta``).
    tracks
        The model's output tracks (dicts with ``id``; ``strand_pair`` for stranded ones).
    pool_width
        Bases per output bin; the output covers the window's centre, cropped equally
        on both sides.
    tss
        ``chrom``, ``position`` (0-based), ``strand``, ``gene_id``; None skips SED.
    sed_distance
        Largest variant-TSS distance scored; default (and maximum) the distance every
        variant's window still predicts on both sides.
    """
    import pandas as pd
    import pysam
    from tqdm.auto import tqdm

    from .edits import EditPredictor
    from .loader import strand_swap_order

    out_path = Path(out_path)
    seq_length = int(model.inputs[0].shape[1])
    bins, n_tracks = (int(d) for d in model.outputs[0].shape[1:])
    if n_tracks != len(tracks):
        raise ValueError(f"the model predicts {n_tracks} tracks but {len(tracks)} were described")
    crop_bp, leftover = divmod(seq_length - bins * pool_width, 2)
    if crop_bp < 0 or leftover:
        raise ValueError(
            f"{bins} bins of {pool_width} bp do not fit a {seq_length}-bp window evenly"
        )
    reach = seq_length // 2 - crop_bp - stride // 2
    if reach <= 0:
        raise ValueError(
            f"stride {stride} is too large for the predicted span of {bins * pool_width} bp"
        )
    sed_distance = reach if sed_distance is None else int(sed_distance)
    if sed_distance > reach:
        raise ValueError(
            f"sed_distance {sed_distance} exceeds what every window predicts ({reach} bp)"
        )
    missing = [c for c in VARIANT_COLUMNS if c not in variants.columns]
    if missing:
        raise ValueError(f"variants lack the column(s) {missing}")
    variants = variants.sort_values(["chrom", "pos"], kind="stable").reset_index(drop=True)
    windows, window_of = variant_windows(variants, seq_length, stride)
    variants = variants.assign(window=window_of)
    pairs = gene_pairs(variants, tss, sed_distance) if tss is not None else gene_pairs(
        variants, pd.DataFrame({"chrom": [], "position": [], "strand": [], "gene_id": []}), 0)  # fmt: skip
    pairs["bin"] = (pairs["tss"].to_numpy(np.int64)
                    - (windows["start"].to_numpy()[variants["window"].to_numpy()[pairs["variant"]]] + crop_bp)) // pool_width  # fmt: skip
    settings = {"seq_length": seq_length, "pool_width": pool_width, "crop_bp": crop_bp, "stride": stride,
                "sed_distance": sed_distance, "reverse_complement": reverse_complement,
                "shifts": list(shifts), "tracks": [t["id"] for t in tracks], "fasta": str(fasta)}  # fmt: skip
    digest = _digest(_weights_digest(model), settings,
                     pd.util.hash_pandas_object(variants[VARIANT_COLUMNS], index=False).to_numpy().tobytes(),
                     pd.util.hash_pandas_object(pairs, index=False).to_numpy().tobytes())  # fmt: skip
    predictor = EditPredictor(model, strand_swap_order(tracks), reverse_complement=reverse_complement,
                              shifts=shifts, batch_size=batch_size, method=method)  # fmt: skip
    writer = _ScoreFile(out_path, digest, n_tracks)
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
                ref_of = reference[chunk["window"].to_numpy() - lo].astype(np.float64)
                edited = edited.astype(np.float64)  # sums of many bins in double precision
                total_alt, total_ref = edited.sum(axis=1), ref_of.sum(axis=1)
                scores = {"sad": (edited - ref_of).sum(axis=1),
                          "sar": np.log2(total_alt + 1) - np.log2(total_ref + 1)}  # fmt: skip
                chunk_pairs = pairs[pairs["variant"].isin(chunk.index)]
                local = chunk.index.get_indexer(chunk_pairs["variant"])
                alt_tss = edited[local, chunk_pairs["bin"].to_numpy()]
                ref_tss = ref_of[local, chunk_pairs["bin"].to_numpy()]
                keys = chunk_pairs[["variant", "gene_id"]].to_numpy()
                groups = (
                    pd.MultiIndex.from_arrays(keys.T).factorize()[0]
                    if len(keys)
                    else np.zeros(0, int)
                )
                n_groups = int(groups.max()) + 1 if len(groups) else 0
                alt_gene = np.zeros((n_groups, n_tracks))
                ref_gene = np.zeros((n_groups, n_tracks))
                np.add.at(alt_gene, groups, alt_tss)
                np.add.at(ref_gene, groups, ref_tss)
                gene_rows = (chunk_pairs.assign(group=groups, abs_distance=chunk_pairs["tss_distance"].abs())
                             .sort_values("abs_distance").groupby("group", sort=True)
                             .agg(variant=("variant", "first"), gene_id=("gene_id", "first"),
                                  tss_distance=("tss_distance", "first"), n_tss=("tss", "size")))  # fmt: skip
                pair_scores = {"sed": alt_gene - ref_gene,
                               "ser": np.log2(alt_gene + 1) - np.log2(ref_gene + 1)}  # fmt: skip
                writer.append(chunk, scores, gene_rows, pair_scores, hi)
                bar.update(hi - lo)
        bar.close()
        return writer.finish(settings | {"method": predictor.method})
    finally:
        writer.close()


class VariantScores:
    """Scores read back from :func:`score_variants`: ``variants`` and ``pairs`` tables,
    ``sad``, ``sar`` ``(variants, tracks)`` and ``sed``, ``ser`` ``(pairs, tracks)`` arrays,
    ``tracks`` (ids) and ``settings``."""

    def __init__(self, path: str | Path):
        import json

        import h5py
        import pandas as pd

        path = Path(path)
        if not path.exists():
            raise InputFileError(path, "no such variant score file; run the scoring first")
        with h5py.File(path, "r") as h5:
            self.settings = json.loads(h5.attrs["settings"])
            self.variants = pd.DataFrame({k: v[()] for k, v in h5["variants"].items()})
            self.pairs = pd.DataFrame({k: v[()] for k, v in h5["pairs"].items()})
            for table in (self.variants, self.pairs):
                for column in table.columns:
                    if table[column].dtype == object:
                        table[column] = table[column].str.decode("utf-8")
            self.sad, self.sar, self.sed, self.ser = (
                h5[n][()] for n in ("sad", "sar", "sed", "ser")
            )
        self.tracks = self.settings["tracks"]
        self.variants = self.variants[["chrom", "pos", "variant_id", "ref", "alt", "window"]]
        self.pairs = self.pairs[["variant", "gene_id", "tss_distance", "n_tss"]]


def read_scores(path: str | Path) -> VariantScores:
    """Read a score file written by :func:`score_variants`."""
    return VariantScores(path)
