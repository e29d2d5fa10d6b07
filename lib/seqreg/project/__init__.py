"""Running the project: paths, scale presets (every size table), manifests, dataset
preparation, downloads, the papermill runner, the HTML report and errors that name
the file at fault. Used by every notebook.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[
        "errors",
        "files",
        "paths",
        "scales",
        "manifest",
        "notebook",
        "datasets",
        "downloads",
        "run",
        "report",
        "progress",
    ],
    submod_attrs={
        "errors": [
            "SeqregError",
            "InputFileError",
            "ManifestError",
            "DownloadError",
            "ChecksumMismatchError",
        ],
        "files": [
            "atomic_path",
            "write_text",
            "write_gzip_text",
            "write_json",
            "replace_dir",
            "fingerprint",
        ],
        "paths": ["OUTPUT_KINDS", "project_root", "output_dirs"],
        "progress": ["progress_bar"],
        "scales": ["Scale", "SCALES", "check_scale", "preset"],
        "manifest": [
            "SCHEMA_VERSION",
            "ROLES",
            "FORMATS",
            "CHECKSUM_UNKNOWN",
            "Genome",
            "FileEntry",
            "Track",
            "Manifest",
            "manifest_path",
            "load_manifest",
            "resolve_generator",
        ],
        "notebook": ["THREADS", "fix_threads", "Context", "setup"],
        "datasets": [
            "STATE_DIR",
            "stamp_path",
            "prepare",
            "generator_fingerprint",
            "check_consistency",
        ],
        "downloads": ["file_checksum", "verify_file", "download"],
        "run": [
            "KERNEL_NAME",
            "KERNEL_DISPLAY_NAME",
            "NotebookFailed",
            "ParameterError",
            "install_kernel",
            "kernel_available",
            "run_notebook",
            "notebook_requirements",
            "missing_requirements",
            "skipped_reason",
            "notebook_parameters",
            "convert_parameters",
        ],
        "report": ["build_report"],
    },
)
