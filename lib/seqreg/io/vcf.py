"""VCF files: SNVs checked against the reference FASTA (REF must match), and genotype
dosages ``(variants, samples)`` for LD.

Both readers parse the VCF text themselves, so that they read what users bring: plain
text, plain gzip or BGZF (recognised by content; a tabix index is used when present),
with or without ``##contig`` lines, and with a ``#CHROM`` line that stops after FILTER
(no INFO column). A record with fewer fields than its ``#CHROM`` line declares is an error
naming the record and its line.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError
from ._compressed import COMPRESSION_ERRORS, _is_bgzf, _open_text, _read_error

# -- VCF -------------------------------------------------------------------------------------
VARIANT_COLUMNS = ["chrom", "pos", "variant_id", "ref", "alt"]

#: the fixed columns of a VCF record; INFO may be left out when the #CHROM line leaves it out
_FIXED = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
_BASES = frozenset("ACGT")
_COUNT_KEYS = ("records", "alleles", "snvs", "indels_skipped", "symbolic_skipped", "non_acgt_skipped",
               "other_contig", "ref_mismatch", "ref_alt_swapped", "flipped", "duplicates", "kept")  # fmt: skip


class _VcfText:
    """A VCF read as text: header parsed on opening (``columns`` of the ``#CHROM`` line,
    ``samples``), data records streamed by :meth:`records`. ``##`` meta lines are not
    needed (``##contig`` lines may be missing)."""

    def __init__(self, path: Path):
        self.path = path
        self._handle = _open_text(path)
        self.columns: list[str] = []
        try:
            self._read_header()
        except BaseException:
            self._handle.close()
            raise
        self.samples = self.columns[9:]

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()

    def _read_header(self) -> None:
        self.header_lines = 0
        for number, line in enumerate(self._handle, start=1):
            self.header_lines = number
            if number == 1 and line.startswith("BCF"):
                raise InputFileError(self.path, "is BCF, not VCF text; convert it with `bcftools view -Oz -o "
                                                "calls.vcf.gz <file>` and `tabix -p vcf calls.vcf.gz`")  # fmt: skip
            if line.startswith("##"):
                continue
            if line.startswith("#"):
                self._set_columns(line.rstrip("\r\n").split("\t"), number)
                return
            if line.strip():
                raise InputFileError(self.path, f"line {number} is a record before the #CHROM header line; a VCF "
                                                "lists its columns in a #CHROM line first (#CHROM POS ID REF "
                                                "ALT QUAL FILTER INFO ...)")  # fmt: skip
        what = "is empty" if not self.header_lines else "has no #CHROM header line"
        raise InputFileError(self.path, f"{what}; a VCF lists its columns in a #CHROM line (#CHROM POS ID "
                                        "REF ALT QUAL FILTER INFO ...) before its records")  # fmt: skip

    def _set_columns(self, columns: list[str], number: int) -> None:
        names = [columns[0].lstrip("#"), *columns[1:]]
        fixed = min(len(names), len(_FIXED))
        if len(names) < 7 or [n.upper() for n in names[:fixed]] != list(_FIXED[:fixed]):
            hint = " (are they separated by spaces rather than tabs?)" if len(names) < 7 else ""
            raise InputFileError(self.path, f"line {number}: the #CHROM line must list the tab-separated columns "
                                            f"CHROM POS ID REF ALT QUAL FILTER [INFO [FORMAT samples]]; it "
                                            f"has {names[:9]}{hint}")  # fmt: skip
        self.columns = names

    def records(self, region: str | None = None, split: int = 8):
        """``(line number, pos, fields)`` of each data record, its line split at the first
        ``split`` tabs (``pos`` the POS field as an int). With ``region`` only the records
        at ``chrom`` or ``chrom:start-end`` (1-based, inclusive; ``chrom`` in either
        spelling), read through the tabix index when there is one (line number None); a
        region on a chromosome that has no record is an error."""
        from .chroms import match_chrom, resolve_chrom

        if region is not None:
            chrom, start, end = _parse_region(region)
            if _is_bgzf(self.path) and any(
                Path(f"{self.path}.{x}").exists() for x in ("tbi", "csi")
            ):
                yield from self._indexed(chrom, start, end, split, strict=True)
                return
            same: dict[str, bool] = {}
        need = min(len(self.columns), len(_FIXED))
        record = 0
        for number, line in enumerate(self._handle, start=self.header_lines + 1):
            if line.startswith("#") or line.isspace():
                continue
            record += 1
            fields = line.rstrip("\r\n").split("\t", split)
            if region is not None:
                if fields[0] not in same:
                    same[fields[0]] = match_chrom(chrom, {fields[0]}) is not None
                if not same[fields[0]]:
                    continue
            try:
                pos = int(fields[1])
                if len(fields) < need:
                    raise ValueError
            except (ValueError, IndexError):
                pos = self._checked(fields, need, f"record {record} (line {number})")
            if region is None or start <= pos <= end:
                yield number, pos, fields
        if region is not None and not any(same.values()):
            resolve_chrom(chrom, list(same), self.path)  # raises: no record on that chromosome

    def _indexed(self, chrom: str, start: int, end: float, split: int, strict: bool = False):
        """Like :meth:`records` for one chromosome, through the tabix index; a chromosome
        the index lacks yields nothing, or is an error when ``strict``."""
        import pysam

        from .chroms import match_chrom, resolve_chrom

        need = min(len(self.columns), len(_FIXED))
        with pysam.TabixFile(str(self.path)) as tabix:
            name = match_chrom(chrom, tabix.contigs)
            if name is None:
                if strict:
                    resolve_chrom(chrom, tabix.contigs, self.path)
                return
            stop = None if end == float("inf") else int(end)
            for line in tabix.fetch(name, start - 1, stop):
                fields = line.rstrip("\r\n").split("\t", split)
                try:
                    pos = int(fields[1])
                    if len(fields) < need:
                        raise ValueError
                except (ValueError, IndexError):
                    pos = self._checked(fields, need, f"the record at {':'.join(fields[:2])}")
                if start <= pos <= end:
                    yield None, pos, fields

    def _checked(self, fields: list[str], need: int, where: str) -> int:
        """POS of a record split into ``fields``, after checking it has the fixed columns."""
        if len(fields) < need:
            spaces = (
                " (are its columns separated by spaces rather than tabs?)"
                if len(fields) < 5
                else ""
            )
            declared = "CHROM to INFO" if need == len(_FIXED) else "CHROM to FILTER"
            raise InputFileError(self.path, f"{where} has {len(fields)} tab-separated fields but the #CHROM "
                                            f"line declares {need} ({declared}); every record needs them "
                                            f"all (INFO may be '.'){spaces}")  # fmt: skip
        try:
            return int(fields[1])
        except ValueError:
            raise InputFileError(
                self.path, f"{where}: POS {fields[1]!r} is not a whole number"
            ) from None


def _parse_region(region: str) -> tuple[str, int, float]:
    """``(chrom, start, end)`` of ``chrom`` or ``chrom:start[-end]`` (1-based, inclusive)."""
    found = re.fullmatch(r"\s*([^:\s]+)(?::([\d,]+)(?:-([\d,]+))?)?\s*", region)
    if not found:
        raise ValueError(f"region {region!r} is not 'chrom' or 'chrom:start-end'")
    chrom, start, end = found.groups()
    start = int(start.replace(",", "")) if start else 1
    end = int(end.replace(",", "")) if end else float("inf")
    if end < start:
        raise ValueError(f"region {region!r} ends before it starts")
    return chrom, start, end


def read_vcf(path: str | Path, fasta: str | Path, region: str | None = None, mismatch_warning: float = 0.05,
             flip_swapped: bool = False):  # fmt: skip
    """Read the single-nucleotide variants of a VCF and check their REF alleles.

    Multi-allelic records are split into one row per ALT allele; indels, symbolic alleles
    and alleles with a base other than A, C, G, T (IUPAC codes such as ``N`` or ``R``) are
    skipped and counted. Chromosome names are matched to the FASTA's (``chr1`` or ``1``).
    A REF allele that differs from the FASTA base excludes the variant (counted); when no
    REF matches at all the VCF is almost certainly on another genome build, and that is
    an error naming both files. A REF that differs while the ALT allele is the FASTA base
    is counted apart (``ref_alt_swapped``): REF and ALT look exchanged. Such variants are
    excluded, with a warning, unless ``flip_swapped`` keeps them with REF and ALT
    exchanged. A record listed more than once (same chromosome, position, REF and ALT) is
    kept once and counted (``duplicates``).

    The file may be plain text, plain gzip or BGZF, with or without ``##contig`` lines,
    with or without sample columns, and its ``#CHROM`` line may stop after FILTER (no
    INFO column).

    Parameters
    ----------
    path
        VCF, gzipped or bgzipped (``region`` reads through a tabix index when there is one
        and scans the file otherwise).
    fasta
        The genome FASTA the model reads (indexed; an index is made when missing).
    region
        Optional ``chrom`` or ``chrom:start-end`` (1-based, inclusive; ``chrom`` spelled as
        in the VCF or the other way, ``chr1`` or ``1``) to read.
    mismatch_warning
        Warn when more than this fraction of REF alleles disagree with the FASTA.
    flip_swapped
        Keep variants whose ALT is the FASTA base and whose REF is not, with REF and ALT
        exchanged (``flipped`` True): their scores are then those of the file's REF allele
        against its ALT, the negative of what the file's ALT would score, and
        :func:`read_dosages` counts the file's REF allele for them.

    Returns
    -------
    variants, counts
        DataFrame of ``chrom`` (FASTA spelling), ``pos`` (1-based), ``variant_id`` (the ID
        column, or ``chrom_pos_ref_alt`` when it is ``.``), ``ref``, ``alt`` (as scored: the
        FASTA base and the other allele) and ``flipped`` (bool: REF and ALT exchanged
        relative to the file); and a dict of counts: ``records``, ``alleles``, ``snvs``
        (single-base A/C/G/T alleles), ``indels_skipped``, ``symbolic_skipped``,
        ``non_acgt_skipped``, ``other_contig``, ``ref_mismatch`` (REF differs, ALT is not
        the FASTA base either), ``ref_alt_swapped`` (REF differs, ALT is the FASTA base),
        ``flipped`` (of those, kept with the alleles exchanged), ``duplicates`` (repeats
        dropped), ``kept``.

    Raises
    ------
    InputFileError
        When the VCF is missing, unreadable, truncated, or a record has fewer fields than
        its ``#CHROM`` line declares (naming the record and line), none of its chromosomes
        is in the FASTA, or none of its REF alleles matches the FASTA (another genome
        build, or, when most of them have the FASTA base as ALT, REF and ALT exchanged).
    ValueError
        When ``region`` is not ``chrom`` or ``chrom:start-end``.
    """
    import warnings

    import pandas as pd
    import pysam

    from .fasta import ensure_fasta_index

    path, fasta = Path(path), Path(fasta)
    if not path.exists():
        raise InputFileError(path, "no such VCF file")
    if region is not None:
        _parse_region(region)
    ensure_fasta_index(fasta)
    with pysam.FastaFile(str(fasta)) as genome:
        try:
            with _VcfText(path) as vcf:
                rows, counts, names, firsts = _checked_snvs(
                    vcf.records(region), genome, flip_swapped
                )
        except (OSError, UnicodeDecodeError, *COMPRESSION_ERRORS) as err:
            raise _read_error(path, err, "VCF") from None
    checked = counts["snvs"] - counts["other_contig"]
    swapped, mismatch = counts["ref_alt_swapped"], counts["ref_mismatch"]
    if counts["snvs"] and not rows:
        if counts["other_contig"] == counts["snvs"]:
            raise InputFileError(
                path, f"none of its chromosomes ({', '.join(names[:5])}) is in {fasta}"
            )
        if swapped > mismatch:
            raise InputFileError(path, f"none of its {checked} REF alleles matches {fasta}, but for {swapped} "
                                       f"of them the ALT allele is the genome's base (first: "
                                       f"{firsts['ref_alt_swapped']}): REF and ALT look exchanged; "
                                       "read_vcf(..., flip_swapped=True) reads them with REF and ALT "
                                       "exchanged")  # fmt: skip
        raise InputFileError(path, f"none of its {counts['snvs']} REF alleles matches {fasta}; the VCF is "
                                   "probably on another genome build")  # fmt: skip
    for message in _warnings(path, fasta, counts, firsts, mismatch_warning, flip_swapped):
        warnings.warn(message, stacklevel=2)
    table = pd.DataFrame(rows, columns=[*VARIANT_COLUMNS, "flipped"])
    return table.astype({"pos": np.int64, "flipped": bool}), counts


def _warnings(path: Path, fasta: Path, counts: dict, firsts: dict, threshold: float,
              flip: bool) -> list[str]:  # fmt: skip
    """The warnings of :func:`read_vcf` about what it left out or changed."""
    messages = []
    if counts["non_acgt_skipped"]:
        messages.append(f"{path}: {counts['non_acgt_skipped']} single-base alleles with a base other than A, "
                        f"C, G, T (IUPAC codes such as N or R) were skipped (first: "
                        f"{firsts['non_acgt_skipped']}; counted as 'non_acgt_skipped')")  # fmt: skip
    if counts["duplicates"]:
        messages.append(f"{path}: {counts['duplicates']} duplicate records (same chromosome, position, REF and "
                        f"ALT; first: {firsts['duplicates']}) were read once")  # fmt: skip
    checked = counts["snvs"] - counts["other_contig"]
    swapped, mismatch = counts["ref_alt_swapped"], counts["ref_mismatch"]
    if not checked or swapped + mismatch <= threshold * checked:
        return messages
    text = f"{path}: {swapped + mismatch} of {checked} REF alleles differ from {fasta}"
    if not swapped:
        return [*messages, text + " and were excluded"]
    text += (f"; {swapped} of them have the genome's base as ALT, so REF and ALT look exchanged (first: "
             f"{firsts['ref_alt_swapped']})")  # fmt: skip
    if flip:
        text += ("; these were kept with REF and ALT exchanged (column 'flipped': their scores are the "
                 "negative of the file's ALT allele's)")  # fmt: skip
    else:
        text += ("; these were excluded: read_vcf(..., flip_swapped=True) keeps them with REF and ALT "
                 "exchanged")  # fmt: skip
    if mismatch:
        text += f"; the other {mismatch} were excluded"
        if mismatch >= swapped:
            text += (" (with as many other mismatches, an ALT that is the genome's base may be chance: "
                     "check the genome build)")  # fmt: skip
    return [*messages, text]


def _checked_snvs(records, genome, flip: bool = False):
    """SNV rows of VCF ``records`` (from :meth:`_VcfText.records`) whose REF matches
    ``genome`` (a pysam FastaFile), or whose ALT does when ``flip``, with the alleles
    exchanged; the counts of :func:`read_vcf`; the VCF's chromosome names in order of
    appearance; and the first variant of each count that is a problem."""
    from .chroms import match_chrom

    counts = dict.fromkeys(_COUNT_KEYS, 0)
    firsts: dict[str, str] = {}
    contigs = set(genome.references)
    name_of: dict[str, str | None] = {}
    rows, seen = [], set()

    def count(key: str, chrom: str, pos: int, ref: str, alt: str, number: int | None) -> None:
        counts[key] += 1
        if key not in firsts:  # the first of each kind is named in warnings and errors
            firsts[key] = f"{chrom}:{pos} {ref}>{alt}" + (f" (line {number})" if number else "")

    for number, pos, fields in records:
        counts["records"] += 1
        chrom, ref, alts = fields[0], fields[3].upper(), fields[4]
        if chrom not in name_of:
            name_of[chrom] = match_chrom(chrom, contigs)
        name, base = name_of[chrom], None
        for alt in alts.split(",") if alts != "." else ():
            counts["alleles"] += 1
            alt = alt.upper()
            if alt.startswith("<") or alt in ("*", "."):
                counts["symbolic_skipped"] += 1
            elif len(ref) != 1 or len(alt) != 1:
                counts["indels_skipped"] += 1
            elif ref not in _BASES or alt not in _BASES:
                count("non_acgt_skipped", chrom, pos, ref, alt, number)
            elif name is None:
                counts["snvs"] += 1
                counts["other_contig"] += 1
            else:
                counts["snvs"] += 1
                if base is None:
                    base = genome.fetch(name, pos - 1, pos).upper() if pos >= 1 else ""
                if base == ref:
                    kept = (ref, alt, False)
                elif base == alt:
                    count("ref_alt_swapped", chrom, pos, ref, alt, number)
                    if not flip:
                        continue
                    kept = (alt, ref, True)
                else:
                    counts["ref_mismatch"] += 1
                    continue
                key = (name, pos, kept[0], kept[1])
                if key in seen:
                    count("duplicates", chrom, pos, ref, alt, number)
                    continue
                seen.add(key)
                vid = fields[2] if fields[2] != "." else f"{name}_{pos}_{kept[0]}_{kept[1]}"
                rows.append((name, pos, vid, *kept))
    counts["kept"] = len(rows)
    counts["flipped"] = sum(row[5] for row in rows)
    return rows, counts, list(name_of), firsts


def _alleles(samples: str, n: int) -> np.ndarray:
    """``(n, 2)`` allele indices of a line's sample columns (-1 = missing, -2 = no second
    allele of a haploid call)."""
    if len(samples) == 4 * n - 1 and ":" not in samples:  # fast path: diploid 'a|b' or 'a/b'
        raw = np.frombuffer((samples + "\t").encode(), np.uint8).reshape(n, 4)[:, [0, 2]]
        if np.all(((raw >= 48) & (raw <= 57)) | (raw == 46)):
            return np.where(raw == 46, -1, raw.astype(np.int64) - 48)
    out = np.full((n, 2), -1, dtype=np.int64)
    for i, field in enumerate(samples.split("\t")):
        calls = re.split(r"[/|]", field.split(":", 1)[0])
        for k, call in enumerate(calls[:2]):
            if call not in (".", ""):
                out[i, k] = int(call)
        if len(calls) == 1:  # a haploid call counts once
            out[i, 1] = -2 if out[i, 0] >= 0 else -1
    return out


def read_dosages(path: str | Path, variants) -> tuple[np.ndarray, list[str]]:
    """ALT-allele dosages (0, 1, 2; NaN when missing) of ``variants`` from a VCF.

    The VCF may be plain text, plain gzip or BGZF (read through its tabix index when
    there is one), with or without ``##contig`` lines. A record listed more than once
    gives its first copy's genotypes.

    Parameters
    ----------
    path
        VCF, gzipped or bgzipped, with GT calls (tabix-indexed for speed).
    variants
        ``chrom``, ``pos`` (1-based), ``ref``, ``alt``; multi-allelic records are matched
        per ALT allele. Chromosome names may be spelled ``chr1`` or ``1``. With a
        ``flipped`` column (from ``read_vcf(..., flip_swapped=True)``), a flipped row is
        matched to the record with REF and ALT exchanged, and its dosage counts the
        row's ``alt`` (the file's REF allele): 2 minus the file's ALT dosage for a
        biallelic diploid call.

    Returns
    -------
    dosage, samples
        ``(variants, samples)`` float32 in the order of ``variants``, and the sample names.

    Raises
    ------
    InputFileError
        When the VCF is missing, unreadable or truncated, has no samples (a sites-only
        VCF) or no GT field, a record has fewer fields than its ``#CHROM`` line declares,
        or it lacks genotypes for some of ``variants``.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such VCF file")
    try:
        with _VcfText(path) as vcf:
            if not vcf.samples:
                raise InputFileError(path, "has no sample columns (a sites-only VCF), so no genotypes")  # fmt: skip
            dosage, found = _dosages(vcf, variants)
            samples = list(vcf.samples)
    except (OSError, UnicodeDecodeError, *COMPRESSION_ERRORS) as err:
        raise _read_error(path, err, "VCF") from None
    if not found.all():
        first = variants.iloc[int(np.flatnonzero(~found)[0])]
        raise InputFileError(
            path,
            f"has no genotypes for {int((~found).sum())} of {len(variants)} variants "
            f"(first: {first['chrom']}:{first['pos']} {first['ref']}>{first['alt']})",
        )
    return dosage, samples


def _dosages(vcf: _VcfText, variants) -> tuple[np.ndarray, np.ndarray]:
    """Dosages and a found flag per row of ``variants`` (see :func:`read_dosages`)."""
    from .chroms import match_chrom

    n = len(vcf.samples)
    dosage = np.full((len(variants), n), np.nan, dtype=np.float32)
    found = np.zeros(len(variants), dtype=bool)
    flipped = (variants["flipped"].to_numpy(bool) if "flipped" in variants.columns
               else np.zeros(len(variants), dtype=bool))  # fmt: skip
    # (pos, REF, ALT) as the file writes them -> [(row, flipped)], per chromosome of ``variants``
    wanted: dict[str, dict[tuple[int, str, str], list[tuple[int, bool]]]] = {}
    columns = (variants[c].to_numpy() for c in ("chrom", "pos", "ref", "alt"))
    for row, (chrom, pos, ref, alt) in enumerate(zip(*columns, strict=True)):
        ref, alt = str(ref).upper(), str(alt).upper()
        key = (int(pos), alt, ref) if flipped[row] else (int(pos), ref, alt)
        wanted.setdefault(str(chrom), {}).setdefault(key, []).append((row, bool(flipped[row])))
    if _is_bgzf(vcf.path) and any(Path(f"{vcf.path}.{x}").exists() for x in ("tbi", "csi")):
        records = (r for chrom in wanted for r in vcf._indexed(chrom, 1, float("inf"), split=9))
    else:
        records = vcf.records(split=9)
    table_chrom: dict[str, str | None] = {}
    for number, pos, fields in records:
        chrom = fields[0]
        if chrom not in table_chrom:
            table_chrom[chrom] = match_chrom(chrom, wanted)
        if table_chrom[chrom] is None:
            continue
        keys = wanted[table_chrom[chrom]]
        ref = fields[3].upper()
        hits = [(k, row, flip) for k, alt in enumerate(fields[4].upper().split(","), 1)
                for row, flip in keys.get((pos, ref, alt), ()) if not found[row]]  # fmt: skip
        if not hits:
            continue
        if len(fields) < 10 or fields[9].count("\t") + 1 != n or not fields[8].startswith("GT"):
            raise _genotype_error(vcf, fields, pos, number)
        calls = _alleles(fields[9], n)
        missing = (calls == -1).any(axis=1)
        for k, row, flip in hits:
            # a flipped row's ALT is the file's REF (allele 0)
            values = (calls == (0 if flip else k)).sum(axis=1).astype(np.float32)
            values[missing] = np.nan
            dosage[row] = values
            found[row] = True
    return dosage, found


def _genotype_error(
    vcf: _VcfText, fields: list[str], pos: int, number: int | None
) -> InputFileError:
    """The error for a record whose genotype columns cannot be read."""
    where = f"{fields[0]}:{pos}" + (f" (line {number})" if number else "")
    n = len(vcf.samples)
    have = len(fields) if len(fields) < 10 else 9 + fields[9].count("\t") + 1
    if have != len(vcf.columns):
        return InputFileError(vcf.path, f"the record at {where} has {have} tab-separated fields but the "
                                        f"#CHROM line declares {len(vcf.columns)} ({n} samples)")  # fmt: skip
    return InputFileError(vcf.path, f"{where} has no GT field first in FORMAT")
