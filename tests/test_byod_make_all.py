"""A user's own dataset through `make all`: only a FASTA, a GTF and bigWigs, laid out unlike the
synthetic dataset (Ensembl chromosome names, other sizes, other cell types and assays, a
mitochondrial chromosome the tracks lack). Every notebook must end done or skipped with its
one-line reason, and notebook 03's gene-level analyses must use the GTF's TSSs.

Needs the environment that `make test` builds first (.venv).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.xdist_group("byod_make"),
    pytest.mark.skipif(
        not (ROOT / ".venv" / ".seqreg-env").exists(),
        reason="needs the environment built by `make env`",
    ),
]

CHROMS = {"1": 180_224, "2": 122_880, "MT": 16_569}
CELL_TYPES = ("neuron", "microglia")


def write_dataset(folder: Path, seed: int = 7) -> Path:
    """A FASTA, a GENCODE-style GTF and bigWigs of ATAC, H3K4me3 and stranded CAGE, with a
    manifest written through the documented schema; returns the manifest's path."""
    import pyBigWig

    rng = np.random.default_rng(seed)
    data = folder / "mydata"
    data.mkdir(parents=True)
    sequences = {}
    for chrom, length in CHROMS.items():
        gc = np.repeat(rng.uniform(0.3, 0.65, length // 2048 + 1), 2048)[:length]
        draw = rng.random(length)
        bases = np.where(draw < gc, np.where(rng.random(length) < 0.5, "G", "C"),
                         np.where(rng.random(length) < 0.5, "A", "T"))  # fmt: skip
        sequences[chrom] = "".join(bases)
    with open(data / "assembly.fasta", "w") as handle:
        for chrom, seq in sequences.items():
            handle.write(f">{chrom}\n")
            handle.writelines(seq[i : i + 80] + "\n" for i in range(0, len(seq), 80))

    genes, lines = [], []
    for chrom in ("1", "2"):
        for k, start in enumerate(range(6_000, CHROMS[chrom] - 12_000, 9_000)):
            strand = "+" if k % 2 == 0 else "-"
            end = start + int(rng.integers(3_000, 7_000))
            gene = f"ENSG{len(genes):09d}.3"
            attrs = f'gene_id "{gene}"; gene_type "protein_coding"; gene_name "G{len(genes)}";'
            lines.append(f"{chrom}\tENSEMBL\tgene\t{start + 1}\t{end}\t.\t{strand}\t.\t{attrs}\n")
            starts = [start, start + 400] if k % 3 == 0 else [start]  # alternative TSSs
            for t, t_start in enumerate(starts):
                tid = f'transcript_id "ENST{len(genes):09d}{t}.1";'
                lo, hi = (t_start, end) if strand == "+" else (start, end - (t_start - start))
                lines.append(
                    f"{chrom}\tENSEMBL\ttranscript\t{lo + 1}\t{hi}\t.\t{strand}\t.\t{attrs} {tid}\n"
                )
                lines.append(
                    f"{chrom}\tENSEMBL\texon\t{lo + 1}\t{lo + 500}\t.\t{strand}\t.\t{attrs} {tid}\n"
                )
            tss = start if strand == "+" else end - 1
            genes.append((chrom, tss, strand, rng.uniform(0.2, 3.0, len(CELL_TYPES))))
    (data / "genes.gtf").write_text("#!genome-build toy\n" + "".join(lines))

    def bigwig(name: str, values: dict[str, np.ndarray]) -> None:
        handle = pyBigWig.open(str(data / name), "w")
        handle.addHeader([(c, n) for c, n in CHROMS.items() if c in values])
        for chrom, track in values.items():
            starts = np.arange(0, CHROMS[chrom], 32)
            handle.addEntries(chrom, starts.tolist(), values=track.astype(float).tolist(), span=32)
        handle.close()

    tracks = []
    for c, cell in enumerate(CELL_TYPES):
        for assay in ("ATAC", "H3K4me3", "CAGE+", "CAGE-"):
            values = {}
            for chrom in ("1", "2"):  # the tracks lack MT, which the manifest excludes
                n = -(-CHROMS[chrom] // 32)
                seq = np.frombuffer(sequences[chrom].encode(), np.uint8)
                gc = np.isin(seq, (ord("G"), ord("C")))
                gc = np.pad(gc, (0, n * 32 - len(gc))).reshape(n, 32).mean(1)
                signal = 0.2 + (gc if assay == "ATAC" else 0.3 * gc) + rng.gamma(0.5, 0.05, n)
                for g_chrom, tss, strand, level in genes:
                    if g_chrom != chrom or (assay.startswith("CAGE") and strand != assay[-1]):
                        continue
                    width = 1 if assay.startswith("CAGE") else 20
                    lo = max(0, tss // 32 - width)
                    signal[lo : tss // 32 + width + 1] += level[c] * (
                        8 if assay != "H3K4me3" else 3
                    )
                values[chrom] = signal
            name = f"{cell}_{assay.replace('+', '_plus').replace('-', '_minus')}"
            bigwig(f"{name}.bigWig", values)
            strand = assay[-1] if assay.startswith("CAGE") else "."
            pair = (
                f", strand: '{strand}', strand_pair: {cell}_CAGE_{'minus' if strand == '+' else 'plus'}"
                if strand != "."
                else ""
            )
            tracks.append(
                f"  - {{id: {name}, path: {name}.bigWig, format: bigwig, assay: {assay.rstrip('+-')}, cell_type: {cell}{pair}}}\n"
            )

    # regulatory annotations of microglia, spelled with UCSC names ("chr1") although the
    # FASTA says "1": promoters at the TSSs, enhancers 2 kb upstream, CTCF sites between genes
    beds = {"promoters": [], "enhancers": [], "CTCF": []}
    for chrom, tss, strand, _ in genes:
        beds["promoters"].append(f"chr{chrom}\t{tss - 150}\t{tss + 150}\n")
        upstream = tss - 2_000 if strand == "+" else tss + 2_000
        beds["enhancers"].append(f"chr{chrom}\t{upstream - 200}\t{upstream + 200}\n")
        beds["CTCF"].append(f"chr{chrom}\t{tss + 4_000}\t{tss + 4_060}\n")
    annotation_lines = ""
    for kind, lines_of_bed in beds.items():
        (data / f"microglia_{kind}.bed").write_text("".join(lines_of_bed))
        annotation_lines += f"  - {{id: mg_{kind.lower()}, role: annotation, format: bed, path: microglia_{kind}.bed}}\n"

    manifest = folder / "mydata.yaml"
    manifest.write_text(
        "schema_version: 1\nname: mydata\ndescription: a user's own dataset\nroot: mydata\n"
        "genomes:\n  - {id: toy, species: Mus musculus, assembly: toy1, exclude_chroms: [MT]}\n"
        "files:\n"
        "  - {id: assembly, role: genome_fasta, format: fasta, path: assembly.fasta}\n"
        "  - {id: genes, role: gene_annotation, format: gtf, path: genes.gtf}\n"
        + annotation_lines
        + "tracks:\n"
        + "".join(tracks)
    )
    return manifest


def test_a_dataset_of_fasta_gtf_and_bigwigs_runs_make_all_to_the_end(tmp_path):
    manifest = write_dataset(tmp_path)
    out = tmp_path / "outputs"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    args = ["make", "--no-print-directory", "-C", str(ROOT), "all", "SCALE=smoke",
            f"DATASET={manifest}", f"DATA_ROOT={tmp_path}", f"OUTPUT_ROOT={out}"]  # fmt: skip
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=1500)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    executed = out / "mydata" / "smoke" / "notebooks"
    sources = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(p.name for p in executed.glob("[0-9][0-9]_*.ipynb")) == sources
    skipped = {}
    for name in sources:
        book = json.loads((executed / name).read_text())
        reason = book["metadata"].get("seqreg", {}).get("skipped")
        if reason:
            skipped[name] = reason
    # no genotypes, eQTL tables, GWAS SNPs, de novo variants, QTL files or H3K27ac and
    # H3K4me1 tracks, no cell-type panel: exactly those notebooks skip, each saying why (its
    # ATAC tracks feed the peak benchmark, 04; 14 runs without a U-Net, which 13 would have
    # trained)
    expected = [
        "06_variant_scores_eqtl.ipynb",
        "07_gwas_classification.ipynb",
        "10_autism_de_novo.ipynb",
        "11_chromdragonn.ipynb",
        "12_chromdragonn_motifs.ipynb",
        "13_leopard_conditioning.ipynb",
        "15_qtl_connectivity.ipynb",
    ]
    assert sorted(skipped) == expected, skipped
    assert "H3K27ac" in skipped["13_leopard_conditioning.ipynb"]
    assert "accessibility_labels" in skipped["11_chromdragonn.ipynb"]
    assert "genotypes" in skipped["06_variant_scores_eqtl.ipynb"]
    assert "gwas_snps" in skipped["07_gwas_classification.ipynb"]
    assert "de_novo_variants" in skipped["10_autism_de_novo.ipynb"]
    assert "qtl_summary" in skipped["15_qtl_connectivity.ipynb"]
    for name in skipped:
        lines = [line for line in log.splitlines() if name in line and "skipped" in line]
        assert len(lines) == 1, log[-3000:]
    metrics = json.loads(
        (out / "mydata" / "smoke" / "metrics" / "03_evaluate_basenji.json").read_text()
    )
    assert metrics["genes"] >= 3  # held-out genes found through the GTF's TSSs
    assert metrics["tss_switching_genes"] >= 0
    # notebook 05 found the annotation BEDs by name, read their chr-prefixed names against
    # the FASTA's and followed the cell type they name
    saliency = json.loads(
        (out / "mydata" / "smoke" / "metrics" / "05_saliency_ism.json").read_text()
    )
    assert saliency["cell_type"] == "microglia"
    counts = {row["class"]: row["elements"] for row in saliency["annotation_test"]}
    assert set(counts) == {"promoters", "enhancers", "ctcf"} and min(counts.values()) > 0
    # a second `make all` does no work: skipped notebooks are not retried
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "seqreg.project.run" not in again.stdout, again.stdout[-2000:]
    # a track replaced on disk (the manifest unchanged) is checked again: one line, no reruns
    import pyBigWig

    track = tmp_path / "mydata" / "neuron_ATAC.bigWig"
    handle = pyBigWig.open(str(track), "w")
    handle.addHeader([("1", CHROMS["1"]), ("2", CHROMS["2"])])
    handle.addEntries(
        ["1", "2"], [0, 0], ends=[CHROMS["1"], CHROMS["2"]], values=[float("nan")] * 2
    )
    handle.close()
    broken = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert broken.returncode != 0 and "Traceback" not in broken.stderr
    assert "neuron_ATAC.bigWig: track 'neuron_ATAC' holds no finite value" in broken.stderr
    assert "seqreg.project.run" not in broken.stdout
