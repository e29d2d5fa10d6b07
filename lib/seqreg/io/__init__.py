"""Reading and writing the files of a dataset: FASTA, chromosome names, GTF/BED/TSS,
bigWig, VCF and the published tables (GTEx eQTLs, de novo variants, GWAS sets,
BLUEPRINT QTLs, ChromDragoNN's labels and TF expression). Used by every notebook.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[
        "fasta",
        "chroms",
        "annotation",
        "bigwig",
        "vcf",
        "tables",
        "blueprint",
        "chromdragonn",
    ],
    submod_attrs={
        "fasta": [
            "read_chrom_sizes",
            "check_fasta_file",
            "ensure_fasta_index",
            "iter_sequence_chunks",
            "n_runs",
            "gaps_from_fasta",
            "n_fraction_by_chrom",
            "write_fasta",
            "write_chrom_sizes",
        ],
        "chroms": ["chrom_aliases", "chrom_alias", "match_chrom", "resolve_chrom"],
        "annotation": [
            "write_bed",
            "read_gtf",
            "read_bed",
            "read_tss",
            "tss_from_gtf",
            "TSS_COLUMNS",
        ],
        "bigwig": [
            "bigwig_chrom_sizes",
            "chroms_without_values",
            "read_intervals",
            "coverage_qc",
            "sample_values",
            "write_bigwig",
            "read_values",
            "open_bigwig",
        ],
        "vcf": ["VARIANT_COLUMNS", "read_vcf", "read_dosages"],
        "tables": [
            "GTEX_EQTL_COLUMNS",
            "DE_NOVO_COLUMNS",
            "GWAS_COLUMNS",
            "parse_gtex_variant_ids",
            "gtex_variant_ids",
            "read_gtex_eqtl",
            "read_de_novo",
            "de_novo_snvs",
            "DE_NOVO_COUNTS",
            "read_gwas_set",
        ],
        "blueprint": ["BLUEPRINT_COLUMNS", "iter_blueprint_qtl", "read_blueprint_qtl"],
        "chromdragonn": [
            "LabelMatrix",
            "read_label_tsv",
            "write_label_tsv",
            "read_packbit_joblib",
            "read_expression",
            "align_expression",
            "panel_entries",
        ],
    },
)
